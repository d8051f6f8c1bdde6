"""Simulated power loss: record every write and fsync of a busy log, cut at hundreds of points,
keep only what an fsync covered, reopen, and check that every acknowledged record is there.

SIGKILL cannot find a missing fsync (the page cache survives the process); this can.
"""

from __future__ import annotations

import errno
import random
import threading
from pathlib import Path

import pytest

from sutra_stack.errors import SutraError
from sutra_stack.storage.wal import WriteAheadLog
from tests.storage.power_cut import RecordingOps, power_cut
from tests.storage.wal_faults import FaultyOps

THREADS = 6
PER_THREAD = 40


def busy_log(d: Path, ops: RecordingOps, seed: int) -> dict[bytes, int]:
    """Appenders (singles and batches) plus periodic snapshot+rotate+drop; returns every payload sent."""
    wal = WriteAheadLog(d, segment_bytes=4096, file_ops=ops)
    sent: dict[bytes, int] = {}
    lock = threading.Lock()

    def writer(t: int) -> None:
        rng = random.Random(seed * 100 + t)
        i = 0
        while i < PER_THREAD:
            if rng.random() < 0.2:
                batch = [f"s{seed}t{t}-{i + j}:".encode() * rng.randint(1, 20) for j in range(3)]
                with lock:
                    sent.update((p, 1) for p in batch)
                last = wal.append_many(batch)
                for j, p in enumerate(batch):
                    ops.mark("ack", last - len(batch) + 1 + j, p)
                i += 3
            else:
                p = f"s{seed}t{t}-{i}:".encode() * rng.randint(1, 20)
                with lock:
                    sent[p] = 1
                ops.mark("ack", wal.append(p), p)
                i += 1

    ts = [threading.Thread(target=writer, args=(t,)) for t in range(THREADS)]
    for t in ts:
        t.start()
    for _ in range(3):  # what the engine does around a snapshot
        threading.Event().wait(0.01)
        last = wal.rotate()
        ops.mark("snapshot", last)  # stands for a durable snapshot covering lsn <= last
        wal.drop_through(last)
    for t in ts:
        t.join(timeout=60)
    wal.close()
    return sent


def check_cut(events: list[tuple], k: int, dest: Path, sent: dict[bytes, int], rng: random.Random | None) -> None:
    marks = power_cut(events, k, dest, rng)
    after = max([m[1] for m in marks if m[0] == "snapshot"], default=0)
    acked = {m[1]: m[2] for m in marks if m[0] == "ack" and m[1] > after}
    with WriteAheadLog(dest, segment_bytes=4096) as wal:
        got = list(wal.replay(after_lsn=after))
        lsns = [lsn for lsn, _ in got]
        assert lsns == list(range(after + 1, after + 1 + len(got))), f"cut {k}: lsns not consecutive"
        replayed = dict(got)
        for lsn, p in acked.items():
            assert replayed.get(lsn) == p, f"cut {k}: acknowledged lsn {lsn} lost or changed"
        assert all(p in sent for p in replayed.values()), f"cut {k}: a record nobody wrote"
        assert len(set(replayed.values())) == len(replayed), f"cut {k}: a record twice"
        last = wal.last_lsn
        assert wal.append(b"after the cut") == max(last, after) + 1
    with WriteAheadLog(dest, segment_bytes=4096) as wal:
        assert list(wal.replay(after_lsn=max(last, after)))[-1][1] == b"after the cut"


@pytest.mark.parametrize(("seed", "torn"), [(1, False), (2, True), (3, True)])
def test_power_cuts_never_lose_an_acknowledged_record(tmp_path: Path, seed: int, torn: bool) -> None:
    live = tmp_path / "live"
    live.mkdir()
    ops = RecordingOps(live)
    sent = busy_log(live, ops, seed)
    events = ops.events
    acks = sum(1 for e in events if e[:2] == ("mark", "ack"))
    assert acks >= THREADS * PER_THREAD  # batches of 3 may overshoot a thread's count
    assert sum(1 for e in events if e[0] == "fsync") < acks  # group commit shared fsyncs
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(len(events) + 1), min(150, len(events) + 1)))
    for n, k in enumerate(cuts):
        check_cut(events, k, tmp_path / f"cut{n}", sent, rng if torn else None)


