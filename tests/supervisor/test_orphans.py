"""No descendant outlives its service or the supervisor, even when the supervisor is SIGKILLed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from sutra_stack.supervisor.guard import kill_marked
from tests.support.procs import free_port, port_open, wait_until

from .helpers import CHILDREN, alive, child, supervisor, wait_gone, write_config


def services(tmp_path: Path, port: int) -> str:
    shell = f"{sys.executable} {CHILDREN / 'sleeper.py'} --pidfile {tmp_path / 'shell.pids'}; echo after"
    return f"""
[services.forker]
command = {child("sleeper.py", "--pidfile", str(tmp_path / "forker.pids"), "--grandchild")}
[services.shell]
command = {json.dumps(shell)}
[services.workers]
command = {json.dumps([sys.executable, "-m", "uvicorn", "asgi_app:app", "--workers", "2", "--port", str(port),
                       "--app-dir", str(CHILDREN), "--log-level", "warning"])}
readiness = {{ kind = "http", port = {port}, path = "/", period = 0.1 }}
"""


def workers(uvicorn_pid: int) -> int:
    """How many of uvicorn's children are workers (spawned `spawn_main`), not its helper."""
    try:
        kids = psutil.Process(uvicorn_pid).children()
        return sum("spawn_main" in " ".join(k.cmdline()) for k in kids)
    except psutil.Error:
        return 0


def tree(tmp_path: Path, sup_pid: int) -> list[int]:
    """Every descendant of the supervisor once each test child has forked what it forks."""
    for name in ("forker", "shell"):
        wait_until(lambda n=name: (tmp_path / f"{n}.pids").exists(), 20, what=f"{name} pid file")
    pids = {p.pid for p in psutil.Process(sup_pid).children(recursive=True)}
    for name in ("forker", "shell"):
        pids.update(int(x) for x in (tmp_path / f"{name}.pids").read_text().split())
    return sorted(pids)


def test_kill_9_of_the_supervisor_leaves_no_descendant(tmp_path: Path) -> None:
    port = free_port()
    write_config(tmp_path, services(tmp_path, port))
    with supervisor(tmp_path, timeout=60) as sup:
        # both workers, not just the first beside multiprocessing's resource tracker
        wait_until(lambda: workers(sup.status()["workers"]["pid"]) == 2, 30, what="two uvicorn workers")
        pids = tree(tmp_path, sup.proc.pid)
        grandchild = int((tmp_path / "forker.pids").read_text().split()[1])
        # the grandchild left the service's process group: only the marker finds it
        assert os.getpgid(grandchild) != os.getpgid(sup.status()["forker"]["pid"])
        guard = [p for p in psutil.Process(sup.proc.pid).children() if "guard.py" in " ".join(p.cmdline())]
        pids = [p for p in pids if p not in {g.pid for g in guard}]
        assert len(pids) >= 8, pids  # forker+grandchild, sh+python, uvicorn+2 workers (+ its helper)
        os.kill(sup.proc.pid, signal.SIGKILL)
        sup.proc.wait(10)
        wait_gone(pids, timeout=15)
        assert not port_open(port)
        wait_gone([g.pid for g in guard], timeout=10)


def test_stopping_a_service_kills_its_whole_tree(tmp_path: Path) -> None:
    port = free_port()
    write_config(tmp_path, services(tmp_path, port))
    with supervisor(tmp_path, timeout=60) as sup:
        tree(tmp_path, sup.proc.pid)
        forker = [int(x) for x in (tmp_path / "forker.pids").read_text().split()]
        shell = [int(x) for x in (tmp_path / "shell.pids").read_text().split()] + [sup.status()["shell"]["pid"]]
        workers = [p.pid for p in psutil.Process(sup.status()["workers"]["pid"]).children(recursive=True)]
        workers.append(sup.status()["workers"]["pid"])
        for name, pids in (("forker", forker), ("shell", shell), ("workers", workers)):
            sup.ask("stop", service=name)
            assert sup.status()[name]["state"] == "stopped"
            wait_gone(pids)
        # and nothing is left as a zombie under the (subreaper) supervisor
        wait_until(lambda: all(p.status() != psutil.STATUS_ZOMBIE or "guard" in " ".join(p.cmdline())
                               for p in psutil.Process(sup.proc.pid).children()), 10, what="no zombies")
        assert not any(alive(p) for p in forker + shell + workers)


def test_a_service_that_exits_leaves_no_grandchild(tmp_path: Path) -> None:
    write_config(tmp_path, f"""
[services.leaver]
command = {child("sleeper.py", "--pidfile", str(tmp_path / "leaver.pids"), "--grandchild", "--exit-after", "1", "0")}
restart = "no"
""")
    with supervisor(tmp_path, wait_ready=False) as sup:
        wait_until(lambda: (tmp_path / "leaver.pids").exists(), 20, what="pid file")
        main, grandchild = (int(x) for x in (tmp_path / "leaver.pids").read_text().split())
        assert alive(grandchild)
        sup.wait_state("leaver", "exited")
        wait_gone([main, grandchild])
        # the sweep runs beside the exit, off the restart path: its note follows shortly
        wait_until(lambda: "killed descendants of pid" in sup.events(), 10, what="the sweep's note")


RESPAWNER = """
import subprocess, sys, time
while True:  # like a worker pool: keep starting children, never wait for them
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    time.sleep(0.002)
"""


def test_the_sweep_catches_children_spawned_while_it_runs(tmp_path: Path) -> None:
    marker = f"SUTRA_TEST_MARK=sweep-{os.getpid()}-{tmp_path.name}"
    env = {**os.environ, "SUTRA_TEST_MARK": marker.split("=", 1)[1]}
    spawner = subprocess.Popen([sys.executable, "-c", RESPAWNER], env=env)
    try:
        wait_until(lambda: len(psutil.Process(spawner.pid).children()) >= 20, 30, what="children spawning")
        killed = kill_marked(marker, exact=True)
        spawner.wait(5)
        assert killed >= 21
        time.sleep(0.3)  # anything the sweep missed would be running by now
        left = [p.pid for p in psutil.process_iter() if _carries(p, marker)]
        assert left == [], f"marked processes outlived the sweep: {left}"
    finally:
        if spawner.poll() is None:
            spawner.kill()
            spawner.wait()


def _carries(p: psutil.Process, marker: str) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE and marker.split("=", 1)[1] == p.environ().get("SUTRA_TEST_MARK")
    except psutil.Error:
        return False
