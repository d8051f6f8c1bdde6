"""The vector index: hnswlib (cosine), labels = concept rows, growing its own capacity.

Concurrency: the engine calls `claim` / `delete` / `search` / `freeze` / `thaw_step` with its
state lock held, but a writer inserts its claimed vectors (`insert`) after releasing that
lock, so that hnswlib inserts (which release the GIL) of several writers run in parallel.
A gate keeps `resize_index` away from every other hnswlib call.

While a snapshot writes the index file (`freeze()` … `thaw_step()`), new vectors wait in a
pending buffer that searches scan exactly, so writes never wait for the index file.

The index's big block (every vector and its level-0 links) is asked to sit on 2 MiB pages
(Linux, transparent huge pages in `madvise` mode): a search reads a few thousand vectors spread
over the whole block, and with 4 KiB pages most of those reads also miss the TLB.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import hnswlib
import numpy as np

from sutra_stack import libc
from sutra_stack.errors import Internal

INITIAL_CAPACITY = 1024
_HUGE_PAGE = 2 << 20
_EMPTY_ROWS = np.empty(0, dtype=np.int64)
_EMPTY_SIMS = np.empty(0, dtype=np.float32)


def die_with_parent(parent: int) -> None:
    """In a forked snapshot child: be killed when the parent dies (no orphan may finish renaming
    snapshot files after a crash, or keep the directory lock)."""
    libc.set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def fork_is_safe() -> bool:
    """Snapshots fork a child that writes from a copy-on-write view of memory. gRPC's fork support
    (on unless GRPC_ENABLE_FORK_SUPPORT is false) crashes such a child, so then we do not fork."""
    if not hasattr(os, "fork"):
        return False
    if "grpc" in sys.modules:
        return os.environ.get("GRPC_ENABLE_FORK_SUPPORT", "").strip().lower() in ("0", "false", "no")
    return True


def _big_anonymous_regions() -> set[tuple[int, int]]:
    """(start, end) of this process's anonymous mappings of 16 MiB or more (empty off Linux)."""
    regions = set()
    try:
        with open("/proc/self/maps", encoding="ascii") as f:
            for line in f:
                fields = line.split()
                if len(fields) == 5:  # no path: anonymous
                    start, end = (int(x, 16) for x in fields[0].split("-"))
                    if end - start >= 8 * _HUGE_PAGE:
                        regions.add((start, end))
    except OSError:
        pass
    return regions


