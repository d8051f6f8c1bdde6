"""The write-ahead log on a real disk: round trips, segments, replay, group commit, bad input, the lock."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sutra_stack.errors import DataLoss, FailedPrecondition, InvalidArgument
from sutra_stack.limits import MAX_WAL_RECORD_BYTES
from sutra_stack.storage.engine.lockfile import DirectoryLock
from sutra_stack.storage.wal import MAX_INFLIGHT_FSYNCS, WriteAheadLog
from sutra_stack.storage.wal import framing as fmt
from tests.storage.wal_faults import CountingOps


def payload(i: int) -> bytes:
    return f"record {i} ".encode() * (1 + i % 7)


def segment_files(d: Path) -> list[Path]:
    return sorted(p for p in d.iterdir() if fmt.parse_segment_name(p.name) is not None)


def test_round_trip_and_reopen(tmp_path: Path) -> None:
    with WriteAheadLog(tmp_path) as wal:
        assert wal.last_lsn == 0
        assert [wal.append(payload(i)) for i in range(1, 51)] == list(range(1, 51))
        assert wal.append_many([payload(i) for i in range(51, 61)]) == 60
        assert wal.append(b"") == 61  # empty payloads are allowed
        assert list(wal.replay()) == [(i, payload(i)) for i in range(1, 61)] + [(61, b"")]
    with WriteAheadLog(tmp_path) as wal:
        assert wal.last_lsn == 61
        assert list(wal.replay(after_lsn=55)) == [(i, payload(i)) for i in range(56, 61)] + [(61, b"")]
        assert wal.append(b"after reopen") == 62
    with WriteAheadLog(tmp_path) as wal:
        assert list(wal.replay(after_lsn=61)) == [(62, b"after reopen")]
        assert list(wal.replay(after_lsn=62)) == []


def test_segment_rollover_rotate_and_drop(tmp_path: Path) -> None:
    with WriteAheadLog(tmp_path, segment_bytes=4096) as wal:
        for i in range(1, 201):
            wal.append(payload(i))
        files = segment_files(tmp_path)
        assert wal.segment_count == len(files) >= 3
        assert wal.size_bytes == sum(p.stat().st_size for p in files)
        # no segment grows past segment_bytes (each record here is far smaller than a segment)
        assert all(p.stat().st_size <= 4096 for p in files)
        assert wal.rotate() == 200
        assert wal.segment_count == len(files) + 1
        assert wal.append(b"x") == 201
        wal.drop_through(200)
        assert wal.segment_count == 1  # only the segment holding lsn 201
        assert list(wal.replay(after_lsn=200)) == [(201, b"x")]
        with pytest.raises(DataLoss, match=r"lsns 1\.\.200 are missing"):
            list(wal.replay(after_lsn=0))
    with WriteAheadLog(tmp_path, segment_bytes=4096) as wal:
        assert wal.last_lsn == 201
        assert list(wal.replay(after_lsn=200)) == [(201, b"x")]


def test_rotate_of_an_empty_segment_adds_no_file(tmp_path: Path) -> None:
    with WriteAheadLog(tmp_path) as wal:
        wal.append(b"a")
        assert wal.rotate() == 1
        count = wal.segment_count
        assert wal.rotate() == 1 and wal.rotate() == 1  # an idle store snapshotting again and again
        assert wal.segment_count == count == len(segment_files(tmp_path)) == 2
        wal.drop_through(1)
        assert wal.segment_count == 1
        assert wal.append(b"b") == 2
    with WriteAheadLog(tmp_path) as wal:
        assert list(wal.replay(after_lsn=1)) == [(2, b"b")]


def test_drop_through_keeps_segments_with_newer_records(tmp_path: Path) -> None:
    with WriteAheadLog(tmp_path, segment_bytes=4096) as wal:
        for i in range(1, 201):
            wal.append(payload(i))
        before = wal.segment_count
        wal.drop_through(100)
        assert 1 <= wal.segment_count < before
        got = list(wal.replay(after_lsn=100))
        assert got == [(i, payload(i)) for i in range(101, 201)]
        wal.drop_through(0)  # nothing to drop
        assert list(wal.replay(after_lsn=100)) == got


def test_snapshot_ahead_of_log_moves_the_log_on(tmp_path: Path) -> None:
    """A snapshot at lsn 500 over an empty log: new records must get lsns after 500."""
    with WriteAheadLog(tmp_path, fsync="off") as wal:
        assert list(wal.replay(after_lsn=500)) == []
        assert wal.append(b"next") == 501
    with WriteAheadLog(tmp_path) as wal:
        assert list(wal.replay(after_lsn=500)) == [(501, b"next")]


def test_group_commit_shares_fsyncs(tmp_path: Path) -> None:
    ops = CountingOps(fsync_delay=0.003)  # a disk whose fsync takes 3 ms
    wal = WriteAheadLog(tmp_path, file_ops=ops)
    start_fsyncs = ops.fsyncs
    per_thread, threads = 40, 8
    got: dict[int, bytes] = {}
    lock = threading.Lock()

    def writer(t: int) -> None:
        for i in range(per_thread):
            data = f"t{t}-{i}".encode()
            lsn = wal.append(data)
            with lock:
                got[lsn] = data

    ts = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=60)
    total = per_thread * threads
    fsyncs = ops.fsyncs - start_fsyncs
    counters = wal.counters()
    wal.close()
    assert sorted(got) == list(range(1, total + 1))
    # the metrics' running totals tell the same story as the disk
    assert counters["wal_records_total"] == total
    assert counters["wal_fsyncs_total"] == counters["wal_group_commits_total"] == fsyncs
    # one fsync per group: with 8 writers, far fewer fsyncs than appends, and never more than
    # MAX_INFLIGHT_FSYNCS of them on the disk at once
    assert fsyncs <= total // 2, f"{fsyncs} fsyncs for {total} appends"
    assert ops.max_running <= MAX_INFLIGHT_FSYNCS
    with WriteAheadLog(tmp_path) as wal2:
        assert dict(wal2.replay()) == got


def test_append_many_is_one_write_and_one_fsync(tmp_path: Path) -> None:
    ops = CountingOps()
    with WriteAheadLog(tmp_path, file_ops=ops) as wal:
        w0, f0 = ops.writes, ops.fsyncs
        assert wal.append_many([payload(i) for i in range(1, 1001)]) == 1000
        assert (ops.writes - w0, ops.fsyncs - f0) == (1, 1)


@pytest.mark.parametrize("policy", ["everysec", "off"])
def test_relaxed_policies_do_not_fsync_each_append(tmp_path: Path, policy: str) -> None:
    ops = CountingOps()
    with WriteAheadLog(tmp_path, fsync=policy, file_ops=ops) as wal:
        f0, t0 = ops.fsyncs, time.monotonic()
        for i in range(1, 101):
            wal.append(payload(i))
        seconds = time.monotonic() - t0
        # none under off; under everysec at most one background sync per second that passed
        assert ops.fsyncs - f0 <= (0 if policy == "off" else int(seconds) + 1)
    with WriteAheadLog(tmp_path) as wal:
        assert list(wal.replay()) == [(i, payload(i)) for i in range(1, 101)]


def test_bad_input_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    with WriteAheadLog(tmp_path) as wal:
        wal.append(b"one")
        size = wal.size_bytes
        with pytest.raises(InvalidArgument, match="MAX_WAL_RECORD_BYTES"):
            wal.append(b"x" * (MAX_WAL_RECORD_BYTES + 1))
        with pytest.raises(InvalidArgument, match="payload must be bytes"):
            wal.append("text")  # type: ignore[arg-type]
        with pytest.raises(InvalidArgument, match=r"payloads\[1\] must be bytes"):
            wal.append_many([b"ok", 3])  # type: ignore[list-item]
        with pytest.raises(InvalidArgument, match="at least one"):
            wal.append_many([])
        with pytest.raises(InvalidArgument, match="after_lsn"):
            list(wal.replay(after_lsn=-1))
        assert (wal.size_bytes, wal.last_lsn) == (size, 1)
    with pytest.raises(InvalidArgument, match="fsync must be one of"):
        WriteAheadLog(tmp_path, fsync="sometimes")
    with pytest.raises(InvalidArgument, match="segment_bytes"):
        WriteAheadLog(tmp_path, segment_bytes=10)
    with WriteAheadLog(tmp_path) as wal:
        assert list(wal.replay()) == [(1, b"one")]


def test_closed_log_refuses_appends(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path)
    wal.append(b"a")
    wal.close()
    wal.close()  # idempotent
    with pytest.raises(FailedPrecondition, match="closed"):
        wal.append(b"b")


def test_foreign_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a segment")
    with WriteAheadLog(tmp_path) as wal:
        wal.append(b"a")
    with WriteAheadLog(tmp_path) as wal:
        assert list(wal.replay()) == [(1, b"a")]


_HOLD = """
import sys, time
from pathlib import Path
from sutra_stack.storage.engine.lockfile import DirectoryLock
lock = DirectoryLock(Path(sys.argv[1]))
lock.acquire()
print("locked", flush=True)
sys.stdin.read()
"""


def test_directory_lock_refuses_a_second_process(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(tmp_path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=root)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(FailedPrecondition, match=rf"in use by process {proc.pid}\b"):
            DirectoryLock(tmp_path).acquire()
    finally:
        proc.kill()
        proc.wait(timeout=10)
    # the kernel released the dead holder's lock: a new holder gets it, stale LOCK file or not
    with DirectoryLock(tmp_path) as lock:
        assert lock.held
        assert (tmp_path / "LOCK").read_text().strip() == str(os.getpid())
        with pytest.raises(FailedPrecondition, match="in use by process"):
            DirectoryLock(tmp_path).acquire()
    assert not lock.held
    DirectoryLock(tmp_path).acquire()


def test_rotate_and_drop_under_continuous_writers(tmp_path: Path) -> None:
    """A snapshot's rotate gets its turn while 8 writers keep the log busy, and nothing is lost."""
    ops = CountingOps(fsync_delay=0.001)
    wal = WriteAheadLog(tmp_path, file_ops=ops, segment_bytes=4096)
    stop = threading.Event()
    got: dict[int, bytes] = {}
    lock = threading.Lock()

    def writer(t: int) -> None:
        i = 0
        while not stop.is_set():
            data = f"w{t}-{i}".encode()
            lsn = wal.append(data)
            with lock:
                got[lsn] = data
            i += 1

    ts = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for t in ts:
        t.start()
    marks = []
    for _ in range(10):
        time.sleep(0.02)
        last = wal.rotate()
        marks.append(last)
        wal.drop_through(max(0, last - 50))
    stop.set()
    for t in ts:
        t.join(timeout=60)
    wal.close()
    assert marks == sorted(marks) and marks[-1] > 100
    after = marks[-1] - 50
    with WriteAheadLog(tmp_path) as wal2:
        replayed = dict(wal2.replay(after_lsn=after))
    assert replayed == {lsn: p for lsn, p in got.items() if lsn > after}


