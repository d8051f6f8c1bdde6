"""Snapshot files: `storage.dat` (a versioned, checksummed header + raw numpy arrays) and the
hnswlib index file it names (`index-<lsn>.bin`).

`storage.dat` layout: magic `SUTRASNP`, format version (u32), header length (u32), header
CRC32 (u32), the JSON header, then each array's bytes at the offset the header gives, each
with its own 64-bit word-sum checksum (memory speed; the index file carries one too).
Every change to the disk goes through the store's `FileOps` (the seam the WAL uses). Each file
is written to a fresh `*.tmp` (created 0600 with O_EXCL, so nothing of an earlier failed try is
taken for it), fsynced, then read back and checked before it is renamed into place: the index
file against the size its hnswlib header calls for (hnswlib ignores write errors and leaves a
cut-off file on a full disk) with its checksum computed from what was read back, storage.dat
array by array against the checksums of the arrays in memory. An index file gets a name no
file in the directory has. `storage.dat` is renamed last, so it always names an index file that
is complete on disk; a failed write removes what it made and leaves the previous snapshot in
charge.
"""

from __future__ import annotations

import contextlib
import errno
import json
import mmap
import os
import struct
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sutra_stack.errors import DataLoss
from sutra_stack.storage.engine import index_file
from sutra_stack.storage.wal import fileops
from sutra_stack.storage.wal.fileops import FileOps

FORMAT_VERSION = 2  # 2: associations carry predicate, valid_from, valid_to, superseded_by, observed
READABLE_FORMATS = frozenset((1, 2))  # a format-1 snapshot loads (see snapshot_state.load_state)
MAGIC = b"SUTRASNP"
SNAPSHOT_NAME = "storage.dat"
STORE_META_NAME = "store.json"
_PREFIX = struct.Struct("<8sIII")
_ALIGN = 1  # no padding: every byte of the file is covered by a checksum
_CHUNK = 16 * 1024 * 1024
_FULL_BELOW = 1 << 20  # a cut-off index file on a disk with less free than this: the disk is full


def file_sum(path: Path) -> int:
    """`array_sum` of a whole file, read through mmap (one GIL-free numpy reduction)."""
    if path.stat().st_size == 0:
        return array_sum(np.empty(0, dtype=np.uint8))
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        arr = np.frombuffer(mm, dtype=np.uint8)
        try:
            return array_sum(arr)
        finally:
            del arr


def fsync_path(path: Path, ops: FileOps | None = None) -> None:
    ops = ops or fileops.current()
    fd = ops.open(path, os.O_RDONLY)
    try:
        ops.fsync(fd)
    finally:
        ops.close(fd)


def create_fresh(path: Path, ops: FileOps) -> int:
    """Open `path` as a new, empty, private file for writing (a stale one is removed first)."""
    with contextlib.suppress(FileNotFoundError):
        ops.unlink(path)
    return ops.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, fileops.FILE_MODE)


def write_atomic(path: Path, data: bytes, ops: FileOps | None = None) -> None:
    ops = ops or fileops.current()
    tmp = path.with_name(path.name + ".tmp")
    fd = create_fresh(tmp, ops)
    try:
        ops.write_all(fd, data)
        ops.fsync(fd)
    except BaseException:
        ops.close(fd)
        with contextlib.suppress(OSError):
            ops.unlink(tmp)
        raise
    ops.close(fd)
    ops.rename(tmp, path)
    ops.fsync_dir(path.parent)


def index_name(lsn: int, attempt: int = 0) -> str:
    return f"index-{lsn:020d}.bin" if attempt == 0 else f"index-{lsn:020d}-{attempt}.bin"


def fresh_index_path(directory: Path, lsn: int) -> Path:
    """An index file name for `lsn` that no file in `directory` has (nor its temp file)."""
    attempt = 0
    while True:
        path = directory / index_name(lsn, attempt)
        if not path.exists() and not path.with_name(path.name + ".tmp").exists():
            return path
        attempt += 1


def write_snapshot(directory: Path, header: dict[str, Any], arrays: dict[str, np.ndarray],
                   save_index: Callable[[Path], None], *, ops: FileOps | None = None,
                   elements: int | None = None) -> Path:
    """Write, check and put in place the index file and storage.dat; returns the index file's path.

    `elements` is the number of elements the index holds (its file must say so). On any failure
    the files this call made are removed and storage.dat still names the previous index file."""
    ops = ops or fileops.current()
    index_path = fresh_index_path(directory, int(header["lsn"]))
    tmp_index = index_path.with_name(index_path.name + ".tmp")
    target = directory / SNAPSHOT_NAME
    tmp = target.with_name(SNAPSHOT_NAME + ".tmp")
    placed = False
    try:
        ops.close(create_fresh(tmp_index, ops))  # hnswlib truncates it and keeps its mode
        save_index(tmp_index)
        fsync_path(tmp_index, ops)
        try:
            size = index_file.check_whole(tmp_index, elements)
        except DataLoss as e:
            st = os.statvfs(directory)
            free = st.f_bavail * st.f_frsize
            if free < _FULL_BELOW:  # what a writer that ignores its errors leaves on a full disk
                raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)}: {e.message}; {free} bytes free",
                              str(tmp_index)) from None
            raise
        header = dict(header, format_version=FORMAT_VERSION, index_file=index_path.name,
                      index_size=size, index_sum=file_sum(tmp_index), index_elements=elements)
        ops.rename(tmp_index, index_path)
        ops.fsync_dir(directory)
        _write_data_file(tmp, header, arrays, ops)
        ops.rename(tmp, target)
        placed = True
        ops.fsync_dir(directory)
    except BaseException:
        for p in (tmp_index, tmp) if placed else (tmp_index, tmp, index_path):
            with contextlib.suppress(OSError):
                ops.unlink(p)
        raise
    return index_path


