"""Recovery time is bounded by its cost: the store takes a snapshot by itself once replaying its
WAL after a crash would take longer than storage.recovery_target_seconds, long before the WAL
reaches storage.snapshot_wal_bytes; with the target off, only the size and interval apply."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from sutra_stack.storage.engine import Engine
from sutra_stack.storage.engine.persistence import DEFAULT_REPLAY_BYTES_PER_SECOND
from sutra_stack.storage.model import ConceptInput
from tests.support.procs import PYTHON, ROOT, child_env, wait_until

BASE = {"embedder.dimension": 64, "storage.fsync": "off", "storage.snapshot_interval": 0.0,
        "storage.snapshot_wal_bytes": 1 << 40, "index.ef_construction": 40}


def learn(eng: Engine, n: int, prefix: str) -> None:
    for start in range(0, n, 500):
        eng.learn_batch([ConceptInput(content=f"{prefix} {i}") for i in range(start, min(n, start + 500))])


def test_a_wal_that_would_replay_past_the_target_gets_a_snapshot(tmp_path: Path) -> None:
    settings = dict(BASE, **{"storage.recovery_target_seconds": 0.05})
    with Engine.open(tmp_path / "s", settings) as eng:
        learn(eng, 3000, "bounded")
        wait_until(lambda: eng.stats().last_snapshot is not None, timeout=30,
                   what="a snapshot taken for the recovery target")
        p = eng._persist
        assert p.wake_bytes < 1 << 40
        wait_until(lambda: p.recovery_estimate <= 0.05 or p.snapshots_taken > 1, timeout=30,
                   what="the WAL bounded by the target")


def test_with_the_target_off_only_the_wal_size_triggers(tmp_path: Path) -> None:
    settings = dict(BASE, **{"storage.recovery_target_seconds": 0.0})
    with Engine.open(tmp_path / "s", settings) as eng:
        learn(eng, 3000, "unbounded")
        eng.learn_concept("one more write after the batches")  # any trigger would have fired by now
        assert eng._persist.snapshots_taken == 0
        assert eng.stats().last_snapshot is None


def test_a_start_that_replays_enough_measures_the_replay_rate(tmp_path: Path) -> None:
    settings = dict(BASE, **{"storage.recovery_target_seconds": 0.0, "embedder.dimension": 384})
    crash = textwrap.dedent(f"""
        import os
        from sutra_stack.storage.engine import Engine
        from sutra_stack.storage.model import ConceptInput
        eng = Engine.open({str(tmp_path / "s")!r}, {settings!r})
        for start in range(0, 4000, 500):
            eng.learn_batch([ConceptInput(content=f"replayed {{i}}") for i in range(start, start + 500)])
        os._exit(0)  # no snapshot on the way out: everything is in the WAL only
    """)
    subprocess.run([PYTHON, "-c", crash], check=True, cwd=ROOT, env=child_env(), timeout=120)
    with Engine.open(tmp_path / "s", dict(settings, **{"storage.recovery_target_seconds": 2.0})) as again:
        p = again._persist
        assert again.stats().concepts == 4000 and again.stats().last_snapshot is None
        assert p.wal.size_bytes > 4 * 1024 * 1024
        assert p.replay_rate != DEFAULT_REPLAY_BYTES_PER_SECOND  # measured on this start
        assert p.wake_bytes == int(2.0 * p.replay_rate)
