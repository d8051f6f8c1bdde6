"""Recovery time is bounded by its cost: the store takes a snapshot by itself once replaying its
WAL after a crash would take longer than storage.recovery_target_seconds, long before the WAL
reaches storage.snapshot_wal_bytes; with the target off, only the size and interval apply."""

from __future__ import annotations

import subprocess
import textwrap
import time
from pathlib import Path

from sutra_stack.storage.engine import Engine
from sutra_stack.storage.engine.recovery_budget import DEFAULT_REPLAY_BYTES_PER_SECOND
from sutra_stack.storage.model import ConceptInput
from sutra_stack.storage.wal import fileops
from sutra_stack.storage.wal.fileops import FILE_MODE, FileOps
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
        assert p.budget.wake_bytes < 1 << 40
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
        assert p.budget.replay_rate != DEFAULT_REPLAY_BYTES_PER_SECOND  # measured on this start
        assert p.budget.budget_bytes == int(2.0 * p.budget.replay_rate)  # before any snapshot: wakes at half of it
        assert abs(p.budget.wake_bytes - p.budget.budget_bytes / 2) <= 1


class SlowSnapshots(FileOps):
    """Real file operations, with each fsync of a snapshot file (anything outside wal/) taking
    `delay` seconds longer: a large store's snapshot, so that many writes arrive while it runs."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.paths: dict[int, Path] = {}

    def open(self, path: Path, flags: int, mode: int = FILE_MODE) -> int:
        fd = super().open(path, flags, mode)
        self.paths[fd] = Path(path)
        return fd

    def close(self, fd: int) -> None:
        self.paths.pop(fd, None)
        super().close(fd)

    def fsync(self, fd: int) -> None:
        p = self.paths.get(fd)
        if p is not None and p.parent.name != "wal":
            time.sleep(self.delay)
        super().fsync(fd)


def largest_wal(eng: Engine, batches: int, prefix: str) -> tuple[int, int]:
    """Learn `batches` batches of 100 and return the largest WAL seen after a write and the size of
    the largest write (one batch's record)."""
    p = eng._persist
    assert p is not None and p.wal is not None
    largest = step = 0
    for b in range(batches):
        before = p.wal.size_bytes
        eng.learn_batch([ConceptInput(content=f"{prefix} {b}-{i}") for i in range(100)])
        after = p.wal.size_bytes
        step = max(step, after - before)
        largest = max(largest, after)
    return largest, step


def test_writes_wait_for_a_slow_snapshot_so_a_crash_replays_at_most_the_target(tmp_path: Path) -> None:
    # budget: 0.05 s at the assumed replay rate (~210 KB of WAL, a few batches)
    settings = dict(BASE, **{"storage.recovery_target_seconds": 0.05})
    with fileops.use(SlowSnapshots(0.2)), Engine.open(tmp_path / "s", settings) as eng:
        p = eng._persist
        assert p is not None and p.budget.budget_bytes == int(0.05 * DEFAULT_REPLAY_BYTES_PER_SECOND)
        largest, step = largest_wal(eng, 30, "held back")
        assert p.snapshots_taken >= 1
        assert p.budget.write_waits > 0 and p.budget.write_wait_seconds > 0
        assert eng.metrics()["write_waits_total"] == p.budget.write_waits
        # never more than the budget plus the one write let in before the WAL reached it
        assert largest <= p.budget.budget_bytes + step, (largest, p.budget.budget_bytes, step)
        assert eng.stats().concepts == 3000


def test_with_the_target_off_writes_never_wait_for_a_snapshot(tmp_path: Path) -> None:
    # the same slow snapshots, taken for the WAL's size: the log grows on while each runs
    settings = dict(BASE, **{"storage.recovery_target_seconds": 0.0, "storage.snapshot_wal_bytes": 200_000})
    with fileops.use(SlowSnapshots(0.4)), Engine.open(tmp_path / "s", settings) as eng:
        p = eng._persist
        assert p is not None and p.budget.budget_bytes == 0
        largest, step = largest_wal(eng, 60, "not held back")
        assert p.budget.write_waits == 0
        assert largest > 200_000 + 2 * step  # the log passed its size limit by many writes meanwhile
