"""Associations that carry time, in the engine: how a write merges into an association that exists
(earliest valid_from, observed gains each distinct time once, valid_to / superseded_by replaced,
a fact made current again), reads at a moment (`valid_at`) in get_neighbors and find_paths, bad
input refused with nothing written, snapshots and WAL replay keeping every field, and a store
written by the previous release (tests/data/stores/v1) opening and being upgraded."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sutra_stack import limits
from sutra_stack.errors import InvalidArgument
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.engine import snapshot as snap
from sutra_stack.storage.model import AssociationInput, ConceptInput, Neighbor

V1_STORE = Path(__file__).resolve().parents[1] / "data" / "stores" / "v1"
FACT = "f" * 32  # a well-formed id of the fact that supersedes (it need not exist)


@pytest.fixture
def eng() -> Engine:
    return Engine.in_memory()


def concepts(eng: Engine, *names: str) -> list[str]:
    return eng.learn_batch([ConceptInput(n) for n in names])


def out_of(eng: Engine, cid: str, valid_at: float | None = None) -> dict[str, Neighbor]:
    return {n.concept_id: n for n in eng.get_neighbors(cid, direction="out", valid_at=valid_at)}


def test_a_rewrite_merges_times(eng: Engine) -> None:
    x, paris = concepts(eng, "X", "Paris")
    eng.learn_associations([AssociationInput(x, paris, "semantic", 0.9, 1.0, "lives in", 2_000.0)])
    (n,) = out_of(eng, x).values()
    assert (n.predicate, n.valid_from, n.valid_to, n.superseded_by, n.observed) == (
        "lives in", 2_000.0, 0.0, "", [2_000.0])
    # an earlier time: valid_from becomes it; the text's predicate stays when the new one is empty
    eng.learn_associations([AssociationInput(x, paris, "semantic", 0.8, 2.0, "", 1_000.0)])
    (n,) = out_of(eng, x).values()
    assert (n.confidence, n.weight, n.predicate, n.valid_from, n.observed) == (0.8, 2.0, "lives in", 1_000.0,
                                                                                [1_000.0, 2_000.0])
    # the same time again (a retry): nothing changes
    eng.learn_associations([AssociationInput(x, paris, "semantic", 0.8, 2.0, "", 2_000.0)])
    assert out_of(eng, x)[paris] == n
    # superseded: valid_to and superseded_by are the new write's
    eng.learn_associations([AssociationInput(x, paris, "semantic", 0.8, 2.0, "", 2_000.0, 3_000.0, FACT)])
    (n,) = out_of(eng, x).values()
    assert (n.valid_from, n.valid_to, n.superseded_by, n.observed) == (1_000.0, 3_000.0, FACT, [1_000.0, 2_000.0])
    # learned again later: current again, one more observation, a new predicate replaces the old
    eng.learn_associations([AssociationInput(x, paris, "semantic", 0.8, 2.0, "moved back to", 4_000.0)])
    (n,) = out_of(eng, x).values()
    assert (n.predicate, n.valid_from, n.valid_to, n.superseded_by, n.observed) == (
        "moved back to", 1_000.0, 0.0, "", [1_000.0, 2_000.0, 4_000.0])
    assert eng.stats().associations == 1


def test_valid_from_zero_is_the_time_of_the_write(eng: Engine) -> None:
    a, b = concepts(eng, "a", "b")
    before = time.time()
    eng.learn_association(a, b, predicate="knows")
    after = time.time()
    (n,) = out_of(eng, a).values()
    assert before <= n.valid_from <= after and n.observed == [n.valid_from] and n.predicate == "knows"


def test_observed_keeps_the_first_and_the_newest(eng: Engine) -> None:
    a, b = concepts(eng, "a", "b")
    times = [1_000.0 + 10 * i for i in range(limits.MAX_OBSERVATIONS + 8)]
    for t in reversed(times[1:]):
        eng.learn_associations([AssociationInput(a, b, valid_from=t)])
    eng.learn_associations([AssociationInput(a, b, valid_from=times[0])])
    (n,) = out_of(eng, a).values()
    assert n.observed == [times[0], *times[-(limits.MAX_OBSERVATIONS - 1):]]
    assert n.valid_from == times[0]


def test_valid_at_reads_the_graph_as_it_stood(eng: Engine) -> None:
    x, paris, lyon, france, fact = concepts(eng, "X", "Paris", "Lyon", "France", "X moved to Lyon.")
    eng.learn_associations([
        AssociationInput(x, paris, "semantic", 0.9, 1.0, "lives in", 1_000.0, 2_000.0, fact),
        AssociationInput(x, lyon, "semantic", 0.9, 1.0, "moved to", 2_000.0),
        AssociationInput(paris, france, "hierarchical", 0.9, 1.0, "is in", 500.0),
        AssociationInput(lyon, france, "hierarchical", 0.9, 1.0, "is in", 500.0),
    ])
    assert set(out_of(eng, x)) == {paris, lyon}  # no valid_at: every live association
    assert set(out_of(eng, x, valid_at=999.0)) == set()
    assert set(out_of(eng, x, valid_at=1_000.0)) == {paris}  # valid_from itself is inside
    assert set(out_of(eng, x, valid_at=1_999.5)) == {paris}
    assert set(out_of(eng, x, valid_at=2_000.0)) == {lyon}  # valid_to itself is outside
    assert [n.concept_id for n in eng.get_neighbors(france, direction="in", valid_at=600.0)] != []

    def via(at: float | None) -> list[list[str]]:
        return [p.concepts for p in eng.find_paths([x], [france], valid_at=at)]

    assert sorted(via(None)) == sorted([[x, paris, france], [x, lyon, france]])
    assert via(1_500.0) == [[x, paris, france]]
    assert via(2_500.0) == [[x, lyon, france]]
    assert via(700.0) == []
    (path,) = eng.find_paths([x], [france], valid_at=1_500.0)
    first = path.hops[0]
    assert (first.predicate, first.valid_from, first.valid_to, first.superseded_by) == ("lives in", 1_000.0,
                                                                                         2_000.0, fact)


BAD = [
    ({"valid_from": math.nan}, "valid_from", "MAX_TIME_SECONDS"),
    ({"valid_from": -1.0}, "valid_from", "MAX_TIME_SECONDS"),
    ({"valid_to": math.inf}, "valid_to", "MAX_TIME_SECONDS"),
    ({"valid_to": "soon"}, "valid_to", "number"),
    ({"valid_from": 2_000.0, "valid_to": 1_000.0}, "valid_to", "not before"),
    ({"superseded_by": "XYZ"}, "superseded_by", "32 lowercase hex"),
    ({"superseded_by": "A" * 32}, "superseded_by", "32 lowercase hex"),
    ({"predicate": "p" * (limits.MAX_PREDICATE_BYTES + 1)}, "predicate", "MAX_PREDICATE_BYTES"),
    ({"predicate": "é" * (limits.MAX_PREDICATE_BYTES // 2 + 1)}, "predicate", "MAX_PREDICATE_BYTES"),
    ({"predicate": 7}, "predicate", "string"),
]


@pytest.mark.parametrize(("fields", "name", "phrase"), BAD)
def test_bad_time_fields_are_refused_and_change_nothing(eng: Engine, fields: dict[str, object], name: str,
                                                        phrase: str) -> None:
    a, b, c = concepts(eng, "a", "b", "c")
    eng.learn_associations([AssociationInput(a, b, predicate="was", valid_from=100.0)])
    before = eng.get_neighbors(a)
    bad = AssociationInput(a, b, **fields)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument) as exc:
        eng.learn_associations([AssociationInput(a, c), bad])
    assert exc.value.field == f"items[1].{name}" and phrase in exc.value.message, exc.value.message
    with pytest.raises(InvalidArgument):
        eng.learn_association(**bad.to_dict())
    assert eng.get_neighbors(a) == before and eng.stats().associations == 1


@pytest.mark.parametrize("at", [math.nan, -1.0, math.inf, "now"])
def test_bad_valid_at_is_refused(eng: Engine, at: object) -> None:
    a, b = concepts(eng, "a", "b")
    for call in (lambda: eng.get_neighbors(a, valid_at=at), lambda: eng.find_paths([a], [b], valid_at=at)):  # type: ignore[arg-type]
        with pytest.raises(InvalidArgument) as exc:
            call()
        assert exc.value.field == "valid_at"


def write_history(eng: Engine) -> tuple[str, ...]:
    x, paris, lyon, fact = concepts(eng, "X", "Paris", "Lyon", "X moved to Lyon.")
    eng.learn_associations([AssociationInput(x, paris, "semantic", 0.9, 1.0, "lives in", 1_000.0)])
    eng.learn_associations([AssociationInput(x, paris, "semantic", 0.9, 1.0, "lives in", 1_500.0, 2_000.0, fact),
                            AssociationInput(x, lyon, "semantic", 0.7, 1.0, "moved to", 2_000.0)])
    return x, paris, lyon, fact


KILLED_WRITER = """
import json, os, signal, sys
from sutra_stack.storage.engine import Engine
from tests.storage.test_engine_time import write_history
eng = Engine.open(sys.argv[1])
x = write_history(eng)[0]
print(json.dumps([n.to_dict() for n in eng.get_neighbors(x)]), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # acknowledged, then killed: no closing snapshot
"""


def test_kill_9_after_writes_then_recovery_and_snapshot_keep_every_field(tmp_path: Path) -> None:
    data = tmp_path / "data"
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(data)], capture_output=True, text=True,
                          cwd=root, timeout=120, env={**os.environ, "PYTHONPATH": str(root)})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    want = [Neighbor.from_dict(d) for d in json.loads(proc.stdout)]
    assert want and snap.read_header(data) is None  # what was acknowledged is in the WAL only
    x = write_history(Engine.in_memory())[0]
    with Engine.open(data) as eng:  # replayed from the WAL
        assert eng.get_neighbors(x) == want
    assert snap.read_header(data)["format_version"] == snap.FORMAT_VERSION  # type: ignore[index]
    with Engine.open(data) as eng:  # loaded from the snapshot that close took
        assert eng.get_neighbors(x) == want
        assert {n.predicate: n.observed for n in want} == {"lives in": [1_000.0, 1_500.0], "moved to": [2_000.0]}
        (path,) = eng.find_paths([x], [want[0].concept_id], valid_at=1_200.0)
        assert path.hops[0].predicate == "lives in"


def test_store_of_the_previous_release_opens_and_is_upgraded(tmp_path: Path) -> None:
    data = tmp_path / "v1"
    shutil.copytree(V1_STORE, data)
    assert snap.read_header(data)["format_version"] == 1  # type: ignore[index]
    fact, paris, france, ada, moved, lyon = concepts(Engine.in_memory(), "Ada lives in Paris.", "Paris", "France",
                                                     "Ada", "Ada moved to Lyon.", "Lyon")
    with Engine.open(data) as eng:
        assert eng.stats().associations == 4
        got = out_of(eng, ada)
        assert set(got) == {paris, lyon}  # Ada -> Paris from the snapshot, Ada -> Lyon from the WAL
        for n in (*got.values(), *out_of(eng, paris).values(), *out_of(eng, lyon).values()):
            assert (n.predicate, n.valid_to, n.superseded_by) == ("", 0.0, "")
            assert n.valid_from > 1.7e9 and n.valid_from == int(n.valid_from) and n.observed == [n.valid_from]
        assert (got[paris].confidence, got[lyon].confidence) == (0.9, 0.7)
        old = got[paris].valid_from
        assert out_of(eng, ada, valid_at=old - 1) == {}
        # an old association takes the new fields
        eng.learn_associations([AssociationInput(ada, paris, "semantic", 0.9, 1.0, "lived in", old + 10, old + 20,
                                                 moved)])
        upgraded = out_of(eng, ada)
    assert snap.read_header(data)["format_version"] == snap.FORMAT_VERSION  # type: ignore[index]
    assert snap.read_store_meta(data)["format_version"] == snap.FORMAT_VERSION  # type: ignore[index]
    with Engine.open(data) as eng:
        assert out_of(eng, ada) == upgraded
        assert upgraded[paris].observed == [old, old + 10] and upgraded[paris].superseded_by == moved
        assert [p.concepts for p in eng.find_paths([ada], [france], valid_at=old + 30)] == [[ada, lyon, france]]


def test_an_old_store_with_nothing_to_replay_is_upgraded_by_its_next_snapshot(tmp_path: Path) -> None:
    data = tmp_path / "v1"
    shutil.copytree(V1_STORE, data)
    for segment in (data / "wal").iterdir():  # as if the process had stopped right after its snapshot
        segment.unlink()
    with Engine.open(data) as eng:
        assert eng.stats().associations == 2
        eng.flush()  # no write since the snapshot, yet it is rewritten in the current format
    assert snap.read_header(data)["format_version"] == snap.FORMAT_VERSION == 2  # type: ignore[index]
    with Engine.open(data) as eng:
        assert eng.stats().associations == 2
