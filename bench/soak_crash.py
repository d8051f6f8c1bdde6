"""Crash soak: many more SIGKILL cycles (and power cuts) than `make test` runs, same checks.

Each cycle starts a writer process (the WAL alone, or the real Engine with snapshots running),
kills it with SIGKILL at a random moment (every fourth engine cycle: right as a snapshot
starts), reopens the store and checks every acknowledged write. Then it replays power cuts of
an in-process engine at many points. Exits 1 at the first lost acknowledged write.

Usage: python bench/soak_crash.py [--cycles 100] [--mode wal|engine|both] [--cuts 300] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sutra_stack.storage.engine import Engine  # noqa: E402
from sutra_stack.storage.wal import WriteAheadLog  # noqa: E402
from tests.storage.crash_harness import EngineLedger, kill_cycle  # noqa: E402
from tests.storage.crash_writer import ENGINE_SETTINGS, payload_for  # noqa: E402
from tests.storage.power_cut import RecordingOps  # noqa: E402
from tests.storage.test_crash_powerloss import busy_engine  # noqa: E402


def soak_wal(base: Path, cycles: int, rng: random.Random) -> int:
    base.mkdir(parents=True)
    acked: dict[int, bytes] = {}
    for run in range(cycles):
        _, acks = kill_cycle("wal", base, run, rng, min_s=0.05, max_s=1.0)
        for _, lsn, r, t, i, rep in acks:
            acked[int(lsn)] = payload_for(int(r), int(t), int(i), int(rep))
        with WriteAheadLog(base / "wal") as wal:
            got = dict(wal.replay())
        lost = [lsn for lsn, p in acked.items() if got.get(lsn) != p]
        if lost:
            raise SystemExit(f"WAL cycle {run}: acknowledged lsns lost: {lost[:10]}")
        (base / f"writer-{run}.out").unlink()
    return len(acked)


def soak_engine(base: Path, cycles: int, rng: random.Random) -> tuple[int, int]:
    base.mkdir(parents=True)
    ledger = EngineLedger()
    for run in range(cycles):
        snapshots = run % 2 == 1
        _, acks = kill_cycle("engine", base, run, rng, min_s=0.1, max_s=1.5, threads=3,
                             extra=["--snapshots"] if snapshots else [],
                             kill_when="snapshot" if run % 4 == 3 else None)
        ledger.add(acks)
        with Engine.open(base / "store", ENGINE_SETTINGS) as eng:
            try:
                ledger.check(eng, f"engine cycle {run}")
            except AssertionError as e:
                raise SystemExit(str(e)) from None
        (base / f"writer-{run}.out").unlink()
    return len(ledger.concepts), len(ledger.edges)


def soak_power(base: Path, cuts: int, rng: random.Random) -> int:
    root = base / "store"
    root.mkdir(parents=True)
    rec = RecordingOps(root)
    busy_engine(root, rec, seconds=3.0)
    events = rec.events
    points = sorted(rng.sample(range(len(events) + 1), min(cuts, len(events) + 1)))
    for n, k in enumerate(points):
        dest = base / f"cut{n}"
        ledger = EngineLedger()
        ledger.add([list(m) for m in rec.rebuild(k, dest, random.Random(k) if n % 2 else None)])
        with Engine.open(dest, ENGINE_SETTINGS) as eng:
            try:
                ledger.check(eng, f"power cut at event {k} of {len(events)}")
            except AssertionError as e:
                raise SystemExit(str(e)) from None
        shutil.rmtree(dest)
    return len(points)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--mode", choices=("wal", "engine", "both"), default="both")
    ap.add_argument("--cuts", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    base = Path(tempfile.mkdtemp(prefix="soak-crash-"))
    try:
        if a.mode in ("wal", "both"):
            t0 = time.perf_counter()
            n = soak_wal(base / "wal-soak", a.cycles, rng)
            print(f"WAL: {a.cycles} SIGKILL cycles, {n} acknowledged records all replayed "
                  f"({time.perf_counter() - t0:.0f}s)")
        if a.mode in ("engine", "both"):
            t0 = time.perf_counter()
            concepts, edges = soak_engine(base / "engine-soak", a.cycles, rng)
            print(f"Engine: {a.cycles} SIGKILL cycles (a quarter inside snapshots), {concepts} concepts and "
                  f"{edges} associations acknowledged, all present ({time.perf_counter() - t0:.0f}s)")
            t0 = time.perf_counter()
            cuts = soak_power(base / "power", a.cuts, rng)
            print(f"Engine: {cuts} simulated power cuts, every acknowledged write present "
                  f"({time.perf_counter() - t0:.0f}s)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
