"""Best-first search for the k most confident simple paths between two sets of concepts.

Path confidence is the product of hop confidences (each ≤ 1), so extending a path never
raises it: popping partial paths from a max-priority queue yields complete paths in order of
confidence. Paths follow associations in their direction, never revisit a concept, and the
search stops after MAX_PATH_EXPANSIONS expansions so a dense graph cannot stall the store.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from sutra_stack.storage.engine.graph import Graph, as_float

MAX_PATH_EXPANSIONS = 200_000


def best_paths(
    graph: Graph,
    starts: Iterable[int],
    targets: set[int],
    *,
    max_depth: int,
    k: int,
    min_confidence: float,
    type_codes: set[int] | None,
    valid_at: float | None = None,
) -> list[tuple[float, list[int], list[int]]]:
    """[(confidence, rows, edge indexes)] best first; rows[0] is a start, rows[-1] a target. With
    `valid_at`, only edges true then are followed: valid_from <= valid_at and (valid_to 0 or later)."""
    e = graph.edges.cols  # read with `.item()`: Python scalars, no NumPy scalar in between
    dst_col, type_col, conf_col = e["dst"], e["type"], e["confidence"]
    vf_col, vt_col = e["valid_from"], e["valid_to"]
    heap: list[tuple[float, int, tuple[int, ...], tuple[int, ...]]] = []
    tie = 0
    for s in dict.fromkeys(starts):
        heap.append((-1.0, tie, (s,), ()))
        tie += 1
    heapq.heapify(heap)
    found: list[tuple[float, list[int], list[int]]] = []
    expansions = 0
    while heap and len(found) < k and expansions < MAX_PATH_EXPANSIONS:
        neg, _, rows, hops = heapq.heappop(heap)
        conf = -neg
        node = rows[-1]
        if hops and node in targets:
            found.append((conf, list(rows), list(hops)))
            continue  # a path ends at its first target
        if len(hops) >= max_depth:
            continue
        expansions += 1
        for i in graph.out_edges(node):
            nxt = dst_col.item(i)
            if nxt in rows:
                continue
            if type_codes is not None and type_col.item(i) not in type_codes:
                continue
            if valid_at is not None:
                vt = vt_col.item(i)
                if vf_col.item(i) > valid_at or (vt != 0.0 and vt <= valid_at):
                    continue
            c = conf * as_float(conf_col.item(i))
            if c < min_confidence or c <= 0.0:
                continue
            tie += 1
            heapq.heappush(heap, (-c, tie, rows + (nxt,), hops + (i,)))
    return found
