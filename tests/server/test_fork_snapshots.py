"""The storage server process keeps gRPC's fork support off, so snapshots are written by a forked
child from a copy-on-write view and writers do not stall behind them."""

from __future__ import annotations

import subprocess

from tests.support.procs import PYTHON, ROOT, child_env

CHECK = (
    "import sys, {entry}\n"
    "import sutra_stack.storage.server.app  # what `sutra storage serve` imports when it runs\n"
    "from sutra_stack.storage.engine.vectors import fork_is_safe\n"
    "assert 'grpc' in sys.modules, 'the server imports grpc'\n"
    "sys.exit(0 if fork_is_safe() else 3)\n"
)


def test_server_entry_points_leave_snapshots_free_to_fork() -> None:
    for entry in ("sutra_stack.storage.server.app", "sutra_stack.cli"):
        r = subprocess.run([PYTHON, "-c", CHECK.format(entry=entry)], cwd=ROOT, env=child_env(),
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"{entry}: snapshots could not fork (rc {r.returncode}) {r.stderr[-500:]}"
