"""sutra-control started outside `sutra up` (as systemd runs it): it probes the configured addresses,
reads storage, says process control is not available, and without a configured token refuses every
admin route rather than leave them open."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.procs import free_port, running
from tests.support.storage_server import storage_server


@contextmanager
def control(tmp_path: Path, storage_port: int, token: str) -> Iterator[str]:
    port, api_port = free_port(), free_port()
    env = {"SUTRA_CONTROL_PORT": str(port), "SUTRA_STORAGE_PORT": str(storage_port),
           "SUTRA_API_PORT": str(api_port), "SUTRA_CONTROL_TOKEN": token}
    url = f"http://127.0.0.1:{port}"
    with running([sys.executable, "-m", "sutra_stack.apps.control"], env=env, cwd=tmp_path,
                 ready=lambda: httpx.get(f"{url}/ready", timeout=1).status_code == 200, log=tmp_path / "control.log"):
        yield url


def test_outside_the_supervisor_it_probes_and_says_what_it_cannot_do(tmp_path: Path) -> None:
    with storage_server(tmp_path / "data") as storage, control(tmp_path, storage.port, "t0ken") as url:
        body = httpx.get(f"{url}/api/status", timeout=30).json()
        assert body["process_control"] is False
        rows = {r["name"]: r for r in body["services"]}
        assert rows["storage"]["state"] == "reachable" and rows["api"]["state"] == "unreachable"
        assert body["storage"]["reachable"] is True and body["storage"]["concepts"] == 0
        auth = {"authorization": "Bearer t0ken"}
        r = httpx.post(f"{url}/api/services/api/restart", headers=auth, timeout=30)
        assert r.status_code == 409 and "process control is not available" in r.json()["error"]["message"]
        r = httpx.get(f"{url}/api/logs/api", headers=auth, timeout=30)
        assert r.status_code == 409 and "journalctl" in r.json()["error"]["message"]
        r = httpx.post(f"{url}/api/storage/snapshot", headers=auth, timeout=30)  # storage it can reach
        assert r.status_code == 200, r.text
        assert (tmp_path / ".sutra" / "control" / "jobs").is_dir()  # jobs kept under the working directory


def test_with_no_token_configured_admin_routes_stay_shut(tmp_path: Path) -> None:
    with storage_server(tmp_path / "data") as storage, control(tmp_path, storage.port, "") as url:
        assert httpx.get(f"{url}/api/status", timeout=30).status_code == 200
        for method, path in (("POST", "/api/storage/snapshot"), ("GET", "/admin/bulk-learn"),
                             ("GET", "/api/stream")):
            r = httpx.request(method, f"{url}{path}", timeout=30)
            assert r.status_code == 409, r.text
            assert "control.token" in r.json()["error"]["message"]
