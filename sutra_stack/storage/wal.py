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

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sutra_stack.errors import FailedPrecondition, InvalidArgument
from sutra_stack.limits import MAX_WAL_RECORD_BYTES
from sutra_stack.storage import wal_format as fmt
from sutra_stack.storage.wal_io import DEFAULT_FILE_OPS, FileOps
from sutra_stack.storage.wal_recovery import replay_segments
from sutra_stack.storage.wal_segments import SegmentFiles

log = logging.getLogger(__name__)

FSYNC_POLICIES = ("always", "everysec", "off")


@dataclass(eq=False)
class _Group:
    """Records that share one write (and one fsync)."""

    chunks: list[bytes]
    count: int = 0
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
        self._policy = fsync
        self._lock = threading.Lock()  # the queue of appends; never held across I/O
        self._cond = threading.Condition(self._lock)
        self._open_group = _new_group()
        self._flushing = False
        self._closed = False
        self._files = SegmentFiles(self._dir, file_ops or DEFAULT_FILE_OPS, fsync, segment_bytes)
        self._next_lsn = self._files.written_lsn + 1
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
    def last_lsn(self) -> int:
        """The last lsn written to the log (durable under fsync 'always')."""
        return self._files.written_lsn

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
                lsn += 1
            g.count += len(payloads)
            self._next_lsn = lsn
            self._wait_or_lead(g)
        return lsn - 1

    def rotate(self) -> int:
        """Write what is pending, seal the current segment, open a new one; returns the last lsn written.

        A current segment without records is kept (rotating it would only add empty files)."""
        with self._cond:
            self._check_writable()
            while self._flushing:
                self._cond.wait()
            g = self._lead(rotate=True)
            if g.error is not None:
                raise g.error
            return self._files.written_lsn

    def drop_through(self, lsn: int) -> None:
        """Delete whole segments whose records all have lsn ≤ `lsn` (never the current segment)."""
        with self._files.lock:
            self._files.drop_through(lsn)

    def close(self) -> None:
        """Write what is pending, fsync, and close. Later appends raise FailedPrecondition."""
        with self._cond:
            if self._closed:
                return
            while self._flushing:
                self._cond.wait()
            if self._open_group.count and not self._files.read_only:
                self._lead(rotate=False)
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
        if self._files.read_only:
            raise self._files.read_only_error()

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
            with self._files.lock:
                err = self._files.write(b"".join(g.chunks), g.first_lsn, g.count, rotate)
        finally:
            self._lock.acquire()
        if err is not None:
            # every lsn from g.first_lsn on failed: the queued group too; they are reused
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

    def _skip_to(self, first_lsn: int) -> None:
        """Continue the log at `first_lsn` (> last_lsn) in a new segment."""
        with self._cond:
            self._check_writable()
            while self._flushing:
                self._cond.wait()
            self._flushing = True
        try:
            with self._files.lock:
                self._files.skip_to(first_lsn)
        finally:
            with self._cond:
                self._next_lsn = self._files.written_lsn + 1
                self._flushing = False
                self._cond.notify_all()

    def _sync_every_second(self) -> None:
        while not self._stop.wait(1.0):
            self._files.sync_in_background()
