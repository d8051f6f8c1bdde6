"""File-operation layers for durability tests, substituted at the OS boundary (like SQLite's VFS).

- `CountingOps`: real operations, counting fsyncs, optionally slowed like a real disk.
- `FaultyOps`: real operations, with armed failures (EIO, ENOSPC, ...) from write or fsync.
- `RecordingOps` + `power_cut`: record every write, truncate, fsync, create, unlink and
  directory fsync, then rebuild the directory as a power cut after event k would leave it:
  only bytes covered by an fsync of their file, only names covered by an fsync of their
  directory (optionally plus a prefix of the later directory changes and a torn prefix of
  the unsynced bytes).
"""

from __future__ import annotations

import errno
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sutra_stack.storage.wal_io import FILE_MODE, FileOps


class CountingOps(FileOps):
    def __init__(self, fsync_delay: float = 0.0) -> None:
        self.fsyncs = 0
        self.writes = 0
        self.fsync_delay = fsync_delay
        self.running = 0
        self.max_running = 0  # most fsyncs in progress at once
        self._lock = threading.Lock()

    def write(self, fd: int, data: bytes | memoryview) -> int:
        with self._lock:
            self.writes += 1
        return super().write(fd, data)

    def fsync(self, fd: int) -> None:
        with self._lock:
            self.fsyncs += 1
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            if self.fsync_delay:
                time.sleep(self.fsync_delay)
            super().fsync(fd)
        finally:
            with self._lock:
                self.running -= 1


@dataclass
class _Armed:
    op: str
    err: int
    times: int
    partial: bool
    skip: int = 0  # calls let through before the failures start


