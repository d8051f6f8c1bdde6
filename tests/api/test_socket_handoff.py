"""sutra-api serves on a listening socket handed to it (LISTEN_FDS / LISTEN_PID, descriptors from 3)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.procs import PYTHON, ROOT, child_env, free_port, stop, wait_until


@pytest.mark.parametrize("workers", [1, 2])
def test_serves_on_the_handed_socket(tmp_path: Path, dead_storage: str, workers: int) -> None:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    other_port = free_port()  # what the settings say: must be ignored when a socket is handed
    env = child_env({
        "SUTRA_API_PORT": str(other_port),
        "SUTRA_API_WORKERS": str(workers),
        "SUTRA_STORAGE_SERVER": dead_storage,
    })
    # a small launcher puts the socket on descriptor 3, names its own pid (kept by exec) in LISTEN_PID,
    # and execs the app: what systemd and the supervisor do
    launcher = (
        "import os, sys; os.dup2(int(sys.argv[1]), 3); os.environ.update(LISTEN_FDS='1', LISTEN_PID=str(os.getpid()));"
        " os.execv(sys.executable, [sys.executable, '-m', 'sutra_stack.apps.api'])"
    )
    log = open(tmp_path / "api.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([PYTHON, "-c", launcher, str(sock.fileno())], env=env, cwd=ROOT,
                            pass_fds=(sock.fileno(),), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    sock.close()  # the child holds it now
    try:
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200,
                   timeout=30, what="sutra-api on the handed socket")
        assert httpx.get(f"http://127.0.0.1:{port}/ready", timeout=5).status_code == 503
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", other_port)) != 0  # it did not bind its own port
    finally:
        stop(proc)
        log.close()


def test_a_taken_port_or_a_bad_setting_is_a_clear_exit() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([PYTHON, "-m", "sutra_stack.apps.api"], env=child_env({"SUTRA_API_PORT": str(port)}),
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in r.stderr
    r = subprocess.run([PYTHON, "-m", "sutra_stack.apps.api"], env=child_env({"SUTRA_API_WORKERS": "0"}),
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "SUTRA_API_WORKERS" in r.stderr and "api.workers" in r.stderr
