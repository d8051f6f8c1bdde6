"""`sutra storage backup / restore / export / import` through a real `sutra` subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sutra_stack.storage.engine import Engine
from sutra_stack.storage.model import AssociationInput, ConceptInput
from tests.support.procs import ROOT, child_env

FAST = {"storage.fsync": "off"}


def sutra(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sutra_stack", "storage", *args], cwd=ROOT,
                          env=child_env({"SUTRA_STORAGE_FSYNC": "off"}), capture_output=True, text=True, timeout=120)


def make_store(path: Path) -> list[str]:
    with Engine.open(path, FAST) as eng:
        ids = eng.learn_batch([ConceptInput(content=f"fact {i}", metadata={"n": i}, confidence=0.5)
                               for i in range(30)])
        eng.learn_associations([AssociationInput(ids[i], ids[i + 1], "causal", 0.8) for i in range(29)])
        eng.learn_association(ids[0], ids[29], "hierarchical", 0.4)
        # an association that carries time, observed twice and superseded: every field exported and imported
        eng.learn_associations([AssociationInput(ids[2], ids[1], "semantic", 0.7, 1.0, "moved to", t, 3_000.0, ids[4])
                                for t in (2_000.0, 1_000.0)])
        eng.delete_concept(ids[15])
    return ids


def records(path: Path) -> list[dict]:
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    for r in recs:  # the times a store keeps are the import's, not the exported ones
        r.pop("created", None)
        r.pop("last_accessed", None)
    return sorted(recs, key=json.dumps)


def test_backup_restore_export_import_round_trip(tmp_path: Path) -> None:
    store, bk, restored, imported = (tmp_path / n for n in ("store", "bk", "restored", "imported"))
    ids = make_store(store)
    r = sutra("backup", str(bk), "--storage", str(store))
    assert r.returncode == 0, r.stderr
    r = sutra("restore", str(bk), "--storage", str(restored))
    assert r.returncode == 0, r.stderr
    r = sutra("export", "--jsonl", str(tmp_path / "a.jsonl"), "--storage", str(restored))
    assert r.returncode == 0 and "exported 29 concepts and 29 associations" in r.stdout, r.stdout + r.stderr
    r = sutra("import", str(tmp_path / "a.jsonl"), "--storage", str(imported))
    assert r.returncode == 0 and "imported 29 concepts and 29 associations" in r.stdout, r.stdout + r.stderr
    r = sutra("export", "--jsonl", str(tmp_path / "b.jsonl"), "--storage", str(imported))
    assert r.returncode == 0, r.stderr
    assert records(tmp_path / "a.jsonl") == records(tmp_path / "b.jsonl")
    with Engine.open(imported, FAST) as eng:
        assert eng.query_concept(ids[15]) is None
        assert eng.query_concept(ids[3]).metadata == {"n": 3}
        assert [n.type for n in eng.get_neighbors(ids[0], direction="out")] == ["causal", "hierarchical"]
        (timed,) = eng.get_neighbors(ids[2], types=["semantic"])
        assert (timed.predicate, timed.valid_from, timed.valid_to, timed.superseded_by, timed.observed) == (
            "moved to", 1_000.0, 3_000.0, ids[4], [1_000.0, 2_000.0])


def test_export_with_vectors_to_stdout(tmp_path: Path) -> None:
    make_store(tmp_path / "s")
    r = sutra("export", "--jsonl", "-", "--vectors", "--storage", str(tmp_path / "s"))
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stdout.splitlines()[0])
    assert first["kind"] == "concept" and len(first["embedding"]) == 384


def test_maintenance_refuses_a_store_held_by_a_running_process(tmp_path: Path) -> None:
    store = tmp_path / "store"
    make_store(store)
    with Engine.open(store, FAST):
        for args in (["backup", str(tmp_path / "bk")], ["export", "--jsonl", str(tmp_path / "x.jsonl")],
                     ["import", str(tmp_path / "x.jsonl")]):
            (tmp_path / "x.jsonl").write_text("")
            r = sutra(*args, "--storage", str(store))
            assert r.returncode == 1 and "in use" in r.stderr, (args, r.stderr)
    assert not (tmp_path / "bk").exists() or not any((tmp_path / "bk").iterdir())


def test_restore_refuses_a_non_empty_target_and_bad_import_names_the_line(tmp_path: Path) -> None:
    store = tmp_path / "store"
    make_store(store)
    assert sutra("backup", str(tmp_path / "bk"), "--storage", str(store)).returncode == 0
    r = sutra("restore", str(tmp_path / "bk"), "--storage", str(store))
    assert r.returncode == 1 and "not empty" in r.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "concept", "content": "ok"}\n{"kind": "thing"}\n')
    r = sutra("import", str(bad), "--storage", str(tmp_path / "new"))
    assert r.returncode == 1 and "line 2" in r.stderr, r.stderr
    r = sutra("backup", str(tmp_path / "bk2"), "--storage", str(tmp_path / "nostore"))
    assert r.returncode == 1 and "not a Sutra store" in r.stderr
