"""The write-ahead log: every mutation is framed, checksummed and made durable before it is acknowledged.

Owns the segment files of one directory (`wal-<seq>.log`, format in `wal_format`), group
commit, the fsync policy, recovery of a torn tail, and what happens when the disk fails.

Group commit: appenders queue their encoded records into the open group under a mutex; the
first one that finds no flush in progress becomes the leader, takes the whole group, writes it
with one `write` and makes it durable with one `fsync`, then wakes everybody. Appends that
arrive meanwhile form the next group.

Failure (fsyncgate): a failed write or fsync is never retried on the same file. Every append
of the failing group (and those queued behind it) raises; the unacknowledged bytes are
truncated away if possible; the log continues in a new segment starting at the first failed
lsn, or, if that fails too, turns read-only. Either way it logs which happened.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sutra_stack.errors import FailedPrecondition, InvalidArgument, Unavailable
from sutra_stack.limits import MAX_WAL_RECORD_BYTES
from sutra_stack.storage import wal_format as fmt
from sutra_stack.storage.wal_io import DEFAULT_FILE_OPS, FileOps
from sutra_stack.storage.wal_recovery import Segment, list_segments, recover_newest, replay_segments

log = logging.getLogger(__name__)

FSYNC_POLICIES = ("always", "everysec", "off")


@dataclass(eq=False)
class _Group:
    """Records that share one write (and one fsync)."""

    chunks: list[bytes]
    count: int = 0
    nbytes: int = 0
    first_lsn: int = 0
    done: bool = False
    error: Exception | None = None


def _new_group() -> _Group:
    return _Group(chunks=[])


class WriteAheadLog:
    """A segmented, checksummed, group-committed log of opaque payloads numbered by lsn."""

    def __init__(
        self,
        directory: Path,
        *,
        fsync: str = "always",
        segment_bytes: int = 64 * 1024 * 1024,
        file_ops: FileOps | None = None,
    ) -> None:
        if fsync not in FSYNC_POLICIES:
            raise InvalidArgument(f"fsync must be one of {', '.join(FSYNC_POLICIES)}, got {fsync!r}", field="fsync")
        if segment_bytes < 4096:
            raise InvalidArgument(f"segment_bytes must be ≥ 4096, got {segment_bytes}", field="segment_bytes")
        self._dir = Path(directory)
        self._ops = file_ops or DEFAULT_FILE_OPS
        self._policy = fsync
        self._segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._io_lock = threading.Lock()  # serialises every write/fsync/segment change
        self._open_group = _new_group()
        self._flushing = False
        self._closed = False
        self._read_only = False
        self._read_only_reason = ""
        self._poisoned = False  # a half-created segment could not be removed: do not create more
        self._fd: int | None = None
        self._dirty = False  # written since the last fsync (everysec/off)

        self._ops.mkdir(self._dir)
        self._segments: list[Segment] = list_segments(self._dir, self._ops)
        last = recover_newest(self._segments, self._ops) if self._segments else 0
        self._written_lsn = last
        self._next_lsn = last + 1
        if self._segments:
            cur = self._segments[-1]
            self._fd = self._ops.open(cur.path, os.O_WRONLY | os.O_APPEND)
        else:
            self._create_segment(1)
        self._total_bytes = sum(s.size for s in self._segments)

        self._stop = threading.Event()
        self._syncer: threading.Thread | None = None
        if fsync == "everysec":
            self._syncer = threading.Thread(target=self._sync_every_second, name="wal-everysec", daemon=True)
            self._syncer.start()

    # ----------------------------------------------------------------------------- properties
    @property
    def size_bytes(self) -> int:
        return self._total_bytes

    @property
    def segment_count(self) -> int:
        return len(self._segments)

    @property
    def last_lsn(self) -> int:
        """The last lsn written to the log (durable under fsync 'always')."""
        return self._written_lsn

    @property
    def read_only(self) -> bool:
        return self._read_only

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
        segments = list(self._segments)
        written = self._written_lsn
        sizes = {s.seq: s.size for s in segments}
        yield from replay_segments(segments, sizes, after_lsn, written)
        if after_lsn > written:
            log.warning("WAL %s ends at lsn %d but the snapshot covers lsn %d; new records start at lsn %d",
                        self._dir, written, after_lsn, after_lsn + 1)
            self._skip_to(after_lsn + 1)

    # ----------------------------------------------------------------------------- writing
    def append(self, payload: bytes) -> int:
        """Append one record; returns its lsn once durable per the fsync policy. Thread-safe."""
        self._check_payload(payload, "payload")
        pcrc = fmt.payload_crc(payload)
        with self._cond:
            self._check_writable()
            g = self._open_group
            lsn = self._next_lsn
            self._next_lsn += 1
            g.chunks += (fmt.record_header(lsn, payload, pcrc), payload)
            g.count += 1
            g.nbytes += fmt.RECORD_HEADER.size + len(payload)
            self._wait_or_lead(g)
        return lsn

    def append_many(self, payloads: list[bytes]) -> int:
        """Append a batch with consecutive lsns in one durable write; returns the last lsn."""
        if not payloads:
            raise InvalidArgument("append_many needs at least one payload", field="payloads")
        crcs = []
        for i, p in enumerate(payloads):
            self._check_payload(p, f"payloads[{i}]")
            crcs.append(fmt.payload_crc(p))
        with self._cond:
            self._check_writable()
            g = self._open_group
            lsn = self._next_lsn
            chunks = g.chunks
            for p, c in zip(payloads, crcs, strict=True):
                chunks += (fmt.record_header(lsn, p, c), p)
                g.nbytes += len(p)
                lsn += 1
            g.count += len(payloads)
            g.nbytes += fmt.RECORD_HEADER.size * len(payloads)
            self._next_lsn = lsn
            last = lsn - 1
            self._wait_or_lead(g)
        return last

    def rotate(self) -> int:
        """Write what is pending, seal the current segment, open a new one; returns the last lsn written."""
        with self._cond:
            self._check_writable()
            while self._flushing:
                self._cond.wait()
            g = self._lead(rotate=True)
            if g.error is not None:
                raise g.error
            return self._written_lsn

    def drop_through(self, lsn: int) -> None:
        """Delete whole segments whose records all have lsn ≤ `lsn` (never the current segment)."""
        removed = 0
        with self._io_lock:
            while len(self._segments) > 1 and self._segments[1].first_lsn - 1 <= lsn:
                seg = self._segments[0]
                try:
                    self._ops.unlink(seg.path)
                except FileNotFoundError:
                    pass
                except OSError as e:
                    log.error("could not delete WAL segment %s: %s; it stays and is skipped on replay", seg.path, e)
                    break
                self._segments.pop(0)
                self._total_bytes -= seg.size
                removed += 1
            if removed:
                try:
                    self._ops.fsync_dir(self._dir)
                except OSError as e:
                    log.error("fsync of WAL directory %s failed after deleting segments: %s", self._dir, e)

    def close(self) -> None:
        """Write what is pending, fsync, and close. Later appends raise FailedPrecondition."""
        with self._cond:
            if self._closed:
                return
            while self._flushing:
                self._cond.wait()
            if self._open_group.count and not self._read_only:
                self._lead(rotate=False)
            self._closed = True
            self._cond.notify_all()
        self._stop.set()
        if self._syncer is not None:
            self._syncer.join(timeout=5)
        with self._io_lock:
            if self._fd is not None:
                try:
                    if self._dirty:
                        self._ops.fsync(self._fd)
                except OSError as e:
                    log.error("final fsync of WAL segment %s failed: %s", self._segments[-1].path, e)
                with contextlib.suppress(OSError):
                    self._ops.close(self._fd)
                self._fd = None

    def __enter__(self) -> WriteAheadLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------------------- internals
    @staticmethod
    def _check_payload(payload: bytes, field: str) -> None:
        if not isinstance(payload, (bytes, bytearray)):
            raise InvalidArgument(f"{field} must be bytes, got {type(payload).__name__}", field=field)
        if len(payload) > MAX_WAL_RECORD_BYTES:
            raise InvalidArgument(
                f"{field} is {len(payload)} bytes, over the limit MAX_WAL_RECORD_BYTES={MAX_WAL_RECORD_BYTES}",
                field=field,
            )

    def _check_writable(self) -> None:
        if self._closed:
            raise FailedPrecondition(f"the write-ahead log in {self._dir} is closed")
        if self._read_only:
            raise FailedPrecondition(
                f"the write-ahead log in {self._dir} is read-only: {self._read_only_reason}; "
                "fix the disk and restart to accept writes again"
            )

    def _wait_or_lead(self, g: _Group) -> None:
        """Called with the mutex held: wait until `g` is flushed, leading the flush if nobody is."""
        while not g.done:
            if not self._flushing:
                self._lead(rotate=False)
            else:
                self._cond.wait()
        if g.error is not None:
            raise g.error

    def _lead(self, *, rotate: bool) -> _Group:
        """Called with the mutex held and no flush running: flush the open group (and rotate)."""
        g = self._open_group
        g.first_lsn = self._next_lsn - g.count
        self._open_group = _new_group()
        self._flushing = True
        self._lock.release()
        try:
            with self._io_lock:
                err = self._write_group(g, rotate)
        finally:
            self._lock.acquire()
        if err is not None:
            g.error = err
            queued = self._open_group
            if queued.count:
                queued.error = err
                queued.done = True
                self._open_group = _new_group()
            self._next_lsn = g.first_lsn
        g.done = True
        self._flushing = False
        self._cond.notify_all()
        return g

    def _write_group(self, g: _Group, rotate: bool) -> Exception | None:
        """Called with the io lock held: one write (+ one fsync) for the group. Returns the error to raise."""
        if self._read_only or self._fd is None:
            return FailedPrecondition(f"the write-ahead log in {self._dir} is read-only: {self._read_only_reason}")
        cur = self._segments[-1]
        try:
            if g.count and cur.size > fmt.HEADER_SIZE and cur.size + g.nbytes > self._segment_bytes:
                self._seal_and_open(g.first_lsn)
                cur = self._segments[-1]
            if g.count:
                self._ops.write_all(self._fd, b"".join(g.chunks))
                self._dirty = True
                if self._policy == "always":
                    self._ops.fsync(self._fd)
                    self._dirty = False
                cur.size += g.nbytes
                self._total_bytes += g.nbytes
                self._written_lsn = g.first_lsn + g.count - 1
            if rotate:
                self._seal_and_open(self._written_lsn + 1)
        except OSError as e:
            return self._fail(e)
        return None

    def _seal_and_open(self, first_lsn: int) -> None:
        assert self._fd is not None
        if self._dirty:
            self._ops.fsync(self._fd)
            self._dirty = False
        fd, self._fd = self._fd, None
        self._ops.close(fd)
        self._create_segment(first_lsn)

    def _create_segment(self, first_lsn: int) -> None:
        seq = self._segments[-1].seq + 1 if self._segments else 1
        path = self._dir / fmt.segment_name(seq)
        fd = self._ops.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND)
        try:
            self._ops.write_all(fd, fmt.encode_header(first_lsn))
            self._ops.fsync(fd)
            self._ops.fsync_dir(self._dir)
        except OSError:
            with contextlib.suppress(OSError):
                self._ops.close(fd)
            try:
                self._ops.unlink(path)
                self._ops.fsync_dir(self._dir)
            except OSError:
                self._poisoned = True  # a half-made segment in the middle would read as corruption
            raise
        self._segments.append(Segment(seq=seq, path=path, first_lsn=first_lsn, size=fmt.HEADER_SIZE))
        self._total_bytes = getattr(self, "_total_bytes", 0) + fmt.HEADER_SIZE
        self._fd = fd

    def _fail(self, e: OSError) -> Exception:
        """A write or fsync failed: never retry on this file. Move to a new segment or turn read-only."""
        cur = self._segments[-1]
        what = os.strerror(e.errno) if e.errno else str(e)
        log.error("WAL write/fsync failed on %s (%s); the pending writes fail and are not acknowledged",
                  cur.path, what)
        if self._fd is not None:
            with contextlib.suppress(OSError):  # drop the unacknowledged bytes (best effort)
                self._ops.ftruncate(self._fd, cur.size)
            with contextlib.suppress(OSError):
                self._ops.close(self._fd)
            self._fd = None
        self._dirty = False
        restart = self._written_lsn + 1
        if not self._poisoned:
            try:
                self._create_segment(restart)
                log.warning("WAL moved to a new segment %s starting at lsn %d after the failure on %s",
                            self._segments[-1].path, restart, cur.path)
                return Unavailable(f"the write was not stored: {what} on WAL segment {cur.path}; "
                                   "the log moved to a new segment, retry the write")
            except OSError as e2:
                what = f"{what}, then {os.strerror(e2.errno) if e2.errno else e2} creating a new segment"
        self._read_only = True
        self._read_only_reason = f"{what} on {cur.path}"
        log.error("WAL in %s turned READ-ONLY: %s", self._dir, self._read_only_reason)
        return FailedPrecondition(f"the write was not stored and the write-ahead log in {self._dir} is now "
                                  f"read-only: {self._read_only_reason}")

    def _skip_to(self, first_lsn: int) -> None:
        """Continue the log at `first_lsn` (> last_lsn) in a new segment."""
        with self._cond:
            self._check_writable()
            while self._flushing:
                self._cond.wait()
            self._flushing = True
        try:
            with self._io_lock:
                self._written_lsn = first_lsn - 1
                try:
                    self._seal_and_open(first_lsn)
                except OSError as e:
                    self._fail(e)
        finally:
            with self._cond:
                self._next_lsn = self._written_lsn + 1
                self._flushing = False
                self._cond.notify_all()

    def _sync_every_second(self) -> None:
        while not self._stop.wait(1.0):
            with self._io_lock:
                if self._fd is None or not self._dirty:
                    continue
                try:
                    self._ops.fsync(self._fd)
                    self._dirty = False
                except OSError as e:
                    log.error("background fsync (everysec) failed: records up to lsn %d may not be on disk",
                              self._written_lsn)
                    self._fail(e)

