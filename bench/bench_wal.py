"""The write-ahead log beside bare `os.write` + `os.fsync` on the same disk, in the same run.

Figures (records of --size bytes; each beside its bare run, alternated --repeats times, medians):
  * bare loop: one os.write + one os.fsync per record, one thread — the physical limit of
    "acknowledge only after fsync" without sharing fsyncs;
  * bare, 8 threads on one fd, each doing write + fsync (what group commit competes with);
  * WAL append, fsync always, 1 writer  (target ≥ 0.8× the bare loop: framing + locking are cheap);
  * WAL append, fsync always, 8 writers (target ≥ 3× the bare loop: group commit shares fsyncs;
    and ≥ 0.7× the bare 8-thread loop, whose concurrent fsyncs the kernel merges), with fsyncs
    per append;
  * WAL append_many, batches of 1,000, beside one bare write + fsync of the same bytes (target ≥ 0.7×);
  * WAL append, fsync off / everysec, 1 writer, beside a bare os.write loop without fsync
    (target ≥ 0.25×: then the cost is Python, not the disk).

Usage: python bench/bench_wal.py [--seconds 1.5] [--repeats 3] [--size 200]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sutra_stack.storage.wal import WriteAheadLog  # noqa: E402
from sutra_stack.storage.wal.fileops import FileOps  # noqa: E402


class _CountingOps(FileOps):
    def __init__(self) -> None:
        self.fsyncs = 0

    def fsync(self, fd: int) -> None:
        self.fsyncs += 1
        super().fsync(fd)


def _timed_threads(threads: int, seconds: float, work: Callable[[], int]) -> float:
    """Run `work` (returns records done per call) in `threads` threads for `seconds`; records/s."""
    stop = time.perf_counter() + seconds
    counts = [0] * threads

    def run(t: int) -> None:
        n = 0
        while time.perf_counter() < stop:
            n += work()
        counts[t] = n

    t0 = time.perf_counter()
    ts = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts) / (time.perf_counter() - t0)


def bare(base: Path, seconds: float, size: int, threads: int, fsync: bool) -> float:
    d = Path(tempfile.mkdtemp(dir=base))
    fd = os.open(d / "bare.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    rec = b"r" * size

    def one() -> int:
        os.write(fd, rec)
        if fsync:
            os.fsync(fd)
        return 1

    try:
        return _timed_threads(threads, seconds, one)
    finally:
        os.close(fd)
        shutil.rmtree(d)


def bare_batch(base: Path, seconds: float, size: int, batch: int) -> float:
    d = Path(tempfile.mkdtemp(dir=base))
    fd = os.open(d / "bare.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    recs = [b"r" * size for _ in range(batch)]

    def one() -> int:
        os.write(fd, b"".join(recs))
        os.fsync(fd)
        return batch

    try:
        return _timed_threads(1, seconds, one)
    finally:
        os.close(fd)
        shutil.rmtree(d)


def wal_rate(base: Path, seconds: float, size: int, threads: int, policy: str,
             batch: int = 0) -> tuple[float, float]:
    """(records/s, fsyncs per record) through the WAL."""
    d = Path(tempfile.mkdtemp(dir=base))
    ops = _CountingOps()
    wal = WriteAheadLog(d, fsync=policy, file_ops=ops)
    rec = b"w" * size
    payloads = [rec] * batch

    def one() -> int:
        if batch:
            wal.append_many(payloads)
            return batch
        wal.append(rec)
        return 1

    try:
        f0 = ops.fsyncs
        start_lsn = wal.last_lsn
        rate = _timed_threads(threads, seconds, one)
        return rate, (ops.fsyncs - f0) / max(1, wal.last_lsn - start_lsn)
    finally:
        wal.close()
        shutil.rmtree(d)


def paired(repeats: int, limit: Callable[[], float], ours: Callable[[], tuple[float, float]]
           ) -> tuple[float, float, float, float]:
    """Alternate the bare run and ours `repeats` times (the disk's speed drifts on a shared
    machine); medians of (limit rate, our rate, per-pair ratio, fsyncs per record)."""
    lim, rate, ratio, fs = [], [], [], []
    for _ in range(repeats):
        b = limit()
        w, f = ours()
        lim.append(b)
        rate.append(w)
        ratio.append(w / b)
        fs.append(f)
    return statistics.median(lim), statistics.median(rate), statistics.median(ratio), statistics.median(fs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--dir", type=Path, default=None, help="where to write (default: a temp dir)")
    a = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-wal-", dir=a.dir))
    s, z, n = a.seconds, a.size, a.repeats
    try:
        print(f"WAL benchmark: {z}-byte records, {n} alternating pairs of {s}s runs (bare, WAL), medians, "
              f"in {base}")
        b1, w1, r1, f1 = paired(n, lambda: bare(base, s, z, 1, True), lambda: wal_rate(base, s, z, 1, "always"))
        print(f"  limit  bare os.write+os.fsync, 1 thread        {b1:>10,.0f} rec/s")
        print(f"  WAL append, fsync=always, 1 writer          {w1:>10,.0f} rec/s  "
              f"{r1:.2f}× bare loop (target ≥ 0.80×), {f1:.2f} fsync/append")
        b8, w8, r8, f8 = paired(n, lambda: bare(base, s, z, 8, True), lambda: wal_rate(base, s, z, 8, "always"))
        print(f"  anchor bare os.write+os.fsync, 8 threads       {b8:>10,.0f} rec/s  "
              f"({b8 / b1:.2f}× the 1-thread loop)")
        print(f"  WAL append, fsync=always, 8 writers         {w8:>10,.0f} rec/s  "
              f"{w8 / b1:.2f}× bare loop (target ≥ 3.00×), {r8:.2f}× bare 8 threads "
              f"(target ≥ 0.70×), {f8:.3f} fsync/append (group commit)")
        bb, wb, rb, _ = paired(n, lambda: bare_batch(base, s, z, 1000),
                               lambda: wal_rate(base, s, z, 1, "always", batch=1000))
        print(f"  limit  bare 1 write+fsync of 1,000 records      {bb:>10,.0f} rec/s")
        print(f"  WAL append_many(1,000), fsync=always        {wb:>10,.0f} rec/s  "
              f"{rb:.2f}× bare batch (target ≥ 0.70×)")
        for policy in ("off", "everysec"):
            bn, wp, rp, _ = paired(n, lambda: bare(base, s, z, 1, False),
                                   lambda policy=policy: wal_rate(base, s, z, 1, policy))
            print(f"  limit  bare os.write, no fsync, 1 thread       {bn:>10,.0f} rec/s")
            print(f"  WAL append, fsync={policy:<8}, 1 writer        {wp:>10,.0f} rec/s  "
                  f"{rp:.2f}× bare write (target ≥ 0.25×)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
