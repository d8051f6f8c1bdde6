"""The data-directory lock: one process at a time may open a store's directory.

`fcntl.flock` on `<dir>/LOCK`, which holds the owner's pid for the error message. The kernel
drops the lock when its holder dies (even by SIGKILL), so a stale LOCK file never blocks a
restart. The file itself is left in place on release (removing it would race a new holder).
The directory is made private to its owner (0700; a wider one is narrowed), the file 0600.

A process forked by the holder (the engine writes snapshots from a forked child) shares the
lock on purpose: while such a child lives it may still rename files into the directory, so a
new store must not open it until the child is gone too.

The lock holds the directory only while it stays where it was: remove it (`rm -rf`) and another
store can be made at the same path with a LOCK of its own. `verify()` tells a store that this
happened, so that it stops creating and deleting files by path there.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import stat
from pathlib import Path

from sutra_stack.errors import FailedPrecondition
from sutra_stack.storage.wal.fileops import DIR_MODE, FILE_MODE, DirectoryLost

log = logging.getLogger(__name__)

LOCK_NAME = "LOCK"


class DirectoryLock:
    """Exclusive, non-blocking lock on a data directory; context manager or acquire()/release()."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        make_private_dir(self.directory)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            holder = _read_pid(fd)
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                who = f"process {holder}" if holder else "another process"
                raise FailedPrecondition(
                    f"the data directory {self.directory} is in use by {who} (lock file {self.path}); "
                    "stop that process first, or use another directory"
                ) from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def verify(self) -> None:
        """Raise DirectoryLost unless `<dir>/LOCK` is still the file this lock holds. Paths are
        resolved anew on every call, so once the directory was removed (or moved) and another made
        in its place, each file the store creates or deletes by path would land in that other one
        (whose own LOCK another process may hold). A no-op when the lock is not held."""
        fd = self._fd
        if fd is None:
            return
        held = os.fstat(fd)
        try:
            now: os.stat_result | None = os.stat(self.path)
        except FileNotFoundError:
            now = None
        if now is not None and held.st_nlink > 0 and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            return
        raise DirectoryLost(
            f"the data directory {self.directory} was removed or replaced while this store had it open "
            f"(its lock file {self.path} is {'gone' if now is None else 'another file'}); nothing more is "
            "written or deleted there: restart the store on the directory it should use"
        )

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> DirectoryLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def make_private_dir(directory: Path) -> None:
    """Create `directory` 0700 (parents too), or narrow an existing one to its owner."""
    directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o077:
        os.chmod(directory, mode & DIR_MODE)
        log.warning("directory %s was open to other users (mode %o); made it %o",
                    directory, mode, mode & DIR_MODE)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None
