"""A real supervisor running real children: order, conditions, restarts, fatal, shutdown, commands."""

from __future__ import annotations

import json
import re
import signal
import stat
from pathlib import Path

from tests.support.procs import free_port, wait_until

from .helpers import alive, builtin_env, child, supervisor, sutra, wait_gone, write_config


def pos(text: str, pattern: str) -> int:
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in {text}"
    return m.start()


def test_dependency_conditions_and_settings_reach_children(tmp_path: Path) -> None:
    port = free_port()
    write_config(tmp_path, f"""
[services.db]
command = {child("health_server.py", str(port), "0.6")}
readiness = {{ kind = "grpc", port = "${{storage.port}}", period = 0.05 }}
[services.migrate]
command = {child("sleeper.py", "--exit-after", "0.2", "0")}
restart = "on-failure"
depends_on = {{ db = {{ condition = "healthy" }} }}
[services.api]
command = {child("sleeper.py")}
env = {{ CHILD_NAME = "api", CHILD_EXTRA = "db=${{storage.port}}" }}
depends_on = {{ db = {{ condition = "healthy" }}, migrate = {{ condition = "completed" }} }}
""", extra=f"port = {port}")
    with supervisor(tmp_path) as sup:
        st = sup.status()
        assert st["db"]["state"] == "ready" and st["migrate"]["state"] == "exited" and st["api"]["state"] == "ready"
        ev = sup.events()
        # db became ready (NOT_SERVING first) before migrate started; migrate completed before api started
        assert pos(ev, r"db: \w+ -> ready") < pos(ev, "migrate: spawned")
        assert pos(ev, r"migrate: \w+ -> exited") < pos(ev, "api: spawned")
        assert "waiting for db (healthy" in ev
        sup.wait_log("api", "api started")
        line = sup.log("api")
        assert f"port={port}" in line and f"extra=db={port}" in line and "unbuffered=1" in line


def test_crash_restarts_then_backoff_then_fatal(tmp_path: Path) -> None:
    write_config(tmp_path, f"""
[services.flaky]
command = {child("sleeper.py", "--exit-after", "0.1", "3")}
backoff = 0.05
max_restarts = 3
[services.steady]
command = {child("sleeper.py")}
""")
    with supervisor(tmp_path, wait_ready=False) as sup:
        row = sup.wait_state("flaky", "fatal")
        assert row["restarts"] == 3 and row["last_exit"] == 3
        assert "3 restarts in a row failed (max_restarts)" in row["last_error"]
        ev = sup.events()
        assert "restart 1/3 in 0s" in ev and "restart 2/3 in 0.05s" in ev and "restart 3/3 in 0.1s" in ev
        assert sup.status()["steady"]["state"] == "ready"
        # a crash of a healthy service: replaced at once
        pid = sup.status()["steady"]["pid"]
        import os
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: sup.status()["steady"]["pid"] not in (None, pid), 10, what="replacement")
        row = sup.status()["steady"]
        assert row["restarts"] == 1 and row["last_exit"] == -9
        # start brings a fatal service back
        assert sup.ask("start", service="flaky")["ok"]
        sup.wait_state("flaky", "backoff", "running", "ready", "fatal")


def test_restart_policy_no_and_always(tmp_path: Path) -> None:
    write_config(tmp_path, f"""
[services.once]
command = {child("sleeper.py", "--exit-after", "0.1", "1")}
restart = "no"
[services.again]
command = {child("sleeper.py", "--exit-after", "0.1", "0")}
restart = "always"
backoff = 0.01
""")
    with supervisor(tmp_path, wait_ready=False) as sup:
        row = sup.wait_state("once", "exited")
        assert row["restarts"] == 0 and row["last_exit"] == 1
        wait_until(lambda: sup.status()["again"]["restarts"] >= 2, 10, what="always restarts exit 0")


def test_ordered_shutdown_and_stop_timeout(tmp_path: Path) -> None:
    write_config(tmp_path, f"""
[services.base]
command = {child("sleeper.py")}
env = {{ CHILD_NAME = "base" }}
[services.mid]
command = {child("sleeper.py", "--ignore-term")}
depends_on = ["base"]
stop_timeout = 0.5
env = {{ CHILD_NAME = "mid" }}
[services.top]
command = {child("sleeper.py")}
depends_on = ["mid"]
env = {{ CHILD_NAME = "top" }}
""")
    with supervisor(tmp_path) as sup:
        pids = [r["pid"] for r in sup.status().values()]
        for name in ("base", "mid", "top"):
            sup.wait_log(name, f"{name} started")
        sup.proc.send_signal(signal.SIGTERM)
        assert sup.proc.wait(30) == 0
        ev = sup.events()
        order = [m.group(1) for m in re.finditer(r"(\w+): stopping -> stopped", ev)]
        assert order == ["top", "mid", "base"]
        assert "mid: pid" in ev and "still running after stop_timeout=0.5s, sending SIGKILL" in ev
        assert "base got SIGTERM, bye" in sup.log("base")
        assert "mid ignoring SIGTERM" in sup.log("mid")
        wait_gone(pids)


