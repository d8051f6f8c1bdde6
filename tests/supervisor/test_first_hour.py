"""What a new user meets in the first hour, each against a real `sutra up`: a service failing at
start-up ends `up -d` at once with its cause, a stopped or fatal service's port refuses clients,
`sutra status` tells the truth (and its exit code says whether all is well), `sutra up` says where
each service is once ready, `sutra logs -f -n 0` prints only new lines, and the built-in stack
reloads the API when the package's code changes."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.procs import ROOT, child_env, free_port, wait_until

from .helpers import PY, builtin_env, child, supervisor, sutra, write_config


def refused(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return True
    return False


def rows(d: Path) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in json.loads(sutra(d, "status", "--json").stdout)}


def test_up_d_returns_at_once_with_the_cause_when_storage_cannot_bind(tmp_path: Path) -> None:
    grpc_port, _, _ = builtin_env(tmp_path)
    with socket.socket() as taken:  # another program holds the storage port
        taken.bind(("127.0.0.1", grpc_port))
        taken.listen()
        r = sutra(tmp_path, "up", "-d", timeout=60)  # it waited 120 s before
        assert r.returncode != 0
        assert "storage exited with" in r.stderr and "before it was ready" in r.stderr, r.stderr
        assert f"cannot bind the gRPC port 127.0.0.1:{grpc_port}" in r.stderr
        assert "the stack is stopped" in r.stderr
        assert sutra(tmp_path, "status").returncode == 3  # and no supervisor is left behind


def test_a_stopped_or_fatal_service_refuses_connections(tmp_path: Path) -> None:
    port, port2 = free_port(), free_port()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "version.py").write_text('VERSION = "v1"\n')
    write_config(tmp_path, f"""
[services.web]
command = {child("webapp.py")}
env = {{ APP_DIR = "{tmp_path / 'app'}" }}
listen = ["127.0.0.1:{port}"]
readiness = {{ kind = "http", port = {port}, path = "/ready", period = 0.05 }}
[services.broken]
command = {child("sleeper.py", "--exit-after", "0", "4")}
listen = ["127.0.0.1:{port2}"]
max_restarts = 1
""")
    with supervisor(tmp_path, wait_ready=False) as sup:
        sup.wait_state("web", "ready")
        assert httpx.get(f"http://127.0.0.1:{port}/").text.startswith("v1")
        assert sutra(tmp_path, "stop", "web").returncode == 0
        assert refused(port)  # it was accepted and then left hanging
        assert sutra(tmp_path, "start", "web").returncode == 0
        sup.wait_state("web", "ready")
        assert httpx.get(f"http://127.0.0.1:{port}/").text.startswith("v1")  # the same port again
        sup.wait_state("broken", "fatal")
        assert refused(port2)


def test_status_tells_the_truth_about_a_stopped_dependency(tmp_path: Path) -> None:
    grpc_port, fast_port, api_port = builtin_env(tmp_path)
    r = sutra(tmp_path, "up", "-d", timeout=120)
    try:
        assert r.returncode == 0, r.stderr
        # up -d says where each service is
        storage_ready = next(line for line in r.stdout.splitlines() if line.startswith("storage: ready at "))
        assert f"127.0.0.1:{grpc_port}" in storage_ready and f"127.0.0.1:{fast_port}" in storage_ready
        assert f"api: ready at 127.0.0.1:{api_port}" in r.stdout
        st = rows(tmp_path)
        assert {f"127.0.0.1:{grpc_port}", f"127.0.0.1:{fast_port}"} <= set(st["storage"]["ports"])
        assert sutra(tmp_path, "status").returncode == 0
        assert sutra(tmp_path, "stop", "storage").returncode == 0
        st = rows(tmp_path)
        assert st["storage"]["state"] == "stopped" and st["storage"]["pid"] is None
        assert st["storage"]["health"] == "" and st["storage"]["ports"] == []
        # the api is re-probed: no longer ready while its storage is gone
        wait_until(lambda: rows(tmp_path)["api"]["state"] == "running", 30, what="api re-probed")
        assert "503" in str(rows(tmp_path)["api"]["health"])
        out = sutra(tmp_path, "status").stdout
        storage_line = next(line for line in out.splitlines() if line.strip().startswith("storage"))
        assert "SERVING" not in storage_line
        assert sutra(tmp_path, "start", "storage").returncode == 0
        try:
            wait_until(lambda: rows(tmp_path)["api"]["state"] == "ready", 60, what="api ready again")
        except TimeoutError:
            logs = tmp_path / ".sutra" / "logs"
            raise AssertionError((logs / "sutra.log").read_text()[-3000:] + (logs / "api.log").read_text()[-3000:]
                                 + json.dumps(rows(tmp_path)["api"])) from None
    finally:
        sutra(tmp_path, "down", timeout=180)
    assert sutra(tmp_path, "status").returncode == 3


def test_status_exit_code_and_a_fixed_service_shows_no_old_error(tmp_path: Path) -> None:
    script = "if [ -f fixed ]; then exec sleep 600; else echo broken; exit 3; fi"
    write_config(tmp_path, f"""
