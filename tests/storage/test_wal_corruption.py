"""Damaged logs: a torn tail is truncated with a warning; anything else is refused, naming file and offset."""

from __future__ import annotations

import logging
import random
import struct
import zlib
from pathlib import Path

import pytest

from sutra_stack.errors import DataLoss
from sutra_stack.storage.wal import WriteAheadLog
from sutra_stack.storage.wal import framing as fmt

N = 20


def payload(i: int) -> bytes:
    return f"payload-{i}-".encode() * 3


def build(d: Path, n: int = N, segment_bytes: int = 64 * 1024 * 1024) -> list[Path]:
    with WriteAheadLog(d, segment_bytes=segment_bytes) as wal:
        for i in range(1, n + 1):
            wal.append(payload(i))
    return sorted(p for p in d.iterdir() if fmt.parse_segment_name(p.name) is not None)


def record_offsets(data: bytes) -> list[int]:
    out, pos = [], fmt.HEADER_SIZE
    while pos < len(data):
        out.append(pos)
        (length,) = struct.unpack_from("<I", data, pos)
        pos += fmt.RECORD_HEADER.size + length
    return out


def replay_all(d: Path) -> list[tuple[int, bytes]]:
    with WriteAheadLog(d) as wal:
        return list(wal.replay())


def test_torn_tail_at_every_offset_of_the_last_record(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    src = tmp_path / "src"
    (seg,) = build(src)
    data = seg.read_bytes()
    last = record_offsets(data)[-1]
    for cut in range(last, len(data)):
        d = tmp_path / f"cut{cut}"
        d.mkdir()
        (d / seg.name).write_bytes(data[:cut])
        caplog.clear()
        with caplog.at_level(logging.WARNING), WriteAheadLog(d) as wal:
            assert wal.last_lsn == N - 1
            assert list(wal.replay()) == [(i, payload(i)) for i in range(1, N)]
            assert wal.append(b"next") == N  # the log continues right after the last whole record
        assert (cut == last) != any("torn tail" in r.message for r in caplog.records), cut
        assert (d / seg.name).stat().st_size == last + fmt.RECORD_HEADER.size + 4
        assert replay_all(d)[-1] == (N, b"next")


@pytest.mark.parametrize("tail", ["zeros-appended", "last-record-zeroed", "garbage"])
def test_zeroed_and_garbage_tails_are_truncated(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                tail: str) -> None:
    for seed in range(5):
        d = tmp_path / f"{tail}{seed}"
        (seg,) = build(d)
        data = seg.read_bytes()
        last = record_offsets(data)[-1]
        rng = random.Random(seed)
        if tail == "zeros-appended":
            damaged, keep = data + b"\0" * rng.randint(1, 5000), N
        elif tail == "last-record-zeroed":
            damaged, keep = data[:last] + b"\0" * (len(data) - last), N - 1
        else:
            damaged, keep = data + rng.randbytes(rng.randint(1, 5000)), N
        seg.write_bytes(damaged)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert replay_all(d) == [(i, payload(i)) for i in range(1, keep + 1)]
        assert any("torn tail" in r.message for r in caplog.records)


def test_flipped_byte_in_the_middle_is_refused_not_truncated(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (seg,) = build(src)
    data = seg.read_bytes()
    offsets = record_offsets(data)
    middle = offsets[N // 2]
    end = offsets[N // 2 + 1]
    for pos in range(middle, end):  # every byte of one record: length, checksum, lsn, payload
        d = tmp_path / f"flip{pos}"
        d.mkdir()
        damaged = bytearray(data)
        damaged[pos] ^= 0x40
        (d / seg.name).write_bytes(bytes(damaged))
        with pytest.raises(DataLoss) as info:
            WriteAheadLog(d)
        msg = str(info.value)
        assert seg.name in msg and f"offset {middle}" in msg and "not a torn tail" in msg, msg
        assert (d / seg.name).read_bytes() == bytes(damaged)  # nothing truncated


def test_flipped_byte_in_an_older_segment_is_refused_on_replay(tmp_path: Path) -> None:
    segs = build(tmp_path, n=200, segment_bytes=4096)
    assert len(segs) >= 3
    data = segs[1].read_bytes()
    off = record_offsets(data)[3]
    damaged = bytearray(data)
    damaged[off + fmt.RECORD_HEADER.size + 2] ^= 1
    segs[1].write_bytes(bytes(damaged))
    with WriteAheadLog(tmp_path, segment_bytes=4096) as wal, pytest.raises(DataLoss) as info:
        list(wal.replay())
    assert segs[1].name in str(info.value) and f"offset {off}" in str(info.value)
    assert "checksum mismatch" in str(info.value)
    assert segs[1].read_bytes() == bytes(damaged)


def test_missing_middle_segment_is_a_gap(tmp_path: Path) -> None:
    segs = build(tmp_path, n=200, segment_bytes=4096)
    segs[1].unlink()
    with WriteAheadLog(tmp_path, segment_bytes=4096) as wal, pytest.raises(DataLoss, match="missing"):
        list(wal.replay())


def test_truncated_older_segment_is_refused(tmp_path: Path) -> None:
    segs = build(tmp_path, n=200, segment_bytes=4096)
    data = segs[0].read_bytes()
    segs[0].write_bytes(data[: len(data) - 10])
    with WriteAheadLog(tmp_path, segment_bytes=4096) as wal, pytest.raises(DataLoss) as info:
        list(wal.replay())
    assert segs[0].name in str(info.value) and "offset" in str(info.value)


def _rewrite_header(seg: Path, version: int = fmt.FORMAT_VERSION, magic: bytes = fmt.MAGIC,
                    fix_crc: bool = True) -> None:
    data = bytearray(seg.read_bytes())
    head = struct.pack("<8sIQ", magic, version, struct.unpack_from("<Q", data, 12)[0])
    data[:20] = head
    if fix_crc:
        data[20:24] = struct.pack("<I", zlib.crc32(head))
    seg.write_bytes(bytes(data))


def test_unknown_format_version_is_refused(tmp_path: Path) -> None:
    (seg,) = build(tmp_path)
    _rewrite_header(seg, version=2)
    with pytest.raises(DataLoss, match=rf"{seg.name} has unknown format version 2 at offset 8"):
        WriteAheadLog(tmp_path)


def test_bad_magic_and_bad_header_checksum_are_refused(tmp_path: Path) -> None:
    (seg,) = build(tmp_path)
    _rewrite_header(seg, magic=b"NOTAWAL!")
    with pytest.raises(DataLoss, match="bad magic number at offset 0"):
        WriteAheadLog(tmp_path)
    _rewrite_header(seg, fix_crc=False)  # magic restored, checksum still the one of "NOTAWAL!"
    with pytest.raises(DataLoss, match="bad header checksum at offset 20"):
        WriteAheadLog(tmp_path)


def test_torn_newest_header_is_removed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (seg,) = build(tmp_path)
    for junk in (b"", b"SUTRA", b"\0" * 40):
        (tmp_path / fmt.segment_name(2)).write_bytes(junk)
        with caplog.at_level(logging.WARNING):
            assert replay_all(tmp_path) == [(i, payload(i)) for i in range(1, N + 1)]
        assert any("torn header" in r.message for r in caplog.records)
        assert not (tmp_path / fmt.segment_name(2)).exists()


def test_zeroed_header_with_records_after_it_is_refused(tmp_path: Path) -> None:
    (seg,) = build(tmp_path)
    data = bytearray(seg.read_bytes())
    data[: fmt.HEADER_SIZE] = b"\0" * fmt.HEADER_SIZE
    seg.write_bytes(bytes(data))
    with pytest.raises(DataLoss, match="offset 0"):
        WriteAheadLog(tmp_path)
