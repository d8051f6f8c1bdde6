"""The segment files of a write-ahead log: the open segment, rollover, fsyncs, and failure.

`SegmentFiles` owns the file descriptors and the list of segments; every method that changes
them is called with its `lock` held (the group-commit leader, rotate, drop, close, and the
everysec thread take it). Failure handling (fsyncgate): a failed write or fsync is never
retried on the same file; the unacknowledged bytes are truncated away if possible and the log
continues in a new segment, or — if that fails too — turns read-only. An optional `guard`
(called before a segment is created or deleted, raising DirectoryLost) stops the log from creating
or deleting files in a directory that is no longer its own: the log turns read-only instead.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from sutra_stack.errors import FailedPrecondition, Unavailable
from sutra_stack.storage.wal import framing as fmt
from sutra_stack.storage.wal.fileops import DirectoryLost, FileOps
from sutra_stack.storage.wal.recovery import Segment, list_segments, recover_newest

log = logging.getLogger("sutra_stack.storage.wal")


class SegmentFiles:
    def __init__(self, directory: Path, ops: FileOps, policy: str, segment_bytes: int,
                 guard: Callable[[], None] | None = None) -> None:
        self.dir = directory
        self.guard = guard
        self.ops = ops
        self.policy = policy
        self.segment_bytes = segment_bytes
        self.lock = threading.Lock()
        self._cond = threading.Condition(self.lock)
        self._pins = 0  # fsyncs of the current fd running outside the lock; it stays open meanwhile
        self.read_only = False
        self.read_only_reason = ""
        self._poisoned = False  # a half-made segment could not be removed: make no more
        self.fd: int | None = None
        self.dirty = False  # written since the last fsync (everysec / off)
        self.total_bytes = 0

        ops.mkdir(directory)
        self.segments: list[Segment] = list_segments(directory, ops)
        self.written_lsn = recover_newest(self.segments, ops) if self.segments else 0
        if self.segments:
            self.fd = ops.open(self.segments[-1].path, os.O_WRONLY | os.O_APPEND)
        else:
            self.create(1)
        self.total_bytes = sum(s.size for s in self.segments)

    def read_only_error(self) -> FailedPrecondition:
        return FailedPrecondition(f"the write-ahead log in {self.dir} is read-only: {self.read_only_reason}; "
                                  "free space or fix the disk, then run `sutra storage resume-writes` (or restart)")

    # --- writing ---------------------------------------------------------------------------
    def write(self, data: bytes, first_lsn: int, count: int, rotate: bool) -> Exception | None:
        """One write (+ one fsync under 'always') of `count` records; None, or the error to raise."""
        if self.read_only or self.fd is None:
            return self.read_only_error()
        cur = self.segments[-1]
        try:
            if count and cur.size > fmt.HEADER_SIZE and cur.size + len(data) > self.segment_bytes:
                self.seal_and_open(first_lsn)
                cur = self.segments[-1]
            if count:
                self.ops.write_all(self.fd, data)
                self.dirty = True
                if self.policy == "always":
                    self.ops.fsync(self.fd)
                    self.dirty = False
                cur.size += len(data)
                self.total_bytes += len(data)
                self.written_lsn = first_lsn + count - 1
            if rotate and self.segments[-1].size > fmt.HEADER_SIZE:  # an empty segment is as good as new
                self.seal_and_open(self.written_lsn + 1)
        except OSError as e:
            return self.fail(e)
        except Exception as e:  # noqa: BLE001 - whatever it was, these records are not durable
            return self.fail(OSError(errno.EIO, f"{type(e).__name__}: {e}"))
        return None

    def needs_rollover(self, nbytes: int) -> bool:
        cur = self.segments[-1]
        return cur.size > fmt.HEADER_SIZE and cur.size + nbytes > self.segment_bytes

    def write_unsynced(self, data: bytes, first_lsn: int, count: int) -> tuple[int, int]:
        """Write without fsync or rollover; returns (fd, start offset) with the fd pinned open until
        `unpin()`. Raises OSError untouched: the caller fails the group (`fail_from`) once every
        group written before it has its outcome."""
        assert self.fd is not None and not self.needs_rollover(len(data))
        cur = self.segments[-1]
        start = cur.size
        self.ops.write_all(self.fd, data)
        cur.size += len(data)
        self.total_bytes += len(data)
        self.written_lsn = first_lsn + count - 1
        self._pins += 1
        return self.fd, start

    def unpin(self) -> None:
        self._pins -= 1
        self._cond.notify_all()

    def _wait_background_sync(self) -> None:
        while self._pins:
            self._cond.wait()

    def seal_and_open(self, first_lsn: int) -> None:
        """fsync and close the current segment, start a new one whose first record is `first_lsn`."""
        self._wait_background_sync()
        if self.fd is None:  # a background fsync failed meanwhile and the log turned read-only
            raise OSError(errno.EIO, "the log turned read-only")
        if self.dirty:
            self.ops.fsync(self.fd)
            self.dirty = False
        fd, self.fd = self.fd, None
        self.ops.close(fd)
        self.create(first_lsn)

    def create(self, first_lsn: int) -> None:
        seq = self.segments[-1].seq + 1 if self.segments else 1
        path = self.dir / fmt.segment_name(seq)
        if self.guard is not None:
            self.guard()
        fd = self.ops.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND)
        try:
            self.ops.write_all(fd, fmt.encode_header(first_lsn))
            self.ops.fsync(fd)
            self.ops.fsync_dir(self.dir)
        except OSError:
            with contextlib.suppress(OSError):
                self.ops.close(fd)
            try:
                self.ops.unlink(path)
                self.ops.fsync_dir(self.dir)
            except OSError:
                self._poisoned = True  # a half-made segment in the middle would read as corruption
            raise
        self.segments.append(Segment(seq=seq, path=path, first_lsn=first_lsn, size=fmt.HEADER_SIZE))
        self.total_bytes += fmt.HEADER_SIZE
        self.fd = fd

    def fail_from(self, e: OSError, first_lsn: int, offset: int) -> Exception:
        """Records from `first_lsn` on (starting at `offset` of the current segment) failed."""
        if self.read_only:
            return self.read_only_error()
        self._wait_background_sync()
        cur = self.segments[-1]
        self.total_bytes -= cur.size - offset
        cur.size = offset
        self.written_lsn = first_lsn - 1
        return self.fail(e)

    def fail(self, e: OSError) -> Exception:
        """A write or fsync failed: never retry on this file. Move to a new segment or turn read-only."""
        if self.read_only:
            return self.read_only_error()
        cur = self.segments[-1]
        what = os.strerror(e.errno) if e.errno else str(e)
        log.error("WAL write/fsync failed on %s (%s); the pending writes fail and are not acknowledged",
                  cur.path, what)
        self._wait_background_sync()
        if self.fd is not None:
            with contextlib.suppress(OSError):  # drop the unacknowledged bytes (best effort)
                self.ops.ftruncate(self.fd, cur.size)
            with contextlib.suppress(OSError):
                self.ops.close(self.fd)
            self.fd = None
        self.dirty = False
        restart = self.written_lsn + 1
        if not self._poisoned and not isinstance(e, DirectoryLost):
            try:
                self.create(restart)
                log.warning("WAL moved to a new segment %s starting at lsn %d after the failure on %s",
                            self.segments[-1].path, restart, cur.path)
                return Unavailable(f"the write was not stored: {what} on WAL segment {cur.path}; "
                                   "the log moved to a new segment, retry the write")
            except OSError as e2:
                what = f"{what}, then {os.strerror(e2.errno) if e2.errno else e2} creating a new segment"
        self.read_only = True
        self.read_only_reason = f"{what} on {cur.path}"
        log.error("WAL in %s turned READ-ONLY: %s", self.dir, self.read_only_reason)
        return FailedPrecondition(f"the write was not stored and the write-ahead log in {self.dir} is now "
                                  f"read-only: {self.read_only_reason}")

    def skip_to(self, first_lsn: int) -> None:
        """Continue at `first_lsn` (> written_lsn) in a new segment (a snapshot is ahead of the log)."""
        self.written_lsn = first_lsn - 1
        try:
            self.seal_and_open(first_lsn)
        except OSError as e:
            self.fail(e)

    # --- maintenance -----------------------------------------------------------------------
    def drop_through(self, lsn: int) -> None:
        removed = 0
        if self.guard is not None and len(self.segments) > 1 and self.segments[1].first_lsn - 1 <= lsn:
            try:
                self.guard()
            except DirectoryLost as e:
                log.error("WAL segments not deleted: %s", e)
                return
        while len(self.segments) > 1 and self.segments[1].first_lsn - 1 <= lsn:
            seg = self.segments[0]
            try:
                self.ops.unlink(seg.path)
            except FileNotFoundError:
                pass
            except OSError as e:
                log.error("could not delete WAL segment %s: %s; it stays and is skipped on replay", seg.path, e)
                break
            self.segments.pop(0)
            self.total_bytes -= seg.size
            removed += 1
        if removed:
            try:
                self.ops.fsync_dir(self.dir)
            except OSError as e:
                log.error("fsync of WAL directory %s failed after deleting segments: %s", self.dir, e)

    def sync_in_background(self) -> None:
        """fsync=everysec: one fsync, made outside the lock so that writers keep going."""
        with self.lock:
            fd = self.fd
            if fd is None or not self.dirty:
                return
            self.dirty = False
            self._pins += 1
        err: OSError | None = None
        try:
            self.ops.fsync(fd)
        except OSError as e:
            err = e
        with self.lock:
            self.unpin()
            if err is not None and fd == self.fd:
                log.error("background fsync (everysec) failed: records up to lsn %d may not be on disk",
                          self.written_lsn)
                self.fail(err)

    def close(self) -> None:
        with self.lock:
            self._wait_background_sync()
            if self.fd is None:
                return
            try:
                if self.dirty:
                    self.ops.fsync(self.fd)
            except OSError as e:
                log.error("final fsync of WAL segment %s failed: %s", self.segments[-1].path, e)
            with contextlib.suppress(OSError):
                self.ops.close(self.fd)
            self.fd = None
