"""sutra-control's routes against a real built-in stack: status, the admin token, Origin and Host,
actions, snapshots and backups, logs."""

from __future__ import annotations

import os
import stat

import pytest

from tests.control.support import Control
from tests.supervisor.helpers import sutra
from tests.support.procs import wait_until

WRITES = [("POST", "/api/services/hybrid/restart"), ("POST", "/api/storage/snapshot"),
          ("POST", "/admin/bulk-learn")]
ADMIN_READS = ["/api/logs/api", "/admin/bulk-learn", "/api/events"]


def test_status_shows_every_service_and_storage(stack: Control) -> None:
    with stack.client(token=None) as c:  # status needs no token (the seed's curl)
        r = c.get("/api/status")
    assert r.status_code == 200, r.text
    body = r.json()
    rows = {s["name"]: s for s in body["services"]}
    assert set(rows) == {"storage", "api", "hybrid", "client", "control"}
    for row in rows.values():
        assert row["state"] == "ready" and row["pid"] > 0 and row["uptime"] >= 0
        assert row["memory_bytes"] > 0 and row["ports"] and row["transitions"][-1]["state"] == "ready"
        assert {"restarts", "health", "cpu_percent", "last_exit"} <= set(row)
    storage = body["storage"]
    assert storage["reachable"] is True and storage["read_only"] is False and storage["fsync"] == "always"
    assert {"concepts", "associations", "wal_bytes", "snapshot_bytes", "snapshot_age_seconds"} <= set(storage)
    assert body["apps"]["api"]["up"] is True and body["process_control"] is True


def test_the_token_file_is_private_and_sutra_status_says_where(stack: Control) -> None:
    path = stack.d / ".sutra" / "control.token"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(stack.token) >= 32
    r = sutra(stack.d, "status")
    assert "cat .sutra/control.token" in r.stdout and stack.token not in r.stdout


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_writes_need_the_token(stack: Control, method: str, path: str) -> None:
    pid = _pid(stack, "hybrid")
    for token in (None, "wrong-token"):
        with stack.client(token=token) as c:
            r = c.request(method, path)
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == "UNAUTHENTICATED"
        assert "set-cookie" not in r.headers
    assert _pid(stack, "hybrid") == pid  # nothing was restarted


@pytest.mark.parametrize("path", ADMIN_READS)
def test_logs_and_jobs_need_the_token(stack: Control, path: str) -> None:
    with stack.client(token=None) as c:
        assert c.get(path).status_code == 401
    with stack.client() as c:
        assert c.get(path).status_code == 200


def test_the_stream_needs_the_token_in_a_header(stack: Control) -> None:
    with stack.client(token=None) as c:
        r = c.get("/api/stream", params={"token": stack.token})  # never in the URL
        assert r.status_code == 401
        r = c.get("/api/stream", headers={"cookie": f"token={stack.token}"})  # nor a cookie
        assert r.status_code == 401


def test_a_foreign_origin_cannot_write_even_with_the_token(stack: Control) -> None:
    pid = _pid(stack, "hybrid")
    with stack.client() as c:
        r = c.post("/api/services/hybrid/restart", headers={"origin": "http://evil.example"})
        assert r.status_code == 403, r.text
        assert r.json()["error"]["field"] == "origin"
        r = c.post("/admin/bulk-learn", headers={"origin": "http://127.0.0.1:1"},  # another local port
                   files={"file": ("a.txt", b"Rain makes roads wet.\n")})
        assert r.status_code == 403
    assert _pid(stack, "hybrid") == pid
    assert "access-control-allow-origin" not in r.headers


def test_a_foreign_host_is_refused(stack: Control) -> None:
    with stack.client() as c:
        r = c.get("/api/status", headers={"host": f"rebound.example:{stack.port}"})
        assert r.status_code == 400
        assert "control.allowed_hosts" in r.json()["error"]["message"]
        r = c.post("/api/services/hybrid/restart", headers={"host": "rebound.example"})
        assert r.status_code == 400
        assert c.get("/api/status", headers={"host": f"localhost:{stack.port}"}).status_code == 200


def test_restart_stop_start_a_service(stack: Control) -> None:
    pid = _pid(stack, "hybrid")
    own_origin = {"origin": stack.url}  # the server's own pages may write
    with stack.client() as c:
        r = c.post("/api/services/hybrid/restart", headers=own_origin)
        assert r.status_code == 200, r.text
        wait_until(lambda: _row(stack, "hybrid")["state"] == "ready", 30)
        assert _pid(stack, "hybrid") != pid
        assert c.post("/api/services/hybrid/stop").json()["status"]["state"] == "stopped"
        assert c.post("/api/services/hybrid/start").status_code == 200
        wait_until(lambda: _row(stack, "hybrid")["state"] == "ready", 30)
        r = c.post("/api/services/nope/restart")
        assert r.status_code == 404 and "hybrid" in r.json()["error"]["message"]
        r = c.post("/api/services/hybrid/explode")
        assert r.status_code == 422


def test_snapshot_and_backup(stack: Control) -> None:
    with stack.client() as c:
        r = c.post("/api/storage/snapshot")
        assert r.status_code == 200, r.text
        assert r.json()["storage"]["last_snapshot"] is not None
        r = c.post("/api/storage/backup", json={"name": "from-control"})
        assert r.status_code == 200, r.text
        path = r.json()["path"]
        assert path.startswith(str(stack.d / "knowledge-backups")) and os.path.isdir(path)
        r = c.post("/api/storage/backup", json={"name": "from-control"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "ALREADY_EXISTS"
        r = c.post("/api/storage/backup", json={"name": "../escape"})
        assert r.status_code == 422


def test_logs_tail_filter_page_back_and_follow(stack: Control) -> None:
    with stack.client() as c:
        r = c.get("/api/logs/sutra", params={"limit": 5})
        assert r.status_code == 200, r.text
        tail = r.json()
        assert len(tail["lines"]) == 5
        older = c.get("/api/logs/sutra", params={"limit": 5, "before": tail["first"]}).json()
        assert older["lines"] and older["lines"][-1]["at"] <= tail["lines"][0]["at"]
        assert [x["text"] for x in older["lines"]] != [x["text"] for x in tail["lines"]]
        hits = c.get("/api/logs/sutra", params={"text": "STORAGE: STARTING", "limit": 50}).json()["lines"]
        assert hits and all("storage: starting" in x["text"].lower() for x in hits)
        c.post("/api/services/client/restart")
        follow = c.get("/api/logs/sutra", params={"after": tail["next"]}).json()
        assert any("client: ready -> stopping" in x["text"] for x in follow["lines"])
        assert c.get("/api/logs/nope").status_code == 422
        assert c.get("/api/logs/sutra", params={"before": "nonsense"}).status_code == 422
        assert c.get("/api/logs/sutra", params={"limit": 100_000}).status_code == 422


def test_history_keeps_samples(stack: Control) -> None:
    wait_until(lambda: len(_history(stack)) >= 2, 10)
    sample = _history(stack)[-1]
    assert sample["services"]["storage"]["memory_bytes"] > 0


def _history(stack: Control) -> list[dict]:
    with stack.client(token=None) as c:
        samples: list[dict] = c.get("/api/history").json()["samples"]
        return samples


def _row(stack: Control, name: str) -> dict:
    with stack.client(token=None) as c:
        return next(s for s in c.get("/api/status").json()["services"] if s["name"] == name)


def _pid(stack: Control, name: str) -> int:
    pid: int = _row(stack, name)["pid"]
    return pid
