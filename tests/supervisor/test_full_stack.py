"""The real storage server and the real sutra-api under the supervisor: ready in order, and a code
change reloads the API without failing a request while the storage server keeps its pid and data."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.support.procs import free_port, wait_until

from .helpers import supervisor, write_config
from .test_reload import Load


def test_storage_and_api_reload_under_load(tmp_path: Path) -> None:
    grpc_port, fast_port, api_port = free_port(), free_port(), free_port()
    (tmp_path / "src").mkdir()
    write_config(tmp_path, """
[services.storage]
command = ["python", "-m", "sutra_stack.storage.server"]
readiness = { kind = "grpc", port = "${storage.port}", period = 0.05 }
stop_timeout = 60
reload = "none"
watch = ["src"]
[services.api]
command = ["python", "-m", "sutra_stack.apps.api"]
listen = ["${api.host}:${api.port}"]
depends_on = { storage = { condition = "healthy" } }
readiness = { kind = "http", port = "${api.port}", path = "/ready", period = 0.05 }
liveness = { kind = "http", port = "${api.port}", path = "/health", period = 1, timeout = 2 }
watch = ["src"]
""", extra=f"port = {grpc_port}\nfast_port = {fast_port}\nserver = \"127.0.0.1:{grpc_port}\"\n"
           f"[api]\nport = {api_port}\nworkers = 2\n")
    with supervisor(tmp_path, timeout=120) as sup:
        before = sup.status()
        assert before["storage"]["state"] == "ready" and before["api"]["state"] == "ready"
        ev = sup.events()
        assert ev.index("storage: running -> ready") < ev.index("api: spawned")
        base = f"http://127.0.0.1:{api_port}"
        r = httpx.post(f"{base}/learn", json={"content": "Rain makes roads wet."}, timeout=30)
        assert r.status_code == 200, r.text
        # sutra-api serves with plain uvicorn, which drops idle keep-alive connections at SIGTERM;
        # like urllib3 and browsers, this client retries an idempotent GET once when that happens
        # (apps.common.sockets.handover_server drains instead, see test_reload)
        with Load(api_port, retry_reset=True) as load:
            load.url = f"{base}/health"
            wait_until(lambda: len(load.results) > 20, 20, what="requests flowing")
            (tmp_path / "src" / "x.py").write_text("changed = True\n")
            wait_until(lambda: sup.status()["api"]["reloads"] == 1, 60, what="api reloaded")
            time.sleep(0.5)
        after = sup.status()
        assert not [x for x in load.results if not x[1]], [x for x in load.results if not x[1]][:3]
        assert after["api"]["pid"] != before["api"]["pid"] and after["api"]["state"] == "ready"
        assert after["storage"]["pid"] == before["storage"]["pid"]  # never reloaded: keeps its state
        r = httpx.get(f"{base}/stats", timeout=30)
        assert r.status_code == 200 and r.json()["concepts"] >= 1, r.text
