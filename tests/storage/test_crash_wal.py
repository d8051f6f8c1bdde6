"""Real processes killed with SIGKILL while writing to the log: every acknowledged record survives."""

from __future__ import annotations

import random
from pathlib import Path

from sutra_stack.storage.wal import WriteAheadLog
from tests.storage.crash_harness import kill_cycle
from tests.storage.crash_writer import payload_for

CYCLES = 20


def test_sigkill_loop_loses_no_acknowledged_record(tmp_path: Path) -> None:
    rng = random.Random(20261127)
    acked: dict[int, bytes] = {}
    total_acks = 0
    for run in range(CYCLES):
        ready, acks = kill_cycle("wal", tmp_path, run, rng)
        # the writer itself replayed everything acknowledged before it started
        assert int(ready[1]) >= len(acked) and int(ready[2]) >= max(acked, default=0)
        for _, lsn, r, t, i, rep in acks:
            assert int(r) == run
            lsn_i = int(lsn)
            assert lsn_i not in acked, f"lsn {lsn_i} acknowledged twice"
            acked[lsn_i] = payload_for(run, int(t), int(i), int(rep))
        total_acks += len(acks)
        with WriteAheadLog(tmp_path / "wal") as wal:
            got = dict(wal.replay())
        missing = [lsn for lsn, p in acked.items() if got.get(lsn) != p]
        assert not missing, f"cycle {run}: acknowledged lsns lost or changed: {missing[:10]}"
        assert sorted(got) == list(range(1, len(got) + 1))
    assert total_acks > CYCLES * 10, f"only {total_acks} writes were acknowledged in {CYCLES} cycles"