def _write_data_file(tmp: Path, header: dict[str, Any], arrays: dict[str, np.ndarray], ops: FileOps) -> None:
    """storage.dat's bytes into `tmp`, fsynced, then read back and checked array by array."""
    entries = []
    offset = 0
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        entries.append({"name": name, "dtype": arr.dtype.str, "shape": list(arr.shape), "offset": offset,
                        "nbytes": int(arr.nbytes), "sum": array_sum(arr)})
        offset += (arr.nbytes + _ALIGN - 1) // _ALIGN * _ALIGN
    header = dict(header, arrays=entries)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    fd = create_fresh(tmp, ops)
    try:
        ops.write_all(fd, _PREFIX.pack(MAGIC, FORMAT_VERSION, len(head), zlib.crc32(head)) + head)
        for arr in arrays.values():  # _ALIGN is 1: the arrays follow each other with no gap
            raw = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
            for at in range(0, len(raw), _CHUNK):
                ops.write_all(fd, raw[at : at + _CHUNK].data)
        ops.fsync(fd)
    finally:
        ops.close(fd)
    check_data_file(tmp)


def check_data_file(path: Path) -> dict[str, Any]:
    """Read storage.dat (or its temp file) back through mmap: header, size, every array's checksum.
    Returns the header; DataLoss naming the file, the array and the offset if anything is off."""
    with open(path, "rb") as f:
        header, base = _read_header(path, f)
        size = f.seek(0, 2)
        entries = header["arrays"]
        want = base + sum(e["nbytes"] for e in entries)
        if size != want:
            raise DataLoss(f"snapshot {path} is {size} bytes, its header calls for {want}")
        if size == 0:
            return header
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            for e in entries:
                view = np.frombuffer(mm, dtype=np.uint8, count=e["nbytes"], offset=base + e["offset"])
                try:
                    ok = array_sum(view) == e["sum"]
                finally:
                    del view
                if not ok:
                    raise DataLoss(f"snapshot {path}: checksum mismatch in array {e['name']} "
                                   f"(offset {base + e['offset']}, {e['nbytes']} bytes)")
    return header


def array_sum(arr: np.ndarray) -> int:
    """64-bit checksum of an array's bytes: the wrapping sum of its 8-byte words, the tail bytes
    and the length. Any single flipped byte changes it, and it runs at memory speed."""
    raw = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
    n8 = len(raw) // 8 * 8
    total = int(np.add.reduce(raw[:n8].view(np.uint64), dtype=np.uint64)) if n8 else 0
    tail = int.from_bytes(raw[n8:].tobytes(), "little")
    return (total + tail * 0x9E3779B97F4A7C15 + len(raw)) % (1 << 64)


def _read_header(path: Path, f: Any) -> tuple[dict[str, Any], int]:
    prefix = f.read(_PREFIX.size)
    if len(prefix) < _PREFIX.size:
        raise DataLoss(f"snapshot {path} is truncated at offset {len(prefix)} (header)")
    magic, version, head_len, head_crc = _PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise DataLoss(f"snapshot {path} does not start with {MAGIC!r} (offset 0): not a Sutra snapshot")
    if version not in READABLE_FORMATS:
        raise DataLoss(f"snapshot {path} has format version {version}; this build reads versions "
                       f"{', '.join(map(str, sorted(READABLE_FORMATS)))} (offset 8)")
    head = f.read(head_len)
    if len(head) != head_len or zlib.crc32(head) != head_crc:
        raise DataLoss(f"snapshot {path}: header checksum mismatch at offset {_PREFIX.size}")
    return json.loads(head), (_PREFIX.size + head_len + _ALIGN - 1) // _ALIGN * _ALIGN


def read_header(directory: Path) -> dict[str, Any] | None:
    """The checked header of storage.dat, None when there is none."""
    path = directory / SNAPSHOT_NAME
    if not path.exists():
        return None
    with open(path, "rb") as f:
        return _read_header(path, f)[0]


