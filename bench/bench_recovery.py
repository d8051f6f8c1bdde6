"""Crash-restart time beside opening the snapshot, with and without the recovery target, in one run.

For each configuration — "size only" (storage.recovery_target_seconds = 0: a snapshot once the
WAL passes storage.snapshot_wal_bytes, 256 MB, or every 10 minutes, as before the target) and
"target T s" (the default) — a child process bulk-learns N concepts (batches of 1,000, the
built-in embedder at dimension 384, ef_construction 200, fsync always) and exits without
closing, as a crash does. Printed per configuration:
  * bulk learning rate (concepts/s) and the snapshots taken meanwhile;
  * snapshot write amplification: bytes written by snapshots / bytes written to the WAL;
  * crash-restart time: Engine.open on the crashed store (snapshot + WAL replay), the WAL bytes
    it replayed and the replay rate;
  * how long writes waited for a running snapshot (the target's backpressure) in all;
  * open from the snapshot: Engine.open after a clean close (what the target aims near).
Larger N than the run allows is printed as an estimate scaled from the measured figures
(snapshot open time and replay rate per byte), labelled as such.

Usage: python bench/bench_recovery.py [--concepts 100000] [--scale-to 1000000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sutra_stack.config import SETTINGS  # noqa: E402
from sutra_stack.errors import FailedPrecondition  # noqa: E402
from sutra_stack.libc import set_parent_death_signal  # noqa: E402
from sutra_stack.storage.engine.lockfile import DirectoryLock  # noqa: E402

BATCH = 1_000
DEFAULT_TARGET = next(s.default for s in SETTINGS if s.key == "storage.recovery_target_seconds")
SIZE_LIMIT = next(s.default for s in SETTINGS if s.key == "storage.snapshot_wal_bytes")

_LEARN = r"""
import json, os, sys, time
from pathlib import Path
from sutra_stack.storage.wal import fileops
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.model import ConceptInput

