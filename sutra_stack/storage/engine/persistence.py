"""Durability of an on-disk engine: directory lock, recovery, snapshots, online backup.

Directory layout: `LOCK`, `store.json` (embedder, dimension, last snapshot lsn), `storage.dat`
+ `index-<lsn>.bin` (the snapshot), `wal/` (the write-ahead log). Recovery loads the snapshot
and replays the WAL after its lsn; anything missing or corrupt raises DataLoss naming the file
instead of starting empty. Snapshots run on a background thread, on `flush()` and on close, while
writes keep flowing; the thread wakes when replaying the WAL after a crash would pass
storage.recovery_target_seconds (WAL bytes / the measured replay rate), when the WAL passes
storage.snapshot_wal_bytes, and every storage.snapshot_interval.

The recovery target is a bound: writers wait for a running snapshot once the WAL holds the
target's worth of replay (see `recovery_budget`).

Nothing is dropped from the WAL until a snapshot is whole on disk: each file is read back and
checked before it is renamed into place (see `snapshot`), and checked again in place before
store.json is updated and the WAL segments it covers are deleted. A failed snapshot removes what
it made and leaves the previous one in charge; the WAL keeps every write.

Files are created and deleted by path, so a store whose directory was removed (and perhaps made
anew by another store) while it was open must touch that path no more: the lock tells
(`DirectoryLock.verify`), the WAL asks it before it creates or deletes a segment, and snapshots,
their clean-up and backups ask it before they start and before they commit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sutra_stack.errors import DataLoss, FailedPrecondition, SutraError
from sutra_stack.storage.engine import records
from sutra_stack.storage.engine import snapshot as snap
from sutra_stack.storage.engine import snapshot_state as st
from sutra_stack.storage.engine.backup_copy import WAL_DIR, copy_store_files
from sutra_stack.storage.engine.lockfile import DirectoryLock
from sutra_stack.storage.engine.recovery_budget import RecoveryBudget
from sutra_stack.storage.engine.vectors import fork_is_safe
from sutra_stack.storage.wal import WriteAheadLog, fileops

if TYPE_CHECKING:
    from sutra_stack.storage.engine.store import Engine

log = logging.getLogger(__name__)
__all__ = ["Persistence", "copy_store_files"]


class Persistence:
    def __init__(self, engine: Engine, path: Path) -> None:
        self.engine = engine
        self.path = path
        self.lock = DirectoryLock(path)
        self.ops = fileops.current()  # every change this store makes to its disk goes through it
        self.wal: WriteAheadLog | None = None
        self.snapshot_lsn = 0
        self.meta: dict[str, Any] = {}
        self._snap_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.longest_stall = 0.0  # seconds the state lock was held by the last snapshots
        self.snapshots_taken = 0
        self.last_duration = 0.0  # seconds the last snapshot took from start to files in place
        self.budget = RecoveryBudget(engine.settings)  # when to snapshot, when writers wait

    # --- open ------------------------------------------------------------------------------
    def open(self) -> None:
        self.lock.acquire()
        try:
            self._open_locked()
        except BaseException:
            if self.wal is not None:
                with contextlib.suppress(Exception):
                    self.wal.close()
            self.lock.release()
            raise
        self._thread = threading.Thread(target=self._run, name="snapshotter", daemon=True)
        self._thread.start()

    def _open_locked(self) -> None:
        eng, path = self.engine, self.path
        want = {"embedder": eng.embedder.kind, "dimension": eng.dimension}
        meta = snap.read_store_meta(path)
        wal_dir = path / WAL_DIR
        if meta is None:
            leftovers = [p.name for p in (path / snap.SNAPSHOT_NAME, *path.glob("index-*.bin"))
                         if p.exists()] + [p.name for p in wal_dir.glob("*") if wal_dir.is_dir()]
            if leftovers:
                raise DataLoss(f"{path} holds store files ({', '.join(sorted(leftovers)[:5])}) but no "
                               f"{snap.STORE_META_NAME}; refusing to start empty over them")
            meta = {"format_version": snap.FORMAT_VERSION, **want, "created": time.time(), "snapshot_lsn": 0}
            snap.write_store_meta(path, meta, self.ops)
        for key in ("embedder", "dimension"):
            if meta.get(key) != want[key]:
                raise FailedPrecondition(
                    f"the store in {path} was made with embedder {meta.get('embedder')!r}, dimension "
                    f"{meta.get('dimension')}; this process is configured with embedder {want['embedder']!r}, "
                    f"dimension {want['dimension']}. Set embedder.kind / embedder.dimension to match, or "
                    "export and re-import the store into a new directory")
        self.meta = meta
        header = snap.read_header(path)
        lsn = 0
        settle: list[threading.Thread] = []  # started once the store is open
        if header is not None:
            # Three things at once: the index file's checksum and the arrays' read run on threads
            # without the GIL while hnswlib's load_index (which holds it) runs here.
            index = snap.IndexCheck(path, header)
            reader = snap.SnapshotReader(path, headroom=1.25)
            c = reader.header["counters"]
            try:
                settle = eng.state.vectors.load(index.path, max_elements=int(c["concept_rows"] * 1.25) + 1,
                                                 live=c["vectors"])
            except Exception as e:  # noqa: BLE001 - hnswlib raises RuntimeError on a bad file
                index.result()  # a checksum mismatch explains it best
                reader.result()
                raise DataLoss(f"index file {index.path} could not be loaded: {e}") from None
            arrays = reader.result()
            index.result()
            st.load_state(eng.state, reader.header, arrays)
            lsn = int(header["lsn"])
            eng.last_snapshot = float(header["created"])
        elif int(meta.get("snapshot_lsn", 0)) > 0:
            raise DataLoss(f"{path / snap.STORE_META_NAME} records a snapshot at lsn {meta['snapshot_lsn']} but "
                           f"{path / snap.SNAPSHOT_NAME} is missing; refusing to start without it")
        self.snapshot_lsn = lsn
        s = eng.settings
        self.wal = WriteAheadLog(wal_dir, fsync=s["storage.fsync"], segment_bytes=int(s["storage.wal_segment_bytes"]),
                                 file_ops=self.ops, guard=self.lock.verify)
        expected = lsn + 1
        replayed = 0
        t0 = time.perf_counter()
        state = eng.state
        for got, payload in self.wal.replay(lsn):
            if got != expected:
                raise DataLoss(f"WAL in {wal_dir} continues at lsn {got} after lsn {expected - 1}: records are "
                               "missing (a deleted segment?)")
            op, ts, body = records.decode(payload, f"WAL {wal_dir} record lsn {got}")
            state.apply(op, ts, body)
            expected += 1
            replayed += len(payload) + 16
        self.budget.measured_replay(replayed, time.perf_counter() - t0)
        eng.recovered(self.wal, expected - 1)
        self._remove_leftovers(header)
        for thread in settle:
            thread.start()

    # --- snapshots -------------------------------------------------------------------------
    @property
    def recovery_estimate(self) -> float:
        """Seconds a restart after a crash now would spend replaying the WAL (an estimate)."""
        wal = self.wal
        return self.budget.estimate(wal.size_bytes) if wal is not None else 0.0

    def maybe_snapshot(self) -> None:
        """Called after writes (state lock held): wake the snapshotter when the WAL is big enough that
        replaying it would come near the recovery target, or past storage.snapshot_wal_bytes."""
        wal = self.wal
        if wal is not None and wal.size_bytes >= self.budget.wake_bytes:
            self._wake.set()

    def admit(self) -> None:
        """Called before a write is logged (no lock held): the recovery target's backpressure."""
        wal, budget = self.wal, self.budget
        if wal is not None and 0 < budget.budget_bytes <= wal.size_bytes:
            budget.admit(lambda: wal.size_bytes, self._wake.set, self._stop)

    def _run(self) -> None:
        interval = float(self.engine.settings["storage.snapshot_interval"])
        while not self._stop.is_set():
            self._wake.wait(timeout=interval if interval > 0 else None)
            if self._stop.is_set():
                return
            self._wake.clear()
            try:
                self.snapshot()
            except Exception:  # keep serving; the next trigger tries again
                log.exception("snapshot of %s failed; the WAL keeps every write", self.path)

    def snapshot(self) -> None:
        """Write a snapshot of the state now; then drop the WAL it covers. Raises (RESOURCE_EXHAUSTED
        on a full disk, INTERNAL otherwise, the file named) if it could not be written whole; the
        previous snapshot then stays in charge and the WAL keeps every write."""
        with self._snap_lock:
            self.budget.snapshot_running(True)
            try:
                self._snapshot_locked()
            finally:
                self.budget.snapshot_running(False)

    def _snapshot_locked(self) -> None:
        eng = self.engine
        wal = self.wal
        if wal is None:
            return
        self._check_directory()
        if not wal.read_only:
            wal.rotate()  # so the segments holding records ≤ lsn can be dropped afterwards
        vectors = eng.state.vectors
        forking = fork_is_safe()
        before = snap.read_header(self.path)
        t0 = time.perf_counter()
        with st.frozen_state(eng):
            lsn = eng.applied_lsn
            if lsn == self.snapshot_lsn and before is not None and before.get("format_version") == snap.FORMAT_VERSION:
                self._thaw()
                return
            arrays, counters = st.state_arrays(eng.state, copy=not forking)
            now = time.time()
            header = {"lsn": lsn, "created": now, "embedder": eng.embedder.kind, "dimension": eng.dimension,
                      "counters": counters}
            elements = vectors.element_count  # frozen: nothing is inserted until the thaw
            # A forked child sees this moment's memory (copy-on-write) and writes it while we go
            # on: the state lock is held only for the fork, not for copying or writing.
            parent = os.getpid()
            report = (-1, -1)
            try:
                if forking:
                    report = os.pipe()
                pid = os.fork() if forking else -1
            except BaseException:
                for fd in report:
                    if fd >= 0:
                        os.close(fd)
                self._thaw()
                raise
            if pid == 0:
                os.close(report[0])
                st.child_write(self.path, header, arrays, vectors, parent, elements, self.ops, report[1])
        stall = time.perf_counter() - t0
        try:
            if pid > 0:
                os.close(report[1])
                _, status = os.waitpid(pid, 0)
                with os.fdopen(report[0], "rb") as r:
                    why = r.read()
                if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
                    raise st.child_failure(self.path, why, status)
            else:
                st.add_id_base(arrays)
                try:
                    snap.write_snapshot(self.path, header, arrays, vectors.save, ops=self.ops, elements=elements)
                except Exception as e:  # noqa: BLE001 - reported as the family's error
                    raise st.failure(self.path, e) from None
            self._check_directory()
            index_path = self._check_in_place(lsn)
            self.meta["snapshot_lsn"] = lsn
            self.meta["format_version"] = snap.FORMAT_VERSION  # an older store is upgraded by its next snapshot
            try:
                snap.write_store_meta(self.path, self.meta, self.ops)
            except OSError as e:
                raise st.failure(self.path, e) from None
        except BaseException:
            self._remove_leftovers(before)
            raise
        finally:
            self._thaw()
        self.snapshot_lsn = lsn
        eng.last_snapshot = now
        self.longest_stall = max(self.longest_stall, stall)
        self.snapshots_taken += 1
        self.last_duration = time.perf_counter() - t0
        wal.drop_through(lsn)
        self.budget.snapshot_done(wal.size_bytes)  # what is left came in since the cut
        for old in self.path.glob("index-*.bin*"):
            if old.name != index_path.name:
                with contextlib.suppress(OSError):
                    self.ops.unlink(old)

    def _check_in_place(self, lsn: int) -> Path:
        """The snapshot in place is the one just written (each file was read back and checked before
        its rename): storage.dat's header and size, the index file's size. Returns the index file."""
        try:
            header = snap.read_header(self.path)
            if header is None or int(header["lsn"]) != lsn:
                raise DataLoss(f"{self.path / snap.SNAPSHOT_NAME} is not the snapshot at lsn {lsn} just written")
            path = self.path / header["index_file"]
            if not path.exists() or path.stat().st_size != header["index_size"]:
                raise DataLoss(f"index file {path} is not the {header['index_size']} bytes just written")
        except (OSError, DataLoss) as e:
            raise st.failure(self.path, e) from None
        return path

    def _remove_leftovers(self, before: dict[str, Any] | None) -> None:
        """Remove temp files and index files that neither storage.dat nor the snapshot in charge before
        (`before`) names: what a failed or killed snapshot left. Nothing when the directory is lost."""
        try:
            self.lock.verify()
        except fileops.DirectoryLost as e:
            log.error("snapshot leftovers not removed: %s", e)
            return
        try:
            now = snap.read_header(self.path)
        except (OSError, DataLoss):
            return  # storage.dat cannot be read: touch nothing
        keep = {h["index_file"] for h in (before, now) if h is not None}
        for p in self.path.iterdir():
            if p.name.endswith(".tmp") or (p.name.startswith("index-") and p.name not in keep):
                with contextlib.suppress(OSError):
                    self.ops.unlink(p)

    def _check_directory(self) -> None:
        """FailedPrecondition when the data directory is no longer this store's (see the module doc)."""
        try:
            self.lock.verify()
        except fileops.DirectoryLost as e:
            raise FailedPrecondition(str(e)) from None

    def _thaw(self) -> None:
        st.thaw(self.engine.state.vectors)

    # --- backup / close --------------------------------------------------------------------
    def backup(self, dest: Path) -> None:
        """A consistent copy while writes go on: snapshot, seal the WAL, copy the sealed files. When
        no new snapshot can be written (a full disk), the copy takes the last good one and the WAL
        after it."""
        try:
            self.snapshot()
        except SutraError as e:
            log.warning("backup of %s goes on without a new snapshot: %s", self.path, e.message)
        with self._snap_lock:
            wal = self.wal
            assert wal is not None
            self._check_directory()  # or the copy would be of whatever is at that path now
            sealed = not wal.read_only
            if sealed:
                wal.rotate()
            copy_store_files(self.path, dest, skip_newest_segment=sealed, ops=self.ops)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        try:
            if self.wal is not None and not self.wal.read_only:
                try:
                    self._check_directory()
                except FailedPrecondition as e:
                    log.error("no snapshot on close: %s", e.message)
                else:
                    self.snapshot()
        finally:
            if self.wal is not None:
                self.wal.close()
            self.lock.release()
