"""An on-disk engine: reopen, snapshot + WAL replay after a kill, refusals on bad or foreign data."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from sutra_stack.errors import DataLoss, FailedPrecondition
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.engine.vectors import VectorIndex
from sutra_stack.storage.model import AssociationInput, ConceptInput
from tests.support.procs import ROOT, child_env, wait_until

FAST = {"storage.fsync": "off"}


def fill(eng: Engine, n: int = 200, prefix: str = "item") -> list[str]:
    ids = eng.learn_batch([ConceptInput(content=f"{prefix} {i} about things", metadata={"i": i}) for i in range(n)])
    types = ["semantic", "causal", "temporal", "hierarchical", "compositional"]
    eng.learn_associations([AssociationInput(ids[i], ids[i + 1], types[i % 5], 0.5 + (i % 5) / 10)
                            for i in range(n - 1)])
    return ids


def view(eng: Engine, ids: list[str]) -> tuple:
    s = eng.stats()
    return (s.concepts, s.associations, s.vectors, eng.query_concepts(ids),
            [eng.get_neighbors(i) for i in ids[:10] + ids[11:25]], eng.find_paths([ids[0]], [ids[6]]),
            [h.concept_id for h in eng.vector_search(text=f"item {len(ids) // 2} about things", k=5)],
            [h.concept_id for h in eng.text_search("item 7", k=5)])


def test_reopen_after_close_keeps_everything(tmp_path: Path) -> None:
    with Engine.open(tmp_path, FAST) as eng:
        ids = fill(eng)
        eng.learn_concept("item 3 about things", confidence=0.4)  # reinforce
        eng.delete_concept(ids[10])
        eng.delete_association(ids[20], ids[21])
        before = view(eng, ids)
    assert (tmp_path / "storage.dat").exists()
    with Engine.open(tmp_path, FAST) as eng:
        assert view(eng, ids) == before
        assert {n.type for n in eng.get_neighbors(ids[1])} == {"semantic", "causal"}
        assert eng.stats().last_snapshot is not None
        # and it keeps working after the reopen
        new = eng.learn_concept("after reopen")
        eng.learn_association(new, ids[0], "temporal")
    with Engine.open(tmp_path, FAST) as eng:
        assert eng.query_concept(new).content == "after reopen"
        assert eng.get_neighbors(new)[0].type == "temporal"


def _run_child(path: Path, body: str) -> str:
    script = textwrap.dedent("""
        import os, sys
        from sutra_stack.storage.engine import Engine
        from sutra_stack.storage.model import ConceptInput, AssociationInput
        eng = Engine.open(sys.argv[1], {"storage.fsync": "always"})
    """) + textwrap.dedent(body) + "\nsys.stdout.flush()\nos._exit(0)\n"
    out = subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, env=child_env(),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_snapshot_then_wal_replay_after_a_kill(tmp_path: Path) -> None:
    out = _run_child(tmp_path, """
        ids = eng.learn_batch([ConceptInput(content=f"k{i}") for i in range(300)])
        eng.learn_associations([AssociationInput(ids[i], ids[i + 1], "causal", 0.9) for i in range(299)])
        eng.flush()
        late = eng.learn_concept("after the snapshot", metadata={"late": True})
        eng.learn_association(late, ids[0], "hierarchical", 0.6)
        eng.delete_concept(ids[5])
        eng.delete_association(ids[7], ids[8], "causal")
        print(late, ids[0], ids[5], ids[7], ids[8])
    """)  # the process dies without close(): no final snapshot
    late, first, deleted, s7, s8 = out.split()
    with Engine.open(tmp_path, FAST) as eng:
        s = eng.stats()
        assert (s.concepts, s.associations) == (300, 299 - 2 - 1 + 1)
        assert eng.query_concept(late).metadata == {"late": True}
        assert [(n.concept_id, n.type) for n in eng.get_neighbors(late)] == [(first, "hierarchical")]
        assert eng.query_concept(deleted) is None
        assert all(n.concept_id != s8 for n in eng.get_neighbors(s7, direction="out"))
        assert eng.vector_search(text="after the snapshot", k=1)[0].concept_id == late


def test_wal_only_replay_without_any_snapshot(tmp_path: Path) -> None:
    out = _run_child(tmp_path, """
        a = eng.learn_concept("only in the log")
        b = eng.learn_concept("also in the log")
        eng.learn_association(a, b, "compositional", 0.3)
        print(a, b)
    """)
    a, b = out.split()
    assert not (tmp_path / "storage.dat").exists()
    with Engine.open(tmp_path, FAST) as eng:
        n = eng.get_neighbors(a)
        assert [(x.concept_id, x.type, x.confidence) for x in n] == [(b, "compositional", 0.3)]


def test_embedder_change_is_refused(tmp_path: Path) -> None:
    with Engine.open(tmp_path, FAST) as eng:
        eng.learn_concept("x")
    with pytest.raises(FailedPrecondition) as info:
        Engine.open(tmp_path, {**FAST, "embedder.dimension": 64})
    assert "dimension 384" in info.value.message and "dimension 64" in info.value.message
    with Engine.open(tmp_path, FAST) as eng:  # the refusal released the lock and changed nothing
        assert eng.stats().concepts == 1


def test_second_open_of_a_locked_directory_is_refused(tmp_path: Path) -> None:
    with Engine.open(tmp_path, FAST), pytest.raises(FailedPrecondition, match="in use"):
        Engine.open(tmp_path, FAST)


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("where", ["version", "header", "array-0.1", "array-0.5", "array-0.9", "last"])
def test_flipped_byte_in_snapshot_refuses_to_open(tmp_path: Path, where: str) -> None:
    with Engine.open(tmp_path, FAST) as eng:
        fill(eng, 50)
    dat = tmp_path / "storage.dat"
    size = dat.stat().st_size
    offset = {"version": 8, "header": 30, "last": size - 1}.get(where) or int(size * float(where[6:]))
    _flip(dat, offset)
    with pytest.raises(DataLoss) as info:
        Engine.open(tmp_path, FAST)
    assert str(dat) in info.value.message
    assert "version" in info.value.message if where == "version" else "checksum" in info.value.message


def test_flipped_byte_in_index_file_refuses_to_open(tmp_path: Path) -> None:
    with Engine.open(tmp_path, FAST) as eng:
        fill(eng, 50)
    (index,) = tmp_path.glob("index-*.bin")
    _flip(index, index.stat().st_size // 2)
    with pytest.raises(DataLoss, match=index.name):
        Engine.open(tmp_path, FAST)


def test_missing_snapshot_is_data_loss_not_an_empty_start(tmp_path: Path) -> None:
    with Engine.open(tmp_path, FAST) as eng:
        fill(eng, 20)
    (tmp_path / "storage.dat").unlink()
    with pytest.raises(DataLoss, match="storage.dat"):
        Engine.open(tmp_path, FAST)


def test_store_files_without_store_json_refuse(tmp_path: Path) -> None:
    with Engine.open(tmp_path, FAST) as eng:
        fill(eng, 20)
    (tmp_path / "store.json").unlink()
    with pytest.raises(DataLoss, match="store.json"):
        Engine.open(tmp_path, FAST)


def test_snapshot_taken_by_wal_size_while_writing(tmp_path: Path) -> None:
    settings = {**FAST, "storage.snapshot_wal_bytes": 4096, "storage.wal_segment_bytes": 4096}
    with Engine.open(tmp_path, settings) as eng:
        for i in range(30):
            eng.learn_concept(f"grow the log {i}")
        wait_until(lambda: eng.stats().last_snapshot is not None, timeout=20, what="a snapshot by WAL size")
        ids = fill(eng, 100, "later")
    with Engine.open(tmp_path, settings) as eng:
        assert eng.stats().concepts == 130
        assert eng.text_search("later 99")[0].concept_id == ids[99]


def test_online_backup_while_writers_run(tmp_path: Path) -> None:
    store, dest = tmp_path / "store", tmp_path / "backup"
    acked: list[str] = []
    stop = threading.Event()
    with Engine.open(store, FAST) as eng:
        fill(eng, 100)

        def writer() -> None:
            i = 0
            while not stop.is_set():
                acked.append(eng.learn_concept(f"during backup {i}"))
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        wait_until(lambda: len(acked) > 20, what="writes")
        before = list(acked)
        eng.backup(dest)
        stop.set()
        t.join(30)
    with Engine.open(dest, FAST) as copy:
        assert copy.stats().concepts >= 100 + len(before)
        assert all(c is not None for c in copy.query_concepts(before))


def test_vectors_learned_during_a_snapshot_are_searchable_and_folded_in() -> None:
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((40, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    idx = VectorIndex(16, m=8, ef_construction=50, ef=50)
    idx.add(np.arange(20), vecs[:20])
    idx.freeze()
    idx.add(np.arange(20, 40), vecs[20:])
    idx.delete(25)
    idx.delete(3)
    rows, sims = idx.search(vecs[30], 1)
    assert rows[0] == 30 and sims[0] == pytest.approx(1.0, abs=1e-5)
    assert 25 not in idx.search(vecs[25], 5)[0]
    while not idx.thaw_step(7):
        pass
    assert idx.search(vecs[31], 1)[0][0] == 31
    assert 3 not in idx.search(vecs[3], 5)[0] and 25 not in idx.search(vecs[25], 5)[0]
    assert idx.count == 38


def test_snapshots_while_writers_learn_and_delete_lose_nothing(tmp_path: Path) -> None:
    acked: list[str] = []
    deleted: list[str] = []
    stop = threading.Event()
    errors: list[BaseException] = []
    with Engine.open(tmp_path, FAST) as eng:
        fill(eng, 300)

        def writer(w: int) -> None:
            try:
                i = 0
                while not stop.is_set():
                    cid = eng.learn_concept(f"writer {w} concept {i}")
                    acked.append(cid)
                    if i % 7 == 3:
                        eng.delete_concept(cid)
                        deleted.append(cid)
                    i += 1
            except BaseException as e:  # noqa: BLE001 - the test reports it after joining
                errors.append(e)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
        for t in threads:
            t.start()
        for _ in range(3):
            wait_until(lambda n=len(acked): len(acked) > n + 20, what="writes between snapshots")
            eng.flush()
        stop.set()
        for t in threads:
            t.join(30)
        assert not errors
        gone = set(deleted)
        live = [c for c in acked if c not in gone]
        sample = live[:: max(1, len(live) // 20)]
        before = [[h.concept_id for h in eng.vector_search(text=eng.query_concept(c).content, k=5, ef=200)]
                  for c in sample]
    with Engine.open(tmp_path, FAST) as eng:
        assert all(c is not None for c in eng.query_concepts(live))
        assert all(c is None for c in eng.query_concepts(list(gone)))
        assert eng.stats().concepts == 300 + len(live)
        after = [[h.concept_id for h in eng.vector_search(text=eng.query_concept(c).content, k=5, ef=200)]
                 for c in sample]
        assert after == before
        # every live concept's vector is in the index, exactly as embedded
        g, vecs = eng._state.graph, eng._state.vectors
        for c in live:
            row = g.row_of(bytes.fromhex(c))
            want = eng.embedder.embed([eng.query_concept(c).content])[0]
            assert float(vecs.get(row) @ want) == pytest.approx(1.0, abs=1e-5)


def test_metrics_count_group_commits_and_snapshots(tmp_path: Path) -> None:
    with Engine.open(tmp_path / "kb") as eng:
        assert eng.metrics()["snapshots_total"] == 0
        fill(eng, 50)
        eng.learn_association(*fill(eng, 2, prefix="pair"), type="causal")
        m = eng.metrics()
        assert m["wal_records_total"] >= 3 and m["wal_group_commits_total"] >= 1
        assert m["wal_fsyncs_total"] == m["wal_group_commits_total"]  # fsync 'always'
        eng.flush()
        m = eng.metrics()
        assert m["snapshots_total"] == 1 and m["snapshot_last_seconds"] > 0
    assert Engine.in_memory().metrics() == {}
