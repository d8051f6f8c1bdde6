"""The term index over concept content, ranked with BM25.

Terms are the embedder's word tokens, keyed by a 32-bit hash (no vocabulary dict). Postings
live in arrays: a base sorted by term (CSR, rebuilt by `compact()`) plus an append-only tail.
The tail is indexed by term (term -> tail position, or an int32 array of them once a term
repeats), built lazily after a load, so a query never scans the tail. Deleted concepts are
filtered through the concept `alive` column. Scores are summed in reusable scratch arrays
(each term's postings hold a document once), not by sorting the candidates.
"""

from __future__ import annotations

import math
import zlib
from array import array
from collections import Counter

import numpy as np

from sutra_stack.storage.engine.columns import Table
from sutra_stack.storage.engine.embedders import tokenize

K1 = 1.2
B = 0.75
POSTING_SCHEMA: dict[str, tuple[str, float | int | bytes]] = {
    "term": ("uint32", 0),
    "doc": ("int32", -1),
    "tf": ("uint8", 0),  # term frequency, capped at 255
}
DOC_SCHEMA: dict[str, tuple[str, float | int | bytes]] = {"length": ("int32", 0)}
COMPACT_MIN_TAIL = 256 * 1024


def term_hash(term: str) -> int:
    return zlib.crc32(term.encode("utf-8"))