def test_commands_status_logs_start_stop_restart(tmp_path: Path) -> None:
    r = sutra(tmp_path, "status", "--json")
    assert r.returncode == 3 and json.loads(r.stdout)[0]["state"] == "stopped"  # 3: no supervisor runs
    r = sutra(tmp_path, "status")
    assert "not running" in r.stdout
    write_config(tmp_path, f"""
[services.one]
command = {child("sleeper.py")}
env = {{ CHILD_NAME = "one" }}
[services.two]
command = {child("sleeper.py")}
env = {{ CHILD_NAME = "two" }}
""")
    with supervisor(tmp_path) as sup:
        assert stat.S_IMODE(sup.sock.stat().st_mode) == 0o600  # the control socket is private
        assert stat.S_IMODE(sup.sock.parent.stat().st_mode) == 0o700
        r = sutra(tmp_path, "status", "--json")
        rows = {x["name"]: x for x in json.loads(r.stdout)}
        sup.wait_log("one", "one started")
        sup.wait_log("two", "two started")
        assert set(rows) == {"one", "two"} and rows["one"]["state"] == "ready" and alive(rows["one"]["pid"])
        assert {"name", "state", "pid", "restarts", "uptime", "memory_bytes", "cpu_percent"} <= set(rows["one"])
        assert rows["one"]["memory_bytes"] > 1_000_000 and rows["one"]["uptime"] >= 0
        assert [t["state"] for t in rows["one"]["transitions"]] == ["starting", "running", "ready"]
        r = sutra(tmp_path, "status")
        assert "one" in r.stdout and "ready" in r.stdout and str(rows["one"]["pid"]) in r.stdout
        r = sutra(tmp_path, "up")
        assert r.returncode != 0 and "already running" in r.stderr
        r = sutra(tmp_path, "up", "-d")
        assert r.returncode != 0 and "already running" in r.stderr
        r = sutra(tmp_path, "stop", "one")
        assert r.returncode == 0, r.stderr
        assert sup.status()["one"]["state"] == "stopped" and not alive(rows["one"]["pid"])
        r = sutra(tmp_path, "start", "one")
        assert r.returncode == 0
        sup.wait_state("one", "ready")
        pid2 = sup.status()["two"]["pid"]
        assert sutra(tmp_path, "restart", "two").returncode == 0
        sup.wait_state("two", "ready")
        assert sup.status()["two"]["pid"] != pid2
        r = sutra(tmp_path, "stop", "nope")
        assert r.returncode != 0 and "no service 'nope'" in r.stderr
        r = sutra(tmp_path, "logs", "one", "-n", "1")
        assert r.returncode == 0 and r.stdout.count("\n") == 1 and "one started" in r.stdout
        r = sutra(tmp_path, "logs", "--since", "1h")
        assert "two got SIGTERM" in r.stdout and "one: stopping -> stopped" in r.stdout
        r = sutra(tmp_path, "logs", "--since", "yesterday")
        assert r.returncode != 0 and "--since" in r.stderr
    r = sutra(tmp_path, "logs", "one")  # files outlive the supervisor
    assert "one got SIGTERM" in r.stdout


def test_up_detached_and_down(tmp_path: Path) -> None:
    write_config(tmp_path, f"""
[services.web]
command = {child("sleeper.py")}
readiness = {{ kind = "exec", command = ["true"], period = 0.05 }}
[services.broken]
command = ["/nonexistent/program"]
enabled = false
""")
    r = sutra(tmp_path, "up", "-d", timeout=120)
    try:
        assert r.returncode == 0, r.stderr
        assert "web ready" in r.stdout
        out = json.loads(sutra(tmp_path, "status", "--json").stdout)
        web = next(x for x in out if x["name"] == "web")
        assert web["state"] == "ready"
    finally:
        d = sutra(tmp_path, "down", timeout=120)
    assert d.returncode == 0 and "stopped" in d.stdout
    wait_gone([web["pid"]])
    assert "not running" in sutra(tmp_path, "status").stdout
    r = sutra(tmp_path, "up", "-d", "broken", timeout=120)
    try:
        assert r.returncode != 0 and "broken is fatal" in r.stderr and "/nonexistent/program" in r.stderr
    finally:
        sutra(tmp_path, "down", timeout=120)


