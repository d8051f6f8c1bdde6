"""The real Engine in a writer process, SIGKILLed at random moments and in the middle of snapshots:
every acknowledged concept, association and delete is there after reopening."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sutra_stack.errors import FailedPrecondition
from sutra_stack.storage.engine import Engine
from tests.storage.crash_harness import EngineLedger, kill_cycle, read_lines
from tests.storage.crash_writer import ENGINE_SETTINGS
from tests.support.procs import PYTHON, running

CYCLES = 20


def test_sigkill_loop_through_the_engine(tmp_path: Path) -> None:
    rng = random.Random(1127)
    ledger = EngineLedger()
    acks_total = 0
    for run in range(CYCLES):
        snapshots = run % 2 == 1
        _, acks = kill_cycle("engine", tmp_path, run, rng, min_s=0.1, max_s=0.6, threads=3,
                             extra=["--snapshots"] if snapshots else [],
                             kill_when="snapshot" if snapshots and run % 4 == 3 else None)
        ledger.add(acks)
        acks_total += len(acks)
        with Engine.open(tmp_path / "store", ENGINE_SETTINGS) as eng:
            ledger.check(eng, f"cycle {run}")
    assert acks_total > CYCLES * 10, f"only {acks_total} acknowledged writes in {CYCLES} cycles"
    assert len(ledger.concepts) > 100 and len(ledger.edges) > 50 and ledger.deleted


def test_sigkill_right_after_snapshots_start(tmp_path: Path) -> None:
    """Kills land inside snapshot writes (temp files, renames, segment drops) again and again."""
    rng = random.Random(2026)
    ledger = EngineLedger()
    mid_write = 0
    for run in range(6):
        _, acks = kill_cycle("engine", tmp_path, run, rng, min_s=0.05, threads=2, extra=["--snapshots"],
                             kill_when="snapshot")
        mid_write += any((tmp_path / "store").glob("*.tmp"))
        ledger.add(acks)
        with Engine.open(tmp_path / "store", ENGINE_SETTINGS) as eng:
            ledger.check(eng, f"cycle {run}")
    assert len(ledger.concepts) > 20
    assert mid_write >= 1, "no kill landed while a snapshot file was being written"


def test_second_process_is_refused_while_a_writer_holds_the_store(tmp_path: Path) -> None:
    log = tmp_path / "writer.out"
    argv = [PYTHON, "-m", "tests.storage.crash_writer", "engine", str(tmp_path), "0", "1"]

    def holds_a_write() -> bool:  # the writer says "ready" before its first write: wait for an acknowledged one
        return any(x.startswith("ack c ") for x in read_lines(log))

    with running(argv, log=log, ready=holds_a_write, timeout=60) as p, \
            pytest.raises(FailedPrecondition, match=rf"data directory .* is in use by process {p.pid}"):
        Engine.open(tmp_path / "store", ENGINE_SETTINGS)
    # once the holder is gone (stopped by `running`), the store opens
    with Engine.open(tmp_path / "store", ENGINE_SETTINGS) as eng:
        assert eng.stats().concepts > 0


@pytest.mark.parametrize("concept_id", ["ab" * 15 + "00", "00" * 16, "00" + "cd" * 15, "ff" * 16])
def test_acknowledged_concept_survives_snapshot_and_reopen_whatever_its_id(tmp_path: Path, concept_id: str) -> None:
    """The crash loop found ids ending in byte 0x00 going missing after a snapshot; pin every shape down."""
    with Engine.open(tmp_path, ENGINE_SETTINGS) as eng:
        assert eng.learn_concept("an id of an awkward shape", concept_id=concept_id) == concept_id
        eng.flush()
        assert eng.query_concept(concept_id) is not None, "lost from the live store by a snapshot"
    with Engine.open(tmp_path, ENGINE_SETTINGS) as eng:
        got = eng.query_concept(concept_id)
        assert got is not None and got.content == "an id of an awkward shape", "lost across a reopen"
