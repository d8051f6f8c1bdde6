"""The client sutra-api's storage routes await (AsyncStorageClient over the fast door) gives up on a
storage server that stops answering, as the blocking client does, and keeps its connection for the
calls after it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

import pytest

from sutra_stack.errors import Reason, Unavailable
from sutra_stack.storage import AsyncStorageClient
from tests.api.conftest import STORAGE_ENV
from tests.support.procs import wait_until
from tests.support.storage_server import storage_server


def stopped(pid: int) -> bool:
    """True once every thread of process `pid` is stopped (SIGSTOP reaches them one by one)."""
    states = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            states.append(task.joinpath("stat").read_text().rpartition(")")[2].split()[0])
    return bool(states) and all(state in ("T", "t") for state in states)


def test_a_stalled_server_times_the_call_out_and_the_connection_serves_the_next(tmp_path: Path) -> None:
    async def scenario(pid: int, address: str) -> None:
        async with AsyncStorageClient(address, token="", timeout=1.0) as c:
            cid = await c.learn_concept("Stalled servers still answer later.")
            os.kill(pid, signal.SIGSTOP)
            wait_until(lambda: stopped(pid), timeout=10, what="the storage server stopped")
            try:
                with pytest.raises(Unavailable) as err:
                    # (an unknown id: its late answer is an error frame)
                    await asyncio.wait_for(c.query_concept("0" * 32), 30)  # without a deadline: hangs until this one
                assert err.value.reason is Reason.TIMED_OUT and "within 1s" in err.value.message
            finally:
                os.kill(pid, signal.SIGCONT)
            # sent on the same connection before the late answer comes: that answer is dropped, and does
            # not end the connection under this call
            got = await asyncio.wait_for(c.query_concept(cid), 30)
            assert got is not None and got.content == "Stalled servers still answer later."
            assert (await c.stats()).concepts == 1

    with storage_server(tmp_path / "data", env=STORAGE_ENV) as st:
        asyncio.run(scenario(st.proc.pid, st.address))