class TextIndex:
    def __init__(self) -> None:
        self.tail = Table(POSTING_SCHEMA)
        self.docs = Table(DOC_SCHEMA)  # row-aligned with the concept table
        self.base_terms = np.empty(0, dtype=np.uint32)  # sorted unique term hashes
        self.base_ptr = np.zeros(1, dtype=np.int64)
        self.base_doc = np.empty(0, dtype=np.int32)
        self.base_tf = np.empty(0, dtype=np.uint8)
        self.total_len = 0  # tokens over live documents
        self.live_docs = 0
        # term -> tail position (int) or positions (array 'i'); None: rebuild before the next query
        self._tail_map: dict[int, int | array] | None = {}
        self._acc = np.zeros(0, dtype=np.float64)  # scratch: score per row, all zero between queries
        self._seen = np.zeros(0, dtype=np.bool_)  # scratch: row already a candidate

    def _index_tail(self, first: int, terms: list[int]) -> None:
        m = self._tail_map
        if m is None:
            return
        for pos, h in enumerate(terms, first):
            old = m.get(h)
            if old is None:
                m[h] = pos
            elif isinstance(old, int):
                m[h] = array("i", (old, pos))
            else:
                old.append(pos)

    def _tail_positions(self) -> dict[int, int | array]:
        """The term map of the tail, rebuilt with one sort when a load left it unset."""
        if self._tail_map is None:
            n = self.tail.n
            terms = self.tail["term"][:n]
            order = np.argsort(terms, kind="stable").astype(np.int32)
            uniq, starts, counts = np.unique(terms[order], return_index=True, return_counts=True)
            m: dict[int, int | array] = {}
            for h, a, c in zip(uniq.tolist(), starts.tolist(), counts.tolist(), strict=True):
                m[h] = int(order[a]) if c == 1 else array("i", order[a:a + c].tobytes())
            self._tail_map = m
        return self._tail_map

    def add(self, row: int, text: str) -> None:
        counts = Counter(term_hash(t) for t in tokenize(text))
        length = sum(counts.values())
        if self.docs.n <= row:
            self.docs.append(row + 1 - self.docs.n)
        self.docs["length"][row] = length
        self.total_len += length
        self.live_docs += 1
        if not counts:
            return
        first = self.tail.append(len(counts))
        sl = slice(first, first + len(counts))
        terms = list(counts)
        self.tail["term"][sl] = terms
        self.tail["doc"][sl] = row
        self.tail["tf"][sl] = [min(c, 255) for c in counts.values()]
        self._index_tail(first, terms)
        if self.tail.n > max(COMPACT_MIN_TAIL, len(self.base_doc) // 2):
            self.compact()

    def remove(self, row: int) -> None:
        """Forget a deleted document's length (its postings are filtered by `alive`)."""
        self.total_len -= int(self.docs["length"][row])
        self.live_docs -= 1

    def compact(self, alive: np.ndarray | None = None) -> None:
        """Fold the tail into the sorted base (dropping postings of dead rows when `alive` is given)."""
        t = self.tail.arrays()
        base_terms = np.repeat(self.base_terms, np.diff(self.base_ptr))
        terms = np.concatenate((base_terms, t["term"]))
        docs = np.concatenate((self.base_doc, t["doc"]))
        tfs = np.concatenate((self.base_tf, t["tf"]))
        if alive is not None:
            keep = alive[docs]
            terms, docs, tfs = terms[keep], docs[keep], tfs[keep]
        order = np.argsort(terms, kind="stable")
        terms, docs, tfs = terms[order], docs[order], tfs[order]
        uniq, starts = np.unique(terms, return_index=True)
        self.base_terms = uniq.astype(np.uint32)
        self.base_ptr = np.append(starts, len(terms)).astype(np.int64)
        self.base_doc, self.base_tf = docs.astype(np.int32), tfs.astype(np.uint8)
        self.tail = Table(POSTING_SCHEMA)
        self._tail_map = {}

    def postings(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        parts_d, parts_t = [], []
        bt = self.base_terms
        i = int(bt.searchsorted(h))
        if i < len(bt) and bt[i] == h:
            a, b = self.base_ptr[i], self.base_ptr[i + 1]
            parts_d.append(self.base_doc[a:b])
            parts_t.append(self.base_tf[a:b])
        pos = self._tail_positions().get(h) if self.tail.n else None
        if pos is not None:
            # an array view is dropped before any append (appends need the state lock too)
            pos = [pos] if isinstance(pos, int) else np.frombuffer(pos, dtype=np.int32)  # type: ignore[assignment]
            parts_d.append(self.tail["doc"][pos])
            parts_t.append(self.tail["tf"][pos])
            del pos
        if not parts_d:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.uint8)
        if len(parts_d) == 1:
            return parts_d[0], parts_t[0]
        return np.concatenate(parts_d), np.concatenate(parts_t)

    def search(self, query: str, k: int, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, BM25 scores), best first."""
        terms = {term_hash(t) for t in tokenize(query)}
        if not terms or self.live_docs <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        n_docs = self.live_docs
        avgdl = max(self.total_len / n_docs, 1e-9)
        lengths = self.docs["length"]
        c0, c1 = K1 * (1 - B), K1 * B / avgdl  # the length norm is c0 + c1 * dl
        filter_dead = n_docs != self.docs.n  # every row is a live document: no alive gather
        acc, seen = self._scratch(len(lengths))
        cand_parts: list[np.ndarray] = []
        score_parts: list[np.ndarray] = []
        try:
            for h in terms:
                docs, tfs = self.postings(h)
                if filter_dead and len(docs):
                    keep = alive[docs]
                    docs, tfs = docs[keep], tfs[keep]
                df = len(docs)
                if not df:
                    continue
                tf = tfs.astype(np.float64)
                part = tf * (math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)) * (K1 + 1)) / (
                    tf + (lengths[docs] * c1 + c0))
                if len(terms) == 1:
                    cand_parts.append(docs)
                    score_parts.append(part)
                    break
                fresh = docs[~seen[docs]]
                cand_parts.append(fresh)
                seen[fresh] = True
                acc[docs] += part
            if not cand_parts:
                return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
            if score_parts:  # one term: its documents are distinct, nothing to sum
                cands, scores = cand_parts[0], score_parts[0]
                cand_parts.clear()
            else:
                cands = np.concatenate(cand_parts) if len(cand_parts) > 1 else cand_parts[0]
                scores = acc[cands]
        finally:
            for cp in cand_parts:
                acc[cp] = 0.0
                seen[cp] = False
        if len(scores) > k:  # every candidate tied with the k-th best, then ties by row
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            top = np.flatnonzero(scores >= kth)
        else:
            top = np.arange(len(scores))
        # best first; ties by row (older concept first) for a stable order
        order = top[np.lexsort((cands[top], -scores[top]))][:k]
        return cands[order].astype(np.int64), scores[order].astype(np.float32)

    def _scratch(self, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """The zeroed per-row scratch arrays, grown to cover `rows` (callers hold the state lock)."""
        if len(self._acc) < rows:
            cap = max(rows, 2 * len(self._acc), 1024)
            self._acc = np.zeros(cap, dtype=np.float64)
            self._seen = np.zeros(cap, dtype=np.bool_)
        return self._acc, self._seen

    # --- snapshot --------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        t = self.tail.arrays()
        return {
            "base_terms": self.base_terms, "base_ptr": self.base_ptr, "base_doc": self.base_doc,
            "base_tf": self.base_tf, "tail_term": t["term"], "tail_doc": t["doc"], "tail_tf": t["tf"],
            "doc_length": self.docs.arrays()["length"],
        }

    def load(self, arrays: dict[str, tuple[np.ndarray, int]], total_len: int, live_docs: int) -> None:
        """Adopt loaded (buffer, rows) pairs."""
        def exact(name: str) -> np.ndarray:
            buf, n = arrays[name]
            return buf[:n]

        self.base_terms, self.base_ptr = exact("base_terms"), exact("base_ptr")
        self.base_doc, self.base_tf = exact("base_doc"), exact("base_tf")
        self.tail = Table(POSTING_SCHEMA)
        self.tail.adopt(arrays["tail_term"][1], {"term": arrays["tail_term"][0], "doc": arrays["tail_doc"][0],
                                                 "tf": arrays["tail_tf"][0]})
        self.docs.adopt(arrays["doc_length"][1], {"length": arrays["doc_length"][0]})
        self._tail_map = None
        self.total_len, self.live_docs = total_len, live_docs
