"""Snapshots on a failing or full disk: a snapshot that could not be written whole is never taken
for a good one, the WAL keeps every write until one is, the previous snapshot stays in charge,
and nothing half-written is left behind.

Faults come through the store's `FileOps` seam (the one the WAL uses) at every operation of a
snapshot, from both the forked snapshot child and the server process; hnswlib writes its file
from C++, past any seam, so a layer that cuts that file off stands for its silent short write;
and a small tmpfs gives a real ENOSPC.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sutra_stack.errors import SutraError
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.engine import snapshot as snap
from sutra_stack.storage.engine.vectors import fork_is_safe
from sutra_stack.storage.wal import fileops
from sutra_stack.storage.wal.fileops import FileOps
from tests.storage.wal_faults import FaultyOps
from tests.support.tmpfs import small_tmpfs

SETTINGS = {"embedder.dimension": 32, "storage.fsync": "always", "storage.snapshot_wal_bytes": 1 << 40,
            "storage.snapshot_interval": 0.0, "index.ef_construction": 40, "storage.wal_segment_bytes": 16 * 1024}
SNAPSHOT_OPS = ("create", "write", "fsync", "fsync_dir", "rename")


def not_wal(path: Path) -> bool:
    return "wal" not in path.parts[-2:] and path.name != "wal"


def check_store(where: Path, acked: dict[str, str], settings: dict | None = None) -> None:
    """A copy of `where` opens (as after a restart with room on the disk) with every acknowledged write."""
    copy = where.parent / (where.name + "-reopened")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(where, copy, ignore=shutil.ignore_patterns("LOCK"))
    with fileops.use(fileops.DEFAULT_FILE_OPS), Engine.open(copy, settings or SETTINGS) as eng:
        got = eng.query_concepts(list(acked))
        assert [c.content if c else None for c in got] == list(acked.values())
        assert eng.stats().concepts == len(acked)
    shutil.rmtree(copy)


def leftovers(store: Path) -> list[str]:
    """Snapshot files that no snapshot names: temp files and unnamed index files."""
    header = snap.read_header(store)
    named = header["index_file"] if header else None
    return sorted(p.name for p in store.iterdir()
                  if p.name.endswith(".tmp") or (p.name.startswith("index-") and p.name != named))


def snapshots_fork(monkeypatch: pytest.MonkeyPatch, forking: bool) -> None:
    """Choose where snapshots are written: a forked child, or the store's own process (what a
    server with gRPC's fork support on does). With grpc loaded its fork support setting decides."""
    import grpc  # noqa: F401

    monkeypatch.setenv("GRPC_ENABLE_FORK_SUPPORT", "false" if forking else "true")
    assert fork_is_safe() == forking


@pytest.mark.parametrize("forking", [True, False], ids=["forked", "in-process"])
@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EIO])
@pytest.mark.parametrize("op", SNAPSHOT_OPS)
def test_a_fault_at_any_step_of_a_snapshot_keeps_the_wal_and_the_previous_snapshot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, op: str, err: int, forking: bool) -> None:
    snapshots_fork(monkeypatch, forking)
    store = tmp_path / "s"
    ops = FaultyOps(only=not_wal)
    acked: dict[str, str] = {}
    with fileops.use(ops):
        eng = Engine.open(store, SETTINGS)
    try:
        for i in range(40):
            acked[eng.learn_concept(f"before the first snapshot {i}")] = f"before the first snapshot {i}"
        eng.flush()
        good = snap.verify(store)
        assert good is not None
        step = 0
        while True:  # fail the step-th `op` of a snapshot, for every step it has
            for i in range(3):
                c = f"op {op} step {step} concept {i}"
                acked[eng.learn_concept(c)] = c
            ops.arm(op, err, skip=step)
            try:
                eng.flush()
            except SutraError as e:
                assert os.strerror(err) in str(e), e
                now = snap.verify(store)  # whatever storage.dat is now, it is whole
                if now["lsn"] == good["lsn"]:
                    assert leftovers(store) == [], f"step {step}: files left behind"
                else:  # it failed after the new storage.dat was renamed in (its directory fsync, store.json):
                    # the previous index file stays, in case the rename never reaches the disk
                    assert leftovers(store) == [good["index_file"]], f"step {step}: {leftovers(store)}"
                    good = now  # the one in charge before the next try
                check_store(store, acked)
                step += 1
                continue
            finally:
                ops.disarm()
            break  # this snapshot has fewer than step+1 such operations: it went through
        assert step >= 1, f"no {op} of a snapshot failed"
        good = snap.verify(store)
        assert good is not None and good["lsn"] > 40
        assert leftovers(store) == []
        for i in range(3):
            acked[eng.learn_concept(f"after the faults {i}")] = f"after the faults {i}"
    finally:
        eng.close()
    check_store(store, acked)


