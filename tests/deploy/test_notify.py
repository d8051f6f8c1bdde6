"""Readiness notification: each program sends READY=1 over $NOTIFY_SOCKET only once it answers
requests, from the process that was started (uvicorn's manager with several workers, also on a
handed socket), and STOPPING=1 on SIGTERM; nothing is sent when the variable is unset."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from sutra_stack import notify
from sutra_stack.storage import StorageClient
from sutra_stack.storage.model import ConceptInput
from tests.deploy.harness import NotifySocket
from tests.support.procs import PYTHON, ROOT, child_env, free_port, running, stop
from tests.support.storage_server import health_status, listening_ports, storage_server

FAST = {"SUTRA_STORAGE_FSYNC": "off", "SUTRA_EMBEDDING_DIM": "64"}


def _http(url: str) -> int:
    return httpx.get(url, timeout=5).status_code


@pytest.mark.parametrize("abstract", [True, False])
def test_notify_reaches_the_socket_the_variable_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      abstract: bool) -> None:
    with NotifySocket(None if abstract else tmp_path / "notify.sock") as ns:
        monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
        assert notify.ready() is False  # unset: nothing sent, nothing fails
        assert ns.receive(0) is None
        monkeypatch.setenv("NOTIFY_SOCKET", ns.env_value)
        assert notify.ready("up") is True
        m = ns.wait_for("READY", 5)
        assert m.fields == {"READY": "1", "STATUS": "up"} and m.pid == os.getpid()
        assert notify.stopping() is True
        assert ns.wait_for("STOPPING", 5).fields == {"STOPPING": "1"}


def test_storage_server_is_ready_once_loaded_and_says_when_it_stops(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with storage_server(data, env=FAST) as seed, StorageClient(seed.address) as c:  # a store with data to load
        c.learn_concept("loaded before the restart")
    log = tmp_path / "storage.log"
    env = {"SUTRA_STORAGE_PATH": str(data), "SUTRA_STORAGE_PORT": "0", "SUTRA_STORAGE_FAST_PORT": "0", **FAST}
    with NotifySocket() as ns, running([PYTHON, "-m", "sutra_stack.storage.server"], env={**env, **ns.env},
                                       log=log) as proc:
        ready = ns.wait_for("READY")
        assert ready.pid == proc.pid
        bound = listening_ports(log)
        assert bound is not None
        host, port, _fast = bound
        assert health_status(host, port) == "SERVING"  # ready means it answers, with its data loaded
        with StorageClient(f"{host}:{port}") as c:
            assert c.stats().concepts == 1
        os.kill(proc.pid, signal.SIGTERM)
        assert ns.wait_for("STOPPING").pid == proc.pid
        assert proc.wait(60) == 0


def test_storage_server_asks_for_time_while_a_large_store_loads(tmp_path: Path) -> None:
    """A store that takes long to load (here a write-ahead log of 20,000 concepts to replay, left by a
    SIGKILL) asks for more start time until it is ready, and never after."""
    data = tmp_path / "data"
    env = {**FAST, "SUTRA_STORAGE_RECOVERY_TARGET_SECONDS": "0", "SUTRA_STORAGE_SNAPSHOT_INTERVAL": "0",
           "SUTRA_STORAGE_SNAPSHOT_WAL_BYTES": str(1 << 40)}
    with storage_server(data, env=env) as seed:
        with StorageClient(seed.address) as c:
            for start in range(0, 20_000, 1000):
                c.learn_batch([ConceptInput(content=f"concept {i} of a large store")
                               for i in range(start, start + 1000)])
        os.killpg(seed.proc.pid, signal.SIGKILL)  # no snapshot on the way out: the next start replays it all
        seed.proc.wait(30)
    run_env = {**env, "SUTRA_STORAGE_PATH": str(data), "SUTRA_STORAGE_PORT": "0", "SUTRA_STORAGE_FAST_PORT": "0"}
    with NotifySocket() as ns, running([PYTHON, "-m", "sutra_stack.storage.server"], env={**run_env, **ns.env},
                                       log=tmp_path / "storage.log") as proc:
        before = []
        while "READY" not in (m := ns.wait_for("", 120)).fields:
            before.append(m.fields)
        assert before and all(f == {"EXTEND_TIMEOUT_USEC": "10000000"} for f in before)
        bound = listening_ports(tmp_path / "storage.log")
        assert bound is not None
        with StorageClient(f"{bound[0]}:{bound[1]}") as c:
            assert c.stats().concepts == 20_000
        os.kill(proc.pid, signal.SIGTERM)
        assert ns.wait_for("", 60).fields == {"STOPPING": "1"}  # nothing else came after READY=1
        assert proc.wait(120) == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_api_is_ready_only_once_storage_answers_through_it(tmp_path: Path, workers: int) -> None:
    storage_port, api_port = free_port(), free_port()
    env = {"SUTRA_API_PORT": str(api_port), "SUTRA_API_WORKERS": str(workers),
           "SUTRA_STORAGE_SERVER": f"127.0.0.1:{storage_port}", "SUTRA_LOG_LEVEL": "WARNING"}
    url = f"http://127.0.0.1:{api_port}"
    with NotifySocket() as ns, running([PYTHON, "-m", "sutra_stack.apps.api"], env={**env, **ns.env},
                                       ready=lambda: _http(f"{url}/health") == 200, log=tmp_path / "api.log",
                                       timeout=60) as proc:
        assert _http(f"{url}/ready") == 503  # it accepts, but storage does not answer yet
        assert ns.receive(0) is None  # so it has not said it is ready
        with storage_server(tmp_path / "data", port=storage_port, env=FAST):
            ready = ns.wait_for("READY")
            assert _http(f"{url}/ready") == 200
            assert ready.pid == proc.pid  # the process systemd started (uvicorn's manager), not a worker
            if workers > 1:  # SIGHUP: uvicorn restarts the workers one by one
                os.kill(proc.pid, signal.SIGHUP)
                assert ns.wait_for("RELOADING").pid == proc.pid
                assert ns.wait_for("READY").pid == proc.pid
                assert _http(f"{url}/ready") == 200
            os.kill(proc.pid, signal.SIGTERM)
            assert ns.wait_for("STOPPING").pid == proc.pid
            assert proc.wait(60) == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_api_on_a_handed_socket_is_ready_through_that_socket(tmp_path: Path, workers: int) -> None:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    # the hand-over systemd's socket units and the supervisor make: descriptor 3, LISTEN_PID = own pid
    launcher = (
        "import os, sys; os.dup2(int(sys.argv[1]), 3); os.environ.update(LISTEN_FDS='1', LISTEN_PID=str(os.getpid()));"
        " os.execv(sys.executable, [sys.executable, '-m', 'sutra_stack.apps.api'])"
    )
    with storage_server(tmp_path / "data", env=FAST) as srv, NotifySocket() as ns:
        env = child_env({"SUTRA_API_PORT": str(free_port()), "SUTRA_API_WORKERS": str(workers),
                         "SUTRA_STORAGE_SERVER": srv.address, **ns.env})
        with open(tmp_path / "api.log", "wb") as log:
            proc = subprocess.Popen([PYTHON, "-c", launcher, str(sock.fileno())], env=env, cwd=ROOT,
                                    pass_fds=(sock.fileno(),), stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            sock.close()
            try:
                assert ns.wait_for("READY").pid == proc.pid
                assert _http(f"http://127.0.0.1:{port}/ready") == 200
            finally:
                stop(proc)

