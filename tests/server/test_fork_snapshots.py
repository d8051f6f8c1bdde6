"""Both entry points of the storage server (`python -m sutra_stack.storage.server` and `sutra
storage serve`, one command) apply the server's tuning before grpc loads, so snapshots are
written by a forked child from a copy-on-write view and writers do not stall behind them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sutra_stack.storage import StorageClient
from tests.server.conftest import FAST_ENV
from tests.support.procs import PYTHON, ROOT, child_env, running
from tests.support.storage_server import LISTEN_RE, health_status, storage_server

FORKED = "snapshots are written by a forked child"
IN_PROCESS = "snapshots are written in this process"


def test_python_m_server_writes_snapshots_from_a_forked_child(tmp_path: Path) -> None:
    with storage_server(tmp_path / "data", env=FAST_ENV) as srv, StorageClient(srv.address) as c:
        c.learn_concept("a snapshot is written while writes go on")
        c.flush()
        log = srv.log_text()
    assert FORKED in log and IN_PROCESS not in log, log[-2000:]


def test_sutra_storage_serve_writes_snapshots_from_a_forked_child(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    argv = [PYTHON, "-m", "sutra_stack", "storage", "serve", "--storage", str(tmp_path / "data"), "--host",
            "127.0.0.1", "--port", "0", "--fast-port", "0"]

    def serving() -> bool:
        m = LISTEN_RE.search(log.read_text(errors="replace")) if log.exists() else None
        return m is not None and health_status(m.group(1), int(m.group(2))) == "SERVING"

    with running(argv, env=FAST_ENV | {"SUTRA_LOG_LEVEL": "INFO"}, ready=serving, timeout=60, log=log):
        text = log.read_text(errors="replace")
    assert FORKED in text and IN_PROCESS not in text, text[-2000:]


@pytest.mark.parametrize("argv", [["-m", "sutra_stack.storage.server"], ["-m", "sutra_stack", "storage", "serve"]])
def test_both_entry_points_take_the_same_flags(argv: list[str]) -> None:
    out = subprocess.run([PYTHON, *argv, "--help"], cwd=ROOT, env=child_env({"COLUMNS": "200"}),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for flag in ("--data-dir", "--host", "--port", "--fast-port"):
        assert flag in out.stdout
    bad = subprocess.run([PYTHON, *argv, "--port", "many"], cwd=ROOT, env=child_env(), capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "--port" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