[services.flaky]
command = {json.dumps(script)}
max_restarts = 2
backoff = 0.01
[services.fine]
command = {child("sleeper.py")}
""")
    r = sutra(tmp_path, "status")
    assert r.returncode == 3 and "not running" in r.stdout
    with supervisor(tmp_path, wait_ready=False) as sup:
        sup.wait_state("flaky", "fatal")
        r = sutra(tmp_path, "status")
        assert r.returncode == 1 and "max_restarts" in r.stdout
        assert sutra(tmp_path, "status", "--json").returncode == 1
        (tmp_path / "fixed").touch()
        assert sutra(tmp_path, "start", "flaky").returncode == 0
        row = sup.wait_state("flaky", "ready")
        assert row["last_error"] == ""
        r = sutra(tmp_path, "status")
        assert r.returncode == 0 and "max_restarts" not in r.stdout


def test_up_prints_each_address_once_ready_and_one_line_for_the_stack(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "version.py").write_text('VERSION = "v1"\n')
    write_config(tmp_path, f"""
[services.web]
command = {child("webapp.py")}
env = {{ APP_DIR = "{tmp_path / 'app'}" }}
listen = ["127.0.0.1:{port}"]
readiness = {{ kind = "http", port = {port}, path = "/ready", period = 0.05 }}
[services.worker]
command = {child("sleeper.py")}
depends_on = {{ web = {{ condition = "healthy" }} }}
""")
    p = subprocess.Popen([PY, "-m", "sutra_stack", "up"], cwd=tmp_path, env=child_env({"PYTHONPATH": str(ROOT)}),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    watchdog = threading.Timer(60, p.send_signal, (signal.SIGINT,))  # no "stack ready" line: end it, then fail
    watchdog.start()
    try:
        assert p.stdout is not None
        for line in p.stdout:
            seen.append(line)
            if "stack ready" in line:
                break
    finally:
        watchdog.cancel()
        p.send_signal(signal.SIGINT)
        rest = p.communicate(timeout=60)[0]
    text = "".join(seen)
    assert f"web: ready at http://127.0.0.1:{port}" in text
    assert "stack ready: web, worker" in text
    assert (text + rest).count("stack ready") == 1


def test_logs_follow_with_n_0_prints_only_new_lines(tmp_path: Path) -> None:
    write_config(tmp_path, f"""
[services.tick]
command = {json.dumps(["/bin/sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.05; done"])}
""")
    with supervisor(tmp_path) as sup:
        sup.wait_log("tick", "tick 5")
        f = subprocess.Popen([PY, "-m", "sutra_stack", "logs", "tick", "-f", "-n", "0"], cwd=tmp_path,
                             env=child_env({"PYTHONPATH": str(ROOT)}), stdout=subprocess.PIPE, text=True)
        try:
            assert f.stdout is not None
            first = f.stdout.readline()
        finally:
            f.terminate()
            f.wait(10)
        assert int(first.rsplit(" ", 1)[1]) >= 5  # not "tick 0": no history


@pytest.mark.parametrize("where", ["apps/api/reload_mark.py"])
def test_builtin_stack_reloads_the_api_when_its_code_changes(tmp_path: Path, where: str) -> None:
    """The built-in stack as a user gets it, run from a copy of the package (what it watches)."""
    code = tmp_path / "code"
    shutil.copytree(ROOT / "sutra_stack", code / "sutra_stack", ignore=shutil.ignore_patterns("__pycache__"))
    project = tmp_path / "project"
    project.mkdir()
    _, _, api_port = builtin_env(project)
    env = child_env({"PYTHONPATH": f"{code}:{ROOT}"})
    run = subprocess.run([PY, "-m", "sutra_stack", "up", "-d"], cwd=project, env=env, capture_output=True,
                         text=True, timeout=180)
    try:
        assert run.returncode == 0, run.stderr
        before = rows(project)
        assert before["api"]["state"] == "ready"
        (code / "sutra_stack" / where).write_text("# changed\n")
        wait_until(lambda: rows(project)["api"]["reloads"] == 1, 60, what="api reloaded")
        after = rows(project)
        assert after["api"]["pid"] != before["api"]["pid"] and after["api"]["state"] == "ready"
        assert after["storage"]["pid"] == before["storage"]["pid"]  # never reloaded
        assert httpx.get(f"http://127.0.0.1:{api_port}/ready", timeout=10).status_code == 200
    finally:
        subprocess.run([PY, "-m", "sutra_stack", "down"], cwd=project, env=env, capture_output=True, timeout=180)
