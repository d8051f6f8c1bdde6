"""Snapshot files: `storage.dat` (a versioned, checksummed header + raw numpy arrays) and the
hnswlib index file it names (`index-<lsn>.bin`).

`storage.dat` layout: magic `SUTRASNP`, format version (u32), header length (u32), header
CRC32 (u32), the JSON header, then each array's bytes at the offset the header gives, each
with its own 64-bit word-sum checksum (memory speed; the index file carries one too).
Files are written to `*.tmp`, fsynced, renamed, and the directory fsynced;
`storage.dat` is renamed last, so it always names an index file that is complete on disk.
"""

from __future__ import annotations

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

FORMAT_VERSION = 1
MAGIC = b"SUTRASNP"
SNAPSHOT_NAME = "storage.dat"
STORE_META_NAME = "store.json"
_PREFIX = struct.Struct("<8sIII")
_ALIGN = 1  # no padding: every byte of the file is covered by a checksum
_CHUNK = 16 * 1024 * 1024


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def index_name(lsn: int) -> str:
    return f"index-{lsn:020d}.bin"


def write_snapshot(directory: Path, header: dict[str, Any], arrays: dict[str, np.ndarray],
                   save_index: Callable[[Path], None]) -> Path:
    """Write the index file and storage.dat atomically; returns the index file's path."""
    index_path = directory / index_name(int(header["lsn"]))
    tmp_index = index_path.with_name(index_path.name + ".tmp")
    save_index(tmp_index)
    _fsync_file(tmp_index)
    header = dict(header, format_version=FORMAT_VERSION, index_file=index_path.name,
                  index_size=tmp_index.stat().st_size, index_sum=file_sum(tmp_index))
    os.replace(tmp_index, index_path)

    entries = []
    offset = 0
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        entries.append({"name": name, "dtype": arr.dtype.str, "shape": list(arr.shape), "offset": offset,
                        "nbytes": int(arr.nbytes), "sum": array_sum(arr)})
        offset += (arr.nbytes + _ALIGN - 1) // _ALIGN * _ALIGN
    header["arrays"] = entries
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    base = (_PREFIX.size + len(head) + _ALIGN - 1) // _ALIGN * _ALIGN
    target = directory / SNAPSHOT_NAME
    tmp = target.with_name(SNAPSHOT_NAME + ".tmp")
    with open(tmp, "wb") as f:
        f.write(_PREFIX.pack(MAGIC, FORMAT_VERSION, len(head), zlib.crc32(head)))
        f.write(head)
        for entry, arr in zip(entries, arrays.values(), strict=True):
            f.seek(base + entry["offset"])
            f.write(memoryview(np.ascontiguousarray(arr)).cast("B"))
        f.truncate(base + offset)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)
    fsync_dir(directory)
    return index_path


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
    if version != FORMAT_VERSION:
        raise DataLoss(f"snapshot {path} has format version {version}; this build reads version "
                       f"{FORMAT_VERSION} (offset 8)")
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
            views = [memoryview(buf[:n]).cast("B") for buf, n in self.buffers.values() if buf[:n].nbytes]
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
    header = read_header(directory)
    if header is not None:
        check = IndexCheck(directory, header)
        read_snapshot(directory)
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


def write_store_meta(directory: Path, meta: dict[str, Any]) -> None:
    write_atomic(directory / STORE_META_NAME, json.dumps(meta, indent=1).encode("utf-8"))
