"""Every probe kind against real servers; readiness gates, liveness restarts."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

from sutra_stack.supervisor.probes import run_probe
from sutra_stack.supervisor.spec import ProbeSpec
from tests.support.procs import free_port, port_open, running, wait_until

from .helpers import CHILDREN, child, supervisor, write_config


def probe(p: ProbeSpec) -> tuple[bool, str]:
    return asyncio.run(run_probe(p, cwd=Path.cwd()))


def test_grpc_probe_reads_the_real_health_status() -> None:
    port = free_port()
    p = ProbeSpec("grpc", port=port, timeout=1.0)
    ok, detail = probe(p)
    assert not ok and "UNAVAILABLE" in detail  # nothing listens yet
    with running([sys.executable, str(CHILDREN / "health_server.py"), str(port), "never"],
                 ready=lambda: port_open(port)):
        ok, detail = probe(p)
        assert not ok and "NOT_SERVING" in detail  # up, but not serving: a TCP connect would say yes
        ok, detail = probe(ProbeSpec("grpc", port=port, service="no.such.Service"))
        assert not ok and "NOT_FOUND" in detail
    with running([sys.executable, str(CHILDREN / "health_server.py"), str(port), "0"],
                 ready=lambda: port_open(port)):
        wait_until(lambda: probe(p)[0], 10, what="SERVING")
        assert "SERVING" in probe(p)[1]


def test_tcp_probe() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        assert not probe(ProbeSpec("tcp", port=port, timeout=0.5))[0]
        s.listen()
        assert probe(ProbeSpec("tcp", port=port, timeout=0.5))[0]


def test_http_probe_status_codes(tmp_path: Path) -> None:
    (tmp_path / "ok").write_text("fine")
    port = free_port()
    with running([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(tmp_path)],
                 ready=lambda: port_open(port)):
        ok, detail = probe(ProbeSpec("http", port=port, path="/ok"))
        assert ok and "200" in detail
        ok, detail = probe(ProbeSpec("http", port=port, path="/missing"))
        assert not ok and "404" in detail
    ok, detail = probe(ProbeSpec("http", port=port, path="/ok", timeout=0.5))
    assert not ok and "ConnectionRefused" in detail


def test_exec_probe(tmp_path: Path) -> None:
    assert probe(ProbeSpec("exec", command=("true",)))[0]
    ok, detail = probe(ProbeSpec("exec", command=("sh", "-c", "echo not yet; exit 3")))
    assert not ok and "exit 3" in detail and "not yet" in detail
    ok, detail = probe(ProbeSpec("exec", command=("sleep", "5"), timeout=0.2))
    assert not ok and "timed out" in detail
    ok, detail = probe(ProbeSpec("exec", command=("no-such-program-here",)))
    assert not ok and "not found" in detail


def test_readiness_gates_and_liveness_restarts(tmp_path: Path) -> None:
    port = free_port()
    flag = tmp_path / "alive"
    flag.write_text("1")
    write_config(tmp_path, f"""
[services.db]
command = {child("health_server.py", str(port), "never")}
readiness = {{ kind = "grpc", port = {port}, period = 0.05 }}
[services.app]
command = {child("sleeper.py")}
depends_on = {{ db = {{ condition = "healthy" }} }}
[services.watched]
command = {child("sleeper.py")}
liveness = {{ kind = "exec", command = ["test", "-e", "{flag}"], period = 0.05, failure_threshold = 3 }}
stop_timeout = 1
""")
    with supervisor(tmp_path, wait_ready=False) as sup:
        sup.wait_state("watched", "ready")
        wait_until(lambda: "NOT_SERVING" in sup.status()["db"]["health"], 20, what="db NOT_SERVING")
        st = sup.status()
        assert st["db"]["state"] == "running"
        assert st["app"]["state"] == "starting" and st["app"]["pid"] is None  # waits for db to be healthy
        pid = st["watched"]["pid"]
        flag.unlink()
        sup.wait_state("watched", "backoff", "starting", "running", "ready")
        wait_until(lambda: sup.status()["watched"]["pid"] not in (None, pid), 15, what="liveness restart")
        assert "liveness failed 3 times" in sup.events()
        assert sup.status()["watched"]["restarts"] == 1
