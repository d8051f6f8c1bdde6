"""A store whose data directory is removed (or replaced) while it is open writes and deletes nothing
more at that path: a new store made there meanwhile keeps working, and the old one says why it
stopped. (A bench that removed a directory under a still-running writer and started a new store in
it saw the new store turn read-only at its first WAL rollover — "File exists, then File exists
creating a new segment": the old writer had created the next segment file in the new directory,
and after its own snapshot it deleted the new store's first segment and left its files there.)"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sutra_stack.errors import FailedPrecondition
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.model import ConceptInput

# Small segments: a few batches cross a segment boundary; no snapshot unless asked.
SETTINGS = {"storage.fsync": "always", "storage.wal_segment_bytes": 16 * 1024,
            "storage.snapshot_wal_bytes": 1 << 40, "storage.snapshot_interval": 0.0,
            "storage.recovery_target_seconds": 0.0}


def batch(prefix: str, n: int = 40) -> list[ConceptInput]:
    return [ConceptInput(content=f"{prefix} concept {i} with a few more words in it") for i in range(n)]


def listing(path: Path) -> dict[str, int]:
    return {str(p.relative_to(path)): p.stat().st_size for p in sorted(path.rglob("*")) if p.is_file()}


def write_past_a_segment(old: Engine) -> None:
    # the next segment would be created at the path, now in the new store's wal/
    with pytest.raises(FailedPrecondition, match="removed or replaced"):
        for i in range(20):
            old.learn_batch(batch(f"old {i}"))
    assert not old.writable
    with pytest.raises(FailedPrecondition, match="read-only"):
        old.learn_batch(batch("old after"))
    with pytest.raises(FailedPrecondition, match="removed or replaced"):
        old.flush()
    old.close()


def flush(old: Engine) -> None:
    # a snapshot would seal a segment, write storage.dat, an index file and store.json there, then
    # delete the WAL segments its own list names (the new store's among them)
    with pytest.raises(FailedPrecondition, match="removed or replaced"):
        old.flush()
    old.close()


def close(old: Engine) -> None:
    old.close()  # no snapshot into the new directory; the error is logged


@pytest.mark.parametrize("old_store_does", [write_past_a_segment, flush, close])
def test_store_whose_directory_was_replaced_changes_nothing_in_the_new_one(
        tmp_path: Path, old_store_does: Callable[[Engine], None]) -> None:
    path = tmp_path / "store"
    old = Engine.open(path, SETTINGS)
    old.learn_batch(batch("old"))
    old.flush()  # a snapshot of its own, so that it has segments and index files to delete later
    old.learn_batch(batch("old again"))
    shutil.rmtree(path)  # removed under the running store, as `rm -rf` or a careless script does
    new = Engine.open(path, SETTINGS)  # its own LOCK: the old one went with the directory
    try:
        new_ids = new.learn_batch(batch("new"))
        before = listing(path)
        old_store_does(old)
        assert listing(path) == before, "the old store changed the new store's files"
        # The new store goes on across several segments and a snapshot, then reopens whole.
        for i in range(20):
            new_ids += new.learn_batch(batch(f"new {i}"))
        new.flush()
        new_ids += new.learn_batch(batch("new last"))
    finally:
        new.close()
    assert json.loads((path / "store.json").read_text())["snapshot_lsn"] == 22  # the new store's last lsn
    with Engine.open(path, SETTINGS) as again:
        assert again.stats().concepts == len(new_ids) == 40 * 22
        assert [c.id if c else None for c in again.query_concepts(new_ids)] == new_ids
