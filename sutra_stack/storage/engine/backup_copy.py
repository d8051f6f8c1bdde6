"""Writing a copy of a store's files (backup and restore): complete, verified and private.

Every file goes through the store's `FileOps` into a folder made 0700, created 0600 with
O_EXCL, fsynced, then read back and compared with the source (size and CRC-32 of the bytes
read from both); the copied snapshot is then checked whole (storage.dat array by array, the
index file against its hnswlib header and checksum). If anything fails, the files this copy
made are removed again and the error names the file: a copy either says OK and opens, or it
fails and leaves nothing that could be taken for a backup.
"""

from __future__ import annotations

import contextlib
import errno
import os
import zlib
from pathlib import Path

from sutra_stack.errors import DataLoss, FailedPrecondition, Internal, ResourceExhausted, SutraError
from sutra_stack.storage.engine import snapshot as snap
from sutra_stack.storage.engine.lockfile import make_private_dir
from sutra_stack.storage.wal import fileops
from sutra_stack.storage.wal.fileops import FileOps

WAL_DIR = "wal"
_CHUNK = 8 * 1024 * 1024


def copy_store_files(src: Path, dest: Path, *, skip_newest_segment: bool = False,
                     ops: FileOps | None = None) -> list[str]:
    """Copy store.json, the snapshot and the WAL segments of `src` into `dest` (made if missing,
    must be empty); returns the files copied."""
    ops = ops or fileops.current()
    make_private_dir(dest)
    if any(dest.iterdir()):
        raise FailedPrecondition(f"backup destination {dest} is not empty")
    header = snap.read_header(src)
    names = [snap.STORE_META_NAME, snap.SNAPSHOT_NAME]
    if header is not None:
        names.append(header["index_file"])
    segs = sorted((src / WAL_DIR).glob("wal-*.log")) if (src / WAL_DIR).is_dir() else []
    if skip_newest_segment and len(segs) > 1:
        segs = segs[:-1]
    names += [f"{WAL_DIR}/{seg.name}" for seg in segs]
    made: list[Path] = []
    try:
        ops.mkdir(dest / WAL_DIR)
        made.append(dest / WAL_DIR)
        copied = []
        for name in names:
            if (src / name).exists():
                made.append(dest / name)
                _copy_file(src / name, dest / name, ops)
                copied.append(name)
        for d in (dest / WAL_DIR, dest):
            ops.fsync_dir(d)
        if header is not None:
            snap.verify(dest)
        return copied
    except BaseException as e:
        for p in reversed(made):
            with contextlib.suppress(OSError):
                if p.is_dir():
                    p.rmdir()
                else:
                    ops.unlink(p)
        if isinstance(e, OSError):
            raise disk_error(e, f"copying the store {src} to {dest}") from None
        if isinstance(e, DataLoss):
            raise Internal(f"the copy of the store in {dest} did not read back whole ({e.message}); "
                           "it was removed") from None
        raise


def _copy_file(src: Path, dest: Path, ops: FileOps) -> None:
    """Copy one file through `ops`, fsync it, and compare what reads back with what was read."""
    want = 0
    size = 0
    fd = ops.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, fileops.FILE_MODE)
    try:
        with open(src, "rb") as f:
            while chunk := f.read(_CHUNK):
                want = zlib.crc32(chunk, want)
                size += len(chunk)
                ops.write_all(fd, chunk)
        ops.fsync(fd)
    finally:
        ops.close(fd)
    got = 0
    with open(dest, "rb") as f:
        while chunk := f.read(_CHUNK):
            got = zlib.crc32(chunk, got)
    if dest.stat().st_size != size or got != want:
        raise DataLoss(f"{dest} reads back {dest.stat().st_size} bytes (CRC-32 {got:08x}) after "
                       f"{size} bytes (CRC-32 {want:08x}) were written from {src}")


def disk_error(e: OSError, doing: str) -> SutraError:
    """The error of the family for a failed disk operation: RESOURCE_EXHAUSTED when the disk or a
    quota is full, INTERNAL otherwise; the message names what was being done and the file."""
    where = f" ({e.filename})" if e.filename else ""
    what = os.strerror(e.errno) if e.errno else str(e)
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return ResourceExhausted(f"{what}{where} {doing}: free space on that disk")
    return Internal(f"{what}{where} {doing}")
