"""The vector index: hnswlib (cosine), labels = concept rows, growing its own capacity.

While a snapshot writes the index file (`freeze()` … `thaw_step()`), new vectors wait in a
pending buffer that searches scan exactly, so writes never wait for the index file. Callers
(the engine) serialise every call with their state lock; searches may overlap `save`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import hnswlib
import numpy as np

INITIAL_CAPACITY = 1024


class VectorIndex:
    def __init__(self, dim: int, *, m: int = 16, ef_construction: int = 200, ef: int = 64) -> None:
        self.dim = dim
        self.m = m
        self.ef_construction = ef_construction
        self.ef = ef
        self._index = hnswlib.Index(space="cosine", dim=dim)
        self._index.init_index(max_elements=INITIAL_CAPACITY, ef_construction=ef_construction, M=m)
        self._index.set_ef(ef)
        self._frozen = False
        self._pending_rows = np.empty(0, dtype=np.int64)
        self._pending_vecs = np.empty((0, dim), dtype=np.float32)
        self._pending_deletes: list[int] = []
        self.count = 0  # live vectors (index + pending)

    # --- life cycle ------------------------------------------------------------------------
    def load(self, path: Path, max_elements: int, live: int) -> None:
        """Load an index file; `live` is the number of live vectors the snapshot recorded."""
        idx = hnswlib.Index(space="cosine", dim=self.dim)
        idx.load_index(str(path), max_elements=max(max_elements, INITIAL_CAPACITY))
        idx.set_ef(self.ef)
        self._index = idx
        self.count = live

    def save(self, path: Path) -> None:
        """Write the index file; call inside `frozen()` so no insert runs meanwhile."""
        self._index.save_index(str(path))

    def freeze(self) -> None:
        """From now on new vectors wait in the pending buffer (the index file is being written)."""
        self._frozen = True

    def thaw_step(self, max_items: int = 512) -> bool:
        """Move up to `max_items` pending vectors into the index; True once nothing is pending."""
        rows, vecs = self._pending_rows[:max_items], self._pending_vecs[:max_items]
        deletes, self._pending_deletes = self._pending_deletes, []
        if len(rows):
            self._ensure_capacity(len(rows))
            self._index.add_items(vecs, rows, num_threads=1)
            self._pending_rows = self._pending_rows[len(rows):]
            self._pending_vecs = self._pending_vecs[len(rows):]
        for r in deletes:
            self._mark_deleted(r)
        if len(self._pending_rows) == 0:
            self._frozen = False
            return True
        return False

    # --- writes ----------------------------------------------------------------------------
    def _ensure_capacity(self, extra: int) -> None:
        need = self._index.element_count + extra
        cap = self._index.get_max_elements()
        if need > cap:
            new = max(cap * 2, need, INITIAL_CAPACITY)
            self._index.resize_index(new)

    def add(self, rows: np.ndarray, vecs: np.ndarray, num_threads: int = 1) -> None:
        self.count += len(rows)
        if self._frozen:
            self._pending_rows = np.concatenate((self._pending_rows, rows.astype(np.int64)))
            self._pending_vecs = np.concatenate((self._pending_vecs, vecs))
            return
        self._ensure_capacity(len(rows))
        self._index.add_items(vecs, rows, num_threads=num_threads)

    def _mark_deleted(self, row: int) -> None:
        with contextlib.suppress(RuntimeError):  # already deleted (replay) or unknown
            self._index.mark_deleted(row)

    def delete(self, row: int) -> None:
        self.count -= 1
        if self._frozen:
            keep = self._pending_rows != row
            if not keep.all():
                self._pending_rows = self._pending_rows[keep]
                self._pending_vecs = self._pending_vecs[keep]
                return
            self._pending_deletes.append(row)
            return
        self._mark_deleted(row)

    # --- reads -----------------------------------------------------------------------------
    def search(self, query: np.ndarray, k: int, ef: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cosine similarities), best first, at most k."""
        idx = self._index
        n = idx.element_count
        pend_rows, pend_vecs = self._pending_rows, self._pending_vecs
        rows = np.empty(0, dtype=np.int64)
        sims = np.empty(0, dtype=np.float32)
        if n:
            kk = min(k, max(1, self.count))
            if ef is not None and ef != self.ef:
                idx.set_ef(max(ef, kk))
            elif kk > self.ef:
                idx.set_ef(kk)
            try:
                labels, dists = idx.knn_query(query.reshape(1, -1), k=kk, num_threads=1)
                rows, sims = labels[0].astype(np.int64), 1.0 - dists[0]
            except RuntimeError:  # fewer live elements than k
                rows, sims = self._search_small(query, k)
            finally:
                if (ef is not None and ef != self.ef) or kk > self.ef:
                    idx.set_ef(self.ef)
        if len(pend_rows):
            psims = pend_vecs @ query
            rows = np.concatenate((rows, pend_rows))
            sims = np.concatenate((sims, psims))
            rows, first = np.unique(rows, return_index=True)
            sims = sims[first]
            order = np.argsort(-sims, kind="stable")[:k]
            rows, sims = rows[order], sims[order]
        return rows, sims.astype(np.float32)

    def _search_small(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        idx = self._index
        ids = np.asarray(idx.get_ids_list(), dtype=np.int64)
        if not len(ids):
            return ids, np.empty(0, dtype=np.float32)
        for kk in range(min(k, len(ids)), 0, -1):
            try:
                labels, dists = idx.knn_query(query.reshape(1, -1), k=kk, num_threads=1)
                return labels[0].astype(np.int64), 1.0 - dists[0]
            except RuntimeError:
                continue
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)

    def get(self, row: int) -> np.ndarray:
        """The stored (unit) vector of a row."""
        hit = np.nonzero(self._pending_rows == row)[0]
        if len(hit):
            return self._pending_vecs[hit[0]].copy()
        return np.asarray(self._index.get_items([row]), dtype=np.float32)[0]

    @property
    def capacity(self) -> int:
        return int(self._index.get_max_elements())
