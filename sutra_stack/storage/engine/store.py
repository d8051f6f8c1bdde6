"""`Engine`: the in-process knowledge store that implements `KnowledgeStore`.

Write path: validate → encode one WAL record → `wal.append` (durable, group commit shared by
concurrent writers) → apply to memory in LSN order → return. Readers take the state lock only
while they touch memory, never across an fsync. `Engine.open(path, settings)` recovers
(snapshot + WAL replay) and `close()` takes a snapshot; `Engine.in_memory()` keeps nothing.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from sutra_stack import limits
from sutra_stack.config import settings_from_env
from sutra_stack.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unavailable,
)
from sutra_stack.storage import backups
from sutra_stack.storage.engine import records
from sutra_stack.storage.engine import validate as v
from sutra_stack.storage.engine.embedders import Embedder, make_embedder
from sutra_stack.storage.engine.persistence import Persistence
from sutra_stack.storage.engine.reads import ReadsMixin
from sutra_stack.storage.engine.snapshot import FORMAT_VERSION
from sutra_stack.storage.engine.state import StoreState
from sutra_stack.storage.engine.writable import RecordLog, WritableMixin
from sutra_stack.storage.model import AssociationInput, ConceptInput, StoreStats, check_id, content_id

log = logging.getLogger(__name__)


class MemoryLog:
    """Stands in for the WAL when nothing is kept: numbers records, stores nothing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.last_lsn = 0
        self.size_bytes = 0
        self.segment_count = 0
        self.read_only = False
        self.fsync_policy = "off"

    def append(self, payload: bytes) -> int:
        with self._lock:
            self.last_lsn += 1
            return self.last_lsn

    def close(self) -> None:
        pass


def resolve_settings(settings: Mapping[str, Any] | None, overrides: Mapping[str, Any] | None = None) -> dict:
    """Built-in defaults, then `settings` (dotted keys), then `overrides`. Reads no environment."""
    out: dict[str, Any] = dict(settings_from_env({}))
    out.update(settings or {})
    out.update(overrides or {})
    return out


