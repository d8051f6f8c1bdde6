"""The term index: BM25 results equal a plain reference computation across base, tail, deletes and reloads."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from sutra_stack.storage.engine import textindex
from sutra_stack.storage.engine.embedders import tokenize
from sutra_stack.storage.engine.textindex import K1, B, TextIndex

WORDS = ["alpha", "beta", "gamma", "delta", "common", "rare", "x", "y"]


def reference(docs: dict[int, str], query: str, k: int) -> list[tuple[int, float]]:
    """BM25 over the live documents, best first, ties by row."""
    toks = {r: tokenize(t) for r, t in docs.items()}
    n = len(docs)
    avgdl = max(sum(len(t) for t in toks.values()) / n, 1e-9)
    scores: dict[int, float] = {}
    for term in set(tokenize(query)):
        holders = {r: Counter(t)[term] for r, t in toks.items() if term in t}
        df = len(holders)
        if not df:
            continue
        idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        for r, tf in holders.items():
            tf = min(tf, 255)
            s = idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(toks[r]) / avgdl))
            scores[r] = scores.get(r, 0.0) + s
    return sorted(scores.items(), key=lambda rs: (-rs[1], rs[0]))[:k]


def check(ix: TextIndex, docs: dict[int, str], alive: np.ndarray, query: str, k: int) -> None:
    rows, scores = ix.search(query, k, alive)
    want = reference(docs, query, k)
    assert rows.tolist() == [r for r, _ in want], query
    np.testing.assert_allclose(scores, [s for _, s in want], rtol=1e-5)


def corpus(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, int(rng.integers(1, 9)))) + f" doc{i}" for i in range(n)]


QUERIES = ["alpha", "common rare", "x y alpha beta", "doc7 common", "gamma gamma delta", "nothing", "doc3 doc5"]


def test_search_matches_reference_through_base_tail_deletes_and_reload() -> None:
    texts = corpus(300, seed=1)
    ix = TextIndex()
    alive = np.zeros(300, dtype=bool)
    docs: dict[int, str] = {}
    for r, t in enumerate(texts[:150]):
        ix.add(r, t)
        alive[r] = True
        docs[r] = t
    for q in QUERIES:  # everything in the tail
        check(ix, docs, alive, q, 5)
    ix.compact()
    for r, t in enumerate(texts[150:], 150):  # base + tail
        ix.add(r, t)
        alive[r] = True
        docs[r] = t
    for q in QUERIES:
        for k in (1, 3, 10, 400):
            check(ix, docs, alive, q, k)
    for r in (0, 7, 151, 160, 299):  # deletes in base and in tail
        alive[r] = False
        ix.remove(r)
        del docs[r]
    for q in QUERIES:
        check(ix, docs, alive, q, 10)

    copy = TextIndex()  # a reload rebuilds the tail's term map before its first query
    copy.load({k: (v, len(v)) for k, v in ix.arrays().items()}, ix.total_len, ix.live_docs)
    for q in QUERIES:
        check(copy, docs, alive, q, 10)
    copy.add(300, "alpha common fresh")  # and keeps it current afterwards
    alive = np.append(alive, True)
    docs[300] = "alpha common fresh"
    for q in ("fresh", "alpha common", "alpha"):
        check(copy, docs, alive, q, 10)
    copy.compact(alive)
    for q in QUERIES:
        check(copy, docs, alive, q, 10)


def test_ties_at_the_cut_keep_the_oldest_rows() -> None:
    ix = TextIndex()
    n = 50
    for r in range(n):
        ix.add(r, "same words here")
    alive = np.ones(n, dtype=bool)
    rows, scores = ix.search("words", 5, alive)
    assert rows.tolist() == [0, 1, 2, 3, 4]
    assert len(set(scores.tolist())) == 1
    ix.compact()
    for r in range(n, 2 * n):
        ix.add(r, "same words here")
    alive = np.ones(2 * n, dtype=bool)
    alive[[1, 3]] = False
    ix.remove(1)
    ix.remove(3)
    assert ix.search("words", 4, alive)[0].tolist() == [0, 2, 4, 5]


@pytest.mark.parametrize("prune_from", [0, textindex.PRUNE_MIN_POSTINGS])
def test_pruned_search_equals_reference_on_skewed_vocabulary(monkeypatch: pytest.MonkeyPatch,
                                                              prune_from: int) -> None:
    """Rare and common terms, repeats and varied lengths: the search that skips scoring common
    terms once they cannot change the top k returns exactly the full BM25 ranking (pruning
    tried on every query, and only from its default size on)."""
    monkeypatch.setattr(textindex, "PRUNE_MIN_POSTINGS", prune_from)
    rng = np.random.default_rng(7)
    vocab = [f"w{i}" for i in range(400)]
    p = 1.0 / np.arange(1, len(vocab) + 1)  # Zipf: w0 is in most documents, w399 in few
    p /= p.sum()
    texts = [" ".join(rng.choice(vocab, int(rng.integers(1, 12)), p=p)) + f" id{i % 97}" for i in range(1500)]
    ix = TextIndex()
    alive = np.zeros(len(texts), dtype=bool)
    docs: dict[int, str] = {}
    for r, t in enumerate(texts):
        ix.add(r, t)
        alive[r] = True
        docs[r] = t
        if r == 900:
            ix.compact()  # base + tail
    queries = [" ".join(rng.choice(vocab, int(rng.integers(2, 6)), p=p)) + f" id{int(rng.integers(0, 97))}"
               for _ in range(60)]
    queries += [" ".join(rng.choice(vocab[:5], 3)) for _ in range(10)]  # common terms only
    for q in queries:
        for k in (1, 5, 20):
            check(ix, docs, alive, q, k)
    for r in rng.choice(len(texts), 200, replace=False).tolist():  # deletes: postings filtered
        alive[r] = False
        ix.remove(r)
        del docs[r]
    for q in queries:
        check(ix, docs, alive, q, 10)
