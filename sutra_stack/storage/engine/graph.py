"""The concept table, the id → row index and the edge table with its adjacency lists.

Concepts are rows of numpy columns (id as 16 raw bytes, numeric fields, content and metadata
as offsets into byte blobs). Ids map to rows through a sorted array (built at snapshot time)
plus a dict of rows added since. Edges are rows too; each concept heads two singly linked
lists (out and in) threaded through the edge table's `next_out` / `next_in` columns, so an
edge is added in O(1) and the adjacency needs no rebuild on load.

Edges carry time at 20 bytes each: the predicate as an int32 id into the graph's string table
(`predicates`, id 0 is ""), `valid_from` / `valid_to` as float64. What few edges have lives in
side dicts: `superseded` (the 16 id bytes of the concept that ended the fact, for superseded
edges only) and `observed` (every distinct valid_from written, for edges written with more than
one time; any other edge's is `[valid_from]`).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

import numpy as np

from sutra_stack.storage.engine.columns import Blob, Table

CONCEPT_SCHEMA: dict[str, tuple[str, float | int | bytes]] = {
    "ids": ("S16", b""),
    "alive": ("bool", False),
    "strength": ("float32", 0.0),  # read back through `as_float`
    "confidence": ("float32", 0.0),
    "created": ("float64", 0.0),
    "last_accessed": ("float64", 0.0),
    "access_count": ("uint32", 0),
    "content_off": ("int64", 0),
    "content_len": ("int32", 0),
    "meta_off": ("int64", 0),
    "meta_len": ("int32", 0),
    "head_out": ("int32", -1),
    "head_in": ("int32", -1),
}

EDGE_SCHEMA: dict[str, tuple[str, float | int | bytes]] = {
    "src": ("int32", -1),
    "dst": ("int32", -1),
    "type": ("int8", 0),
    "confidence": ("float32", 0.0),  # read back through `as_float` (0.9 stays 0.9)
    "weight": ("float32", 0.0),
    "created": ("uint32", 0),  # unix seconds
    "alive": ("bool", False),
    "next_out": ("int32", -1),
    "next_in": ("int32", -1),
    "predicate": ("int32", 0),  # id into Graph.predicates
    "valid_from": ("float64", 0.0),  # unix seconds
    "valid_to": ("float64", 0.0),  # 0: still true
}
FOLD_RECENT = 16_384  # ids learned since the last fold before they are merged into the sorted base


_SHORTEST: dict[float, float] = {}  # float32 column value → its shortest round-tripping decimal
_SHORTEST_MAX = 4096


def as_float(x: np.floating | float) -> float:
    """A float32 column value as the shortest decimal that round-trips (0.9, not 0.899999976).

    Remembered: a store holds few distinct strengths, confidences and weights, and formatting
    one costs more than the rest of a concept's read. Zeros are not remembered (0.0 and -0.0
    are one key; each keeps its sign)."""
    r = _SHORTEST.get(x)  # type: ignore[arg-type]  # a numpy float32 hashes as its float value
    if r is None:
        r = float(str(np.float32(x)))
        if len(_SHORTEST) < _SHORTEST_MAX and x != 0.0 and x == x:
            _SHORTEST[float(x)] = r
    return r


class IdIndex:
    """id bytes → row: a sorted base array (from the last snapshot) plus a dict of newer rows.

    The base has a directory by the ids' first two bytes (65,537 offsets), so a lookup reads
    the directory and the few keys that share its prefix instead of binary-searching the whole
    array: at 100K ids that is 2–3 cache lines and pages touched instead of ≈ 17, each a miss
    when a lookup runs after a network hop (ids are hashes or random, so buckets stay small;
    ids that share a prefix only make their bucket's search longer)."""

    def __init__(self) -> None:
        self.base_keys = np.empty(0, dtype="S16")
        self.base_rows = np.empty(0, dtype=np.int32)
        self.directory = _directory(self.base_keys)
        self.recent: dict[bytes, int] = {}

    def get(self, key: bytes) -> int:
        """The row holding `key` most recently, or -1 (callers check that the row is alive)."""
        row = self.recent.get(key)
        if row is not None:
            return row
        prefix = (key[0] << 8) | key[1]
        directory = self.directory
        lo, hi = directory.item(prefix), directory.item(prefix + 1)
        keys = self.base_keys
        want = key.rstrip(b"\0")  # numpy "S" values drop trailing NULs (and sort as if padded)
        while lo < hi:
            mid = (lo + hi) >> 1
            k = keys.item(mid)
            if k < want:
                lo = mid + 1
            elif k == want:
                return self.base_rows.item(mid)
            else:
                hi = mid
        return -1

    def put(self, key: bytes, row: int) -> None:
        self.recent[key] = row
        if len(self.recent) >= FOLD_RECENT:
            self.fold()

    def fold(self) -> None:
        """Merge the dict into the sorted base: O(base) copying, no per-id Python object kept."""
        if not self.recent:
            return
        keys = np.array(list(self.recent.keys()), dtype="S16")
        rows = np.fromiter(self.recent.values(), dtype=np.int32, count=len(keys))
        order = np.argsort(keys, kind="stable")
        keys, rows = keys[order], rows[order]
        pos = np.searchsorted(self.base_keys, keys)
        inside = pos < len(self.base_keys)
        present = np.zeros(len(keys), dtype=bool)
        present[inside] = self.base_keys[pos[inside]] == keys[inside]
        self.base_rows[pos[present]] = rows[present]  # re-learned after a delete: the new row wins
        new = ~present
        self.set_base(np.insert(self.base_keys, pos[new], keys[new]), np.insert(self.base_rows, pos[new], rows[new]))
        self.recent = {}

    @staticmethod
    def build(ids: np.ndarray, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sorted (keys, rows) of the live rows of `ids`."""
        rows = np.nonzero(alive)[0].astype(np.int32)
        keys = ids[rows]
        order = np.argsort(keys, kind="stable")
        return keys[order], rows[order]

    def set_base(self, keys: np.ndarray, rows: np.ndarray) -> None:
        directory = _directory(keys)  # made first: a reader never sees new keys with an old directory
        self.base_keys, self.base_rows, self.directory = keys, rows, directory


def _directory(keys: np.ndarray) -> np.ndarray:
    """For sorted S16 `keys`: entry p is the index of the first key whose first two bytes are ≥ p
    (65,537 entries, the last is len(keys))."""
    prefixes = np.ascontiguousarray(keys).view(">u2")[::8]  # each key's first two bytes, big-endian
    directory = np.zeros(65_537, dtype=np.int64)
    np.cumsum(np.bincount(prefixes, minlength=65_536), out=directory[1:])
    return directory


class Graph:
    """Concepts and associations in columns, with content/metadata blobs."""

    def __init__(self) -> None:
        self.concepts = Table(CONCEPT_SCHEMA, rowwise=True)  # read a row at a time
        self.edges = Table(EDGE_SCHEMA)
        self.content = Blob()
        self.meta = Blob()
        self.ids = IdIndex()
        self.live_concepts = 0
        self.live_edges = 0
        self.predicates: list[str] = [""]  # predicate id → text
        self.predicate_ids: dict[str, int] = {"": 0}
        self.observed: dict[int, list[float]] = {}  # edge → its valid_from times, when more than one
        self.superseded: dict[int, bytes] = {}  # edge → id bytes of the concept that ended it, when one did

    # --- predicates and times ----------------------------------------------------------------
    def predicate_id(self, text: str) -> int:
        """The id of a predicate's text in the string table, added when new."""
        pid = self.predicate_ids.get(text)
        if pid is None:
            pid = self.predicate_ids[text] = len(self.predicates)
            self.predicates.append(text)
        return pid

    def set_predicates(self, texts: list[str]) -> None:
        self.predicates = texts or [""]
        self.predicate_ids = {t: i for i, t in enumerate(self.predicates)}

    def observed_of(self, i: int) -> list[float]:
        """Every distinct valid_from edge `i` was written with, ascending (a new list)."""
        times = self.observed.get(i)
        return list(times) if times is not None else [self.edges.cols["valid_from"].item(i)]

    def observe(self, i: int, t: float, limit: int) -> None:
        """Add the time `t` to edge `i`'s observations (nothing when it is there); valid_from becomes
        the earliest; past `limit` times the first and the newest `limit - 1` are kept."""
        times = self.observed.get(i)
        if times is None:
            first = self.edges.cols["valid_from"].item(i)
            if t == first:
                return
            times = [first]
        elif t in times:
            return
        bisect.insort(times, t)
        if len(times) > limit:
            del times[1 : len(times) - limit + 1]
        self.observed[i] = times
        self.edges["valid_from"][i] = times[0]

    def set_superseded(self, i: int, key: bytes) -> None:
        if key:
            self.superseded[i] = key
        else:
            self.superseded.pop(i, None)

    def superseded_hex(self, i: int) -> str:
        raw = self.superseded.get(i)
        return raw.hex() if raw else ""

    # --- concepts --------------------------------------------------------------------------
    def row_of(self, key: bytes) -> int:
        row = self.ids.get(key)
        if row >= 0 and self.concepts["alive"][row]:
            return row
        return -1

    def content_of(self, row: int) -> str:
        cols = self.concepts.cols  # `.item()`: Python scalars, no NumPy scalar in between (a hot read)
        return self.content.get(cols["content_off"].item(row), cols["content_len"].item(row)).decode("utf-8")

    def meta_of(self, row: int) -> bytes:
        c = self.concepts
        return self.meta.get(int(c["meta_off"][row]), int(c["meta_len"][row]))

    def id_hex(self, row: int) -> str:
        return self.concepts.cols["ids"].item(row).ljust(16, b"\0").hex()  # "S" values drop trailing NULs

    # --- edges -----------------------------------------------------------------------------
    def out_edges(self, row: int) -> Iterator[int]:
        e = self.edges
        nxt, alive = e.cols["next_out"], e.cols["alive"]  # `.item()`: Python scalars, no NumPy scalar between
        i = self.concepts.cols["head_out"].item(row)
        while i >= 0:
            if alive.item(i):
                yield i
            i = nxt.item(i)

    def in_edges(self, row: int) -> Iterator[int]:
        e = self.edges
        nxt, alive = e.cols["next_in"], e.cols["alive"]  # `.item()`: Python scalars, no NumPy scalar between
        i = self.concepts.cols["head_in"].item(row)
        while i >= 0:
            if alive.item(i):
                yield i
            i = nxt.item(i)

    def find_edge(self, src: int, dst: int, type_code: int) -> int:
        """The live edge src -> dst of a type, or -1. An edge is on both src's out list and dst's
        in list: the two are walked in step, so a hub (an entity many facts mention) costs the
        length of the shorter list, not its own degree."""
        e = self.edges
        dsts, srcs, types = e["dst"], e["src"], e["type"]
        nxt_out, nxt_in, alive = e["next_out"], e["next_in"], e["alive"]
        i = int(self.concepts["head_out"][src])
        j = int(self.concepts["head_in"][dst])
        while i >= 0 and j >= 0:
            if dsts[i] == dst and types[i] == type_code and alive[i]:
                return i
            if srcs[j] == src and types[j] == type_code and alive[j]:
                return j
            i, j = int(nxt_out[i]), int(nxt_in[j])
        return -1

    def add_edge(self, src: int, dst: int, type_code: int, conf: float, weight: float, created: float,
                 predicate: int = 0, valid_from: float = 0.0, valid_to: float = 0.0,
                 superseded_by: bytes = b"") -> int:
        e, c = self.edges, self.concepts
        i = e.append(1)
        e["src"][i], e["dst"][i], e["type"][i] = src, dst, type_code
        e["confidence"][i], e["weight"][i], e["created"][i] = conf, weight, min(max(int(created), 0), 2**32 - 1)
        e["predicate"][i], e["valid_from"][i], e["valid_to"][i] = predicate, valid_from, valid_to
        if superseded_by:
            self.superseded[i] = superseded_by
        e["alive"][i] = True
        e["next_out"][i] = c["head_out"][src]
        c["head_out"][src] = i
        e["next_in"][i] = c["head_in"][dst]
        c["head_in"][dst] = i
        self.live_edges += 1
        return i

    def kill_edge(self, i: int) -> None:
        """Mark an edge dead and unlink it from both adjacency lists."""
        e, c = self.edges, self.concepts
        if not e["alive"][i]:
            return
        e["alive"][i] = False
        self.live_edges -= 1
        self.observed.pop(i, None)
        self.superseded.pop(i, None)
        for head, nxt, end in (("head_out", "next_out", "src"), ("head_in", "next_in", "dst")):
            node = int(e[end][i])
            prev, j = -1, int(c[head][node])
            while j >= 0 and j != i:
                prev, j = j, int(e[nxt][j])
            if j == i:
                if prev < 0:
                    c[head][node] = e[nxt][i]
                else:
                    e[nxt][prev] = e[nxt][i]
