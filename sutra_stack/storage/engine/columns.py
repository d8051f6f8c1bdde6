"""Growable columnar storage: named numpy columns sharing one row count, and a byte blob.

No Python object per row: every table of the engine (concepts, edges, postings) is a set of
numpy arrays that double their capacity when full and are saved/loaded as raw arrays.

A table read a row at a time (the concepts: one query reads a dozen fields of one row) keeps
its columns as fields of one record array instead (`rowwise=True`): the same named column
views, but a row's fields share one or two cache lines and one page, where separate columns
cost a cache and TLB miss per field once a read runs after a network hop. Scans over one
column then stride over whole records; snapshots still hold one array per column.
"""

from __future__ import annotations

import numpy as np

MIN_CAPACITY = 1024
PACK_ROWS = 16_384  # rows copied at a time into a row-wise table (≈ 1.5 MiB of records)


class Table:
    """Columns of equal length `n` (capacity `cap`); `fill` is the value of unused slots."""

    def __init__(self, schema: dict[str, tuple[str, float | int | bytes]], capacity: int = MIN_CAPACITY,
                 *, rowwise: bool = False) -> None:
        self.schema = schema
        self.record = np.dtype([(name, dtype) for name, (dtype, _fill) in schema.items()], align=True) \
            if rowwise else None
        self.n = 0
        self.cap = capacity
        self.cols: dict[str, np.ndarray] = self._empty(capacity)

    def _empty(self, capacity: int) -> dict[str, np.ndarray]:
        # np.empty: the unused tail stays untouched (not resident) until rows are appended
        if self.record is None:
            return {name: np.empty(capacity, dtype=dtype) for name, (dtype, _fill) in self.schema.items()}
        rows = np.empty(capacity, dtype=self.record)
        return {name: rows[name] for name in self.schema}

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def reserve(self, extra: int) -> None:
        need = self.n + extra
        if need <= self.cap:
            return
        new_cap = max(self.cap * 2, need, MIN_CAPACITY)
        cols = self._empty(new_cap)
        _copy_rows(cols, self.cols, self.n)
        self.cols = cols
        self.cap = new_cap

    def append(self, count: int) -> int:
        """Make room for `count` rows set to their fill values; returns the first new row."""
        self.reserve(count)
        first = self.n
        self.n += count
        for name, (_dtype, fill) in self.schema.items():
            self.cols[name][first : self.n] = fill
        return first

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: arr[: self.n] for name, arr in self.cols.items()}

    def adopt(self, n: int, buffers: dict[str, np.ndarray]) -> None:
        """Take loaded buffers (rows [0, n) valid, maybe room beyond) as the columns: as they are
        (no copy), or copied into the records of a row-wise table."""
        cap = min(len(buffers[name]) for name in self.schema)
        for name, (dtype, _fill) in self.schema.items():
            if buffers[name].dtype != np.dtype(dtype):
                raise ValueError(f"column {name} has dtype {buffers[name].dtype}, expected {dtype}")
        if self.record is None:
            cols = {name: buffers[name] for name in self.schema}
        else:
            cols = self._empty(cap)
            _copy_rows(cols, buffers, n)
        self.n, self.cap, self.cols = n, cap, cols


def _copy_rows(dst: dict[str, np.ndarray], src: dict[str, np.ndarray], n: int) -> None:
    """Rows [0, n) of every column of `src` into `dst`, block by block: when `dst` is a record
    array, each block's records stay in cache while all its fields are written."""
    for start in range(0, n, PACK_ROWS):
        end = min(start + PACK_ROWS, n)
        for name, arr in dst.items():
            arr[start:end] = src[name][start:end]


class Blob:
    """Append-only bytes in one growable uint8 array; callers keep (offset, length) pairs."""

    def __init__(self, capacity: int = 64 * 1024) -> None:
        self.buf = np.zeros(capacity, dtype=np.uint8)
        self.size = 0

    def append(self, data: bytes) -> int:
        n = len(data)
        if self.size + n > len(self.buf):
            new = np.zeros(max(len(self.buf) * 2, self.size + n), dtype=np.uint8)
            new[: self.size] = self.buf[: self.size]
            self.buf = new
        off = self.size
        self.buf[off : off + n] = np.frombuffer(data, dtype=np.uint8)
        self.size += n
        return off

    def get(self, off: int, length: int) -> bytes:
        return self.buf[off : off + length].tobytes()

    def array(self) -> np.ndarray:
        return self.buf[: self.size]

    def adopt(self, buf: np.ndarray, size: int) -> None:
        self.buf, self.size = buf, size
