"""The on-disk format of write-ahead log segments: headers, record framing, and scanning.

A segment file `wal-<seq>.log` starts with a 24-byte header:
    magic "SUTRAWAL" | u32 format version | u64 first lsn | u32 crc32 of the preceding 20 bytes
followed by records:
    u32 payload length | u32 crc32(payload ‖ length ‖ lsn) | u64 lsn | payload
All integers little-endian. LSNs are consecutive across the whole log.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sutra_stack.errors import DataLoss
from sutra_stack.limits import MAX_WAL_RECORD_BYTES

MAGIC = b"SUTRAWAL"
FORMAT_VERSION = 1
SEGMENT_HEADER = struct.Struct("<8sIQI")
RECORD_HEADER = struct.Struct("<IIQ")
_LEN_LSN = struct.Struct("<IQ")
HEADER_SIZE = SEGMENT_HEADER.size
_NAME = re.compile(r"^wal-(\d{8,})\.log$")


def segment_name(seq: int) -> str:
    return f"wal-{seq:08d}.log"


def parse_segment_name(name: str) -> int | None:
    m = _NAME.match(name)
    return int(m.group(1)) if m else None


def encode_header(first_lsn: int) -> bytes:
    head = struct.pack("<8sIQ", MAGIC, FORMAT_VERSION, first_lsn)
    return head + struct.pack("<I", zlib.crc32(head))


def payload_crc(payload: bytes) -> int:
    """The part of a record's checksum that does not depend on its lsn (computed outside locks)."""
    return zlib.crc32(payload)


def record_header(lsn: int, payload: bytes, pcrc: int | None = None) -> bytes:
    """The 16-byte frame that precedes `payload` in the log."""
    n = len(payload)
    crc = zlib.crc32(_LEN_LSN.pack(n, lsn), zlib.crc32(payload) if pcrc is None else pcrc)
    return RECORD_HEADER.pack(n, crc, lsn)


def decode_header(head: bytes, path: Path) -> int:
    """Validate a segment header and return its first lsn, or raise DataLoss naming the file."""
    if len(head) < HEADER_SIZE:
        raise DataLoss(f"WAL segment {path} is {len(head)} bytes, shorter than its {HEADER_SIZE}-byte header "
                       "(offset 0); it is not the newest segment, so records may be missing")
    magic, version, first_lsn, crc = SEGMENT_HEADER.unpack_from(head, 0)
    if magic != MAGIC:
        raise DataLoss(f"WAL segment {path} has a bad magic number at offset 0 ({magic!r}); "
                       "the file is corrupt or not a WAL segment")
    if zlib.crc32(head[:20]) != crc:
        raise DataLoss(f"WAL segment {path} has a bad header checksum at offset 20; the header is corrupt")
    if version != FORMAT_VERSION:
        raise DataLoss(f"WAL segment {path} has unknown format version {version} at offset 8; "
                       f"this build reads version {FORMAT_VERSION}")
    return first_lsn


@dataclass
class BadRecord:
    offset: int
    reason: str


class RecordReader:
    """Iterate the valid records of one segment's bytes, in order, from its first lsn.

    Stops at the first bad record (kept in `.bad`) or once `stop_before` is reached. After
    iteration `.end` is the offset just past the last good record and `.next_lsn` the lsn the
    next record should carry.
    """

    def __init__(self, data: bytes, first_lsn: int, stop_before: int | None = None) -> None:
        self.data = data
        self.next_lsn = first_lsn
        self.stop_before = stop_before
        self.end = HEADER_SIZE
        self.bad: BadRecord | None = None

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        data, n, pos = self.data, len(self.data), HEADER_SIZE
        rh = RECORD_HEADER.size
        while pos < n:
            if self.stop_before is not None and self.next_lsn >= self.stop_before:
                return
            reason = check_record(data, pos, self.next_lsn)
            if reason is not None:
                self.bad = BadRecord(pos, reason)
                return
            length, _crc, lsn = RECORD_HEADER.unpack_from(data, pos)
            yield lsn, data[pos + rh : pos + rh + length]
            pos += rh + length
            self.next_lsn = lsn + 1
            self.end = pos


def check_record(data: bytes, pos: int, expected_lsn: int | None) -> str | None:
    """None when a valid record (with lsn `expected_lsn`, if given) starts at `pos`, else why not."""
    n, rh = len(data), RECORD_HEADER.size
    if n - pos < rh:
        return f"partial record header ({n - pos} of {rh} bytes)"
    length, crc, lsn = RECORD_HEADER.unpack_from(data, pos)
    if length > MAX_WAL_RECORD_BYTES:
        return f"record length {length} exceeds the limit MAX_WAL_RECORD_BYTES={MAX_WAL_RECORD_BYTES}"
    if pos + rh + length > n:
        return f"record of {length} bytes runs past the end of the file"
    payload = data[pos + rh : pos + rh + length]
    if zlib.crc32(_LEN_LSN.pack(length, lsn), zlib.crc32(payload)) != crc:
        return "checksum mismatch"
    if expected_lsn is not None and lsn != expected_lsn:
        return f"lsn {lsn} where {expected_lsn} was expected (a gap or reordering)"
    return None


def cut_short(data: bytes, pos: int) -> bool:
    """Whether the invalid record at `pos` (the last thing in the file) was cut short by a crash,
    rather than being a complete record that fails its checksum.

    Cut short: its header or payload runs past the end of the file, or the file ends in zeros that
    reach into it (a power cut can leave a write's length on disk with its last blocks unwritten,
    which read back as zeros; an all-zero header is such a record too). A complete record that
    fails its checksum with anything else in its last byte was written whole: damage to it is
    corruption of a write that may have been acknowledged.
    """
    n, rh = len(data), RECORD_HEADER.size
    if n - pos < rh:
        return True
    length, _crc, _lsn = RECORD_HEADER.unpack_from(data, pos)
    end = pos + rh + length
    if length > MAX_WAL_RECORD_BYTES or end > n:
        return True
    return data[end - 1] == 0 and data.count(0, end) == n - end


def find_valid_record_after(data: bytes, start: int, min_lsn: int) -> int | None:
    """Offset of the first valid record at or after `start` carrying an lsn >= min_lsn, if any.

    Tells a torn tail (nothing valid follows) from corruption in the middle (valid records
    follow). Candidate offsets are found with numpy by their lsn field, then checksummed.
    """
    n, rh = len(data), RECORD_HEADER.size
    if n - start < rh:
        return None
    max_lsn = min_lsn + (n - start) // rh + 1
    candidates: list[int] = []
    for k in range(8):
        base = start + 8 + k  # the lsn field sits 8 bytes into a record
        count = (n - base) // 8
        if count <= 0:
            continue
        lsns = np.frombuffer(data, dtype="<u8", count=count, offset=base)
        hits = np.nonzero((lsns >= min_lsn) & (lsns <= max_lsn))[0]
        candidates.extend((base - 8 + 8 * hits).tolist())
    for pos in sorted(candidates):
        if check_record(data, pos, None) is None:
            return pos
    return None
