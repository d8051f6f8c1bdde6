"""The in-memory state (graph + text index + vector index) and how a WAL record changes it.

`apply` is the only way state changes, both for live writes and for replay, so that replaying
the log in LSN order rebuilds exactly what was acknowledged. It never raises for a record that
passed validation: a conflict (an endpoint deleted meanwhile) is skipped the same way each time.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from sutra_stack import limits
from sutra_stack.storage.engine import records
from sutra_stack.storage.engine.graph import Graph
from sutra_stack.storage.engine.textindex import TextIndex
from sutra_stack.storage.engine.vectors import VectorIndex


class StoreState:
    def __init__(self, dim: int, *, m: int, ef_construction: int, ef: int) -> None:
        self.dim = dim
        self.graph = Graph()
        self.text = TextIndex()
        self.vectors = VectorIndex(dim, m=m, ef_construction=ef_construction, ef=ef)
        # Live writes hand new vectors back to the writer, who inserts them after releasing the
        # state lock (see VectorIndex); recovery inserts them at once.
        self.defer_vectors = False
        self.deferred: tuple[np.ndarray, np.ndarray] | None = None

    # --- apply -----------------------------------------------------------------------------
    def apply(self, op: str, ts: float, body: Any) -> Any:
        if op == records.LEARN:
            return self._learn(ts, body)
        if op == records.ASSOCIATE:
            return self._associate(ts, body)
        if op == records.DELETE_CONCEPT:
            return self._delete_concept(bytes(body))
        if op == records.DELETE_ASSOCIATION:
            src, dst, code = body
            return self._delete_association(bytes(src), bytes(dst), int(code))
        raise AssertionError(op)

    def _learn(self, ts: float, items: list[list[Any]]) -> list[str]:
        g = self.graph
        c = g.concepts
        new_rows: list[int] = []
        new_vecs: list[bytes] = []
        out: list[str] = []
        seen: dict[bytes, int] = {}  # the same id twice in one batch reinforces the first
        for key, content, strength, conf, meta, vec in items:
            key = bytes(key)
            out.append(key.hex())
            row = seen.get(key, -1)
            if row < 0:
                row = g.row_of(key)
            if row >= 0:
                self._reinforce(row, ts, strength, conf, meta)
                continue
            row = c.append(1)
            c["ids"][row] = key
            c["alive"][row] = True
            c["strength"][row] = strength
            c["confidence"][row] = conf
            c["created"][row] = ts
            c["last_accessed"][row] = ts
            c["access_count"][row] = 0
            raw = content.encode("utf-8")
            c["content_off"][row] = g.content.append(raw)
            c["content_len"][row] = len(raw)
            if meta:
                c["meta_off"][row] = g.meta.append(meta)
                c["meta_len"][row] = len(meta)
            g.ids.put(key, row)
            g.live_concepts += 1
            seen[key] = row
            self.text.add(row, content)
            new_rows.append(row)
            new_vecs.append(vec)
        if new_rows:
            vecs = np.frombuffer(b"".join(new_vecs), dtype=np.float32).reshape(len(new_rows), self.dim)
            rows = np.asarray(new_rows, dtype=np.int64)
            if not self.defer_vectors:
                self.vectors.add(rows, vecs, num_threads=2 if len(new_rows) > 64 else 1)
            elif self.vectors.claim(rows, vecs):
                self.deferred = (rows, vecs)
        return out

    def _reinforce(self, row: int, ts: float, strength: float, conf: float, meta: bytes) -> None:
        g = self.graph
        c = g.concepts
        c["strength"][row] = min(limits.MAX_STRENGTH, float(c["strength"][row]) + strength)
        c["confidence"][row] = max(float(c["confidence"][row]), conf)
        c["last_accessed"][row] = ts
        c["access_count"][row] += 1
        if meta:
            old = g.meta_of(row)
            merged = {**(json.loads(old) if old else {}), **json.loads(meta)}
            raw = json.dumps(merged, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            if len(raw) <= limits.MAX_METADATA_BYTES:
                c["meta_off"][row] = g.meta.append(raw)
                c["meta_len"][row] = len(raw)

    def _associate(self, ts: float, items: list[list[Any]]) -> int:
        """Add or merge associations (see `model.AssociationInput` for the merge). An item of a
        version-1 record (five fields) merges as that release did: confidence and weight only."""
        g = self.graph
        e = g.edges
        stored = 0
        for item in items:
            src, dst, code, conf, weight = item[:5]
            s, d = g.row_of(bytes(src)), g.row_of(bytes(dst))
            if s < 0 or d < 0:
                continue  # an endpoint was deleted after validation: skipped, the same on replay
            i = g.find_edge(s, d, int(code))
            stored += 1
            if len(item) < 9:  # a version-1 record
                if i >= 0:
                    e["confidence"][i], e["weight"][i] = conf, weight
                else:
                    i = g.add_edge(s, d, int(code), conf, weight, ts)
                    e["valid_from"][i] = float(e["created"][i])
                continue
            predicate, valid_from, valid_to, superseded = item[5:9]
            valid_from = valid_from or ts
            if i >= 0:
                e["confidence"][i], e["weight"][i] = conf, weight
                g.observe(i, valid_from, limits.MAX_OBSERVATIONS)
                e["valid_to"][i] = valid_to
                g.set_superseded(i, bytes(superseded))
                if predicate:
                    e["predicate"][i] = g.predicate_id(predicate)
            else:
                g.add_edge(s, d, int(code), conf, weight, ts, g.predicate_id(predicate), valid_from, valid_to,
                           bytes(superseded))
        return stored

    def _delete_concept(self, key: bytes) -> bool:
        g = self.graph
        row = g.row_of(key)
        if row < 0:
            return False
        for i in list(g.out_edges(row)) + list(g.in_edges(row)):
            g.kill_edge(i)
        g.concepts["alive"][row] = False
        g.live_concepts -= 1
        self.text.remove(row)
        self.vectors.delete(row)
        return True

    def _delete_association(self, src: bytes, dst: bytes, code: int) -> bool:
        g = self.graph
        s, d = g.row_of(src), g.row_of(dst)
        if s < 0 or d < 0:
            return False
        e = g.edges
        hits = [i for i in g.out_edges(s) if e["dst"][i] == d and (code < 0 or e["type"][i] == code)]
        for i in hits:
            g.kill_edge(i)
        return bool(hits)
