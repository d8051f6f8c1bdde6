"""EIO and ENOSPC from the disk under the real Engine, injected through the store's FileOps seam on
the WAL's files: the failed writes raise and never appear, acknowledged ones all survive a reopen, and the
store either keeps going on a new segment or turns read-only (reads still answered)."""

from __future__ import annotations

import errno
import random
from pathlib import Path

import pytest

from sutra_stack.errors import FailedPrecondition, Unavailable
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.model import content_id
from sutra_stack.storage.wal import fileops
from tests.storage.crash_writer import ENGINE_SETTINGS
from tests.storage.wal_faults import FaultyOps

SETTINGS = dict(ENGINE_SETTINGS, **{"storage.snapshot_wal_bytes": 1 << 40})


def wal_faults() -> FaultyOps:
    """Faults armed on the WAL's segment files only (the snapshot's are covered elsewhere)."""
    return FaultyOps(only=lambda p: p.suffix == ".log" and p.parent.name == "wal")


def test_failed_writes_raise_and_the_store_moves_on(tmp_path: Path) -> None:
    store = tmp_path / "s"
    faults = wal_faults()
    with fileops.use(faults):
        eng = Engine.open(store, SETTINGS)
    rng = random.Random(9)
    acked: dict[str, str] = {}
    failed: list[str] = []
    try:
        for i in range(80):
            if i % 8 == 4:
                op = rng.choice(["write", "fsync"])
                faults.arm(op, rng.choice([errno.EIO, errno.ENOSPC]), partial=op == "write")
            content = f"fault test concept {i}"
            try:
                acked[eng.learn_concept(content)] = content
            except Unavailable as e:
                assert "not stored" in str(e)
                failed.append(content)
        assert faults.failures == len(failed) == 10
        assert not eng.stats().read_only
        assert all(eng.query_concept(content_id(c)) is None for c in failed)
        assert [c.content for c in eng.query_concepts(list(acked))] == list(acked.values())
    finally:
        faults.disarm()
        eng.close()
    with Engine.open(store, SETTINGS) as eng:
        assert [c.content if c else None for c in eng.query_concepts(list(acked))] == list(acked.values())
        assert all(eng.query_concept(content_id(c)) is None for c in failed)
        assert eng.stats().concepts == len(acked)


def test_store_turns_read_only_when_no_new_segment_can_be_made(tmp_path: Path) -> None:
    store = tmp_path / "s"
    faults = wal_faults()
    with fileops.use(faults):
        eng = Engine.open(store, SETTINGS)
    kept = eng.learn_concept("written before the disk failed")
    try:
        faults.arm("fsync", errno.EIO)
        faults.arm("create", errno.ENOSPC)
        with pytest.raises(FailedPrecondition, match="read-only"):
            eng.learn_concept("lost to the failure")
        assert eng.stats().read_only
        with pytest.raises(FailedPrecondition, match="read-only"):
            eng.learn_concept("refused while read-only")
        assert eng.query_concept(kept) is not None  # reads still answered
        assert eng.text_search("written before", k=1)[0].concept_id == kept
    finally:
        faults.disarm()
        eng.close()
    with Engine.open(store, SETTINGS) as eng:  # a healthy disk again
        assert eng.query_concept(kept) is not None
        assert eng.query_concept(content_id("lost to the failure")) is None
        assert not eng.stats().read_only
        eng.learn_concept("writable again")
