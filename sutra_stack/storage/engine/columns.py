"""Growable columnar storage: named numpy columns sharing one row count, and a byte blob.

No Python object per row: every table of the engine (concepts, edges, postings) is a set of
numpy arrays that double their capacity when full and are saved/loaded as raw arrays.
"""

from __future__ import annotations

import numpy as np

MIN_CAPACITY = 1024


class Table:
    """Columns of equal length `n` (capacity `cap`); `fill` is the value of unused slots."""

    def __init__(self, schema: dict[str, tuple[str, float | int | bytes]], capacity: int = MIN_CAPACITY) -> None:
        self.schema = schema
        self.n = 0
        self.cap = capacity
        self.cols: dict[str, np.ndarray] = {}
        for name, (dtype, _fill) in schema.items():
            self.cols[name] = np.empty(capacity, dtype=dtype)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def reserve(self, extra: int) -> None:
        need = self.n + extra
        if need <= self.cap:
            return
        new_cap = max(self.cap * 2, need, MIN_CAPACITY)
        for name, (dtype, _fill) in self.schema.items():
            # np.empty: the unused tail stays untouched (not resident) until rows are appended
            arr = np.empty(new_cap, dtype=dtype)
            arr[: self.n] = self.cols[name][: self.n]
            self.cols[name] = arr
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
        """Take loaded buffers (rows [0, n) valid, maybe room beyond) as the columns, without copying."""
        self.n = n
        self.cap = min(len(buffers[name]) for name in self.schema)
        for name, (dtype, _fill) in self.schema.items():
            buf = buffers[name]
            if buf.dtype != np.dtype(dtype):
                raise ValueError(f"column {name} has dtype {buf.dtype}, expected {dtype}")
            self.cols[name] = buf


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
