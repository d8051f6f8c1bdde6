"""The layout of an hnswlib index file, read back to tell a whole file from a cut-off one.

hnswlib writes its file from C++ through an `std::ofstream` and ignores write errors: on a full
disk `save_index` returns normally and leaves a short file. No Python seam sees those writes,
so the file is checked after it is written, against the size its own header calls for:

    96-byte header (13 fields; the third is the element count, the fourth the bytes of one
    element's level-0 record) | count × level-0 record | per element: u32 n, n bytes of links

A cut anywhere leaves fewer bytes than the header and the per-element lengths call for; a
file cut inside the header is shorter than the header. (The bytes themselves are covered by the
snapshot's checksum, computed from what was read back.)
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

import numpy as np

from sutra_stack.errors import DataLoss

HEADER = struct.Struct("<QQQQQQiIQQQdQ")


def expected_size(path: Path, elements: int | None = None) -> int:
    """The size the file's own header calls for (DataLoss, naming the file, if it cannot be
    whole); with `elements`, its element count must be that too."""
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        if size < HEADER.size:
            raise DataLoss(f"index file {path} is {size} bytes, shorter than hnswlib's {HEADER.size}-byte "
                           "header: it was cut off while written")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            head = HEADER.unpack_from(mm, 0)
            count, per_element = head[2], head[3]
            if elements is not None and count != elements:
                raise DataLoss(f"index file {path} holds {count} elements, {elements} were written")
            start = HEADER.size + count * per_element
            if start > size or (size - start) % 4:
                raise DataLoss(f"index file {path} is {size} bytes, cut off inside its {count} level-0 records "
                               f"(they end at offset {start})")
            words = np.frombuffer(mm, dtype="<u4", offset=start, count=(size - start) // 4)
            try:
                end = _links_end(words, count)
            finally:
                del words
    if end is None:
        raise DataLoss(f"index file {path} is {size} bytes, cut off inside the links of its {count} elements")
    return start + 4 * end


def _links_end(words: np.ndarray, count: int) -> int | None:
    """Index just past the link lists of `count` elements in `words` (u32 length, then that many
    bytes of links each), or None if they run past the end. Most elements have no upper-level
    links (length 0): runs of them are skipped in one step."""
    nonzero = np.flatnonzero(words)
    n = len(words)
    i = seen = 0
    while seen < count:
        if i >= n:
            return None
        length = int(words[i])
        if length == 0:
            j = int(np.searchsorted(nonzero, i))
            run = min((int(nonzero[j]) if j < len(nonzero) else n) - i, count - seen)
            i += run
            seen += run
        elif length % 4:
            return None
        else:
            i += 1 + length // 4
            seen += 1
    return i if i <= n else None


def check_whole(path: Path, elements: int | None = None) -> int:
    """The file's size once its header and link lengths account for every byte; DataLoss if not."""
    size = path.stat().st_size
    want = expected_size(path, elements)
    if want != size:
        raise DataLoss(f"index file {path} is {size} bytes, its header and link lengths call for {want}")
    return size