class CutOffIndex(FileOps):
    """Cuts the index file short (or empties it) when it is fsynced, as hnswlib leaves it when a
    write fails: its `save_index` ignores write errors and returns normally."""

    def __init__(self, keep: float) -> None:
        self.keep = keep
        self.on = False

    def fsync(self, fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        if self.on and Path(path).name.startswith("index-") and path.endswith(".tmp"):
            os.truncate(path, int(os.fstat(fd).st_size * self.keep))
        super().fsync(fd)


@pytest.mark.parametrize("keep", [0.0, 0.0005, 0.5, 0.9999])
def test_an_index_file_cut_off_by_its_writer_fails_the_snapshot(tmp_path: Path, keep: float) -> None:
    store = tmp_path / "s"
    ops = CutOffIndex(keep)
    acked: dict[str, str] = {}
    with fileops.use(ops), Engine.open(store, SETTINGS) as eng:
        for i in range(200):
            acked[eng.learn_concept(f"concept {i}")] = f"concept {i}"
        eng.flush()
        first = snap.verify(store)
        for i in range(50):
            acked[eng.learn_concept(f"later {i}")] = f"later {i}"
        ops.on = True
        for _ in range(2):  # a retry at the same lsn must not take a half file for a good one
            with pytest.raises(SutraError, match="index file"):
                eng.flush()
            assert snap.verify(store) == first
            assert leftovers(store) == []
            check_store(store, acked)
        ops.on = False
        eng.flush()
        assert snap.verify(store)["lsn"] == 250
    check_store(store, acked)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB tmpfs mounted for the test (root only, as in CI)."""
    with small_tmpfs(tmp_path / "disk", size="8m") as mnt:
        yield mnt


def test_a_full_disk_never_yields_a_snapshot_that_cannot_be_loaded(small_disk: Path, tmp_path: Path) -> None:
    """The reported case: 8 MiB tmpfs, ~2,500 learns of ~250 bytes, then flushes and a backup. Every
    flush and backup that says OK left files that load; every acknowledged write survives."""
    settings = dict(SETTINGS, **{"embedder.dimension": 384, "storage.wal_segment_bytes": 1 << 20})
    store = small_disk / "store"
    acked: dict[str, str] = {}
    eng = Engine.open(store, settings)
    outcomes = []
    try:
        for i in range(2500):
            c = f"concept {i:05d} " + "lorem ipsum dolor sit amet " * 9
            try:
                acked[eng.learn_concept(c)] = c
            except SutraError:
                break
        assert len(acked) > 1000
        for n in range(3):
            try:
                eng.flush()
                outcomes.append("ok")
                snap.verify(store)  # what it said OK to is whole
            except SutraError as e:
                outcomes.append(type(e).__name__)
                assert "No space left on device" in str(e) or "index file" in str(e), e
            assert leftovers(store) == [], f"flush {n}: files left behind"
        backup = small_disk / "backup"
        try:
            eng.backup(backup)
            outcomes.append("backup ok")
            check_store(backup, acked, settings)  # what it said OK to is whole
        except SutraError as e:
            outcomes.append("backup " + type(e).__name__)
            assert not backup.exists() or not any(backup.rglob("*.*")), "a failed backup left files"
        elsewhere = tmp_path / "backup-elsewhere"  # another disk with room: the backup goes through
        eng.backup(elsewhere)
        check_store(elsewhere, acked, settings)
    finally:
        try:
            eng.close()
        except SutraError:
            outcomes.append("close failed")
    assert "ResourceExhausted" in outcomes, f"the disk never filled up: {outcomes}"
    roomy = tmp_path / "after"  # as after freeing space: every acknowledged write is there
    shutil.copytree(store, roomy, ignore=shutil.ignore_patterns("LOCK"))
    check_store(roomy, acked, settings)


def test_snapshots_from_the_server_process_and_from_a_forked_child_are_both_checked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same cut-off index is caught whether the snapshot is written in a forked child or here."""
    for forking in (True, False):
        snapshots_fork(monkeypatch, forking)
        store = tmp_path / f"fork{forking}"
        ops = CutOffIndex(0.5)
        with fileops.use(ops), Engine.open(store, SETTINGS) as eng:
            acked = {eng.learn_concept(f"c {i}"): f"c {i}" for i in range(100)}
            ops.on = True
            with pytest.raises(SutraError, match="index file"):
                eng.flush()
            assert snap.read_header(store) is None
            assert leftovers(store) == []
            ops.on = False
        check_store(store, acked)


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EIO])
@pytest.mark.parametrize("op", ("create", "write", "fsync", "fsync_dir"))
def test_a_fault_at_any_step_of_a_backup_fails_it_and_leaves_no_files(tmp_path: Path, op: str, err: int) -> None:
    store = tmp_path / "s"
    ops = FaultyOps(only=lambda p: any(part.startswith("backup-") for part in p.parts))
    with fileops.use(ops):
        eng = Engine.open(store, SETTINGS)
    try:
        acked = {eng.learn_concept(f"backed up {i}"): f"backed up {i}" for i in range(60)}
        step = 0
        while True:
            dest = tmp_path / f"backup-{step}"
            ops.arm(op, err, skip=step)
            try:
                eng.backup(dest)
            except SutraError as e:
                assert os.strerror(err) in str(e) and str(dest) in str(e), e
                assert not [p for p in dest.rglob("*") if p.is_file()], f"step {step}: a failed backup left files"
                step += 1
                continue
            finally:
                ops.disarm()
            break
        assert step >= 1, f"no {op} of a backup failed"
        acked[eng.learn_concept("after the backups")] = "after the backups"
    finally:
        eng.close()
    check_store(dest, {k: v for k, v in acked.items() if v != "after the backups"})
    check_store(store, acked)
