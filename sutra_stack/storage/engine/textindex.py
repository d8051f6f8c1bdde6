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
from collections.abc import Sequence

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
PRUNE_MIN_POSTINGS = 2048  # postings after a query's rarest term from which pruning is tried
_NO_DOCS = np.empty(0, dtype=np.int32)
_NO_TFS = np.empty(0, dtype=np.uint8)


def _kth(scores: np.ndarray, k: int) -> float:
    """The k-th largest of `scores` (len >= k)."""
    return float(np.partition(scores, len(scores) - k)[len(scores) - k])


def _bm25(tfs: np.ndarray, lengths: np.ndarray, weight: float, c0: float, c1: float) -> np.ndarray:
    """One term's BM25 score in each document: weight = idf * (K1 + 1), length norm c0 + c1 * dl."""
    tf = tfs.astype(np.float64)
    return tf * weight / (tf + (lengths * c1 + c0))


def term_hash(term: str) -> int:
    return zlib.crc32(term.encode("utf-8"))


class _TailPostings:
    """One term's postings in the tail, in growable arrays (appended to under the state lock)."""

    __slots__ = ("docs", "tfs", "lengths")

    def __init__(self, docs: array, tfs: array, lengths: array) -> None:
        self.docs, self.tfs, self.lengths = docs, tfs, lengths

    @classmethod
    def of(cls, tail: Table, doc_table: Table, positions: Sequence[int] | np.ndarray) -> _TailPostings:
        docs = tail["doc"][positions]
        return cls(array("i", docs.astype(np.int32).tobytes()), array("B", tail["tf"][positions].tobytes()),
                   array("i", doc_table["length"][docs].astype(np.int32).tobytes()))

    def add(self, row: int, tf: int, length: int) -> None:
        self.docs.append(row)
        self.tfs.append(tf)
        self.lengths.append(length)

    @staticmethod
    def array(values: array, dtype: type) -> np.ndarray:
        """A numpy copy (a view would stop the array from growing while it lives)."""
        view: np.ndarray = np.frombuffer(values, dtype=dtype)
        out = view.copy()
        del view
        return out


