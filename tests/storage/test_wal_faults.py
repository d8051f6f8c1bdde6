"""I/O errors injected at the OS boundary: failed writes are never acknowledged, never retried on the
same file; the log moves to a new segment, or turns read-only when it cannot."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import random
import threading
import time
from pathlib import Path

import pytest

from sutra_stack.errors import FailedPrecondition, SutraError, Unavailable
from sutra_stack.storage.wal import WriteAheadLog
from tests.storage.wal_faults import FaultyOps

FAULTS = [
    ("write", errno.EIO, False),
    ("write", errno.ENOSPC, False),
    ("write", errno.EIO, True),  # half the bytes reach the file, then EIO
    ("fsync", errno.EIO, False),
    ("fsync", errno.ENOSPC, False),
]


def replay(d: Path) -> dict[int, bytes]:
    with WriteAheadLog(d) as wal:
        return dict(wal.replay())


@pytest.mark.parametrize(("op", "err", "partial"), FAULTS)
def test_failed_append_raises_and_log_moves_to_new_segment(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, op: str, err: int, partial: bool
) -> None:
    ops = FaultyOps()
    wal = WriteAheadLog(tmp_path, file_ops=ops)
    acked = {wal.append(f"ok{i}".encode()): f"ok{i}".encode() for i in range(5)}
    segments = wal.segment_count
    ops.arm(op, err, partial=partial)
    with caplog.at_level(logging.WARNING), pytest.raises(Unavailable, match="not stored") as info:
        wal.append(b"LOST")
    assert os.strerror(err) in str(info.value)
    assert not wal.read_only
    assert wal.segment_count == segments + 1
    assert any("moved to a new segment" in r.message for r in caplog.records)
    lsn = wal.append(b"after")
    assert lsn == 6  # the failed record's lsn was never acknowledged, so it is reused
    acked[lsn] = b"after"
    wal.close()
    got = replay(tmp_path)
    assert got == acked
    assert b"LOST" not in got.values()


def test_concurrent_appenders_in_a_failed_group_all_raise(tmp_path: Path) -> None:
    ops = FaultyOps()
    wal = WriteAheadLog(tmp_path, file_ops=ops)
    acked: dict[int, bytes] = {}
    failed: list[bytes] = []
    lock = threading.Lock()
    go = threading.Event()

    def writer(t: int) -> None:
        go.wait()
        for i in range(30):
            data = f"t{t}-{i}".encode()
            try:
                lsn = wal.append(data)
            except SutraError:
                with lock:
                    failed.append(data)
                continue
            with lock:
                assert lsn not in acked
                acked[lsn] = data

    ops.arm("fsync", errno.EIO, times=2, skip=10)  # two failures once the writers are going
    ts = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for t in ts:
        t.start()
    go.set()
    for t in ts:
        t.join(timeout=60)
    wal.close()
    assert ops.failures == 2
    assert failed, "the armed failures hit no append"
    assert len(acked) + len(failed) == 240
    got = replay(tmp_path)
    assert got == acked  # every acknowledged record, nothing that failed
    assert sorted(got) == list(range(1, len(acked) + 1))


def test_turns_read_only_when_no_new_segment_can_be_made(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ops = FaultyOps()
    wal = WriteAheadLog(tmp_path, file_ops=ops)
    wal.append(b"kept")
    ops.arm("fsync", errno.EIO)
    ops.arm("create", errno.ENOSPC)
    with caplog.at_level(logging.ERROR), pytest.raises(FailedPrecondition, match="now read-only"):
        wal.append(b"LOST")
    assert wal.read_only
    assert any("READ-ONLY" in r.message for r in caplog.records)
    with pytest.raises(FailedPrecondition, match="read-only"):
        wal.append(b"refused")
    with pytest.raises(FailedPrecondition, match="read-only"):
        wal.append_many([b"refused"])
    wal.close()
    assert replay(tmp_path) == {1: b"kept"}
    with WriteAheadLog(tmp_path) as wal2:  # a healthy disk again: writes resume
        assert wal2.append(b"again") == 2


def test_residue_of_a_failed_write_is_ignored_when_truncation_fails(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ops = FaultyOps()
    wal = WriteAheadLog(tmp_path, file_ops=ops)
    wal.append(b"one")
    ops.arm("fsync", errno.EIO)
    ops.arm("ftruncate", errno.EIO)  # the failed record stays whole in the old segment
    with pytest.raises(Unavailable):
        wal.append(b"LOST")
    assert wal.append(b"two") == 2
    wal.close()
    with caplog.at_level(logging.WARNING):
        assert replay(tmp_path) == {1: b"one", 2: b"two"}
    assert any("never acknowledged" in r.message for r in caplog.records)


def test_failure_while_rolling_over_to_a_new_segment(tmp_path: Path) -> None:
    ops = FaultyOps()
    wal = WriteAheadLog(tmp_path, file_ops=ops, segment_bytes=4096)
    acked = {}
    for _ in range(30):
        acked[wal.append(b"x" * 100)] = b"x" * 100
    segments = wal.segment_count
    ops.arm("create", errno.ENOSPC)  # the next rollover cannot create its segment (once)
    failures = 0
    for i in range(60):
        data = f"r{i}".encode() * 30
        try:
            acked[wal.append(data)] = data
        except Unavailable:
            failures += 1
    assert failures == 1 and not wal.read_only and wal.segment_count > segments
    wal.close()
    assert replay(tmp_path) == acked


def test_background_fsync_failure_moves_to_new_segment(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ops = FaultyOps()
    wal = WriteAheadLog(tmp_path, fsync="everysec", file_ops=ops)
    acked = {wal.append(b"a"): b"a"}
    ops.arm("fsync", errno.EIO)
    with caplog.at_level(logging.WARNING):
        deadline = time.monotonic() + 10
        while ops.failures == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.05)
    assert ops.failures == 1
    assert wal.segment_count == 2 and not wal.read_only
    assert any("background fsync" in r.message for r in caplog.records)
    acked[wal.append(b"b")] = b"b"
    wal.close()
    assert replay(tmp_path) == acked == {1: b"a", 2: b"b"}


def test_failed_segment_delete_is_logged_and_harmless(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ops = FaultyOps()
    wal = WriteAheadLog(tmp_path, file_ops=ops, segment_bytes=4096)
    for _i in range(100):
        wal.append(b"y" * 100)
    last = wal.rotate()
    before = wal.segment_count
    ops.arm("unlink", errno.EIO)
    with caplog.at_level(logging.ERROR):
        wal.drop_through(last)
    assert wal.segment_count == before
    assert any("could not delete" in r.message for r in caplog.records)
    wal.drop_through(last)
    assert wal.segment_count == 1
    assert wal.append(b"z") == last + 1
    wal.close()
    with WriteAheadLog(tmp_path) as wal2:
        assert list(wal2.replay(after_lsn=last)) == [(last + 1, b"z")]


class _StuckBackgroundFsync(FaultyOps):
    """The everysec thread's fsync hangs (a slow disk) until released."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def fsync(self, fd: int) -> None:
        if threading.current_thread().name == "wal-everysec":
            self.entered.set()
            assert self.release.wait(30)
        super().fsync(fd)


