"""What a snapshot holds and how it is taken from the live state.

The arrays and counters of the state and loading them back; holding the state still for the
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
from sutra_stack.storage.engine.graph import IdIndex
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
    counters = {"concept_rows": g.concepts.n, "edge_rows": g.edges.n, "live_concepts": g.live_concepts,
                "live_edges": g.live_edges, "text_total_len": t.total_len, "text_live_docs": t.live_docs,
                "vectors": state.vectors.count}
    return arrays, counters


def load_state(state: StoreState, header: dict[str, Any], arrays: dict[str, tuple[np.ndarray, int]]) -> None:
    g, t = state.graph, state.text
    c = header["counters"]
    g.concepts.adopt(c["concept_rows"], {k[2:]: b for k, (b, _) in arrays.items() if k.startswith("c.")})
    g.edges.adopt(c["edge_rows"], {k[2:]: b for k, (b, _) in arrays.items() if k.startswith("e.")})
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
