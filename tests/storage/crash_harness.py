"""Kill-9 loops: start a crash writer, SIGKILL it at a random moment, collect what it acknowledged.

Used by the crash tests and by `bench/soak_crash.py`. The writer's stdout goes to a file (each
line written and flushed only after the write returned), so every acknowledgement printed
before the kill is there to read afterwards.
"""

from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from sutra_stack.limits import MAX_QUERY_IDS
from tests.support.procs import PYTHON, running


@dataclass(frozen=True)
class Ack:
    key: str  # what was written: an lsn (WAL writer) or a concept id (engine writer)
    fields: tuple[str, ...]


def read_lines(log: Path) -> list[str]:
    if not log.exists():
        return []
    text = log.read_text(errors="replace")
    lines = text.split("\n")
    return lines[:-1]  # the last piece has no newline yet: not a whole line


def live_members(pgid: int) -> list[int]:
    """Processes of group `pgid` that have not exited (zombies are gone for our purpose)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(d.name))
    return out


def wait_group_gone(pgid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while (left := live_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert not left, f"processes {left} of the killed group {pgid} are still alive"


def kill_cycle(mode: str, directory: Path, run: int, rng: random.Random, *, min_s: float = 0.05,
               max_s: float = 0.4, threads: int = 4, extra: list[str] | None = None,
               kill_when: str | None = None) -> tuple[list[str], list[list[str]]]:
    """One cycle: start, wait until ready, let it write for a random time, SIGKILL.

    Returns (the writer's `ready ...` line split, its `ack ...` and `will ...` lines split, in order).
    With `kill_when`,
    the kill comes after the first line starting with that word (e.g. "snapshot"): as soon as a
    snapshot temp file exists in DIR/store, or after a random delay of up to `min_s`.
    """
    log = directory / f"writer-{run}.out"
    argv = [PYTHON, "-m", "tests.storage.crash_writer", mode, str(directory), str(run), str(threads),
            *(extra or [])]

    def ready() -> bool:
        return any(line.startswith("ready") for line in read_lines(log))

    with running(argv, log=log, ready=ready, timeout=60) as proc:
        if kill_when is None:
            time.sleep(rng.uniform(min_s, max_s))
        else:
            deadline = time.monotonic() + 30
            while not any(line.startswith(kill_when) for line in read_lines(log)):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(f"the writer never printed {kill_when!r}:\n" + log.read_text()[-2000:])
                time.sleep(0.002)
            # kill the moment a snapshot temp file shows up (mid-write), or at a random point soon after
            until = time.monotonic() + rng.uniform(0, min_s)
            while time.monotonic() < until and not any(directory.glob("store/*.tmp")):
                time.sleep(0.0005)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert proc.returncode == -signal.SIGKILL, log.read_text()[-2000:]
        wait_group_gone(proc.pid)  # a forked snapshot child dies a moment later and holds the lock till then
    lines = read_lines(log)
    ready_line = next(line for line in lines if line.startswith("ready")).split()
    acks = [line.split() for line in lines if line.startswith(("ack ", "will "))]
    return ready_line, acks


class EngineLedger:
    """What an engine writer acknowledged, folded over its ack lines, and the check against a store."""

    def __init__(self) -> None:
        self.concepts: dict[str, str] = {}
        self.deleted: set[str] = set()
        self.edges: set[tuple[str, str, str]] = set()
        self.in_doubt: set[str] = set()  # a delete was sent but not acknowledged: either outcome is right

    def add(self, acks: list[list[str]]) -> None:
        for a in acks:
            kind = a[1]
            if a[0] == "will":
                self.in_doubt.add(a[2])
            elif kind == "c":
                self.concepts[a[2]] = " ".join(a[4:])
                self.deleted.discard(a[2])
            elif kind == "a":
                self.edges.add((a[2], a[3], a[4]))
            elif kind == "d":
                self.in_doubt.discard(a[2])
                self.deleted.add(a[2])
                self.edges = {e for e in self.edges if a[2] not in (e[0], e[1])}

    def check(self, eng: object, where: str) -> None:
        """Every acknowledged concept and edge is there, every acknowledged delete holds."""
        live = [cid for cid in self.concepts if cid not in self.deleted and cid not in self.in_doubt]
        got = _query(eng, live)
        lost = [cid for cid, c in zip(live, got, strict=True) if c is None or c.content != self.concepts[cid]]
        hint = " (every one ends in byte 0x00)" if lost and all(x.endswith("00") for x in lost) else ""
        assert not lost, (f"{where}: {len(lost)} of {len(live)} acknowledged concepts lost or changed{hint}, "
                          f"e.g. {lost[:3]}")
        gone = sorted(self.deleted)
        back = [cid for cid, c in zip(gone, _query(eng, gone), strict=True) if c is not None]
        assert not back, f"{where}: acknowledged deletes undone: {back[:3]}"
        by_source: dict[str, set[tuple[str, str]]] = {}
        for src, dst, kind in self.edges:
            if src in self.in_doubt or dst in self.in_doubt:
                continue
            by_source.setdefault(src, set()).add((dst, kind))
        for src, want in by_source.items():
            have = {(n.concept_id, n.type) for n in eng.get_neighbors(src, direction="out")}  # type: ignore[attr-defined]
            assert want <= have, f"{where}: acknowledged associations of {src} lost: {sorted(want - have)[:3]}"


def _query(eng: object, ids: list[str]) -> list:
    """query_concepts in pieces below MAX_QUERY_IDS."""
    step = MAX_QUERY_IDS
    return [c for i in range(0, len(ids), step) for c in eng.query_concepts(ids[i : i + step])]  # type: ignore[attr-defined]