class Engine(ReadsMixin, WritableMixin):
    def __init__(self, settings: Mapping[str, Any] | None = None, *, embedder: Embedder | None = None) -> None:
        self.settings = resolve_settings(settings)
        s = self.settings
        self.embedder = embedder or make_embedder(s)
        self.dimension = int(s["embedder.dimension"])
        if self.embedder.dimension != self.dimension:
            raise InvalidArgument(f"embedder gives {self.embedder.dimension} dimensions, embedder.dimension is "
                                  f"{self.dimension}", field="embedder.dimension")
        self.max_concepts = int(s["storage.max_concepts"])
        self.path: Path | None = None
        self._lock = threading.RLock()
        self._cv = threading.Condition(self._lock)
        self._state = StoreState(self.dimension, m=int(s["index.m"]), ef_construction=int(s["index.ef_construction"]),
                            ef=int(s["index.ef"]))
        self._log: RecordLog = MemoryLog()
        self._applied_lsn = 0
        self._pending: list[tuple[int, str, float, Any]] = []
        self._results: dict[int, Any] = {}
        self._inflight = 0
        self._reserved = 0  # concepts validated but not yet applied (capacity check)
        self._read_only = bool(s["storage.read_only"])
        self._init_writable()
        self._closed = False
        self.last_snapshot: float | None = None
        self.loaded = threading.Event()  # set once recovery is done and the store answers
        self._persist: Persistence | None = None  # of an on-disk store

    # --- life cycle ------------------------------------------------------------------------
    @classmethod
    def in_memory(cls, settings: Mapping[str, Any] | None = None, *, embedder: Embedder | None = None) -> Engine:
        """A store that keeps nothing on disk (tests, demos); `settings` uses dotted keys."""
        eng = cls(settings, embedder=embedder)
        eng._state.defer_vectors = True
        eng.loaded.set()
        return eng

    @classmethod
    def open(cls, path: str | Path, settings: Mapping[str, Any] | None = None, *,
             embedder: Embedder | None = None) -> Engine:
        """Open (or create) the store in `path`: lock it, load the snapshot, replay the WAL."""
        eng = cls(settings, embedder=embedder)
        eng.attach(path)
        return eng

    def attach(self, path: str | Path) -> None:
        """Recover the store in `path` into this (fresh) engine; `loaded` is set when it is done.

        A server may construct the Engine, start `attach` on a thread and report NOT_SERVING
        until `loaded.is_set()`; writes before that raise Unavailable.
        """
        if self._persist is not None or self.loaded.is_set():
            raise FailedPrecondition("this engine is already open")
        self.path = Path(path)
        self._persist = Persistence(self, self.path)
        self._persist.open()
        self._state.defer_vectors = True
        self.loaded.set()

    # --- the seam recovery and snapshots use ------------------------------------------------
    @property
    def state(self) -> StoreState:
        """The in-memory state (graph, text index, vectors); hold `state_lock` while touching it."""
        return self._state

    @property
    def state_lock(self) -> threading.RLock:
        return self._lock

    @property
    def applied_lsn(self) -> int:
        """The last record applied to the state (read with `state_lock` held for a snapshot's cut)."""
        return self._applied_lsn

    def recovered(self, log: RecordLog, applied_lsn: int) -> None:
        """Recovery is done: `log` (the WAL, replayed into the state through `applied_lsn`) takes the
        writes from now on, numbering them after `applied_lsn`."""
        with self._cv:
            self._log = log
            self._applied_lsn = applied_lsn

    def close(self) -> None:
        """Take a snapshot (for an on-disk store), close the WAL and release the directory."""
        if self._closed:
            return
        if self._persist is not None:
            self._persist.close()
        self._closed = True

    def backup(self, dest: str | Path) -> None:
        """Online, consistent backup into the empty directory `dest` while writes go on."""
        if self._persist is None:
            raise FailedPrecondition("an in-memory store has nothing to back up")
        if self._read_only:  # configured read-only: an online backup would write a snapshot and seal the WAL
            raise FailedPrecondition(backups.READ_ONLY, field="storage.read_only")
        self._persist.backup(Path(dest))

    @property
    def longest_snapshot_stall(self) -> float:
        """Longest time (s) a snapshot held the state lock, i.e. the longest write stall it caused."""
        return self._persist.longest_stall if self._persist is not None else 0.0

    def metrics(self) -> dict[str, float]:
        """Figures for the server's metrics: WAL group commits, records and fsyncs; snapshots taken,
        how long the last one took, and the writes that waited for one (the recovery target's
        backpressure); empty for an in-memory store."""
        p = self._persist
        if p is None:
            return {}
        out: dict[str, float] = {"snapshots_total": p.snapshots_taken, "snapshot_last_seconds": p.last_duration,
                                 "write_waits_total": p.budget.write_waits,
                                 "write_wait_seconds_total": p.budget.write_wait_seconds}
        if p.wal is not None:
            out.update(p.wal.counters())
        return out

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the write path --------------------------------------------------------------------
    def _check_writable(self) -> None:
        if self._closed:
            raise FailedPrecondition("the store is closed")
        if not self.loaded.is_set():
            raise Unavailable("the store is still loading; retry shortly")
        if self._read_only:
            raise FailedPrecondition("the store is read-only (storage.read_only / SUTRA_STORAGE_READ_ONLY)")
        if self._log.read_only:
            self._note_log_state()
            raise FailedPrecondition("the store is read-only: its write-ahead log turned read-only after a disk "
                                     "failure (see the server log); reads are still served. Free space or fix the "
                                     "disk, then run `sutra storage resume-writes`", field="read_only")

    def _write(self, op: str, ts: float, body: Any, reserve: int = 0) -> Any:
        payload = records.encode(op, ts, body)
        if len(payload) > limits.MAX_WAL_RECORD_BYTES:
            raise InvalidArgument(f"items encode to {len(payload)} bytes, over the limit MAX_WAL_RECORD_BYTES = "
                                  f"{limits.MAX_WAL_RECORD_BYTES}; send smaller batches", field="items")
        if self._persist is not None:
            self._persist.admit()  # the recovery target's backpressure: no lock held here
        with self._cv:
            self._inflight += 1
        try:
            lsn = self._log.append(payload)
        except BaseException:
            with self._cv:
                self._inflight -= 1
                self._reserved -= reserve
                self._drain_locked()
            self._note_log_state()
            raise
        with self._cv:
            self._inflight -= 1
            heapq.heappush(self._pending, (lsn, op, ts, body))
            self._drain_locked()
            while self._applied_lsn < lsn:
                self._cv.wait()
            self._reserved -= reserve
            result, deferred = self._results.pop(lsn, (None, None))
        if deferred is not None:  # this write's new vectors, inserted outside the state lock
            rows, vecs = deferred
            self._state.vectors.insert(rows, vecs, num_threads=2 if len(rows) > 64 else 1,
                                       alive=lambda: self._state.graph.concepts["alive"])
        return result

    def _drain_locked(self) -> None:
        """Apply acknowledged records in LSN order (a gap left by a failed append is skipped)."""
        applied = False
        while self._pending:
            lsn = self._pending[0][0]
            if lsn > self._applied_lsn + 1 and self._inflight > 0:
                break
            lsn, op, ts, body = heapq.heappop(self._pending)
            st = self._state
            st.deferred = None
            self._results[lsn] = (st.apply(op, ts, body), st.deferred)
            self._applied_lsn = max(self._applied_lsn, lsn)
            applied = True
        if applied:
            self._cv.notify_all()
            if self._persist is not None:
                self._persist.maybe_snapshot()

    # --- learning --------------------------------------------------------------------------
    def _prepare(self, items: list[ConceptInput], prefixes: list[str]) -> tuple[list[Any], int]:
        checked = [v.checked_concept(it, p, self.dimension) for it, p in zip(items, prefixes, strict=True)]
        keys = [key if key is not None else bytes.fromhex(content_id(content))
                for content, key, *_ in checked]
        with self._lock:
            g = self._state.graph
            new = len({k for k in keys if g.row_of(k) < 0})
            live = g.live_concepts + self._reserved
            if new and live + new > self.max_concepts:
                raise ResourceExhausted(
                    f"the store holds {g.live_concepts} concepts; {new} more would pass storage.max_concepts = "
                    f"{self.max_concepts}", field="storage.max_concepts")
            for (content, *_), k in zip(checked, keys, strict=True):
                row = g.row_of(k)
                if row >= 0 and g.content_of(row) != content:
                    raise AlreadyExists(f"concept {k.hex()} exists with different content; delete it first "
                                          "to replace it", field="concept_id")
            self._reserved += new
        missing = [i for i, c in enumerate(checked) if c[2] is None]
        vecs: list[np.ndarray | None] = [c[2] for c in checked]
        if missing:
            try:
                emb = self.embedder.embed([checked[i][0] for i in missing])
            except BaseException:
                with self._lock:
                    self._reserved -= new
                raise
            for j, i in enumerate(missing):
                vecs[i] = emb[j]
        body = [(k, c[0], c[3], c[4], c[5], vec) for k, c, vec in zip(keys, checked, vecs, strict=True)]
        return body, new

    def learn_concept(
        self,
        content: str,
        *,
        concept_id: str | None = None,
        embedding: Sequence[float] | None = None,
        strength: float = 1.0,
        confidence: float = 1.0,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        self._check_writable()
        # ConceptInput.embedding is typed list[float]; any float sequence is taken (checked_concept checks it)
        item = ConceptInput(content=content, concept_id=concept_id, embedding=embedding,  # type: ignore[arg-type]
                            strength=strength, confidence=confidence, metadata=metadata)
        body, new = self._prepare([item], [""])
        ts = time.time()
        return self._write(records.LEARN, ts, _learn_body(body), reserve=new)[0]

    def learn_batch(self, items: Sequence[ConceptInput]) -> list[str]:
        self._check_writable()
        lst = v.batch(items)
        if not lst:
            return []
        inputs = [v.concept_input(it, i) for i, it in enumerate(lst)]
        body, new = self._prepare(inputs, [f"items[{i}]." for i in range(len(inputs))])
        return self._write(records.LEARN, time.time(), _learn_body(body), reserve=new)

    def learn_association(
        self, source: str, target: str, type: str = "semantic", confidence: float = 1.0, weight: float = 1.0,
        predicate: str = "", valid_from: float = 0.0, valid_to: float = 0.0, superseded_by: str = "",
    ) -> None:
        self._check_writable()
        a = AssociationInput(source, target, type, confidence, weight, predicate, valid_from, valid_to, superseded_by)
        self._associate([v.checked_association(a, "")], [""])

    def learn_associations(self, items: Sequence[AssociationInput]) -> int:
        self._check_writable()
        lst = v.batch(items)
        if not lst:
            return 0
        checked = [v.checked_association(v.association_input(it, i), f"items[{i}].") for i, it in enumerate(lst)]
        return self._associate(checked, [f"items[{i}]." for i in range(len(lst))])

    def _associate(self, checked: list[v.CheckedAssociation], prefixes: list[str]) -> int:
        with self._lock:
            g = self._state.graph
            for (src, dst, *_), p in zip(checked, prefixes, strict=True):
                for key, name in ((src, "source"), (dst, "target")):
                    if g.row_of(key) < 0:
                        raise NotFound(f"{p}{name}: concept {key.hex()} does not exist", field=p + name)
        return self._write(records.ASSOCIATE, time.time(), [list(c) for c in checked])

    # --- deleting --------------------------------------------------------------------------
    def delete_concept(self, concept_id: str) -> bool:
        key = bytes.fromhex(check_id(concept_id, "concept_id"))
        self._check_writable()
        with self._lock:
            if self._state.graph.row_of(key) < 0:
                return False
        return bool(self._write(records.DELETE_CONCEPT, time.time(), key))

    def delete_association(self, source: str, target: str, type: str | None = None) -> bool:
        src = bytes.fromhex(check_id(source, "source"))
        dst = bytes.fromhex(check_id(target, "target"))
        code = -1 if type is None else v.TYPE_CODES[v.check_type(type, "type")]
        self._check_writable()
        return bool(self._write(records.DELETE_ASSOCIATION, time.time(), [src, dst, code]))

    # --- stats / flush ---------------------------------------------------------------------
    def stats(self) -> StoreStats:
        with self._lock:
            g = self._state.graph
            st = StoreStats(
                concepts=g.live_concepts, associations=g.live_edges, vectors=self._state.vectors.count,
                embedder=self.embedder.kind, dimension=self.dimension, format_version=FORMAT_VERSION,
                wal_bytes=int(self._log.size_bytes), wal_segments=int(self._log.segment_count),
                last_snapshot=self.last_snapshot, memory_bytes=0,
                read_only=bool(self._read_only or self._log.read_only), fsync_policy=str(self._log.fsync_policy),
                capacity=self.max_concepts,
            )
        st.memory_bytes = int(psutil.Process().memory_info().rss)
        if st.read_only != self._log_read_only_seen and not self._read_only:
            self._note_log_state()
        return st

    def flush(self) -> None:
        """Take a snapshot now (nothing to do for an in-memory store)."""
        if self._persist is not None:
            self._persist.snapshot()


def _learn_body(body: list[Any]) -> list[list[Any]]:
    return [[k, content, s, c, meta, vec.astype(np.float32, copy=False).tobytes()]
            for k, content, s, c, meta, vec in body]

