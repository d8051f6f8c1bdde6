"""A writer process for crash tests: writes as fast as it can and prints each acknowledged write.

    python -m tests.storage.crash_writer wal DIR RUN [THREADS]

Opens the log in DIR under the data-directory lock, replays it (as a store does on start), then
appends from THREADS threads until killed. After each append returns it prints
`ack <lsn> <run> <thread> <i> <repeat>` and flushes, so the parent knows exactly what was
acknowledged; the payload is `payload_for(run, thread, i, repeat)`.
"""

from __future__ import annotations

import random
import sys
import threading
from pathlib import Path

from sutra_stack.storage.lockfile import DirectoryLock
from sutra_stack.storage.wal import WriteAheadLog

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


def main(argv: list[str]) -> None:
    mode, directory, run = argv[0], Path(argv[1]), int(argv[2])
    threads = int(argv[3]) if len(argv) > 3 else 4
    if mode == "wal":
        run_wal(directory, run, threads)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
