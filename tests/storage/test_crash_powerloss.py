"""Simulated power cuts through the real Engine: WAL, snapshots (written by a forked child, the
index file by hnswlib), store.json, segment drops and online backups, all recorded at the store's
FileOps seam; at every cut only fsynced bytes and fsynced directory entries survive, and every
acknowledged concept, association and delete must be there on reopen."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from sutra_stack.storage.engine import Engine
from sutra_stack.storage.model import ConceptInput
from sutra_stack.storage.wal import fileops
from tests.storage.crash_harness import EngineLedger
from tests.storage.crash_writer import ENGINE_SETTINGS, TYPES, content_for
from tests.storage.power_cut import RecordingOps

CUTS = 60


def busy_engine(root: Path, rec: RecordingOps, seconds: float, settings: dict | None = None) -> None:
    with fileops.use(rec):
        eng = Engine.open(root, settings or ENGINE_SETTINGS)
    stop = time.monotonic() + seconds

    def writer(t: int) -> None:
        rng = random.Random(t)
        mine: list[str] = []
        i = 0
        while time.monotonic() < stop:
            if rng.random() < 0.2:
                contents = [content_for(0, t, i + j) for j in range(4)]
                ids = eng.learn_batch([ConceptInput(content=c) for c in contents])
                for cid, c in zip(ids, contents, strict=True):
                    rec.mark("ack", "c", cid, str(t), *c.split())
                mine += ids
                i += 4
            else:
                c = content_for(0, t, i)
                cid = eng.learn_concept(c)
                rec.mark("ack", "c", cid, str(t), *c.split())
                mine.append(cid)
                i += 1
            if len(mine) >= 2 and rng.random() < 0.5:
                src, dst = rng.sample(mine[-10:], 2)
                kind = rng.choice(TYPES)
                eng.learn_association(src, dst, kind, confidence=0.8)
                rec.mark("ack", "a", src, dst, kind, str(t))
            if len(mine) >= 10 and rng.random() < 0.05:
                gone = mine.pop(rng.randrange(len(mine) - 5))
                rec.mark("will", "d", gone, str(t))
                eng.delete_concept(gone)
                rec.mark("ack", "d", gone, str(t))

    ts = [threading.Thread(target=writer, args=(t,)) for t in range(3)]
    for t in ts:
        t.start()
    n = 0
    while time.monotonic() < stop:
        time.sleep(0.15)
        if n % 3 == 2:  # an online backup (snapshot, sealed segment, copy) while the writers go on
            dest = root.parent / f"{root.name}-backup-{n}"
            rec.mark("backup", dest.name)
            eng.backup(dest)
        else:
            eng.flush()  # explicit snapshots besides the ones the WAL size triggers
        n += 1
    for t in ts:
        t.join(timeout=60)
    eng.close()


def snapshots_in(events: list[tuple]) -> int:
    return sum(1 for e in events if e[0] == "rename" and e[2] == "storage.dat")


def test_power_cuts_through_the_engine(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    rec = RecordingOps(root)
    busy_engine(root, rec, seconds=1.5)
    events = rec.events
    assert sum(1 for e in events if e[0] == "mark") > 100, "the workload acknowledged too little to be a test"
    assert snapshots_in(events) > 2, "no snapshot was taken during the run"
    assert any(e[0] == "content" for e in events), "no index file written past the seam was recorded"
    backups = [e[2] for e in events if e[:2] == ("mark", "backup")]
    assert backups, "no backup was taken during the run"
    for name in backups:  # each backup, taken amid writes and snapshots, holds every write acknowledged before it
        at = events.index(("mark", "backup", name))
        ledger = EngineLedger()
        ledger.add([list(e[1:]) for e in events[:at] if e[0] == "mark"])
        # a delete sent after the backup began may or may not be in it
        ledger.in_doubt |= {e[3] for e in events[at:] if e[:3] == ("mark", "will", "d")}
        with Engine.open(tmp_path / name, ENGINE_SETTINGS) as eng:
            ledger.check(eng, f"backup {name}")
    rng = random.Random(5)
    cuts = sorted(rng.sample(range(len(events) + 1), min(CUTS, len(events) + 1))) + [len(events)]
    # and a cut right after every step of one snapshot that can change what survives: its files'
    # fsyncs, renames, directory fsyncs, store.json and the WAL drop
    first = next(i for i, e in enumerate(events) if e[0] == "create" and e[1].startswith("index-"))
    last = next(i for i, e in enumerate(events) if i > first and e[0] == "unlink" and e[1].startswith("wal/"))
    steps = [i for i in range(first, last + 1) if events[i][0] in ("content", "fsync", "rename", "fsync_dir", "unlink")]
    cuts = sorted(set(cuts) | {i + 1 for i in steps} | {first})
    for n, k in enumerate(cuts):
        dest = tmp_path / f"cut{n}"
        marks = rec.rebuild(k, dest, random.Random(k) if n % 2 else None)
        ledger = EngineLedger()
        ledger.add([list(m) for m in marks])
        with Engine.open(dest, ENGINE_SETTINGS) as eng:
            ledger.check(eng, f"cut at event {k} of {len(events)}")


@pytest.mark.parametrize("policy", ["everysec", "off"])
def test_power_cuts_under_relaxed_fsync_policies_never_stop_the_store(tmp_path: Path, policy: str) -> None:
    """Acknowledged writes may be lost under everysec/off, but every cut opens (the log moves past a
    snapshot that is ahead of it) and takes new writes that survive the next reopen."""
    settings = dict(ENGINE_SETTINGS, **{"storage.fsync": policy})
    root = tmp_path / "store"
    root.mkdir()
    rec = RecordingOps(root)
    busy_engine(root, rec, seconds=1.0, settings=settings)
    events = rec.events
    rng = random.Random(8)
    for n, k in enumerate(sorted(rng.sample(range(len(events) + 1), 30))):
        dest = tmp_path / f"cut{n}"
        rec.rebuild(k, dest)
        with Engine.open(dest, settings) as eng:
            before = eng.stats().concepts
            new = eng.learn_concept(f"written after the cut at event {k}")
        with Engine.open(dest, settings) as eng:
            assert eng.query_concept(new) is not None and eng.stats().concepts == before + 1, f"cut {k}"