class FaultyOps(FileOps):
    """Fails the next `times` calls of an operation with `err` (a partial write first, if asked).

    Operations: create (an open that may create), write, fsync, fsync_dir, ftruncate, unlink,
    rename. With `only`, just the calls on paths it accepts count (a file's path is the one it
    was opened with; fsync_dir's is the directory's)."""

    def __init__(self, only: Callable[[Path], bool] | None = None) -> None:
        self.armed: list[_Armed] = []
        self.failures = 0
        self.lock = threading.Lock()
        self.only = only
        self._paths: dict[int, Path] = {}

    def arm(self, op: str, err: int = errno.EIO, times: int = 1, partial: bool = False, skip: int = 0) -> None:
        with self.lock:
            self.armed.append(_Armed(op, err, times, partial, skip))

    def disarm(self) -> None:
        with self.lock:
            self.armed.clear()

    def _take(self, op: str, path: Path | None = None) -> _Armed | None:
        if self.only is not None and (path is None or not self.only(Path(path))):
            return None
        with self.lock:
            for a in self.armed:
                if a.op == op and a.times > 0:
                    if a.skip > 0:
                        a.skip -= 1
                        return None
                    a.times -= 1
                    self.failures += 1
                    return a
        return None

    def open(self, path: Path, flags: int, mode: int = FILE_MODE) -> int:
        if (flags & os.O_CREAT) and (a := self._take("create", path)):
            raise OSError(a.err, os.strerror(a.err), str(path))
        fd = super().open(path, flags, mode)
        self._paths[fd] = Path(path)
        return fd

    def close(self, fd: int) -> None:
        self._paths.pop(fd, None)
        super().close(fd)

    def write(self, fd: int, data: bytes | memoryview) -> int:
        a = self._take("write", self._paths.get(fd))
        if a is not None:
            if a.partial and len(data) > 1:
                super().write(fd, bytes(data[: len(data) // 2]))
            raise OSError(a.err, os.strerror(a.err))
        return super().write(fd, data)

    def fsync(self, fd: int) -> None:
        a = self._take("fsync", self._paths.get(fd))
        if a is not None:
            raise OSError(a.err, os.strerror(a.err))
        super().fsync(fd)

    def fsync_dir(self, path: Path) -> None:
        a = self._take("fsync_dir", path)
        if a is not None:
            raise OSError(a.err, os.strerror(a.err))
        super().fsync_dir(path)

    def ftruncate(self, fd: int, size: int) -> None:
        a = self._take("ftruncate", self._paths.get(fd))
        if a is not None:
            raise OSError(a.err, os.strerror(a.err))
        super().ftruncate(fd, size)

    def unlink(self, path: Path) -> None:
        a = self._take("unlink", path)
        if a is not None:
            raise OSError(a.err, os.strerror(a.err))
        super().unlink(path)

    def rename(self, src: Path, dst: Path) -> None:
        a = self._take("rename", dst)
        if a is not None:
            raise OSError(a.err, os.strerror(a.err))
        super().rename(src, dst)


@dataclass
class RecordingOps(FileOps):
    """Real operations plus an event log: what a power cut at any point would have kept."""

    events: list[tuple] = field(default_factory=list)
    _fds: dict[int, tuple[str, int]] = field(default_factory=dict)  # fd -> (name, flags)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def mark(self, *event: object) -> None:
        """Record a test-level event (e.g. ("ack", lsn, payload)) in order with the I/O."""
        with self._lock:
            self.events.append(event)

    def open(self, path: Path, flags: int, mode: int = FILE_MODE) -> int:
        with self._lock:
            existed = os.path.exists(path)
            fd = super().open(path, flags, mode)
            self._fds[fd] = (Path(path).name, flags)
            if not existed:
                self.events.append(("create", Path(path).name))
            return fd

    def write(self, fd: int, data: bytes | memoryview) -> int:
        with self._lock:
            name, flags = self._fds[fd]
            offset = os.fstat(fd).st_size if flags & os.O_APPEND else os.lseek(fd, 0, os.SEEK_CUR)
            n = super().write(fd, data)
            self.events.append(("write", name, offset, bytes(data[:n])))
            return n

    def ftruncate(self, fd: int, size: int) -> None:
        with self._lock:
            super().ftruncate(fd, size)
            self.events.append(("truncate", self._fds[fd][0], size))

    def fsync(self, fd: int) -> None:
        with self._lock:
            super().fsync(fd)
            self.events.append(("fsync", self._fds[fd][0]))

    def close(self, fd: int) -> None:
        with self._lock:
            self._fds.pop(fd, None)
            super().close(fd)

    def unlink(self, path: Path) -> None:
        with self._lock:
            super().unlink(path)
            self.events.append(("unlink", Path(path).name))

    def fsync_dir(self, path: Path) -> None:
        with self._lock:
            super().fsync_dir(path)
            self.events.append(("fsync_dir",))


def power_cut(events: list[tuple], k: int, dest: Path, rng: random.Random | None = None) -> list[tuple]:
    """Rebuild in `dest` the directory as a power cut just before events[k] leaves it.

    Without `rng`: exactly the fsynced bytes of the files whose names were fsynced into the
    directory. With `rng`: also a random prefix of the directory changes after the last
    directory fsync, and for each file a torn (random-length, possibly zero-ended) prefix of
    the bytes written after its last fsync. Returns the test-level events before the cut.
    """
    volatile: dict[str, bytearray] = {}
    durable: dict[str, bytes] = {}
    names: set[str] = set()
    durable_names: set[str] = set()
    pending_dir: list[tuple[str, str]] = []
    marks: list[tuple] = []
    for ev in events[:k]:
        kind = ev[0]
        if kind == "create":
            volatile[ev[1]] = bytearray()
            durable[ev[1]] = b""
            names.add(ev[1])
            pending_dir.append(("create", ev[1]))
        elif kind == "write":
            buf = volatile[ev[1]]
            off, data = ev[2], ev[3]
            if len(buf) < off:
                buf.extend(b"\0" * (off - len(buf)))
            buf[off : off + len(data)] = data
        elif kind == "truncate":
            del volatile[ev[1]][ev[2] :]
        elif kind == "fsync":
            durable[ev[1]] = bytes(volatile[ev[1]])
        elif kind == "unlink":
            names.discard(ev[1])
            pending_dir.append(("unlink", ev[1]))
        elif kind == "fsync_dir":
            durable_names = set(names)
            pending_dir = []
        else:
            marks.append(ev)
    final = set(durable_names)
    if rng is not None and pending_dir:
        for op, name in pending_dir[: rng.randint(0, len(pending_dir))]:
            (final.add if op == "create" else final.discard)(name)
    dest.mkdir(parents=True, exist_ok=True)
    for name in final:
        data = durable[name]
        if rng is not None:
            extra = bytes(volatile[name][len(data) :]) if bytes(volatile[name][: len(data)]) == data else b""
            if extra:
                torn = extra[: rng.randint(0, len(extra))]
                if torn and rng.random() < 0.3:
                    z = rng.randint(1, len(torn))
                    torn = torn[:-z] + b"\0" * z
                data += torn
        (dest / name).write_bytes(data)
    return marks