def test_everysec_background_fsync_does_not_block_writers(tmp_path: Path) -> None:
    ops = _StuckBackgroundFsync()
    wal = WriteAheadLog(tmp_path, fsync="everysec", file_ops=ops)
    wal.append(b"first")
    assert ops.entered.wait(10), "no background fsync within 10 s"
    done: list[int] = []
    t = threading.Thread(target=lambda: done.extend(wal.append(b"x" * 100) for _ in range(100)))
    t.start()
    t.join(timeout=20)  # generous: only a writer blocked behind the hanging fsync takes this long
    blocked = t.is_alive()
    ops.release.set()
    t.join(timeout=20)
    wal.close()
    assert not blocked, "appends waited for the background fsync"
    assert done == list(range(2, 102))
    with WriteAheadLog(tmp_path) as wal2:
        assert len(list(wal2.replay())) == 101


class _ScriptedFsyncs(FaultyOps):
    """The n-th fsync after `script` is set may wait for an event, then fail or succeed."""

    def __init__(self) -> None:
        super().__init__()
        self.script: dict[int, tuple[threading.Event | None, int | None]] = {}
        self.calls = 0
        self.entered = [threading.Event() for _ in range(4)]

    def fsync(self, fd: int) -> None:
        with self.lock:
            n = self.calls
            self.calls += 1
        gate, err = self.script.get(n, (None, None))
        if n < len(self.entered):
            self.entered[n].set()
        if gate is not None:
            assert gate.wait(30)
        if err is not None:
            raise OSError(err, os.strerror(err))
        super().fsync(fd)


def _two_groups_in_flight(tmp_path: Path, first_fails: bool) -> tuple[dict[str, object], WriteAheadLog]:
    """Group A's fsync hangs; group B is written and fsynced meanwhile; one of the two fails."""
    ops = _ScriptedFsyncs()
    wal = WriteAheadLog(tmp_path, file_ops=ops)
    gate = threading.Event()
    ops.calls = 0
    ops.script = {0: (gate, errno.EIO if first_fails else None), 1: (None, None if first_fails else errno.EIO)}
    results: dict[str, object] = {}

    def append(name: bytes) -> None:
        try:
            results[name.decode()] = wal.append(name)
        except SutraError as e:
            results[name.decode()] = e

    a = threading.Thread(target=append, args=(b"A",))
    a.start()
    assert ops.entered[0].wait(10)
    b = threading.Thread(target=append, args=(b"B",))
    b.start()
    assert ops.entered[1].wait(10), "the second group did not start its fsync while the first hung"
    time.sleep(0.05)
    assert "B" not in results, "B was answered before the earlier group A had its outcome"
    assert wal.last_lsn == 0, "last_lsn counted records whose fsync had not returned"
    gate.set()
    a.join(10)
    b.join(10)
    return results, wal