def test_power_cut_model_drops_unsynced_bytes_and_names(tmp_path: Path) -> None:
    """The simulator itself: bytes after the last fsync of their file and entries after the last
    fsync of their directory vanish; a rename counts once its directory is fsynced."""
    a, b, c = (1, 1), (1, 2), (1, 3)
    events = [
        ("create", "a", a), ("write", a, 0, b"hello"), ("fsync", a), ("fsync_dir", "."),
        ("write", a, 5, b" world"),
        ("create", "b", b), ("write", b, 0, b"x"), ("fsync", b),
        ("unlink", "a"),
        ("mkdir", "d"), ("create", "d/c.tmp", c), ("content", c, b"from C"), ("fsync", c),
        ("rename", "d/c.tmp", "d/c"), ("fsync_dir", "d"),
    ]
    power_cut(events, len(events), tmp_path / "all")
    assert {p.name: p.read_bytes() for p in (tmp_path / "all").iterdir()} == {"a": b"hello"}
    power_cut(events, 3, tmp_path / "early")
    assert list((tmp_path / "early").iterdir()) == []  # a's name was never made durable
    power_cut([*events, ("fsync_dir", ".")], len(events) + 1, tmp_path / "later")
    got = {str(p.relative_to(tmp_path / "later")): p.read_bytes() for p in (tmp_path / "later").rglob("*")
           if p.is_file()}
    assert got == {"b": b"x", "d/c": b"from C"}


class _FailingRecordingOps(FaultyOps, RecordingOps):
    """Records every operation and fails some writes/fsyncs (EIO/ENOSPC) on the way."""

    def __init__(self, root: Path) -> None:
        RecordingOps.__init__(self, root)
        FaultyOps.__init__(self)


@pytest.mark.parametrize("seed", [11, 12])
def test_power_cuts_after_failed_writes_and_fsyncs(tmp_path: Path, seed: int) -> None:
    """Failed groups move the log to new segments; cut anywhere: acknowledged records are all there
    and a record whose append raised never comes back once the failure was reported."""
    live = tmp_path / "live"
    live.mkdir()
    ops = _FailingRecordingOps(live)
    wal = WriteAheadLog(live, segment_bytes=4096, file_ops=ops)
    rng = random.Random(seed)
    for i in range(300):
        if rng.random() < 0.06:
            ops.arm(rng.choice(["write", "fsync"]), rng.choice([errno.EIO, errno.ENOSPC]), partial=rng.random() < 0.5)
        p = f"s{seed}-{i}:".encode() * rng.randint(1, 30)
        try:
            ops.mark("ack", wal.append(p), p)
        except SutraError:
            ops.mark("failed", p)
    wal.close()
    assert not wal.read_only
    failed_total = sum(1 for e in ops.events if e[:2] == ("mark", "failed"))
    assert failed_total >= 5, "too few injected failures to be a test"
    cuts = sorted(rng.sample(range(len(ops.events) + 1), 120))
    for n, k in enumerate(cuts):
        marks = power_cut(ops.events, k, tmp_path / f"cut{n}", rng if n % 2 else None)
        acked = {m[1]: m[2] for m in marks if m[0] == "ack"}
        failed = {m[1] for m in marks if m[0] == "failed"}
        with WriteAheadLog(tmp_path / f"cut{n}", segment_bytes=4096) as w:
            got = dict(w.replay())
        assert all(got.get(lsn) == p for lsn, p in acked.items()), f"cut {k}: an acknowledged record is lost"
        assert not failed & set(got.values()), f"cut {k}: a record whose append failed came back"
