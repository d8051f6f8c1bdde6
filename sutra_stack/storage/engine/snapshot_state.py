"""What a snapshot holds and how it is taken from the live state.

The arrays and counters of the state and loading them back (a format-1 snapshot too: its
associations get predicate "", valid_from = their `created`, valid_to 0 and no superseding fact,
and the next snapshot writes the current format); holding the state still for the
moment a snapshot is cut (`frozen_state`); writing the files from a forked child that reports
a failure back through a pipe; and the error a failed snapshot raises.
"""

from __future__ import annotations

import contextlib
import json
import os
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from sutra_stack.errors import Internal, SutraError
from sutra_stack.storage.engine import snapshot as snap
from sutra_stack.storage.engine.backup_copy import disk_error
from sutra_stack.storage.engine.graph import EDGE_SCHEMA, Graph, IdIndex
from sutra_stack.storage.engine.state import StoreState
from sutra_stack.storage.engine.vectors import die_with_parent
from sutra_stack.storage.wal import fileops

if TYPE_CHECKING:
    from sutra_stack.storage.engine.store import Engine

THAW_CHUNK = 512


def state_arrays(state: StoreState, copy: bool = True) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Every array of the state (copies, or views for a forked child), and its counters (call with
    the state lock held)."""
    g, t = state.graph, state.text
    arrays: dict[str, np.ndarray] = {}
    for name, arr in g.concepts.arrays().items():
        arrays["c." + name] = arr.copy() if copy else arr
    for name, arr in g.edges.arrays().items():
        arrays["e." + name] = arr.copy() if copy else arr
    arrays["content"] = g.content.array().copy() if copy else g.content.array()
    arrays["meta"] = g.meta.array().copy() if copy else g.meta.array()
    for name, arr in t.arrays().items():
        arrays["t." + name] = arr.copy() if copy else arr
    arrays.update(_time_arrays(g))
    counters = {"concept_rows": g.concepts.n, "edge_rows": g.edges.n, "live_concepts": g.live_concepts,
                "live_edges": g.live_edges, "text_total_len": t.total_len, "text_live_docs": t.live_docs,
                "vectors": state.vectors.count}
    return arrays, counters


def _time_arrays(g: Graph) -> dict[str, np.ndarray]:
    """The predicate string table and the side tables of observations and superseding facts as flat
    arrays (new arrays: all are small, one entry per distinct predicate, per edge observed more
    than once and per superseded edge)."""
    texts = [p.encode("utf-8") for p in g.predicates]
    p_offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in texts], out=p_offsets[1:])
    edges = sorted(g.observed)
    times = [g.observed[i] for i in edges]
    o_offsets = np.zeros(len(edges) + 1, dtype=np.int64)
    np.cumsum([len(ts) for ts in times], out=o_offsets[1:])
    return {
        "p.text": np.frombuffer(b"".join(texts), dtype=np.uint8).copy(), "p.offsets": p_offsets,
        "o.edges": np.asarray(edges, dtype=np.int32), "o.offsets": o_offsets,
        "o.times": np.asarray([x for ts in times for x in ts], dtype=np.float64),
        "s.edges": np.fromiter(g.superseded.keys(), dtype=np.int32, count=len(g.superseded)),
        "s.ids": np.array(list(g.superseded.values()), dtype="S16").reshape(-1),
    }


def _load_times(g: Graph, arrays: dict[str, tuple[np.ndarray, int]]) -> None:
    text, n = arrays["p.text"]
    raw = text[:n].tobytes()
    offs = arrays["p.offsets"][0][: arrays["p.offsets"][1]].tolist()
    g.set_predicates([raw[offs[j] : offs[j + 1]].decode("utf-8") for j in range(len(offs) - 1)])
    edges = arrays["o.edges"][0][: arrays["o.edges"][1]].tolist()
    offs = arrays["o.offsets"][0][: arrays["o.offsets"][1]].tolist()
    times = arrays["o.times"][0][: arrays["o.times"][1]].tolist()
    g.observed = {i: times[offs[j] : offs[j + 1]] for j, i in enumerate(edges)}
    keys = arrays["s.ids"][0][: arrays["s.ids"][1]].tolist()
    g.superseded = {i: k.ljust(16, b"\0") for i, k in zip(arrays["s.edges"][0][: arrays["s.edges"][1]].tolist(),
                                                          keys, strict=True)}


def _format1_edges(buffers: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A format-1 snapshot's edge columns with the time columns added: predicate 0 (""),
    valid_from = created, valid_to 0 (as many rows as the loaded buffers)."""
    cap = len(buffers["created"])
    extra = {name: np.full(cap, fill, dtype=dtype) for name, (dtype, fill) in EDGE_SCHEMA.items()
             if name not in buffers}
    extra["valid_from"][:] = buffers["created"]
    return {**buffers, **extra}


