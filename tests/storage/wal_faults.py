"""File-operation layers for durability tests, substituted at the store's `FileOps` seam (like
SQLite's VFS): the WAL, snapshots, store.json and backups all make their changes through it.
Pass one to `WriteAheadLog(file_ops=...)`, or install it with `fileops.use(ops)` before opening an
Engine. These are the one fault layer and the one power-cut harness of the suites.

- `CountingOps`: real operations, counting fsyncs, optionally slowed like a real disk.
- `FaultyOps`: real operations, with armed failures (EIO, ENOSPC, ...) of any operation,
  optionally only on some paths.
- `RecordingOps` + `power_cut` (in `power_cut.py`): the power-cut harness.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sutra_stack.storage.wal.fileops import FILE_MODE, FileOps


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
