"""The write-ahead log: every mutation is framed, checksummed and made durable before it is acknowledged.

`WriteAheadLog` owns the log's lifecycle over the segment files of one directory (`wal-<seq>.log`:
format in `framing`, files in `segments`, recovery in `recovery`): opening it, replaying it,
rotating and dropping segments, the everysec fsync thread, resuming writes after a disk failure
(read-only) and closing. Appends and their group commit (leader/follower writes, fsync batching,
failure of the groups in flight) are `groupcommit.GroupCommit`'s, which it extends.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from sutra_stack.errors import FailedPrecondition, InvalidArgument, Unavailable
from sutra_stack.storage.wal import framing as fmt
from sutra_stack.storage.wal.fileops import FileOps, current
from sutra_stack.storage.wal.groupcommit import MAX_INFLIGHT_FSYNCS, GroupCommit
from sutra_stack.storage.wal.recovery import replay_segments
from sutra_stack.storage.wal.segments import SegmentFiles

log = logging.getLogger(__name__)

FSYNC_POLICIES = ("always", "everysec", "off")

__all__ = ["FSYNC_POLICIES", "MAX_INFLIGHT_FSYNCS", "WriteAheadLog"]


class WriteAheadLog(GroupCommit):
    """A segmented, checksummed, group-committed log of opaque payloads numbered by lsn."""

    def __init__(
        self,
        directory: Path,
        *,
        fsync: str = "always",
        segment_bytes: int = 64 * 1024 * 1024,
        file_ops: FileOps | None = None,
        guard: Callable[[], None] | None = None,
    ) -> None:
        """`guard`, if given, is called before a segment file is created or deleted and raises
        fileops.DirectoryLost when the directory is no longer the store's (see SegmentFiles)."""
        if fsync not in FSYNC_POLICIES:
            raise InvalidArgument(f"fsync must be one of {', '.join(FSYNC_POLICIES)}, got {fsync!r}", field="fsync")
        if segment_bytes < 4096:
            raise InvalidArgument(f"segment_bytes must be ≥ 4096, got {segment_bytes}", field="segment_bytes")
        directory = Path(directory)
        try:
            files = SegmentFiles(directory, file_ops or current(), fsync, segment_bytes, guard)
        except OSError as e:
            raise Unavailable(f"cannot open the write-ahead log in {directory}: "
                              f"{os.strerror(e.errno) if e.errno else e} ({e.filename or directory})") from e
        super().__init__(directory, fsync, files)
        self._stop = threading.Event()
        self._syncer: threading.Thread | None = None
        if fsync == "everysec":
            self._syncer = threading.Thread(target=self._sync_every_second, name="wal-everysec", daemon=True)
            self._syncer.start()

    # ----------------------------------------------------------------------------- properties
    @property
    def size_bytes(self) -> int:
        return self._files.total_bytes

    @property
    def segment_count(self) -> int:
        return len(self._files.segments)

    @property
    def read_only(self) -> bool:
        return self._files.read_only

    @property
    def directory(self) -> Path:
        return self._dir

    @property
    def fsync_policy(self) -> str:
        return self._policy

    # ----------------------------------------------------------------------------- reading
    def replay(self, after_lsn: int = 0) -> Iterator[tuple[int, bytes]]:
        """Yield (lsn, payload) for every record after `after_lsn`, in order.

        Raises DataLoss (file and offset) on corruption anywhere but a torn tail of the newest
        segment (already truncated, with a warning, when the log was opened). When the caller's
        snapshot is ahead of the log (after_lsn > last_lsn, e.g. fsync 'off' lost a tail), the
        log moves on to a new segment so that new records get lsns after the snapshot's.
        """
        if after_lsn < 0:
            raise InvalidArgument(f"after_lsn must be ≥ 0, got {after_lsn}", field="after_lsn")
        with self._files.lock:
            segments = list(self._files.segments)
            written = self._files.written_lsn
            sizes = {s.seq: s.size for s in segments}
        yield from replay_segments(segments, sizes, after_lsn, written)
        if after_lsn > written:
            log.warning("WAL %s ends at lsn %d but the snapshot covers lsn %d; new records start at lsn %d",
                        self._dir, written, after_lsn, after_lsn + 1)
            self._skip_to(after_lsn + 1)

    # ----------------------------------------------------------------------------- lifecycle
    def rotate(self) -> int:
        """Write what is pending, seal the current segment, open a new one; returns the last lsn written.

        A current segment without records is kept (rotating it would only add empty files)."""
        with self._cond:
            self._check_writable()
            self._quiesce()
            g = self._lead(rotate=True)
            if g.error is not None:
                raise g.error
            if self._files.read_only:
                raise self._files.read_only_error()
            return self._files.written_lsn

    def drop_through(self, lsn: int) -> None:
        """Delete whole segments whose records all have lsn ≤ `lsn` (never the current segment)."""
        with self._files.lock:
            self._files.drop_through(lsn)

    def resume_writes(self) -> str:
        """Return a log that turned read-only after a disk failure to writing: open a new segment at
        the next lsn. Returns the new segment's path ("" when the log was not read-only: nothing done).

        Nothing else is written (a half-made segment the failure could not remove is removed first;
        bytes of the failed write left in the old segment are skipped on replay, as after any
        failure). When that or the new segment fails, the log stays read-only and FailedPrecondition
        names the OS error.
        """
        with self._cond:
            if self._closed:
                raise FailedPrecondition(f"the write-ahead log in {self._dir} is closed")
            if not self._files.read_only:
                return ""
            self._quiesce()
            self._writing = True
        try:
            with self._files.lock:
                path = self._reopen_after_failure()
        finally:
            with self._cond:
                self._next_lsn = self._files.written_lsn + 1
                self._writing = False
                self._cond.notify_all()
        return path

    def _reopen_after_failure(self) -> str:
        """With the io lock held and nothing in flight: the work of `resume_writes`."""
        files, ops = self._files, self._files.ops
        cur = files.segments[-1] if files.segments else None
        try:
            if files.guard is not None:
                files.guard()
            if files._poisoned:  # the failure left a half-made next segment it could not remove
                leftover = self._dir / fmt.segment_name(cur.seq + 1 if cur is not None else 1)
                with contextlib.suppress(FileNotFoundError):
                    ops.unlink(leftover)
                ops.fsync_dir(self._dir)
                files._poisoned = False
            files.create(files.written_lsn + 1)
        except OSError as e:
            what = os.strerror(e.errno) if e.errno else str(e)
            where = e.filename or self._dir
            log.error("WAL in %s stays READ-ONLY: resuming writes failed: %s (%s)", self._dir, what, where)
            raise FailedPrecondition(f"cannot resume writes: {what} ({where}); the write-ahead log in {self._dir} "
                                     "stays read-only: free space or fix the disk, then try again") from None
        files.read_only = False
        files.read_only_reason = ""
        new = files.segments[-1]
        log.warning("WAL in %s accepts writes again: new segment %s starts at lsn %d", self._dir, new.path,
                    new.first_lsn)
        return str(new.path)

    def close(self) -> None:
        """Write what is pending, fsync, and close. Later appends raise FailedPrecondition."""
        with self._cond:
            if self._closed:
                return
            self._quiesce()
            if self._open_group.count and not self._files.read_only:
                self._lead(rotate=False)
                self._quiesce()
            self._closed = True
            self._cond.notify_all()
        self._stop.set()
        if self._syncer is not None:
            self._syncer.join(timeout=5)
        self._files.close()

    def __enter__(self) -> WriteAheadLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------------------- internals
    def _skip_to(self, first_lsn: int) -> None:
        """Continue the log at `first_lsn` (> last_lsn) in a new segment."""
        with self._cond:
            self._check_writable()
            self._quiesce()
            self._writing = True
        try:
            with self._files.lock:
                self._files.skip_to(first_lsn)
        finally:
            with self._cond:
                self._next_lsn = self._files.written_lsn + 1
                self._acked_lsn = self._files.written_lsn
                self._writing = False
                self._cond.notify_all()

    def _sync_every_second(self) -> None:
        while not self._stop.wait(1.0):
            self._files.sync_in_background()
            self.background_fsyncs += 1