@contextlib.contextmanager
def _on_huge_pages(later: list[threading.Thread] | None = None) -> Iterator[None]:
    """Ask for 2 MiB pages under the big blocks hnswlib allocates inside the block: pages
    touched from now on come huge, and a thread collapses those already filled (a loaded
    index) without holding up the caller. With `later`, the thread is left there unstarted:
    collapsing holds the process's memory map, so page faults elsewhere (the rest of opening
    a store) would wait on it. Best effort: nothing changes where it is refused."""
    before = _big_anonymous_regions()
    yield
    new = sorted(_big_anonymous_regions() - before)
    if not new:
        return
    spans = []
    for start, end in new:
        first, last = -(-start // _HUGE_PAGE) * _HUGE_PAGE, end // _HUGE_PAGE * _HUGE_PAGE
        if last > first and libc.madvise(first, last - first, libc.MADV_HUGEPAGE) == 0:
            spans.append((first, last - first))

    def collapse() -> None:  # ctypes releases the GIL: searches go on meanwhile
        for first, size in spans:
            libc.madvise(first, size, libc.MADV_COLLAPSE)

    if spans:
        thread = threading.Thread(target=collapse, name="index-huge-pages", daemon=True)
        if later is None:
            thread.start()
        else:
            later.append(thread)


class _Pending:
    """Vectors that arrived while the index file was being written: a growable buffer, read from
    `start`; a deleted entry gets row -1."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.rows = np.empty(0, dtype=np.int64)
        self.vecs = np.empty((0, dim), dtype=np.float32)
        self.start = 0
        self.n = 0

    def __len__(self) -> int:
        return self.n - self.start

    def append(self, rows: np.ndarray, vecs: np.ndarray) -> None:
        k = len(rows)
        if self.n + k > len(self.rows):
            cap = max(2 * len(self.rows), self.n + k, 256)
            r, v = np.empty(cap, dtype=np.int64), np.empty((cap, self.dim), dtype=np.float32)
            r[: self.n], v[: self.n] = self.rows[: self.n], self.vecs[: self.n]
            self.rows, self.vecs = r, v
        self.rows[self.n : self.n + k] = rows
        self.vecs[self.n : self.n + k] = vecs
        self.n += k

    def copy(self) -> tuple[np.ndarray, np.ndarray]:
        rows, vecs = self.rows[self.start : self.n], self.vecs[self.start : self.n]
        live = rows >= 0
        return rows[live], vecs[live]

    def drop(self, row: int) -> bool:
        hits = np.nonzero(self.rows[self.start : self.n] == row)[0]
        self.rows[self.start + hits] = -1
        return bool(len(hits))

    def take(self, k: int) -> tuple[np.ndarray, np.ndarray, int]:
        """The next up-to-k live entries and how many slots they span."""
        end = min(self.start + k, self.n)
        rows, vecs = self.rows[self.start : end], self.vecs[self.start : end]
        live = rows >= 0
        return rows[live].copy(), vecs[live].copy(), end - self.start

    def advance(self, count: int) -> None:
        self.start += count
        if self.start >= self.n:
            self.start = self.n = 0


class VectorIndex:
    def __init__(self, dim: int, *, m: int = 16, ef_construction: int = 200, ef: int = 64) -> None:
        self.dim = dim
        self.m = m
        self.ef_construction = ef_construction
        self.ef = ef
        self._index = hnswlib.Index(space="cosine", dim=dim)
        self._index.init_index(max_elements=INITIAL_CAPACITY, ef_construction=ef_construction, M=m)
        self._index.set_ef(ef)
        self._gate = threading.RLock()  # `with self._gate` is the C-level form of `with self._cv`
        self._cv = threading.Condition(self._gate)
        self._users = 0  # hnswlib calls in progress
        self._resizing = False
        self._slots = 0  # labels in the index or being inserted
        self._unindexed = 0  # claimed vectors whose insert has not finished
        self._frozen = False
        self._pending = _Pending(dim)
        self._pending_deletes: list[int] = []
        self._thawing = _EMPTY_ROWS  # pending rows being moved into the index right now
        self.count = 0  # live vectors (index + pending + claimed)

    # --- the gate --------------------------------------------------------------------------
    @contextlib.contextmanager
    def _use(self, new_slots: int = 0) -> Iterator[None]:
        with self._cv:
            while self._resizing:
                self._cv.wait()
            if new_slots:
                cap = self._index.get_max_elements()
                if self._slots + new_slots > cap:
                    self._resizing = True
                    while self._users:
                        self._cv.wait()
                    try:
                        with _on_huge_pages():
                            self._index.resize_index(max(cap * 2, self._slots + new_slots, INITIAL_CAPACITY))
                    finally:
                        self._resizing = False
                        self._cv.notify_all()
                self._slots += new_slots
            self._users += 1
        try:
            yield
        finally:
            with self._cv:
                self._users -= 1
                if not self._users:
                    self._cv.notify_all()

    # --- life cycle ------------------------------------------------------------------------
    def load(self, path: Path, max_elements: int, live: int) -> list[threading.Thread]:
        """Load an index file; `live` is the number of live vectors the snapshot recorded. Returns
        the thread that moves the loaded index onto 2 MiB pages, for the caller to start once
        the rest of the store is open."""
        idx = hnswlib.Index(space="cosine", dim=self.dim)
        later: list[threading.Thread] = []
        with _on_huge_pages(later):
            idx.load_index(str(path), max_elements=max(max_elements, INITIAL_CAPACITY))
        idx.set_ef(self.ef)
        self._index = idx
        self._slots = idx.element_count
        self.count = live
        return later

    def save(self, path: Path) -> None:
        """Write the index file (between `freeze()` and `thaw_step()`: no insert runs meanwhile).

        hnswlib's save_index holds the GIL for the whole write (seconds at 1M vectors), which
        would stall every writer and reader. So a forked child writes the file from its
        copy-on-write view of the frozen index while this process keeps serving.
        """
        with self._use():
            if not fork_is_safe():
                self._index.save_index(str(path))
                return
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:  # the child: write the file and leave at once, touching nothing else
                code = 1
                try:
                    die_with_parent(parent)
                    self._index.save_index(str(path))
                    code = 0
                finally:
                    os._exit(code)
            _, status = os.waitpid(pid, 0)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            raise Internal(f"writing the index file {path} failed in the snapshot child (status {status})")

    def save_here(self, path: Path) -> None:
        """Write the index file in this process (the snapshot child uses this: no gate, no fork)."""
        self._index.save_index(str(path))

    def freeze_if_inserted(self) -> bool:
        """Freeze (as `freeze`) if no claimed insert is unfinished; False, changing nothing, otherwise."""
        with self._cv:
            if self._unindexed:
                return False
            self._frozen = True
            return True

    def wait_inserted(self) -> None:
        """Wait until every claimed insert has finished (without freezing)."""
        with self._cv:
            while self._unindexed:
                self._cv.wait()

    def freeze(self) -> None:
        """Wait for claimed inserts to finish; from now on new vectors wait in the pending buffer."""
        with self._cv:
            while self._unindexed:
                self._cv.wait()
            self._frozen = True

    def thaw_step(self, max_items: int = 512) -> bool:
        """Move up to `max_items` pending vectors into the index; True once nothing is pending.
        Needs no state lock: writers keep adding to the buffer meanwhile."""
        with self._cv:
            self._frozen = False  # the file is written: new vectors go straight in again
            rows, vecs, span = self._pending.take(max_items)
            self._thawing = rows
        if len(rows):
            with self._use(len(rows)):
                self._index.add_items(vecs, rows, num_threads=1)
        with self._cv:
            self._pending.advance(span)
            self._thawing = _EMPTY_ROWS
            deletes, self._pending_deletes = self._pending_deletes, []
        for r in deletes:
            self._mark_deleted(r)
        with self._cv:
            return len(self._pending) == 0 and not self._pending_deletes

    # --- writes ----------------------------------------------------------------------------
    def add(self, rows: np.ndarray, vecs: np.ndarray, num_threads: int = 1) -> None:
        """Insert now (recovery, or while frozen: into the pending buffer)."""
        if self.claim(rows, vecs):
            self.insert(rows, vecs, num_threads=num_threads)

    def claim(self, rows: np.ndarray, vecs: np.ndarray) -> bool:
        """Account for new vectors (state lock held). True: the caller must `insert` them soon."""
        self.count += len(rows)
        with self._cv:
            if self._frozen:
                self._pending.append(rows, vecs)
                return False
            self._unindexed += len(rows)
        return True

    def insert(self, rows: np.ndarray, vecs: np.ndarray, num_threads: int = 1,
               alive: Callable[[], np.ndarray] | None = None) -> None:
        """Insert claimed vectors; no state lock needed. Rows deleted meanwhile are marked deleted."""
        try:
            with self._use(len(rows)):
                self._index.add_items(vecs, rows, num_threads=num_threads)
        finally:
            with self._cv:
                self._unindexed -= len(rows)
                self._cv.notify_all()
        if alive is not None:
            live = alive()
            for r in rows[~live[rows]]:
                self._mark_deleted(int(r))

    def _mark_deleted(self, row: int) -> None:
        with self._use(), contextlib.suppress(RuntimeError):  # already deleted, or not inserted yet
            self._index.mark_deleted(row)

    def delete(self, row: int) -> None:
        self.count -= 1
        with self._cv:
            if len(self._pending):
                self._pending.drop(row)
            if self._frozen or row in self._thawing:
                self._pending_deletes.append(row)  # in the index, or being moved there right now
                return
        self._mark_deleted(row)

    # --- reads -----------------------------------------------------------------------------
    def search(self, query: np.ndarray, k: int, ef: int | None = None) -> tuple[list[int], list[float]]:
        """(rows, cosine similarities), best first, at most k. `query` need not be unit length.

        The hot path of every ask: the gate is inlined and kept to few Python steps, because
        Python that runs between hnswlib searches runs with cold caches (each step costs more
        than a micro-benchmark shows)."""
        rows: np.ndarray | list[int] = _EMPTY_ROWS
        sims: np.ndarray | list[float] = _EMPTY_SIMS
        gate = self._gate
        with gate:
            while self._resizing:
                self._cv.wait()
            self._users += 1
        try:
            idx = self._index
            if idx.element_count:
                kk = min(k, max(1, self.count))
                want = max(ef or self.ef, kk)
                if want != self.ef:
                    idx.set_ef(want)
                try:
                    labels, dists = idx.knn_query(query, k=kk, num_threads=1)
                    rows, sims = labels[0].tolist(), [1.0 - d for d in dists[0].tolist()]
                except RuntimeError:  # fewer live elements than k
                    rows, sims = self._search_small(query, k)
                finally:
                    if want != self.ef:
                        idx.set_ef(self.ef)
        finally:
            with gate:
                self._users -= 1
                if not self._users and self._resizing:
                    self._cv.notify_all()
        if self._pending.n:
            with self._cv:
                prows, pvecs = self._pending.copy()
            psims = pvecs @ (query / np.float32(np.linalg.norm(query)))
            rows = np.concatenate((np.asarray(rows, dtype=np.int64), prows))
            sims = np.concatenate((np.asarray(sims, dtype=np.float64), psims))
            rows, first = np.unique(rows, return_index=True)
            sims = sims[first]
            order = np.argsort(-sims, kind="stable")[:k]
            rows, sims = rows[order], sims[order]
        if isinstance(rows, np.ndarray):
            return rows.tolist(), np.asarray(sims, dtype=np.float64).tolist()
        return rows, sims  # type: ignore[return-value]  # no pending rows: still the lists read above

    def _search_small(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        idx = self._index
        for kk in range(min(k, idx.element_count), 0, -1):
            try:
                labels, dists = idx.knn_query(query, k=kk, num_threads=1)
                return labels[0].astype(np.int64), 1.0 - dists[0]
            except RuntimeError:
                continue
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)

    def get(self, row: int) -> np.ndarray:
        """The stored (unit) vector of a row."""
        with self._cv:
            prows, pvecs = self._pending.copy()
        hit = np.nonzero(prows == row)[0]
        if len(hit):
            return pvecs[hit[0]].copy()
        with self._use():
            return np.asarray(self._index.get_items([row]), dtype=np.float32)[0]

    @property
    def element_count(self) -> int:
        """Labels in the hnswlib index (deleted ones included; pending vectors not)."""
        return int(self._index.element_count)

    @property
    def capacity(self) -> int:
        return int(self._index.get_max_elements())