def test_later_group_failing_does_not_take_the_earlier_one(tmp_path: Path) -> None:
    results, wal = _two_groups_in_flight(tmp_path, first_fails=False)
    assert results["A"] == 1
    assert isinstance(results["B"], Unavailable)
    assert wal.append(b"C") == 2  # B's lsn was never acknowledged: reused
    wal.close()
    assert replay(tmp_path) == {1: b"A", 2: b"C"}


def test_earlier_group_failing_fails_the_later_one_even_if_its_fsync_worked(tmp_path: Path) -> None:
    results, wal = _two_groups_in_flight(tmp_path, first_fails=True)
    assert isinstance(results["A"], Unavailable) and isinstance(results["B"], Unavailable)
    assert wal.append(b"C") == 1
    wal.close()
    assert replay(tmp_path) == {1: b"C"}


def test_rotation_failing_after_the_pending_group_was_written_keeps_that_group(tmp_path: Path) -> None:
    """rotate() writes what is queued, then cannot create its new segment (once): the queued
    append is durable and keeps its lsn, and later lsns continue right after it."""
    ops = _ScriptedFsyncs()
    wal = WriteAheadLog(tmp_path, file_ops=ops)
    gate = threading.Event()
    ops.calls = 0
    ops.script = {0: (gate, None)}
    results: dict[str, object] = {}
    a = threading.Thread(target=lambda: results.__setitem__("A", wal.append(b"A")))
    a.start()
    assert ops.entered[0].wait(10)
    r = threading.Thread(target=lambda: results.__setitem__("rotate", wal.rotate()))
    r.start()
    time.sleep(0.05)  # rotate now waits for A's fsync; no new group may start meanwhile
    b = threading.Thread(target=lambda: results.__setitem__("B", wal.append(b"B")))
    b.start()
    deadline = time.monotonic() + 10
    while wal._open_group.count == 0 and time.monotonic() < deadline:  # B is queued
        time.sleep(0.005)
    ops.arm("create", errno.ENOSPC)  # the rotation's new segment fails once; the retry works
    gate.set()
    for t in (a, r, b):
        t.join(10)
    assert results == {"A": 1, "B": 2, "rotate": 2}
    assert not wal.read_only
    assert wal.append(b"C") == 3
    wal.close()
    assert replay(tmp_path) == {1: b"A", 2: b"B", 3: b"C"}


class _RandomFaults(FaultyOps):
    """Every write (2%, half of it reaching the file) or fsync (3%) may fail, after the log is open."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng
        self.on = False

    def write(self, fd: int, data: bytes | memoryview) -> int:
        if self.on and self.rng.random() < 0.02:
            super().write(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "injected")
        return super().write(fd, data)

    def fsync(self, fd: int) -> None:
        if self.on and self.rng.random() < 0.03:
            raise OSError(errno.EIO, "injected")
        super().fsync(fd)


def _random_fault_run(d: Path, policy: str, it: int) -> None:
    rng = random.Random(it)
    ops = _RandomFaults(rng)
    wal = WriteAheadLog(d, fsync=policy, file_ops=ops, segment_bytes=8192)
    ops.on = True
    acked: dict[int, bytes] = {}
    lock = threading.Lock()

    def writer(t: int) -> None:
        r = random.Random(it * 100 + t)
        for i in range(60):
            p = f"{it}-{t}-{i}|".encode() * r.randint(1, 10)
            try:
                if r.random() < 0.1:
                    last = wal.append_many([p + b"a", p + b"b"])
                    got = {last - 1: p + b"a", last: p + b"b"}
                else:
                    got = {wal.append(p): p}
            except SutraError:
                continue
            with lock:
                assert not acked.keys() & got.keys(), "an lsn acknowledged twice"
                acked.update(got)
            if r.random() < 0.03:
                with contextlib.suppress(SutraError):
                    wal.drop_through(0)
                    wal.rotate()

    ts = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in ts), "a writer hung"
    wal.close()
    assert replay(d) == acked, f"iteration {it}"


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_random_faults_with_busy_writers_rotations_and_drops(tmp_path: Path, policy: str) -> None:
    """Whatever fails and wherever: acknowledged lsns are unique, and exactly those records replay."""
    for it in range(20):
        _random_fault_run(tmp_path / f"run{it}", policy, it)


def test_disk_error_while_opening_is_a_clear_error(tmp_path: Path) -> None:
    ops = FaultyOps()
    ops.arm("fsync", errno.EIO)  # the first segment's header cannot be made durable
    with pytest.raises(Unavailable, match=r"cannot open the write-ahead log in .*: Input/output error"):
        WriteAheadLog(tmp_path, file_ops=ops)
    with WriteAheadLog(tmp_path) as wal:  # nothing half-made is left behind
        assert wal.append(b"a") == 1
