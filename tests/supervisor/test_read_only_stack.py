"""The whole stack when the storage disk fills up: the store turns read-only, which sutra-api and
`sutra status` show while reads go on and no probe restarts anything; once space is back,
`sutra storage resume-writes` returns it to writing without a restart."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import httpx

from tests.support.procs import free_port, wait_until
from tests.support.tmpfs import fill_disk, small_tmpfs

from .helpers import supervisor, sutra

TOKEN = "stack-storage-token"


def write_stack(d: Path, data: Path, grpc_port: int, fast_port: int, api_port: int) -> None:
    # Liveness probes on both services, quick and strict: a read-only store must not fail them.
    (d / "sutra.toml").write_text(f"""
[storage]
path = "{data}"
port = {grpc_port}
fast_port = {fast_port}
server = "127.0.0.1:{grpc_port}"
token = "{TOKEN}"
wal_segment_bytes = 4096
[embedder]
dimension = 64
[api]
port = {api_port}
[services.storage]
command = ["python", "-m", "sutra_stack.storage.server"]
readiness = {{ kind = "grpc", port = "${{storage.port}}", period = 0.05 }}
liveness = {{ kind = "grpc", port = "${{storage.port}}", period = 0.1, timeout = 1, failure_threshold = 2 }}
stop_timeout = 60
[services.api]
command = ["python", "-m", "sutra_stack.apps.api"]
listen = ["${{api.host}}:${{api.port}}"]
depends_on = {{ storage = {{ condition = "healthy" }} }}
readiness = {{ kind = "http", port = "${{api.port}}", path = "/ready", period = 0.05 }}
liveness = {{ kind = "http", port = "${{api.port}}", path = "/ready", period = 0.1, failure_threshold = 2 }}
""", encoding="utf-8")


def api_gauge(base: str, name: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return float(next(line.split()[1] for line in text.splitlines() if line.startswith(name + " ")))


def status_rows(d: Path) -> dict[str, dict]:
    r = sutra(d, "status", "--json")
    assert r.returncode == 0, r.stderr
    return {row["name"]: row for row in json.loads(r.stdout)}


def test_read_only_store_is_visible_in_the_stack_and_resumed_without_restart(tmp_path: Path) -> None:
    grpc_port, fast_port, api_port = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{api_port}"
    with small_tmpfs(tmp_path / "mnt") as mnt:
        write_stack(tmp_path, mnt / "data", grpc_port, fast_port, api_port)
        with supervisor(tmp_path, timeout=120) as sup:
            before = sup.status()
            r = httpx.post(f"{base}/learn", json={"content": f"Rain makes roads wet {uuid.uuid4().hex}."}, timeout=30)
            assert r.status_code == 200, r.text
            known = r.json()["concept_id"]
            assert httpx.get(f"{base}/ready", timeout=10).json()["storage"]["read_only"] is False
            assert status_rows(tmp_path)["storage"]["read_only"] is False

            fill_disk(mnt / "filler")
            refusal = None
            for i in range(3000):
                r = httpx.post(f"{base}/learn", json={"content": f"Fact {i} fills the disk {uuid.uuid4().hex}."},
                               timeout=30)
                if r.status_code == 503 and "read-only" in r.json()["error"]["message"]:
                    refusal = r.json()["error"]
                    break
                # 200 while the log has room; a 503 'moved to a new segment' is a failed write, retried
                assert r.status_code in (200, 503), r.text
            assert refusal is not None, "writes through the API never found the store read-only"
            assert "sutra storage resume-writes" in refusal["message"] and refusal["field"] == "read_only"

            # Ready (reads are served) and says read-only; /stats and /metrics too; reads answer.
            ready = httpx.get(f"{base}/ready", timeout=10)
            assert ready.status_code == 200 and ready.json()["ready"] is True
            assert ready.json()["storage"]["read_only"] is True
            assert httpx.get(f"{base}/stats", timeout=10).json()["read_only"] is True
            assert api_gauge(base, "sutra_api_storage_read_only") == 1
            assert httpx.get(f"{base}/concepts/{known}", timeout=10).status_code == 200

            # `sutra status` shows READ-ONLY for storage only.
            wait_until(lambda: status_rows(tmp_path)["storage"]["read_only"] is True, 10,
                       what="sutra status to show storage read-only")
            assert status_rows(tmp_path)["api"]["read_only"] is False
            table = sutra(tmp_path, "status")
            assert table.returncode == 0 and "READ-ONLY" in table.stdout, table.stdout
            storage_line = next(line for line in table.stdout.splitlines() if line.lstrip().startswith("storage"))
            assert "READ-ONLY" in storage_line

            # Still full: resume-writes says why and changes nothing.
            failed = sutra(tmp_path, "storage", "resume-writes")
            assert failed.returncode == 1 and "No space left on device" in failed.stderr, failed.stderr

            time.sleep(1.0)  # some liveness rounds of both services while the store is read-only
            during = sup.status()
            for name in ("storage", "api"):
                assert during[name]["pid"] == before[name]["pid"] and during[name]["restarts"] == 0, during[name]
                assert during[name]["state"] == "ready", during[name]

            # Space is back: one admin call, no restart.
            (mnt / "filler").unlink()
            resumed = sutra(tmp_path, "storage", "resume-writes")
            assert resumed.returncode == 0 and "writes resumed" in resumed.stdout, resumed.stderr
            r = httpx.post(f"{base}/learn", json={"content": f"Sun dries roads {uuid.uuid4().hex}."}, timeout=30)
            assert r.status_code == 200, r.text
            assert httpx.get(f"{base}/ready", timeout=10).json()["storage"]["read_only"] is False
            assert httpx.get(f"{base}/stats", timeout=10).json()["read_only"] is False
            assert api_gauge(base, "sutra_api_storage_read_only") == 0
            wait_until(lambda: status_rows(tmp_path)["storage"]["read_only"] is False, 10,
                       what="sutra status to show storage writable again")
            assert "READ-ONLY" not in sutra(tmp_path, "status").stdout
            after = sup.status()
            assert after["storage"]["pid"] == before["storage"]["pid"] and after["storage"]["restarts"] == 0
