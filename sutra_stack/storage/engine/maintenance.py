"""Maintenance of a stopped store: backup, restore, JSONL export and import.

Each takes the data directory's lock first, so it refuses to touch a store that a running
server holds. (A running server backs itself up online through `Engine.backup`.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from sutra_stack.errors import FailedPrecondition, InvalidArgument, SutraError
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.engine import snapshot as snap
from sutra_stack.storage.engine.backup_copy import copy_store_files
from sutra_stack.storage.engine.graph import as_float
from sutra_stack.storage.engine.lockfile import DirectoryLock
from sutra_stack.storage.model import ASSOCIATION_TYPES, Association, AssociationInput, ConceptInput
from sutra_stack.storage.wal import fileops

IMPORT_BATCH = 1000


def _require_store(path: Path) -> None:
    if not (path / snap.STORE_META_NAME).exists():
        raise FailedPrecondition(f"{path} is not a Sutra store (no {snap.STORE_META_NAME})")


def backup(path: Path, dest: Path) -> list[str]:
    """Copy a stopped store into the empty directory `dest`; returns the files copied."""
    _require_store(path)
    with DirectoryLock(path):
        snap.verify(path)  # refuse to back up a corrupt snapshot
        return copy_store_files(path, dest)


def restore(src: Path, path: Path) -> list[str]:
    """Copy the backup `src` into `path`, which must be missing or empty (apart from a lock file)."""
    _require_store(src)
    snap.verify(src)
    path.mkdir(parents=True, exist_ok=True)
    with DirectoryLock(path):
        others = [p.name for p in path.iterdir() if p.name != "LOCK"]
        if others:
            raise FailedPrecondition(f"restore target {path} is not empty ({', '.join(sorted(others)[:5])}); "
                                     "restore into a new directory or move the old one away")
        staging = path / ".restore"
        copied = copy_store_files(src, staging)
        ops = fileops.current()
        for name in sorted(staging.iterdir()):
            ops.rename(name, path / name.name)
        staging.rmdir()
        ops.fsync_dir(path)
        return copied


def iter_records(engine: Engine, *, vectors: bool = False) -> Iterator[dict[str, Any]]:
    """Every live concept, then every live association, as export records: `kind` ("concept" or
    "association") and the fields of the model's `Concept` (with `embedding` when `vectors`) or
    `Association`. Importing reads the fields of `ConceptInput` (`id` as its `concept_id`) and of
    `AssociationInput` from them."""
    with engine.state_lock:
        st = engine.state
        g = st.graph
        c, e = g.concepts, g.edges
        for row in range(c.n):
            if not c["alive"][row]:
                continue
            rec: dict[str, Any] = {"kind": "concept", **engine.concept_at(row).to_dict()}
            if vectors:
                rec["embedding"] = [round(float(x), 7) for x in st.vectors.get(row)]
            yield rec
        for i in range(e.n):
            if not e["alive"][i]:
                continue
            association = Association(
                source=g.id_hex(int(e["src"][i])), target=g.id_hex(int(e["dst"][i])),
                type=ASSOCIATION_TYPES[int(e["type"][i])], confidence=as_float(e["confidence"][i]),
                weight=as_float(e["weight"][i]), created=float(e["created"][i]),
                predicate=g.predicates[int(e["predicate"][i])], valid_from=float(e["valid_from"][i]),
                valid_to=float(e["valid_to"][i]), superseded_by=g.superseded_hex(i), observed=g.observed_of(i))
            yield {"kind": "association", **association.to_dict()}


def _association_writes(rec: dict[str, Any]) -> list[AssociationInput]:
    """The writes that rebuild an exported association: its record, then one per later observed time
    (merged into it in order). An export without time fields (an older release's) gets valid_from =
    its `created`."""
    if "valid_from" not in rec and "created" in rec:
        rec = {**rec, "valid_from": rec["created"]}
    first = AssociationInput.from_dict(rec)
    later = sorted({float(t) for t in rec.get("observed") or ()} - {float(first.valid_from)})
    return [first, *(replace(first, valid_from=t) for t in later)]


def export_jsonl(path: Path, out: IO[str], settings: Mapping[str, Any] | None = None, *,
                 vectors: bool = False) -> tuple[int, int]:
    """Write a stopped store as JSON lines; returns (concepts, associations)."""
    _require_store(path)
    counts = {"concept": 0, "association": 0}
    with Engine.open(path, settings) as engine:
        for rec in iter_records(engine, vectors=vectors):
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            counts[rec["kind"]] += 1
    return counts["concept"], counts["association"]


def import_jsonl(path: Path, lines: IO[str], settings: Mapping[str, Any] | None = None) -> tuple[int, int]:
    """Learn every record of a JSONL export into the store at `path`; returns (concepts, associations)."""
    concepts: list[ConceptInput] = []
    assocs: list[AssociationInput] = []
    records = [0]  # association records in `assocs`
    done = [0, 0]
    with Engine.open(path, settings) as engine:

        def flush_concepts() -> None:
            if concepts:
                done[0] += len(engine.learn_batch(concepts))
                concepts.clear()

        def flush_assocs() -> None:
            flush_concepts()
            if assocs:
                engine.learn_associations(assocs)
                done[1] += records[0]
                assocs.clear()
                records[0] = 0

        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError("not an object")
                kind = rec.get("kind")
                if kind == "concept":
                    concepts.append(ConceptInput.from_dict(
                        {**rec, "concept_id": rec.get("id"), "metadata": rec.get("metadata") or None}))
                elif kind == "association":
                    assocs.extend(_association_writes(rec))
                    records[0] += 1
                else:
                    raise ValueError(f"kind must be concept or association, got {kind!r:.30}")
                if len(concepts) >= IMPORT_BATCH:
                    flush_concepts()
                if len(assocs) >= IMPORT_BATCH:
                    flush_assocs()
            except (ValueError, KeyError, TypeError) as err:
                raise InvalidArgument(f"line {n}: {err}", field=f"line {n}") from None
            except SutraError as err:
                raise type(err)(f"line {n} (batch ending here): {err.message}", field=err.field) from None
        try:
            flush_assocs()
        except SutraError as err:
            raise type(err)(f"at end of input: {err.message}", field=err.field) from None
    return done[0], done[1]
