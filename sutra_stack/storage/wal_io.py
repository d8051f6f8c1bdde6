"""The low-level file operations the write-ahead log performs, behind one small seam.

Like SQLite's VFS: the WAL never calls `os` directly for anything that changes the disk, it
calls a `FileOps`. The default is the real `os` functions; tests substitute a layer that
injects EIO/ENOSPC or records every write and fsync to simulate a power cut.
"""

from __future__ import annotations

import os
from pathlib import Path


class FileOps:
    """Real file operations (the default)."""

    def open(self, path: Path, flags: int, mode: int = 0o644) -> int:
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
                os.mkdir(d)
            except FileExistsError:
                continue
            self.fsync_dir(d.parent)

    def write_all(self, fd: int, data: bytes) -> None:
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
