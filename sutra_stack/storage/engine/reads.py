"""The read operations of the engine (mixed into `Engine`): concepts, neighbors, paths, search.

Reads hold the state lock only while they touch memory; they never wait for an fsync.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sutra_stack import limits
from sutra_stack.errors import InvalidArgument, NotFound, shown
from sutra_stack.storage.engine import validate as v
from sutra_stack.storage.engine.embedders import Embedder
from sutra_stack.storage.engine.graph import CONCEPT_SCHEMA, Graph, as_float
from sutra_stack.storage.engine.paths import best_paths
from sutra_stack.storage.engine.state import StoreState
from sutra_stack.storage.model import (
    ASSOCIATION_TYPES,
    Concept,
    GraphPath,
    Hop,
    Neighbor,
    SearchHit,
    check_id,
    compile_function,
    record_fields,
)

# Concept fields not held in a column of their name, and how row `r` gives them.
_CONCEPT_READS = {
    "id": "g.id_hex(r)",
    "content": "g.content_of(r)",
    "metadata": "(loads(g.meta.get(cols['meta_off'].item(r), n)) if (n := cols['meta_len'].item(r)) else {})",
}


def _concept_reader() -> Callable[[Graph, dict[str, Any], int], Concept]:
    """`read(graph, columns, row)`: the Concept in a row, compiled from the model's fields: every field
    but those of `_CONCEPT_READS` from the concept column of its name, float32 ones through `as_float`."""
    args = []
    for f in record_fields(Concept):
        if f.name in _CONCEPT_READS:
            args.append(_CONCEPT_READS[f.name])
        elif f.name not in CONCEPT_SCHEMA:
            raise TypeError(f"Concept.{f.name} has no column in the concept table (graph.CONCEPT_SCHEMA)")
        elif np.dtype(CONCEPT_SCHEMA[f.name][0]) == np.float32:
            args.append(f"as_float(cols[{f.name!r}].item(r))")
        else:
            args.append(f"cols[{f.name!r}].item(r)")
    env = {"Concept": Concept, "as_float": as_float, "loads": json.loads}
    return compile_function("read(g, cols, r)", f"Concept({', '.join(args)})", env)


_read_concept = _concept_reader()


class ReadsMixin:
    _lock: threading.RLock
    _state: StoreState
    embedder: Embedder
    dimension: int

    def _row(self, concept_id: str, field: str) -> int:
        """Row of a live concept, or NotFound naming the field."""
        key = bytes.fromhex(check_id(concept_id, field))
        row = self._state.graph.row_of(key)
        if row < 0:
            raise NotFound(f"{field}: concept {concept_id} does not exist", field=field)
        return row

    def concept_at(self, row: int) -> Concept:
        """The concept in `row`. Each column is read with `.item()` (a Python scalar, no NumPy
        scalar object in between): one lookup runs with cold caches after the network hop, where
        every NumPy call costs several times what it does in a loop."""
        g = self._state.graph
        return _read_concept(g, g.concepts.cols, row)

    def query_concept(self, concept_id: str) -> Concept | None:
        key = bytes.fromhex(check_id(concept_id, "concept_id"))
        with self._lock:
            row = self._state.graph.row_of(key)
            return self.concept_at(row) if row >= 0 else None

    def query_concepts(self, concept_ids: Sequence[str]) -> list[Concept | None]:
        ids = v.id_list(concept_ids, "concept_ids", limits.MAX_QUERY_IDS, "MAX_QUERY_IDS", allow_empty=True)
        with self._lock:
            g = self._state.graph
            rows = [g.row_of(bytes.fromhex(i)) for i in ids]
            return [self.concept_at(r) if r >= 0 else None for r in rows]

    def get_neighbors(
        self,
        concept_id: str,
        *,
        types: Sequence[str] | None = None,
        min_confidence: float = 0.0,
        direction: str = "both",
        limit: int = 1000,
        valid_at: float | None = None,
    ) -> list[Neighbor]:
        """The concept's live associations, best first; with `valid_at`, only those true then."""
        codes = v.type_filter(types)
        at = v.valid_at(valid_at)
        min_c = v.number(min_confidence, "min_confidence", 0.0, 1.0)
        if direction not in v.DIRECTIONS:
            raise InvalidArgument(f"direction must be one of out, in, both, got {shown(direction, 20)}",
                                  field="direction")
        lim = v.integer(limit, "limit", 1, limits.MAX_NEIGHBORS, "MAX_NEIGHBORS")
        out: list[Neighbor] = []
        with self._lock:
            row = self._row(concept_id, "concept_id")
            g = self._state.graph
            e = g.edges
            sides = []
            if direction in ("out", "both"):
                sides.append(("out", g.out_edges(row), e["dst"]))
            if direction in ("in", "both"):
                sides.append(("in", g.in_edges(row), e["src"]))
            cols = e.cols  # read with `.item()`: Python scalars, no NumPy scalar in between
            conf_col, type_col, weight_col = cols["confidence"], cols["type"], cols["weight"]
            vf_col, vt_col, pred_col = cols["valid_from"], cols["valid_to"], cols["predicate"]
            predicates, observed, superseded = g.predicates, g.observed, g.superseded
            for name, edges, other in sides:
                for i in edges:
                    conf = as_float(conf_col.item(i))
                    code = type_col.item(i)
                    if conf < min_c or (codes is not None and code not in codes):
                        continue
                    vf, vt = vf_col.item(i), vt_col.item(i)
                    if at is not None and not (vf <= at and (vt == 0.0 or vt > at)):
                        continue
                    times = observed.get(i)
                    sup = superseded.get(i)
                    out.append(Neighbor(g.id_hex(other.item(i)), ASSOCIATION_TYPES[code], conf,
                                        as_float(weight_col.item(i)), name, predicates[pred_col.item(i)], vf, vt,
                                        sup.hex() if sup else "", list(times) if times else [vf]))
        out.sort(key=lambda n: -n.confidence)
        return out[:lim]

    def find_paths(
        self,
        starts: Sequence[str],
        targets: Sequence[str],
        *,
        max_depth: int = 4,
        k: int = 3,
        min_confidence: float = 0.0,
        types: Sequence[str] | None = None,
        valid_at: float | None = None,
    ) -> list[GraphPath]:
        """The k most confident simple paths; with `valid_at`, through associations true then only."""
        s_ids = v.id_list(starts, "starts", limits.MAX_PATH_ENDPOINTS, "MAX_PATH_ENDPOINTS")
        t_ids = v.id_list(targets, "targets", limits.MAX_PATH_ENDPOINTS, "MAX_PATH_ENDPOINTS")
        depth = v.integer(max_depth, "max_depth", 1, limits.MAX_PATH_DEPTH, "MAX_PATH_DEPTH")
        kk = v.integer(k, "k", 1, limits.MAX_PATHS, "MAX_PATHS")
        min_c = v.number(min_confidence, "min_confidence", 0.0, 1.0)
        codes = v.type_filter(types)
        at = v.valid_at(valid_at)
        with self._lock:
            s_rows = [self._row(s, f"starts[{i}]") for i, s in enumerate(s_ids)]
            t_rows = {self._row(t, f"targets[{i}]") for i, t in enumerate(t_ids)}
            found = best_paths(self._state.graph, s_rows, t_rows, max_depth=depth, k=kk,
                               min_confidence=min_c, type_codes=codes, valid_at=at)
            g = self._state.graph
            cols = g.edges.cols
            type_col, conf_col, pred_col = cols["type"], cols["confidence"], cols["predicate"]
            vf_col, vt_col, predicates = cols["valid_from"], cols["valid_to"], g.predicates
            paths = []
            for conf, rows, hops in found:
                ids = [g.id_hex(r) for r in rows]
                hop_list = [Hop(ids[j], ids[j + 1], ASSOCIATION_TYPES[type_col.item(h)], as_float(conf_col.item(h)),
                                predicates[pred_col.item(h)], vf_col.item(h), vt_col.item(h), g.superseded_hex(h))
                            for j, h in enumerate(hops)]
                paths.append(GraphPath(concepts=ids, hops=hop_list, confidence=conf))
        return paths

    def _hits(self, rows: Sequence[int], scores: Sequence[float]) -> list[SearchHit]:
        """Search hits for live rows. Plain Python with `.item()` reads: k is small, and after an
        hnswlib search every read misses the caches, so the fewer steps per hit the better."""
        g = self._state.graph
        n = g.concepts.n
        cols = g.concepts.cols
        alive, offs, lens = cols["alive"].item, cols["content_off"].item, cols["content_len"].item
        id_hex, text = g.id_hex, g.content.buf
        out = []
        for r, s in zip(rows, scores, strict=True):
            if 0 <= r < n and alive(r):
                o = offs(r)
                out.append(SearchHit(id_hex(r), s, text[o:o + lens(r)].tobytes().decode()))
        return out

    def _query_vector(self, vector: Sequence[float]) -> np.ndarray:
        """A clean query as one float32 array, not normalised (hnswlib's cosine space does that);
        anything else goes through `validate.vector` for its error (or its scaling of huge values)."""
        try:
            arr = np.asarray(vector, dtype=np.float32)
            if arr.shape == (self.dimension,) and 0.0 < float(arr.dot(arr)) < math.inf:
                return arr
        except (TypeError, ValueError):
            pass
        return v.vector(vector, "vector", self.dimension)

    def vector_search(
        self, *, vector: Sequence[float] | None = None, text: str | None = None, k: int = 10, ef: int | None = None
    ) -> list[SearchHit]:
        kk = v.integer(k, "k", 1, limits.MAX_SEARCH_K, "MAX_SEARCH_K")
        if ef is not None:
            ef = v.integer(ef, "ef", limits.MIN_EF, limits.MAX_EF, "MAX_EF")
        if (vector is None) == (text is None):
            raise InvalidArgument("give exactly one of vector or text", field="vector")
        if vector is not None:
            q = self._query_vector(vector)
        else:
            q = self.embedder.embed([v.text(text, "text", limits.MAX_QUERY_BYTES, "MAX_QUERY_BYTES")])[0]
        # No state lock: the vector index has its own gate, and rows it returns are complete.
        rows, sims = self._state.vectors.search(q, kk, ef)
        return self._hits(rows, sims)

    def text_search(self, query: str, k: int = 10) -> list[SearchHit]:
        q = v.text(query, "query", limits.MAX_QUERY_BYTES, "MAX_QUERY_BYTES")
        kk = v.integer(k, "k", 1, limits.MAX_SEARCH_K, "MAX_SEARCH_K")
        with self._lock:
            rows, scores = self._state.text.search(q, kk, self._state.graph.concepts["alive"])
            return self._hits(rows.tolist(), scores.tolist())
