"""The live stream of sutra-control: a snapshot on connect, one event per state change in order,
resume by event id, and a slow client dropped while another follows a log through its rotations."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from tests.control.support import Control, Stream, up
from tests.supervisor.helpers import child

LINES = 100_000  # written at once by the chatty service: several log rotations


def _hybrid_states(events: list[dict]) -> list[str]:
    return [e["data"]["state"] for e in events if e["event"] == "state" and e["data"]["service"] == "hybrid"]


def test_snapshot_then_one_event_per_change_in_order(stack: Control) -> None:
    with Stream(stack) as s:
        first = s.next()
        assert first["event"] == "snapshot"
        assert {r["name"] for r in first["data"]["services"]} >= {"storage", "api", "hybrid", "control"}
        assert first["data"]["process_control"] is True
        with stack.client() as c:
            assert c.post("/api/services/hybrid/restart").status_code == 200
        seen = s.until(lambda e: e["event"] == "state" and e["data"]["service"] == "hybrid"
                       and e["data"]["state"] == "ready")
        assert _hybrid_states(seen) == ["stopping", "stopped", "starting", "running", "ready"]
        ids = [first["id"]] + [e["id"] for e in seen]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert any(e["event"] == "metrics" for e in s.until(lambda e: e["event"] == "metrics"))


def test_a_reconnect_resumes_after_its_last_event(stack: Control) -> None:
    with Stream(stack) as s:
        last = s.next()["id"]
    with stack.client() as c:  # changes while no stream is open
        assert c.post("/api/services/hybrid/restart").status_code == 200
    with Stream(stack, last_id=last) as s:
        first = s.next()
        assert first["event"] != "snapshot" and first["id"] == last + 1  # nothing lost, nothing repeated
        seen = [first] + s.until(lambda e: e["event"] == "state" and e["data"]["service"] == "hybrid"
                                 and e["data"]["state"] == "ready")
        assert _hybrid_states(seen) == ["stopping", "stopped", "starting", "running", "ready"]
    with Stream(stack, last_id=10**9) as s:  # an id this process never gave: start afresh
        fresh = s.next()
        assert fresh["event"] == "snapshot" and fresh["data"]["resumed"] is False


def _slow_client(port: int, token: str) -> socket.socket:
    """A stream client that reads nothing after its first bytes (a small receive buffer)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET /api/stream?logs=chatty HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                 f"Authorization: Bearer {token}\r\n\r\n".encode())
    assert b"200 OK" in sock.recv(64)
    return sock


def test_a_slow_client_is_dropped_without_slowing_the_others(tmp_path: Path) -> None:
    toml = f"""
[supervisor]
log_max_bytes = 2000000

[services.chatty]
command = {child("lines.py", str(LINES))}
"""
    with up(tmp_path, toml) as control:
        slow = _slow_client(control.port, control.token)
        with Stream(control, logs="chatty") as fast:
            assert fast.next()["event"] == "snapshot"
            assert control.sup is not None
            control.sup.ask("restart", service="chatty")  # it writes LINES lines at once
            numbers: list[int] = []

            def got_all(ev: dict) -> bool:
                if ev["event"] == "log":
                    numbers.extend(int(x["text"].split()[1]) for x in ev["data"]["lines"]
                                   if x["text"].startswith("line "))
                return len(numbers) >= LINES

            fast.until(got_all, limit=1_000_000)
            assert numbers == list(range(LINES))  # every line once, in order, across the rotations
            assert len(list((control.d / ".sutra" / "logs").glob("chatty.log.*"))) >= 2
            fast.until(lambda e: e["event"] == "metrics")  # and it goes on
            with control.client() as c:  # the slow one, still connected and reading nothing, was let go
                assert c.get("/api/status").json()["streams"] == 1
        slow.settimeout(30)
        received, deadline = 0, time.monotonic() + 60
        while time.monotonic() < deadline:
            chunk = slow.recv(1 << 20)
            if not chunk:
                break  # closed by the server: dropped
            received += len(chunk)
        else:
            raise AssertionError("the slow client's stream was never closed")
        slow.close()
        assert received < LINES * 50  # it did not get the whole log
        with control.client() as c:
            assert c.get("/api/status").json()["streams"] == 0  # the server serves on
