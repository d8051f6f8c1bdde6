"""A log that turned read-only after a disk failure returns to writing in the same process
(`WriteAheadLog.resume_writes`): a new segment at the next lsn, or the OS error and still read-only."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

import pytest

from sutra_stack.errors import FailedPrecondition
from sutra_stack.storage.wal import WriteAheadLog
from tests.storage.wal_faults import FaultyOps


def replay(d: Path) -> dict[int, bytes]:
    with WriteAheadLog(d) as wal:
        return dict(wal.replay())


def read_only_log(d: Path, ops: FaultyOps) -> WriteAheadLog:
    wal = WriteAheadLog(d, file_ops=ops)
    wal.append(b"kept")
    ops.arm("fsync", errno.EIO)
    ops.arm("create", errno.ENOSPC)
    with pytest.raises(FailedPrecondition, match="now read-only"):
        wal.append(b"LOST")
    assert wal.read_only
    return wal


def test_resume_fails_with_the_os_error_then_succeeds_once_space_is_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ops = FaultyOps()
    wal = read_only_log(tmp_path, ops)
    ops.arm("create", errno.ENOSPC)  # the disk is still full
    with caplog.at_level(logging.WARNING), pytest.raises(FailedPrecondition) as exc:
        wal.resume_writes()
    assert "No space left on device" in exc.value.message and "stays read-only" in exc.value.message
    assert wal.read_only
    with pytest.raises(FailedPrecondition, match="read-only"):
        wal.append(b"still refused")
    assert any("stays READ-ONLY" in r.message for r in caplog.records)

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        path = wal.resume_writes()
    assert path and Path(path).exists() and not wal.read_only
    assert any("accepts writes again" in r.message for r in caplog.records)
    assert wal.append(b"again") == 2  # the failed record's lsn is the next one, as after any failure
    assert wal.append_many([b"and", b"more"]) == 4
    wal.close()
    assert replay(tmp_path) == {1: b"kept", 2: b"again", 3: b"and", 4: b"more"}


def test_resume_on_a_writable_log_does_nothing(tmp_path: Path) -> None:
    with WriteAheadLog(tmp_path) as wal:
        wal.append(b"one")
        segments = wal.segment_count
        assert wal.resume_writes() == ""
        assert wal.segment_count == segments and not wal.read_only
        assert wal.append(b"two") == 2
    assert replay(tmp_path) == {1: b"one", 2: b"two"}


def test_resume_removes_a_half_made_segment_the_failure_could_not(tmp_path: Path) -> None:
    ops = FaultyOps()
    wal = WriteAheadLog(tmp_path, file_ops=ops)
    wal.append(b"kept")
    ops.arm("fsync", errno.EIO, times=2)  # the record's fsync, then the new segment's header fsync
    ops.arm("unlink", errno.EIO)  # and the half-made segment cannot be removed
    with pytest.raises(FailedPrecondition, match="now read-only"):
        wal.append(b"LOST")
    assert wal.read_only
    assert len(list(tmp_path.glob("wal-*.log"))) == 2  # the half-made one is still there
    wal.resume_writes()
    assert wal.append(b"again") == 2
    wal.close()
    assert replay(tmp_path) == {1: b"kept", 2: b"again"}


def test_resume_on_a_closed_log_is_refused(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path)
    wal.close()
    with pytest.raises(FailedPrecondition, match="closed"):
        wal.resume_writes()