_HOLD_AND_FORK = """
import os, sys, time
from pathlib import Path
from sutra_stack.storage.engine.lockfile import DirectoryLock
lock = DirectoryLock(Path(sys.argv[1]))
lock.acquire()
child = os.fork()
if child == 0:  # like the engine's snapshot child: outlives a killed parent for a while
    time.sleep(60)
    os._exit(0)
print(child, flush=True)
sys.stdin.read()
"""


def test_a_forked_child_keeps_the_directory_locked_until_it_exits(tmp_path: Path) -> None:
    """An orphaned snapshot child may still rename files into the store: no new store may open
    the directory before it is gone, and right after it is gone one can."""
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen([sys.executable, "-c", _HOLD_AND_FORK, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=root)
    child = 0
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        parent.kill()  # the parent alone, as the OOM killer would
        parent.wait(timeout=10)
        os.kill(child, 0)  # the child still runs ...
        with pytest.raises(FailedPrecondition, match="in use by process"):
            DirectoryLock(tmp_path).acquire()  # ... and still holds the directory
        os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the child is not ours to reap: wait until it is gone
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            if Path(f"/proc/{child}/stat").read_text().split()[2] == "Z":
                break
            time.sleep(0.01)
        with DirectoryLock(tmp_path) as lock:
            assert lock.held
    finally:
        parent.kill()
        parent.wait(timeout=10)
        if child:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
