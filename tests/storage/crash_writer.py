"""A writer process for crash tests: writes as fast as it can and prints each acknowledged write.

    python -m tests.storage.crash_writer wal DIR RUN [THREADS]
    python -m tests.storage.crash_writer engine DIR RUN [THREADS] [--snapshots]

`wal`: opens the log in DIR/wal under the data-directory lock, replays it (as a store does on
start), then appends from THREADS threads until killed. After each append returns it prints
`ack <lsn> <run> <thread> <i> <repeat>`; the payload is `payload_for(run, thread, i, repeat)`.

`engine`: opens the real Engine in DIR/store and learns concepts (singly and in batches),
associations between a thread's concepts, and deletes some, printing after each call returns
`ack c <id> <thread> <content...>`, `ack a <source> <target> <type> <thread>`, `ack d <id> <thread>`
(preceded by `will d <id> <thread>`: until its ack, the delete may or may not have happened).
With --snapshots the main thread also takes snapshots back to back, printing `snapshot` first.
Every line is flushed only after the call returned, so the parent knows exactly what was
acknowledged.
"""

from __future__ import annotations

import random
import sys
import threading
from pathlib import Path
from typing import Any

from sutra_stack.storage.engine.lockfile import DirectoryLock
from sutra_stack.storage.model import ConceptInput
from sutra_stack.storage.wal import WriteAheadLog

TYPES = ("semantic", "causal", "temporal", "hierarchical", "compositional")
# Small and quick: tiny segments and a low snapshot threshold so that rollovers, snapshots and
# segment drops all happen within a fraction of a second.
ENGINE_SETTINGS: dict[str, Any] = {
    "embedder.dimension": 32,
    "storage.fsync": "always",
    "storage.wal_segment_bytes": 32 * 1024,
    "storage.snapshot_wal_bytes": 128 * 1024,
    "storage.snapshot_interval": 0.0,
    "index.ef_construction": 40,
}

_print_lock = threading.Lock()


def payload_for(run: int, thread: int, i: int, repeat: int) -> bytes:
    return f"run{run}/t{thread}/{i}|".encode() * repeat


def say(line: str) -> None:
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def run_wal(directory: Path, run: int, threads: int) -> None:
    with DirectoryLock(directory):
        wal = WriteAheadLog(directory / "wal", segment_bytes=16 * 1024)
        count = sum(1 for _ in wal.replay())
        say(f"ready {count} {wal.last_lsn}")

        def writer(t: int) -> None:
            rng = random.Random(run * 1000 + t)
            i = 0
            while True:
                repeat = rng.randint(1, 40)
                if rng.random() < 0.1:
                    reps = [repeat, repeat + 1, repeat + 2]
                    last = wal.append_many([payload_for(run, t, i + j, r) for j, r in enumerate(reps)])
                    for j, r in enumerate(reps):
                        say(f"ack {last - 2 + j} {run} {t} {i + j} {r}")
                    i += 3
                else:
                    lsn = wal.append(payload_for(run, t, i, repeat))
                    say(f"ack {lsn} {run} {t} {i} {repeat}")
                    i += 1
                if rng.random() < 0.01:
                    wal.rotate()

        ts = [threading.Thread(target=writer, args=(t,), daemon=True) for t in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()


def content_for(run: int, thread: int, i: int) -> str:
    return f"run {run} thread {thread} fact {i} about item{i % 17} and item{(i * 7) % 23}"


def run_engine(directory: Path, run: int, threads: int, snapshots: bool) -> None:
    from sutra_stack.storage.engine import Engine

    eng = Engine.open(directory / "store", ENGINE_SETTINGS)
    st = eng.stats()
    say(f"ready {st.concepts} {st.associations}")

    def writer(t: int) -> None:
        rng = random.Random(run * 1000 + t)
        mine: list[str] = []
        i = 0
        while True:
            if rng.random() < 0.15:
                contents = [content_for(run, t, i + j) for j in range(5)]
                ids = eng.learn_batch([ConceptInput(content=c) for c in contents])
                for cid, c in zip(ids, contents, strict=True):
                    say(f"ack c {cid} {t} {c}")
                mine += ids
                i += 5
            else:
                c = content_for(run, t, i)
                cid = eng.learn_concept(c)
                say(f"ack c {cid} {t} {c}")
                mine.append(cid)
                i += 1
            if len(mine) >= 2 and rng.random() < 0.6:
                src, dst = rng.sample(mine[-20:], 2)
                kind = rng.choice(TYPES)
                eng.learn_association(src, dst, kind, confidence=0.9)
                say(f"ack a {src} {dst} {kind} {t}")
            if len(mine) >= 10 and rng.random() < 0.05:
                gone = mine.pop(rng.randrange(len(mine) - 5))
                say(f"will d {gone} {t}")
                eng.delete_concept(gone)
                say(f"ack d {gone} {t}")

    for t in range(threads):
        threading.Thread(target=writer, args=(t,), daemon=True).start()
    pace = random.Random(run)
    while True:
        if snapshots:
            threading.Event().wait(pace.uniform(0.05, 0.25))  # let writes pile up between snapshots
            say("snapshot")
            eng.flush()
        else:
            threading.Event().wait(1.0)


def main(argv: list[str]) -> None:
    mode, directory, run = argv[0], Path(argv[1]), int(argv[2])
    threads = int(argv[3]) if len(argv) > 3 else 4
    if mode == "wal":
        run_wal(directory, run, threads)
    elif mode == "engine":
        run_engine(directory, run, threads, "--snapshots" in argv)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
