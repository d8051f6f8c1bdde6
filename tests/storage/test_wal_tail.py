"""The last record of the newest segment: a record cut short is a torn tail (never acknowledged,
truncated with a warning); a complete record whose checksum fails is corruption of an
acknowledged write and stops the start, as damage in the middle of the log does."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sutra_stack.errors import DataLoss
from sutra_stack.storage.wal import WriteAheadLog
from sutra_stack.storage.wal import framing as fmt
from tests.storage.test_wal_corruption import N, build, payload, record_offsets, replay_all


def test_a_flipped_byte_in_the_last_complete_record_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (seg,) = build(src)
    data = seg.read_bytes()
    last = record_offsets(data)[-1]
    for pos in range(last, len(data)):  # every byte of it: length, checksum, lsn, payload
        d = tmp_path / f"flip{pos}"
        d.mkdir()
        damaged = bytearray(data)
        damaged[pos] ^= 0x40
        (d / seg.name).write_bytes(bytes(damaged))
        if pos < last + 4:  # a changed length makes the record look cut short or overlong
            continue
        with pytest.raises(DataLoss) as info:
            WriteAheadLog(d)
        msg = str(info.value)
        assert seg.name in msg and f"offset {last}" in msg and "acknowledged" in msg, msg
        assert (d / seg.name).read_bytes() == bytes(damaged)  # nothing truncated


def test_a_record_cut_short_is_a_torn_tail(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    src = tmp_path / "src"
    (seg,) = build(src)
    data = seg.read_bytes()
    last = record_offsets(data)[-1]
    for cut in (last + 1, last + fmt.RECORD_HEADER.size, len(data) - 1):
        d = tmp_path / f"cut{cut}"
        d.mkdir()
        (d / seg.name).write_bytes(data[:cut])
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert replay_all(d) == [(i, payload(i)) for i in range(1, N)]
        warning = next(r.message for r in caplog.records if "torn tail" in r.message)
        assert "cut short" in warning and "unacknowledged" not in warning, warning


def test_a_complete_record_whose_end_never_reached_the_disk_is_a_torn_tail(tmp_path: Path) -> None:
    """A power cut can leave a record's full length with its last blocks still zero: never acknowledged."""
    src = tmp_path / "src"
    (seg,) = build(src)
    data = seg.read_bytes()
    last = record_offsets(data)[-1]
    for zeros in (1, 5, len(data) - last - fmt.RECORD_HEADER.size):
        d = tmp_path / f"z{zeros}"
        d.mkdir()
        (d / seg.name).write_bytes(data[:-zeros] + b"\0" * zeros)
        assert replay_all(d) == [(i, payload(i)) for i in range(1, N)]
