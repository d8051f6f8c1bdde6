"""No descendant outlives its service or the supervisor, even when the supervisor is SIGKILLed."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import psutil

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
        wait_until(lambda: len(psutil.Process(sup.status()["workers"]["pid"]).children()) >= 2, 30,
                   what="two uvicorn workers")
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
        assert "killed descendants of pid" in sup.events()
