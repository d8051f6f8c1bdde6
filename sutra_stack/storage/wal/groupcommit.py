"""Group commit of the write-ahead log: appends, the leader/follower write and fsync batching, and
what a failed write or fsync does to the groups in flight. `log.WriteAheadLog` builds on it with
the log's lifecycle (open, replay, rotate, drop, resume, close).

Group commit: appenders queue their encoded records into the open group under a mutex; the
first one that finds no write in progress becomes the leader, takes the whole group, writes it
with one `write` and makes it durable with one `fsync`, then wakes everybody. Appends that
arrive meanwhile form the next group, whose leader may write and start its fsync while the
previous fsync is still running (at most MAX_INFLIGHT_FSYNCS at once); groups are acknowledged
strictly in lsn order.

Failure (fsyncgate): a failed write or fsync is never retried on the same file. Every append
of the failing group, of the groups written after it and of those queued raises; the
unacknowledged bytes are truncated away if possible; the log continues in a new segment
starting at the first failed lsn, or, if that fails too, turns read-only, and logs which.
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path

from sutra_stack.errors import FailedPrecondition, InvalidArgument
from sutra_stack.limits import MAX_WAL_RECORD_BYTES
from sutra_stack.storage.wal import framing as fmt
from sutra_stack.storage.wal.segments import SegmentFiles

# Group fsyncs running at once under fsync 'always'. With 2 the next group is written and its
# fsync started while the previous one is still on the disk (the kernel merges them), and groups
# stay large (measured by bench/bench_wal.py: 1 → 0.22 fsync/append but 4× slower on a busy
# disk; 2 → 0.33 fsync/append at the bare 8-thread write+fsync rate; 8 → 0.68, no faster).
MAX_INFLIGHT_FSYNCS = 2


class _Group:
    """Records that share one write (and one fsync)."""

    __slots__ = ("chunks", "count", "nbytes", "first_lsn", "start", "synced", "done", "error")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.count = 0
        self.nbytes = 0
        self.first_lsn = 0
        self.start = 0  # offset of its first byte in the segment (pipelined groups)
        self.synced = False  # its own fsync returned OK
        self.done = False
        self.error: Exception | None = None


_new_group = _Group


class GroupCommit:
    """Appends to the segment files of one directory, group-committed under fsync `policy`."""

    def __init__(self, directory: Path, policy: str, files: SegmentFiles) -> None:
        self._dir = directory
        self._policy = policy
        self._files = files
        self._lock = threading.Lock()  # the queue of appends; never held across I/O
        self._cond = threading.Condition(self._lock)
        self._open_group = _new_group()
        self._writing = False  # a leader is writing a group (one at a time, in lsn order)
        self._inflight: deque[_Group] = deque()  # written, fsync running; acknowledged in this order
        self._failing = False  # a failure is being handled: no new leader
        self._doomed = 0  # failures seen but not yet handled: no new leader either
        self._exclusive = 0  # rotate/close/skip waiting for quiet: no new leader, so they get it
        self._closed = False
        self._next_lsn = files.written_lsn + 1
        self._acked_lsn = files.written_lsn
        # Running totals for metrics: groups committed (one write, one fsync under 'always'), the
        # records in them (records / groups is the group-commit size), background fsyncs.
        self.groups_committed = 0
        self.records_committed = 0
        self.background_fsyncs = 0

    def counters(self) -> dict[str, int]:
        """Running totals for metrics; under fsync 'always' each committed group took one fsync."""
        fsyncs = self.groups_committed if self._policy == "always" else self.background_fsyncs
        return {"wal_group_commits_total": self.groups_committed, "wal_records_total": self.records_committed,
                "wal_fsyncs_total": fsyncs}

    @property
    def last_lsn(self) -> int:
        """The last lsn acknowledged (under fsync 'always': durable); records after it are in flight."""
        return self._acked_lsn

    # ----------------------------------------------------------------------------- appending
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
            self._wait_or_lead(g)
        return lsn - 1

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

    def _quiesce(self) -> None:
        """With the mutex held: wait until nothing is being written, synced or failed."""
        self._exclusive += 1
        try:
            while self._writing or self._inflight or self._failing:
                self._cond.wait()
        finally:
            self._exclusive -= 1

    def _can_lead(self, g: _Group) -> bool:
        if (self._writing or self._failing or self._doomed or self._exclusive
                or len(self._inflight) >= MAX_INFLIGHT_FSYNCS):
            return False
        # a rollover closes the segment: only once every fsync running on it has reported
        return not self._inflight or not self._files.needs_rollover(g.nbytes)

    def _wait_or_lead(self, g: _Group) -> None:
        """Called with the mutex held: wait until `g` is durable, leading its write if nobody is."""
        while not g.done:
            if g is self._open_group and self._can_lead(g):
                self._lead(rotate=False)
            else:
                self._cond.wait()
        if g.error is not None:
            raise g.error

    def _lead(self, *, rotate: bool) -> _Group:
        """Called with the mutex held: write the open group; fsync it (and rotate) as the policy says.

        Under fsync 'always' the fsync runs with no lock held, so the next leader can write and
        start its own fsync meanwhile (the kernel merges concurrent fsyncs); groups are still
        acknowledged strictly in lsn order, and a failure fails every group written after it.
        """
        g = self._open_group
        g.first_lsn = self._next_lsn - g.count
        self._open_group = _new_group()
        self._writing = True
        files = self._files
        pipelined = (self._policy == "always" and g.count > 0 and not rotate and not files.read_only
                     and files.fd is not None and not files.needs_rollover(g.nbytes))
        data = b"".join(g.chunks)
        err: Exception | None = None
        fd = -1
        self._lock.release()
        try:
            with files.lock:
                if not pipelined:
                    err = files.write(data, g.first_lsn, g.count, rotate)
                else:
                    try:
                        fd, g.start = files.write_unsynced(data, g.first_lsn, g.count)
                    except OSError as e:
                        g.start = files.segments[-1].size
                        err = e
        finally:
            self._lock.acquire()
        self._writing = False
        if not pipelined:
            self._finish(g, err)
            return g
        self._inflight.append(g)
        if err is not None:
            self._doomed += 1
        self._cond.notify_all()  # the next leader may write now
        if err is None:
            self._lock.release()
            try:
                files.ops.fsync(fd)
            except OSError as e:
                err = e
            finally:
                with files.lock:
                    files.unpin()
                self._lock.acquire()
            if err is not None:
                self._doomed += 1
        if err is not None:
            try:
                self._fail_from(g, err if isinstance(err, OSError) else OSError(5, str(err)))
            finally:
                self._doomed -= 1
                self._cond.notify_all()
        elif not g.done:
            g.synced = True
            while self._inflight and self._inflight[0].synced:
                done = self._inflight.popleft()
                done.done = True
                self._acked_lsn = done.first_lsn + done.count - 1
                self.groups_committed += 1
                self.records_committed += done.count
            self._cond.notify_all()
        return g

    def _finish(self, g: _Group, err: Exception | None) -> None:
        """A group written (and fsynced) with the io lock held: done, or failed with what follows it.

        When the group itself reached the log and only the rotation after it failed, the group
        stands (its lsns are not reused); the log has moved to a new segment or turned read-only.
        """
        if err is not None and g.count and self._files.written_lsn < g.first_lsn + g.count - 1:
            g.error = err
            queued = self._open_group
            if queued.count:
                queued.error = err
                queued.done = True
                self._open_group = _new_group()
            self._next_lsn = g.first_lsn
        elif g.count:
            self._acked_lsn = g.first_lsn + g.count - 1
            self.groups_committed += 1
            self.records_committed += g.count
        g.done = True
        self._cond.notify_all()

    def _fail_from(self, g: _Group, err: OSError) -> None:
        """With the mutex held: `g`'s write or fsync failed. Once every earlier group has its outcome,
        fail `g`, every group written after it and the queued one; the log moves on (or turns read-only)."""
        while not g.done and (self._failing or self._writing or not self._inflight or self._inflight[0] is not g):
            self._cond.wait()
        if g.done:  # an earlier group failed first and took this one with it
            return
        self._failing = True
        failed = list(self._inflight)
        self._inflight.clear()
        queued = self._open_group
        if queued.count:
            failed.append(queued)
        self._open_group = _new_group()
        self._next_lsn = g.first_lsn
        self._lock.release()
        try:
            with self._files.lock:
                reported = self._files.fail_from(err, g.first_lsn, g.start)
        finally:
            self._lock.acquire()
        for x in failed:
            x.error = reported
            x.done = True
        self._failing = False
        self._cond.notify_all()