def load_state(state: StoreState, header: dict[str, Any], arrays: dict[str, tuple[np.ndarray, int]]) -> None:
    g, t = state.graph, state.text
    c = header["counters"]
    g.concepts.adopt(c["concept_rows"], {k[2:]: b for k, (b, _) in arrays.items() if k.startswith("c.")})
    edges = {k[2:]: b for k, (b, _) in arrays.items() if k.startswith("e.")}
    if int(header.get("format_version", 1)) < 2:
        edges = _format1_edges(edges)
    else:
        _load_times(g, arrays)
    g.edges.adopt(c["edge_rows"], edges)
    g.content.adopt(*arrays["content"])
    g.meta.adopt(*arrays["meta"])
    g.ids.set_base(arrays["ids.keys"][0][: arrays["ids.keys"][1]], arrays["ids.rows"][0][: arrays["ids.rows"][1]])
    g.live_concepts, g.live_edges = c["live_concepts"], c["live_edges"]
    t.load({k[2:]: v for k, v in arrays.items() if k.startswith("t.")}, c["text_total_len"], c["text_live_docs"])


def add_id_base(arrays: dict[str, np.ndarray]) -> None:
    arrays["ids.keys"], arrays["ids.rows"] = IdIndex.build(arrays["c.ids"], arrays["c.alive"])


def child_write(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray], vectors: Any,
                 parent: int, elements: int, ops: fileops.FileOps, report: int) -> NoReturn:
    """In the forked snapshot child: write the files and exit, touching no lock of the parent.
    A failure is reported on the pipe `report` (errno and message) and by the exit status."""
    code = 1
    try:
        die_with_parent(parent)
        add_id_base(arrays)
        snap.write_snapshot(path, header, arrays, vectors.save_here, ops=ops, elements=elements)
        code = 0
    except BaseException as e:  # noqa: BLE001 - reported through the pipe and the exit status
        with contextlib.suppress(Exception):
            why = {"errno": e.errno if isinstance(e, OSError) else None, "filename": getattr(e, "filename", None),
                   "message": e.message if isinstance(e, SutraError) else str(e), "type": type(e).__name__}
            os.write(report, json.dumps(why).encode("utf-8")[:60000])
        with contextlib.suppress(OSError):  # raw write: sys.stderr's lock may be held by a parent thread
            os.write(2, traceback.format_exc().encode("utf-8", "replace"))
    finally:
        os._exit(code)


def failure(path: Path, e: BaseException) -> SutraError:
    """What a failed snapshot raises: the disk's error (RESOURCE_EXHAUSTED when it is full), or a
    written file that did not read back whole, with the file named."""
    if isinstance(e, OSError):
        return disk_error(e, f"writing a snapshot of {path}; the WAL keeps every write and the previous "
                             "snapshot stays in charge")
    msg = e.message if isinstance(e, SutraError) else f"{type(e).__name__}: {e}"
    return Internal(f"snapshot of {path} failed: {msg}; the WAL keeps every write and the previous snapshot "
                    "stays in charge")


def child_failure(path: Path, report: bytes, status: int) -> SutraError:
    try:
        why = json.loads(report)
    except ValueError:
        return Internal(f"the snapshot child writing {path} failed (status {status}); the WAL keeps every write "
                        "and the previous snapshot stays in charge")
    if why.get("errno"):
        return failure(path, OSError(why["errno"], why["message"], why.get("filename")))
    return failure(path, Internal(why["message"]))


@contextlib.contextmanager
def frozen_state(eng: Engine) -> Iterator[None]:
    """Hold the state lock with the vector index frozen: every vector of the applied records is in
    the index, later ones wait in its pending buffer (until `_thaw`).

    The vectors of an applied record are inserted by the thread that wrote it, outside the state
    lock but after taking it once more to collect its result; so the wait for those inserts must
    not hold the state lock: wait without it, then freeze under it if nothing was claimed meanwhile.
    """
    vectors, lock = eng.state.vectors, eng.state_lock
    while True:
        lock.acquire()
        if vectors.freeze_if_inserted():
            break
        lock.release()
        vectors.wait_inserted()
    try:
        yield
    except BaseException:
        thaw(vectors)
        raise
    finally:
        lock.release()


def thaw(vectors: Any) -> None:
    """Fold vectors that arrived during the snapshot into the index (no state lock needed)."""
    while not vectors.thaw_step(THAW_CHUNK):
        pass
