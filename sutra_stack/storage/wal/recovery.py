"""Reading a write-ahead log directory back: listing segments, repairing a torn tail, replaying.

The one place that decides what is a torn tail (a last record of the newest segment cut short,
or whose end is still zeros: safe to truncate, it was never acknowledged) and what is
corruption (anything else, including a complete last record that fails its checksum: DataLoss
naming the file and byte offset, nothing truncated).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sutra_stack.errors import DataLoss
from sutra_stack.storage.wal import framing as fmt
from sutra_stack.storage.wal.fileops import FileOps

log = logging.getLogger("sutra_stack.storage.wal")


@dataclass(eq=False)
class Segment:
    seq: int
    path: Path
    first_lsn: int
    size: int


def _read(path: Path, limit: int | None = None) -> bytes:
    with open(path, "rb") as f:
        return f.read() if limit is None else f.read(limit)


def list_segments(directory: Path, ops: FileOps) -> list[Segment]:
    """The segments of `directory` in order, headers checked; a torn newest header is removed."""
    found = sorted((seq, directory / name) for name in os.listdir(directory)
                   if (seq := fmt.parse_segment_name(name)) is not None)
    # A crash while creating the newest segment can leave it short or zeroed: it holds no record.
    while found:
        seq, path = found[-1]
        head = _read(path, fmt.HEADER_SIZE)
        if len(head) == fmt.HEADER_SIZE and head.count(0) != fmt.HEADER_SIZE:
            break
        data = _read(path)
        if data.count(0) != len(data) and len(data) >= fmt.HEADER_SIZE:
            break  # zeroed header but data after it: corruption, reported below
        log.warning("WAL segment %s has a torn header (%d bytes, never used); removing it", path, len(data))
        ops.unlink(path)
        ops.fsync_dir(directory)
        found.pop()
    segments: list[Segment] = []
    for seq, path in found:
        first = fmt.decode_header(_read(path, fmt.HEADER_SIZE), path)
        if segments and first < segments[-1].first_lsn:
            raise DataLoss(f"WAL segment {path} starts at lsn {first} (offset 12), before the previous segment "
                           f"{segments[-1].path} (lsn {segments[-1].first_lsn}); the log is out of order")
        segments.append(Segment(seq=seq, path=path, first_lsn=first, size=path.stat().st_size))
    return segments


def recover_newest(segments: list[Segment], ops: FileOps) -> int:
    """Check the newest segment, truncate a torn tail (with a warning); returns its last lsn."""
    seg = segments[-1]
    data = _read(seg.path)
    reader = fmt.RecordReader(data, seg.first_lsn)
    for _ in reader:
        pass
    if reader.bad is not None:
        bad = reader.bad
        follower = fmt.find_valid_record_after(data, bad.offset + 1, reader.next_lsn)
        if follower is not None:
            raise DataLoss(
                f"WAL segment {seg.path} is corrupt at offset {bad.offset}: {bad.reason}; a valid record "
                f"follows at offset {follower}, so this is not a torn tail. Refusing to start rather than "
                "drop acknowledged writes: restore from a backup or move the segment aside"
            )
        if not fmt.cut_short(data, bad.offset):
            raise DataLoss(
                f"WAL segment {seg.path} is corrupt at offset {bad.offset}: {bad.reason} in its last record "
                f"(lsn {reader.next_lsn}), which is complete, so it was written whole and may have been "
                "acknowledged; this is not a torn tail. Refusing to start rather than drop it: restore from a "
                "backup or move the segment aside"
            )
        log.warning("WAL segment %s has a torn tail at offset %d (%s): the last record was cut short by a "
                    "crash before it was acknowledged; truncating its %d bytes after lsn %d",
                    seg.path, bad.offset, bad.reason, len(data) - reader.end, reader.next_lsn - 1)
        fd = ops.open(seg.path, os.O_WRONLY)
        try:
            ops.ftruncate(fd, reader.end)
            ops.fsync(fd)
        finally:
            ops.close(fd)
        seg.size = reader.end
    return reader.next_lsn - 1


def replay_segments(
    segments: list[Segment], sizes: dict[int, int], after_lsn: int, last_lsn: int
) -> Iterator[tuple[int, bytes]]:
    """Yield (lsn, payload) after `after_lsn` up to `last_lsn`; DataLoss on any gap or corruption."""
    if after_lsn >= last_lsn or not segments:
        return
    start = 0
    for i in range(len(segments) - 1):
        if segments[i + 1].first_lsn <= after_lsn + 1:
            start = i + 1
    if segments[start].first_lsn > after_lsn + 1:
        seg = segments[start]
        raise DataLoss(
            f"the WAL in {seg.path.parent} starts at lsn {seg.first_lsn} (file {seg.path.name}, offset 12) but "
            f"records from lsn {after_lsn + 1} are needed (the snapshot covers lsn {after_lsn}): "
            f"lsns {after_lsn + 1}..{seg.first_lsn - 1} are missing"
        )
    chain = segments[start:]
    for i, seg in enumerate(chain):
        data = _read(seg.path, sizes.get(seg.seq, seg.size))
        nxt = chain[i + 1] if i + 1 < len(chain) else None
        reader = fmt.RecordReader(data, seg.first_lsn, stop_before=nxt.first_lsn if nxt else last_lsn + 1)
        for lsn, payload in reader:
            if lsn > after_lsn:
                yield lsn, payload
        want = nxt.first_lsn if nxt else last_lsn + 1
        if reader.next_lsn < want:
            if reader.bad is not None:
                raise DataLoss(f"WAL segment {seg.path} is corrupt at offset {reader.bad.offset}: "
                               f"{reader.bad.reason} (records up to lsn {want - 1} were expected)")
            raise DataLoss(f"WAL segment {seg.path} ends at offset {reader.end} after lsn {reader.next_lsn - 1}, "
                           f"but records up to lsn {want - 1} were expected: records are missing")
        if nxt is not None and reader.end < len(data):
            log.warning("WAL segment %s: ignoring %d bytes after lsn %d at offset %d, left by a failed write "
                        "that was never acknowledged", seg.path, len(data) - reader.end, want - 1, reader.end)