def test_builtin_stack_runs_storage_and_api(tmp_path: Path) -> None:
    """No sutra.toml: the built-in stack; settings from .env reach every service as SUTRA_*, and what
    is learned through sutra-api is stored by the storage server."""
    import httpx

    grpc_port, _, api_port = builtin_env(tmp_path)
    r = sutra(tmp_path, "up", "-d", timeout=120)
    try:
        assert r.returncode == 0, r.stderr
        assert "storage, api" in r.stdout and "ready" in r.stdout
        rows = {x["name"]: x for x in json.loads(sutra(tmp_path, "status", "--json").stdout)}
        assert list(rows)[:2] == ["storage", "api"]
        assert rows["storage"]["state"] == "ready" and f"127.0.0.1:{grpc_port}" in rows["storage"]["ports"]
        assert "SERVING" in rows["storage"]["health"]
        assert rows["api"]["state"] == "ready"
        base = f"http://127.0.0.1:{api_port}"
        learned = httpx.post(f"{base}/learn", json={"content": "Photosynthesis produces oxygen."}, timeout=30)
        assert learned.status_code == 200, learned.text
        got = httpx.get(f"{base}/concepts/{learned.json()['concept_id']}", timeout=30)
        assert got.status_code == 200 and got.json()["content"] == "Photosynthesis produces oxygen."
        pids = [rows["storage"]["pid"], rows["api"]["pid"]]
    finally:
        d = sutra(tmp_path, "down", timeout=180)
    assert d.returncode == 0
    wait_gone(pids)
    assert (tmp_path / "knowledge").is_dir()


def test_logs_follow(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.support.procs import ROOT, child_env

    write_config(tmp_path, f"""
[supervisor]
log_max_bytes = 1024
log_backups = 3
[services.tick]
command = {json.dumps(["/bin/sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.05; done"])}
""")
    with supervisor(tmp_path) as sup:
        sup.wait_log("tick", "tick 3")
        f = subprocess.Popen([sys.executable, "-m", "sutra_stack", "logs", "tick", "-f", "-n", "1"], cwd=tmp_path,
                             env=child_env({"PYTHONPATH": str(ROOT)}), stdout=subprocess.PIPE, text=True)
        try:
            assert f.stdout is not None
            seen = [f.stdout.readline() for _ in range(40)]  # ≈2 s: the file rotates on the way
        finally:
            f.terminate()
            f.wait(10)
        nums = [int(line.rsplit(" ", 1)[1]) for line in seen]
        assert nums == list(range(nums[0], nums[0] + 40))  # the last line, then every new one, none lost
        assert (tmp_path / ".sutra" / "logs" / "tick.log.1").exists()


def test_listen_port_taken_is_an_error_before_anything_starts(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        (tmp_path / "web.env").write_text("CHILD_NAME=fromfile\n")
        write_config(tmp_path, f"""
[services.first]
command = {child("sleeper.py", "--pidfile", str(tmp_path / "first.pid"))}
env_file = "web.env"
[services.web]
command = {child("sleeper.py")}
listen = ["127.0.0.1:{port}"]
""")
        r = sutra(tmp_path, "up", timeout=60)
        assert r.returncode != 0
        assert f"services.web.listen: cannot listen on 127.0.0.1:{port}" in r.stderr
        assert not (tmp_path / "first.pid").exists()  # nothing was started
    with supervisor(tmp_path) as sup:  # once the port is free, it runs; env_file values reach the child
        sup.wait_log("first", "fromfile started")


def test_second_stop_signal_kills_at_once(tmp_path: Path) -> None:
    import time

    write_config(tmp_path, f"""
[services.stubborn]
command = {child("sleeper.py", "--ignore-term")}
env = {{ CHILD_NAME = "stubborn" }}
stop_timeout = 120
""")
    with supervisor(tmp_path) as sup:
        sup.wait_log("stubborn", "stubborn started")
        pid = sup.status()["stubborn"]["pid"]
        sup.proc.send_signal(signal.SIGTERM)
        sup.wait_log("stubborn", "stubborn ignoring SIGTERM")
        t = time.monotonic()
        sup.proc.send_signal(signal.SIGTERM)
        assert sup.proc.wait(30) == 0
        assert time.monotonic() - t < 20  # not the 120 s stop_timeout
        assert "second stop signal: killing every service now" in sup.events()
        wait_gone([pid])


def test_up_detached_says_which_service_is_not_ready(tmp_path: Path) -> None:
    write_config(tmp_path, f"""
[services.fine]
command = {child("sleeper.py")}
[services.slow]
command = {child("sleeper.py")}
readiness = {{ kind = "exec", command = ["false"], period = 0.1 }}
""")
    r = sutra(tmp_path, "up", "-d", "--timeout", "3", timeout=120)
    try:
        assert r.returncode != 0
        assert "not ready after 3s: slow (running: exec false: exit 1)" in r.stderr, r.stderr
        assert "fine" not in r.stderr.split("not ready after")[1].split("(supervisor")[0]
    finally:
        sutra(tmp_path, "down", timeout=120)


def test_deep_project_directory_gets_a_short_control_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    write_config(deep, f"""
[services.one]
command = {child("sleeper.py")}
""")
    with supervisor(deep) as sup:
        assert len(str(deep / ".sutra" / "run" / "control.sock")) > 108
        assert len(str(sup.sock)) <= 100 and stat.S_IMODE(sup.sock.parent.stat().st_mode) == 0o700
        rows = json.loads(sutra(deep, "status", "--json").stdout)
        assert rows[0]["state"] == "ready"