class SnapshotReader:
    """Reads storage.dat's arrays on a thread with one scatter read (`os.preadv`, no GIL), so the
    read overlaps hnswlib's load_index (which holds the GIL). `result()` joins and checks them.
    Each 1-D buffer has room for `headroom` × its rows, so the tables can grow without copying."""

    def __init__(self, directory: Path, headroom: float = 1.0) -> None:
        self.path = directory / SNAPSHOT_NAME
        self._fd = os.open(self.path, os.O_RDONLY)
        try:
            with os.fdopen(os.dup(self._fd), "rb") as f:
                self.header, self._base = _read_header(self.path, f)
            self.buffers: dict[str, tuple[np.ndarray, int]] = {}
            for e in self.header["arrays"]:
                shape, n = list(e["shape"]), e["shape"][0] if e["shape"] else 0
                cap = max(n, int(n * headroom), 1024) if len(shape) == 1 else n
                self.buffers[e["name"]] = (np.empty([cap, *shape[1:]], dtype=np.dtype(e["dtype"])), n)
        except BaseException:
            os.close(self._fd)
            raise
        self._got = 0
        self._error: BaseException | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snapshot-read", daemon=True)
        self._thread.start()
        self._started.wait()

    def _run(self) -> None:
        try:
            views = [buf[:n].reshape(-1).view(np.uint8).data for buf, n in self.buffers.values() if buf[:n].nbytes]
            offset = self._base
            self._started.set()
            while views:
                got = os.preadv(self._fd, views, offset)
                if got <= 0:
                    break
                self._got += got
                offset += got
                while views and got >= len(views[0]):
                    got -= len(views[0])
                    views.pop(0)
                if views and got:
                    views[0] = views[0][got:]
        except BaseException as e:  # noqa: BLE001 - reported by result()
            self._error = e
        finally:
            self._started.set()

    def result(self) -> dict[str, tuple[np.ndarray, int]]:
        """{name: (buffer, rows)} once read and checked; DataLoss naming the file and array if bad."""
        self._thread.join()
        os.close(self._fd)
        if self._error is not None:
            raise DataLoss(f"snapshot {self.path} could not be read: {self._error}")
        for e in self.header["arrays"]:
            buf, n = self.buffers[e["name"]]
            at = self._base + e["offset"]
            if self._got < e["offset"] + e["nbytes"]:
                raise DataLoss(f"snapshot {self.path} is truncated in array {e['name']} at offset {at}")
            if array_sum(buf[:n]) != e["sum"]:
                raise DataLoss(f"snapshot {self.path}: checksum mismatch in array {e['name']} "
                               f"(offset {at}, {e['nbytes']} bytes)")
        return self.buffers


def read_snapshot(directory: Path, headroom: float = 1.0
                  ) -> tuple[dict[str, Any], dict[str, tuple[np.ndarray, int]]] | None:
    """(header, {name: (buffer, rows)}) of storage.dat, None when there is none; DataLoss naming the
    file if anything is bad."""
    if not (directory / SNAPSHOT_NAME).exists():
        return None
    reader = SnapshotReader(directory, headroom)
    return reader.header, reader.result()


def verify(directory: Path) -> dict[str, Any] | None:
    """Check every byte of a snapshot (storage.dat and its index file); the header, or None."""
    if not (directory / SNAPSHOT_NAME).exists():
        return None
    header = check_data_file(directory / SNAPSHOT_NAME)
    check = IndexCheck(directory, header)
    index_file.check_whole(check.path, header.get("index_elements"))
    check.result()
    return header


class IndexCheck:
    """Checks the index file named by a snapshot header; the checksum runs on a thread, in one numpy
    reduction that releases the GIL, so it overlaps hnswlib's load_index (which holds the GIL)."""

    def __init__(self, directory: Path, header: dict[str, Any]) -> None:
        self.path = directory / header["index_file"]
        if not self.path.exists():
            raise DataLoss(f"snapshot {directory / SNAPSHOT_NAME} names index file {self.path}, which is missing")
        size = self.path.stat().st_size
        if size != header["index_size"]:
            raise DataLoss(f"index file {self.path} is {size} bytes, the snapshot recorded {header['index_size']}")
        self._want = header["index_sum"]
        self._got: int | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="index-crc", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._got = file_sum(self.path)
        except BaseException as e:  # noqa: BLE001 - reported by result()
            self._error = e

    def result(self) -> Path:
        self._thread.join()
        if self._error is not None:
            raise DataLoss(f"index file {self.path} could not be read: {self._error}")
        if self._got != self._want:
            raise DataLoss(f"index file {self.path}: checksum mismatch (offset 0..{self.path.stat().st_size})")
        return self.path


def read_store_meta(directory: Path) -> dict[str, Any] | None:
    path = directory / STORE_META_NAME
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise DataLoss(f"{path} is not valid JSON (offset 0)") from None


def write_store_meta(directory: Path, meta: dict[str, Any], ops: FileOps | None = None) -> None:
    write_atomic(directory / STORE_META_NAME, json.dumps(meta, indent=1).encode("utf-8"), ops)