path, n, target, counts = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
log = os.open(counts, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


class Counting(fileops.FileOps):
    # bytes written, by kind; appended to a file so that forked snapshot children count too
    def __init__(self):
        self.names = {}

    def open(self, p, flags, mode=fileops.FILE_MODE):
        fd = super().open(p, flags, mode)
        self.names[fd] = Path(p)
        return fd

    def close(self, fd):
        self.names.pop(fd, None)
        super().close(fd)

    def write(self, fd, data):
        got = super().write(fd, data)
        p = self.names.get(fd)
        os.write(log, f"{'wal' if p is not None and p.parent.name == 'wal' else 'snap'} {got}\n".encode())
        return got

    def fsync(self, fd):
        p = self.names.get(fd)
        if p is not None and p.name.startswith("index-") and p.name.endswith(".tmp"):
            os.write(log, f"snap {os.fstat(fd).st_size}\n".encode())  # written by hnswlib, past the seam
        super().fsync(fd)


settings = {"storage.recovery_target_seconds": target, "storage.snapshot_interval": 600.0}
with fileops.use(Counting()):
    eng = Engine.open(path, settings)
t0 = time.perf_counter()
for start in range(0, n, 1000):
    eng.learn_batch([ConceptInput(content=f"bench concept {i} of the recovery run, with some words")
                     for i in range(start, min(n, start + 1000))])
took = time.perf_counter() - t0
p = eng._persist
print(json.dumps({"rate": n / took, "seconds": took, "snapshots": p.snapshots_taken,
                  "wal_now": p.wal.size_bytes, "wake_bytes": p.budget.wake_bytes, "budget": p.budget.budget_bytes,
                  "waits": p.budget.write_waits, "wait_seconds": p.budget.write_wait_seconds}), flush=True)
os._exit(0)  # a crash: no snapshot on the way out
"""

_OPEN = r"""
import json, sys, time
from sutra_stack.storage.engine import Engine
t0 = time.perf_counter()
eng = Engine.open(sys.argv[1], {"storage.recovery_target_seconds": 0.0})
opened = time.perf_counter() - t0
p = eng._persist
out = {"open": opened, "replay_rate": p.budget.replay_rate, "wal": p.wal.size_bytes, "concepts": eng.stats().concepts}
eng.close()
print(json.dumps(out), flush=True)
"""


def _die_with_parent() -> None:
    # a bench killed mid-run (a timeout, Ctrl-C of the shell) must not leave its child learning into
    # a store that the next run removes and makes anew at the same path
    set_parent_death_signal(signal.SIGKILL)


def run(code: str, *args: Any) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), preexec_fn=_die_with_parent)
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def clear(path: Path) -> None:
    """Remove the store an earlier run left at `path`; refuse one that a live process has open."""
    if path.exists():
        try:
            with DirectoryLock(path):
                pass
        except FailedPrecondition as e:
            raise SystemExit(f"{e.message}; not removing it (choose another --dir)") from None
    shutil.rmtree(path, ignore_errors=True)


def measure(base: Path, n: int, target: float) -> dict[str, Any]:
    path = base / f"store-{target}"
    clear(path)
    counts = base / f"counts-{target}"
    counts.unlink(missing_ok=True)
    learned = run(_LEARN, path, n, target, counts)
    totals = {"wal": 0, "snap": 0}
    for line in counts.read_text().splitlines():
        kind, nbytes = line.split()
        totals[kind] += int(nbytes)
    crash = run(_OPEN, path)  # replays the WAL; closes with a snapshot
    clean = run(_OPEN, path)  # the snapshot alone
    assert crash["concepts"] == clean["concepts"] == n, (crash, clean)
    return {**learned, **totals, "crash_open": crash["open"], "replayed": crash["wal"],
            "replay_rate": crash["replay_rate"], "snapshot_open": clean["open"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concepts", type=int, default=100_000)
    ap.add_argument("--scale-to", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, default=None, help="where the stores go (default: a temp dir)")
    args = ap.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="bench-recovery-"))
    base.mkdir(parents=True, exist_ok=True)
    n = args.concepts
    rows = {"size only (target 0)": measure(base, n, 0.0),
            f"target {DEFAULT_TARGET:g} s": measure(base, n, DEFAULT_TARGET)}
    print(f"\n{n:,} concepts, dimension 384, batches of {BATCH:,}, fsync always (machine: {os.cpu_count()} CPUs)")
    print(f"{'':24} {'learn/s':>9} {'snaps':>6} {'write amp':>10} {'WAL replayed':>13} {'crash restart':>14} "
          f"{'open snapshot':>14} {'writes waited':>14}")
    for name, r in rows.items():
        amp = r["snap"] / max(1, r["wal"])
        print(f"{name:24} {r['rate']:9.0f} {r['snapshots']:6d} {amp:9.2f}x {r['replayed'] / 1e6:11.1f}MB "
              f"{r['crash_open']:13.2f}s {r['snapshot_open']:13.2f}s {r['wait_seconds']:13.1f}s")
    rate = max(r["replay_rate"] for r in rows.values())
    per_concept = rows["size only (target 0)"]["wal"] / n
    m = args.scale_to
    snap_open = rows["size only (target 0)"]["snapshot_open"] * m / n
    worst_old = min(SIZE_LIMIT, m * per_concept) / rate
    print(f"\nestimate at {m:,} concepts (scaled from the run above, not measured): opening the snapshot "
          f"~{snap_open:.1f} s; crash restart with the size limit only: up to {worst_old:.0f} s of replay "
          f"({min(SIZE_LIMIT, m * per_concept) / 1e6:.0f} MB at {rate / 1e6:.1f} MB/s) + the snapshot; with the "
          f"target: about {DEFAULT_TARGET:g} s of replay + the snapshot (writers wait for a snapshot once the WAL "
          f"holds that much)")
    amp = rows[f"target {DEFAULT_TARGET:g} s"]["snap"] / max(1, rows[f"target {DEFAULT_TARGET:g} s"]["wal"])
    print(f"snapshot write amplification with the target grows with the store (each snapshot writes all of it): "
          f"~{amp * m / n:.0f}x for a bulk load to {m:,} (scaled linearly, not measured)")
    print(f"replay rate measured: {rate / 1e6:.2f} MB/s (DEFAULT_REPLAY_BYTES_PER_SECOND assumes "
          f"{4 * 1024 * 1024 / 1e6:.2f} MB/s); stores in {base}")


if __name__ == "__main__":
    main()
