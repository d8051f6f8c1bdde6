"""The `client` service of the built-in stack: in mode dev Vite's dev server under the supervisor
(strict port, /api/X proxied to sutra-api's /X, foreign Host names refused, restarted when it
crashes, never reloaded on a code change), `npm ci` only when node_modules is missing or older than
the lockfile, and generate-systemd exporting the static build whatever the mode."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sutra_stack.apps.client.devserver import INSTALLED_MARKER, LOCKFILE, needs_install
from sutra_stack.config import load_config
from sutra_stack.supervisor.spec import load_stack
from tests.supervisor.helpers import builtin_env, sutra
from tests.support.procs import ROOT, wait_until

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is needed for the dev server")


def status(d: Path) -> dict[str, dict[str, object]]:
    r = sutra(d, "status", "--json")
    data = json.loads(r.stdout)
    rows = data["services"] if isinstance(data, dict) else data
    return {s["name"]: s for s in rows}


def test_dev_mode_runs_vite_with_the_api_rule_and_is_restarted_when_it_crashes(tmp_path: Path) -> None:
    _, _, api_port = builtin_env(tmp_path)
    env = (tmp_path / ".env").read_text().replace("SUTRA_CLIENT_MODE=static", "SUTRA_CLIENT_MODE=dev")
    (tmp_path / ".env").write_text(env + "SUTRA_STORAGE_FSYNC=off\n")
    client_port = int(next(line.split("=")[1] for line in env.splitlines() if line.startswith("SUTRA_CLIENT_PORT")))
    r = sutra(tmp_path, "up", "-d", timeout=300)
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"client: ready at 127.0.0.1:{client_port}" in r.stdout
        url = f"http://127.0.0.1:{client_port}"
        assert "/@vite/client" in httpx.get(url + "/").text  # Vite's dev server, with hot module replacement
        direct = httpx.get(f"http://127.0.0.1:{api_port}/stats").json()
        assert httpx.get(url + "/api/stats").json().keys() == direct.keys()
        assert httpx.get(url + "/api/concepts/bad-id").status_code == 422
        assert httpx.get(url + "/", headers={"host": "rebind.attacker.example"}).status_code == 403
        pid = int(status(tmp_path)["client"]["pid"])  # type: ignore[call-overload]
        assert "node" in Path(f"/proc/{pid}/exe").resolve().name  # Vite itself, not a wrapper
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: (row := status(tmp_path)["client"])["restarts"] == 1 and row["state"] == "ready",
                   timeout=60, what="client restarted")
        assert httpx.get(url + "/").status_code == 200
    finally:
        sutra(tmp_path, "down", timeout=60)


def test_the_client_waits_for_the_api_and_is_never_reloaded_on_a_code_change(tmp_path: Path) -> None:
    spec = load_stack(load_config(cwd=tmp_path, environ={})).services["client"]
    assert [(d.name, d.condition) for d in spec.depends_on] == [("api", "healthy")]
    assert spec.reload == "none" and spec.watch == () and spec.restart == "on-failure"
    assert spec.command[1:] == ("-m", "sutra_stack.apps.client")


def test_npm_ci_runs_only_when_node_modules_is_missing_or_older_than_the_lockfile(tmp_path: Path) -> None:
    (tmp_path / LOCKFILE).write_text("{}")
    assert needs_install(tmp_path)  # never installed
    marker = tmp_path / INSTALLED_MARKER
    marker.parent.mkdir()
    marker.write_text("{}")
    now = time.time()
    os.utime(tmp_path / LOCKFILE, (now - 100, now - 100))
    os.utime(marker, (now, now))
    assert not needs_install(tmp_path)
    os.utime(tmp_path / LOCKFILE, (now + 5, now + 5))  # the lockfile changed since
    assert needs_install(tmp_path)
    assert not needs_install(ROOT / "web") or not (ROOT / "web" / "node_modules").exists()


def test_generate_systemd_exports_the_static_client_even_when_dev_is_configured(tmp_path: Path) -> None:
    (tmp_path / "sutra.toml").write_text('[client]\nmode = "dev"\n')
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "sutra_stack", "generate-systemd", "--out", str(out)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    assert 'SUTRA_CLIENT_MODE="static"' in (out / "sutra.env").read_text()
    unit = (out / "sutra-client.service").read_text()
    assert "python -m sutra_stack.apps.client" in unit and "npm" not in unit and "Type=notify" in unit
