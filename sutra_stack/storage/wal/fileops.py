"""The low-level file operations a store performs on its disk, behind one small seam.

Like SQLite's VFS: the WAL, the snapshot writer and backups never call `os` directly for
anything that changes the disk, they call a `FileOps`. The default is the real `os` functions;
tests substitute a layer that injects EIO/ENOSPC or records every write and fsync to simulate a
power cut. `use(ops)` installs one process-wide (a store takes the one in effect when it opens).

Everything a store creates is private to its owner: directories 0700, files 0600.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


class DirectoryLost(OSError):
    """A store's data directory was removed or replaced while the store had it open: its paths now
    name another directory (maybe another store's), so nothing more may be created or deleted there."""


class FileOps:
    """Real file operations (the default)."""

    def open(self, path: Path, flags: int, mode: int = FILE_MODE) -> int:
        return os.open(path, flags, mode)

    def write(self, fd: int, data: bytes | memoryview) -> int:
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        os.fsync(fd)

    def close(self, fd: int) -> None:
        os.close(fd)

    def ftruncate(self, fd: int, size: int) -> None:
        os.ftruncate(fd, size)

    def unlink(self, path: Path) -> None:
        os.unlink(path)

    def rename(self, src: Path, dst: Path) -> None:
        """Atomically replace `dst` by `src` (durable once the directory is fsynced)."""
        os.replace(src, dst)

    def fsync_dir(self, path: Path) -> None:
        """Make creates, renames and deletes in directory `path` durable."""
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def mkdir(self, path: Path) -> None:
        """Create `path` (and parents) and make the new entries durable."""
        missing = []
        p = path
        while not p.exists():
            missing.append(p)
            p = p.parent
        for d in reversed(missing):
            try:
                os.mkdir(d, DIR_MODE)
            except FileExistsError:
                continue
            self.fsync_dir(d.parent)

    def write_all(self, fd: int, data: bytes | memoryview) -> None:
        """Write every byte of `data` (os.write may write less than asked)."""
        n = self.write(fd, data)
        if n == len(data):
            return
        view = memoryview(data)
        while True:
            if n <= 0:
                raise OSError(5, "write wrote nothing")
            view = view[n:]
            if not view:
                return
            n = self.write(fd, view)


DEFAULT_FILE_OPS = FileOps()
_current: FileOps = DEFAULT_FILE_OPS


def current() -> FileOps:
    """The file operations stores opened from now on use."""
    return _current


@contextlib.contextmanager
def use(ops: FileOps) -> Iterator[FileOps]:
    """Stores opened inside the block use `ops` (for their whole life); the previous one after."""
    global _current
    before, _current = _current, ops
    try:
        yield ops
    finally:
        _current = before
