"""Simulated power cuts through the real Engine: WAL, snapshots, store.json and segment drops, all
recorded at the `os` boundary; at every cut only fsynced bytes and fsynced directory entries
survive, and every acknowledged concept, association and delete must be there on reopen."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from sutra_stack.storage.engine import Engine
from sutra_stack.storage.model import ConceptInput
from tests.storage.crash_fs import FsRecorder
from tests.storage.crash_harness import EngineLedger
from tests.storage.crash_writer import ENGINE_SETTINGS, TYPES, content_for

CUTS = 60


def busy_engine(root: Path, rec: FsRecorder, seconds: float) -> None:
    eng = Engine.open(root, ENGINE_SETTINGS)
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
    while time.monotonic() < stop:
        time.sleep(0.15)
        eng.flush()  # explicit snapshots besides the ones the WAL size triggers
    for t in ts:
        t.join(timeout=60)
    eng.close()


def test_power_cuts_through_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "store"
    root.mkdir()
    rec = FsRecorder(root)
    rec.install(monkeypatch)
    try:
        busy_engine(root, rec, seconds=1.5)
    finally:
        monkeypatch.undo()
    kinds = [e[0] for e in rec.events]
    assert kinds.count("mark") > 100, "the workload acknowledged too little to be a test"
    snapshots = sum(1 for e in rec.events if e[0] == "dir" and e[1] == "." and "storage.dat" in e[2])
    assert snapshots > 2, "no snapshot was taken during the run"
    rng = random.Random(5)
    cuts = sorted(rng.sample(range(len(rec.events) + 1), min(CUTS, len(rec.events) + 1))) + [len(rec.events)]
    for n, k in enumerate(cuts):
        dest = tmp_path / f"cut{n}"
        marks = rec.rebuild(k, dest)
        ledger = EngineLedger()
        ledger.add([list(m) for m in marks])
        with Engine.open(dest, ENGINE_SETTINGS) as eng:
            ledger.check(eng, f"cut at event {k} of {len(rec.events)}")


@pytest.mark.parametrize("policy", ["everysec", "off"])
def test_power_cuts_under_relaxed_fsync_policies_never_stop_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str
) -> None:
    """Acknowledged writes may be lost under everysec/off, but every cut opens (the log moves past a
    snapshot that is ahead of it) and takes new writes that survive the next reopen."""
    settings = dict(ENGINE_SETTINGS, **{"storage.fsync": policy})
    monkeypatch.setattr("tests.storage.test_crash_powerloss.ENGINE_SETTINGS", settings)
    root = tmp_path / "store"
    root.mkdir()
    rec = FsRecorder(root)
    with monkeypatch.context() as m:
        rec.install(m)
        busy_engine(root, rec, seconds=1.0)
    rng = random.Random(8)
    for n, k in enumerate(sorted(rng.sample(range(len(rec.events) + 1), 30))):
        dest = tmp_path / f"cut{n}"
        rec.rebuild(k, dest)
        with Engine.open(dest, settings) as eng:
            before = eng.stats().concepts
            new = eng.learn_concept(f"written after the cut at event {k}")
        with Engine.open(dest, settings) as eng:
            assert eng.query_concept(new) is not None and eng.stats().concepts == before + 1, f"cut {k}"