class TextIndex:
    def __init__(self) -> None:
        self.tail = Table(POSTING_SCHEMA)
        self.docs = Table(DOC_SCHEMA)  # row-aligned with the concept table
        self.base_terms = np.empty(0, dtype=np.uint32)  # sorted unique term hashes
        self.base_ptr = np.zeros(1, dtype=np.int64)
        self.base_doc = np.empty(0, dtype=np.int32)
        self.base_tf = np.empty(0, dtype=np.uint8)
        self.base_len = np.empty(0, dtype=np.int32)  # each base posting's document length (not stored)
        self.total_len = 0  # tokens over live documents
        self.live_docs = 0
        # term -> its one tail position, or its tail postings; None: rebuild before the next query
        self._tail_map: dict[int, int | _TailPostings] | None = {}
        self._acc = np.zeros(0, dtype=np.float64)  # scratch: score per row, all zero between queries

    def _index_tail(self, first: int, terms: list[int], row: int, tfs: list[int], length: int) -> None:
        m = self._tail_map
        if m is None:
            return
        for pos, (h, tf) in enumerate(zip(terms, tfs, strict=True), first):
            old = m.get(h)
            if old is None:
                m[h] = pos
            elif isinstance(old, int):
                m[h] = _TailPostings.of(self.tail, self.docs, [old, pos])
            else:
                old.add(row, tf, length)

    def _tail_positions(self) -> dict[int, int | _TailPostings]:
        """The term map of the tail, rebuilt with one sort when a load left it unset."""
        if self._tail_map is None:
            n = self.tail.n
            terms = self.tail["term"][:n]
            order = np.argsort(terms, kind="stable").astype(np.int32)
            uniq, starts, counts = np.unique(terms[order], return_index=True, return_counts=True)
            m: dict[int, int | _TailPostings] = {}
            for h, a, c in zip(uniq.tolist(), starts.tolist(), counts.tolist(), strict=True):
                m[h] = int(order[a]) if c == 1 else _TailPostings.of(self.tail, self.docs, order[a:a + c])
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
        tfs = [min(c, 255) for c in counts.values()]
        self.tail["term"][sl] = terms
        self.tail["doc"][sl] = row
        self.tail["tf"][sl] = tfs
        self._index_tail(first, terms, row, tfs, length)
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
        self.base_len = self.docs["length"][self.base_doc]
        self.tail = Table(POSTING_SCHEMA)
        self._tail_map = {}

    def postings(self, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(documents ascending, term frequencies, document lengths) of term hash `h`."""
        parts_d, parts_t, parts_l = [], [], []
        bt = self.base_terms
        i = int(bt.searchsorted(h))
        if i < len(bt) and bt[i] == h:
            a, b = self.base_ptr[i], self.base_ptr[i + 1]
            parts_d.append(self.base_doc[a:b])
            parts_t.append(self.base_tf[a:b])
            parts_l.append(self.base_len[a:b])
        entry = self._tail_positions().get(h) if self.tail.n else None
        if isinstance(entry, int):
            docs = self.tail["doc"][entry:entry + 1]
            parts_d.append(docs)
            parts_t.append(self.tail["tf"][entry:entry + 1])
            parts_l.append(self.docs["length"][docs])
        elif entry is not None:
            parts_d.append(entry.array(entry.docs, np.int32))
            parts_t.append(entry.array(entry.tfs, np.uint8))
            parts_l.append(entry.array(entry.lengths, np.int32))
        if not parts_d:
            return _NO_DOCS, _NO_TFS, _NO_DOCS
        if len(parts_d) == 1:
            return parts_d[0], parts_t[0], parts_l[0]
        return np.concatenate(parts_d), np.concatenate(parts_t), np.concatenate(parts_l)

    def search(self, query: str, k: int, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, BM25 scores), best first.

        Exact top k with MaxScore pruning: terms are scored rarest first; once the terms left
        could not lift a document that holds none of the terms scored so far above the k-th
        best score seen, those terms only add to the documents already found (looked up in
        their sorted postings, or one gather), instead of scoring all their documents. Scores
        are summed in a reusable per-row scratch array (zero between queries; a row is a
        candidate when its sum is above zero, every term adding more than zero).
        """
        terms = sorted({term_hash(t) for t in tokenize(query)})
        if not terms or self.live_docs <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        n_docs = self.live_docs
        c0, c1 = K1 * (1 - B), K1 * B / max(self.total_len / n_docs, 1e-9)  # length norm c0 + c1 * dl
        filter_dead = n_docs != self.docs.n  # every row is a live document: no alive gather
        lists = []
        for h in terms:
            docs, tfs, dls = self.postings(h)
            if filter_dead and len(docs):
                keep = alive[docs]
                docs, tfs, dls = docs[keep], tfs[keep], dls[keep]
            if len(docs):
                lists.append((len(docs), h, docs, tfs, dls))
        if not lists:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        lists.sort(key=lambda t: (t[0], t[1]))  # rarest first, ties by term
        weights = [math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)) * (K1 + 1) for df, *_ in lists]
        if len(lists) == 1:  # one term: its documents are distinct, nothing to sum
            _, _, docs, tfs, dls = lists[0]
            return self._top(docs, _bm25(tfs, dls, weights[0], c0, c1), k)
        # the most each term can add to a document (its largest tf in its shortest document),
        # summed over the terms from j on; pruning only pays when later terms have many postings
        left = [0.0] * (len(lists) + 1)
        if sum(t[0] for t in lists[1:]) >= PRUNE_MIN_POSTINGS:
            for j in range(len(lists) - 1, -1, -1):
                _, _, _, tfs, dls = lists[j]
                tf_max = float(tfs.max())
                left[j] = left[j + 1] + weights[j] * tf_max / (tf_max + c0 + c1 * float(dls.min()))
        acc = self._scratch(len(self.docs["length"]))
        cand_parts: list[np.ndarray] = []
        found = 0
        probe: np.ndarray | None = None  # the first >= k documents found: their k-th best score
        closed: np.ndarray | None = None  # (sorted) the documents found, once no new one can pass
        try:           # the k-th best of the probe, which bounds the k-th best overall from below
            for j, (_, _, docs, tfs, dls) in enumerate(lists):
                w = weights[j]
                if closed is not None:
                    if 8 * len(closed) < len(docs):
                        at = np.minimum(np.searchsorted(docs, closed), len(docs) - 1)
                        sel = at[docs[at] == closed]
                    else:
                        sel = np.flatnonzero(acc[docs] > 0.0)
                    if len(sel):
                        acc[docs[sel]] += _bm25(tfs[sel], dls[sel], w, c0, c1)
                    continue
                part = _bm25(tfs, dls, w, c0, c1)
                cur = acc[docs]
                fresh = docs[cur == 0.0]
                cand_parts.append(fresh)
                found += len(fresh)
                acc[docs] = cur + part
                if probe is None and found >= k and left[j + 1] > 0.0:
                    probe = np.concatenate(cand_parts)
                if probe is not None and left[j + 1] > 0.0 and left[j + 1] < _kth(acc[probe], k) * (1.0 - 1e-9):
                    closed = np.sort(np.concatenate(cand_parts))
            cands = np.concatenate(cand_parts) if len(cand_parts) > 1 else cand_parts[0]
            scores = acc[cands]
            if probe is not None and len(cands) > 4 * len(probe):  # drop what cannot reach the top k
                keep = np.flatnonzero(scores >= _kth(acc[probe], k))
                cands, scores = cands[keep], scores[keep]
        finally:
            for cp in cand_parts:
                acc[cp] = 0.0
        return self._top(cands, scores, k)

    def _scratch(self, rows: int) -> np.ndarray:
        """The zeroed per-row score array, grown to cover `rows` (callers hold the state lock)."""
        if len(self._acc) < rows:
            self._acc = np.zeros(max(rows, 2 * len(self._acc), 1024), dtype=np.float64)
        return self._acc

    @staticmethod
    def _top(cands: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best of (rows, scores): every candidate tied with the k-th best, then ties by row
        (older concept first) for a stable order."""
        if len(scores) > k:
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            top = np.flatnonzero(scores >= kth)
        else:
            top = np.arange(len(scores))
        order = top[np.lexsort((cands[top], -scores[top]))][:k]
        return cands[order].astype(np.int64), scores[order].astype(np.float32)

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
        self.base_len = self.docs["length"][self.base_doc]
        self._tail_map = None
        self.total_len, self.live_docs = total_len, live_docs
