"""The storage engine beside raw hnswlib doing the same work, in the same run.

Figures (each printed with its anchor, the ratio and the target ratio):
  * bulk learn: learn_batch of 1,000 texts (~100 chars, hash embedder, fsync always) vs raw
    hnswlib add_items of the same vectors in the same batches, M=16, ef_construction=200
    (target ≥ 0.70×);
  * vector search k=10 through the engine vs raw knn_query on the same vectors at the same ef,
    single queries, one thread, with recall@10 of both (target ≥ 0.80×); blocks of 50 queries
    taken in turn, so load changes on a shared machine hit both alike;
  * text search k=10 (3-word queries) vs a bare numpy BM25 over a dict of postings arrays
    (no deletes, no tail, no hits built: a floor, not a like-for-like target);
  * 8 concurrent single-concept writers, fsync always, vs raw hnswlib adding the same vectors one
    call at a time (target ≥ 0.70×);
  * open a store of N concepts and answer a correct vector search vs raw hnswlib load_index of the
    same index file (target ≤ 1.3×), for --open-sizes (100K and 1M in the full run);
  * the longest write stall while a snapshot of the largest store is taken;
  * RSS growth per concept with ~100 chars of text and 5 associations each, index included
    (target ≤ 2.5 KB), measured in a fresh child process.

Usage: python bench/bench_engine.py [--n 100000] [--open-sizes 100000,1000000] [--writers-n 8000]
       [--queries 1000] [--rss-n 100000] [--skip build,search,writers,open,rss] [--dir DIR]
       [--build-efc 200] [--stall-only N (with --dir)] [--quick] [--baseline REV [--rounds 3]]
A quick run (--quick): --n 5000 --open-sizes 5000 --writers-n 800 --rss-n 5000 --queries 500
Against another revision, in the same run (bench/baseline.py): --baseline HEAD~1 --quick
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import baseline  # bench/baseline.py: which tree's sutra_stack this run measures

baseline.setup_path()

import hnswlib  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402

from sutra_stack.storage.engine import Engine  # noqa: E402
from sutra_stack.storage.engine.embedders import HashEmbedder, tokenize  # noqa: E402
from sutra_stack.storage.engine.textindex import term_hash  # noqa: E402
from sutra_stack.storage.model import AssociationInput, ConceptInput  # noqa: E402

try:  # the engine measured as the storage server runs it: the server's process-wide tuning (malloc)
    from sutra_stack.storage.server import tuning
except ImportError:  # an older tree: its Engine tuned malloc itself
    tuning = None  # type: ignore[assignment]

DIM, M, EFC, EF, K, BATCH = 384, 16, 200, 64, 10, 1000
TYPES = ["semantic", "causal", "temporal", "hierarchical", "compositional"]


def texts(n: int, seed: int = 0, offset: int = 0) -> list[str]:
    """~100-character sentences from a 5,000-word vocabulary, each unique."""
    rng = np.random.default_rng(seed)
    vocab = [f"{a}{b}{c}" for a in ("ka", "lo", "mi", "ne", "su", "ta", "ve", "zo", "ri", "pa")
             for b in ("ba", "de", "fi", "go", "hu", "ji", "ko", "lu", "ma", "no")
             for c in ("rin", "tas", "vel", "mon", "dur", "sek", "pol", "gar", "nix", "bet",
                       "cal", "dor", "fen", "hal", "jor", "kel", "lim", "mor", "nal", "pel",
                       "qua", "ros", "sil", "tor", "ulm", "vor", "wen", "xal", "yor", "zel",
                       "ash", "bel", "cor", "dim", "eld", "fal", "gor", "hin", "ist", "jal")]
    # clustered like real embeddings: 256 topics of 12 words; each text takes 8 topic words + 6 others
    topics = np.random.default_rng(12345).integers(0, len(vocab), (256, 12))
    topic = rng.integers(0, 256, n)
    words = np.concatenate((np.take_along_axis(topics[topic], rng.integers(0, 12, (n, 8)), axis=1),
                            rng.integers(0, len(vocab), (n, 6))), axis=1)
    return [" ".join(vocab[w] for w in row) + f" fact {i + offset}" for i, row in enumerate(words)]


def interleaved(n: int, *runs: Callable[[int], object], block: int = 50, rounds: int = 3) -> list[float]:
    """QPS of each `runs[j](i)` over i in range(n): blocks of `block` queries taken in turn by
    every run, so a load change on this shared machine hits all of them alike; median of rounds."""
    per_round: list[list[float]] = [[] for _ in runs]
    for _ in range(rounds):
        spent = [0.0] * len(runs)
        for lo in range(0, n, block):
            for j, run in enumerate(runs):
                t = time.perf_counter()
                for i in range(lo, min(lo + block, n)):
                    run(i)
                spent[j] += time.perf_counter() - t
        for j in range(len(runs)):
            per_round[j].append(n / spent[j])
    return [statistics.median(x) for x in per_round]


def row(label: str, value: float, unit: str, anchor: float, anchor_label: str, target: str, ratio: float,
        name: str = "") -> None:
    """One printed figure; `name`: what --baseline calls it when `label` holds a measured value."""
    baseline.record(name or label, value, unit, anchor=anchor, higher_is_better=unit not in ("s", "bytes"))
    fmt = ".3f" if unit == "s" else ".1f"
    print(f"{label:<44} {value:>10{fmt}} {unit:<10} | {anchor_label:<34} {anchor:>10{fmt}} | ratio {ratio:5.2f} "
          f"(target {target})", flush=True)


def settings(**kw: object) -> dict[str, object]:
    base = {"index.m": M, "index.ef_construction": EFC, "index.ef": EF, "storage.fsync": "always",
            "storage.snapshot_interval": 0.0, "storage.snapshot_wal_bytes": 1 << 40}
    base.update({k.replace("__", "."): v for k, v in kw.items()})
    return base


def bench_build_and_search(n: int, n_queries: int, writers_n: int, workdir: Path) -> None:
    corpus = texts(n)
    emb = HashEmbedder(DIM)
    t = time.perf_counter()
    vecs = np.concatenate([emb.embed(corpus[i:i + BATCH]) for i in range(0, n, BATCH)])
    t_embed = time.perf_counter() - t

    raw = hnswlib.Index(space="cosine", dim=DIM)
    raw.init_index(max_elements=n, ef_construction=EFC, M=M)
    t = time.perf_counter()
    for i in range(0, n, BATCH):
        raw.add_items(vecs[i:i + BATCH], np.arange(i, min(i + BATCH, n)), num_threads=2)
    t_raw = time.perf_counter() - t

    store = workdir / "build"
    eng = Engine.open(store, settings(storage__fsync="always"))
    t = time.perf_counter()
    for i in range(0, n, BATCH):
        eng.learn_batch([ConceptInput(content=c) for c in corpus[i:i + BATCH]])
    t_eng = time.perf_counter() - t
    print(f"(hash embedding alone: {n / t_embed:.0f} texts/s; the engine's figure includes it)")
    baseline.record("hash embedding alone", n / t_embed, "texts/s")
    row(f"bulk learn {n}x{DIM}, batches of {BATCH}, fsync always", n / t_eng, "concepts/s", n / t_raw,
        "raw add_items, same batches", "≥ 0.70", t_raw / t_eng)

    # vector search on the same vectors: queries are perturbed stored vectors
    rng = np.random.default_rng(1)
    q = vecs[rng.integers(0, n, n_queries)] + 0.05 * rng.standard_normal((n_queries, DIM)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    gt = np.argsort(-(q @ vecs.T), axis=1)[:, :K]
    raw.set_ef(EF)
    ql = [x.tolist() for x in q]
    got_raw: list[np.ndarray] = [np.empty(0)] * n_queries
    got_eng: list[list] = [[]] * n_queries

    def run_raw(i: int) -> None:
        got_raw[i] = raw.knn_query(q[i:i + 1], k=K, num_threads=1)[0][0]

    def run_eng(i: int) -> None:
        got_eng[i] = eng.vector_search(vector=q[i], k=K, ef=EF)

    qps_raw, qps_eng, qps_list = interleaved(n_queries, run_raw, run_eng,
                                             lambda i: eng.vector_search(vector=ql[i], k=K, ef=EF))
    rec_raw = np.mean([len(set(got_raw[i].tolist()) & set(gt[i].tolist())) / K for i in range(n_queries)])
    id_of = {cid: r for r, cid in enumerate(eng._state.graph.id_hex(r) for r in range(n))}  # bench only
    rec_eng = np.mean([len({id_of[h.concept_id] for h in got_eng[i]} & set(gt[i].tolist())) / K
                       for i in range(n_queries)])
    row(f"vector search k={K} ef={EF} (recall {rec_eng:.3f})", qps_eng, "QPS",
        qps_raw, f"raw knn_query (recall {rec_raw:.3f})", "≥ 0.80", qps_eng / qps_raw,
        name=f"vector search k={K} ef={EF}")
    baseline.record(f"vector search recall@{K}", float(rec_eng), "recall", anchor=float(rec_raw))
    row("  same, query vector as a Python list", qps_list, "QPS", qps_raw,
        "raw knn_query (numpy query)", "≥ 0.80", qps_list / qps_raw)
    bench_text(eng, corpus, n_queries)
    if writers_n:
        bench_writers(eng, raw, writers_n, n)
    eng.close()
    shutil.rmtree(store, ignore_errors=True)


def bare_bm25(corpus: list[str]) -> tuple[dict[int, tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """A bare dict of numpy postings (term hash -> docs, tfs) and the document lengths."""
    post: dict[int, tuple[list[int], list[int]]] = {}
    lengths = np.zeros(len(corpus), dtype=np.float64)
    for d, text in enumerate(corpus):
        toks = tokenize(text)
        lengths[d] = len(toks)
        for h, tf in Counter(term_hash(t) for t in toks).items():
            ds, ts = post.setdefault(h, ([], []))
            ds.append(d)
            ts.append(tf)
    return {h: (np.asarray(ds, dtype=np.int64), np.asarray(ts, dtype=np.float64)) for h, (ds, ts) in post.items()}, \
        lengths


def bare_search(post: dict[int, tuple[np.ndarray, np.ndarray]], lengths: np.ndarray, query: str, k: int) -> np.ndarray:
    """BM25 top-k with bare numpy over the dict (no deletes, no tail, no hits built)."""
    n = len(lengths)
    avgdl = lengths.mean()
    acc = np.zeros(n)
    for h in {term_hash(t) for t in tokenize(query)}:
        if h not in post:
            continue
        ds, ts = post[h]
        idf = np.log(1.0 + (n - len(ds) + 0.5) / (len(ds) + 0.5))
        acc[ds] += idf * ts * 2.2 / (ts + 1.2 * (0.25 + 0.75 * lengths[ds] / avgdl))
    top = np.argpartition(-acc, k - 1)[:k]
    return top[np.argsort(-acc[top], kind="stable")]


def bench_text(eng: Engine, corpus: list[str], n_queries: int) -> None:
    """text_search k=10 (3 words of a stored text: common topic words and rare ones) vs bare numpy BM25."""
    rng = np.random.default_rng(3)
    queries = [" ".join(rng.choice(corpus[i].split()[:14], 3, replace=False))
               for i in rng.integers(0, len(corpus), n_queries)]
    post, lengths = bare_bm25(corpus)
    bare, eng_qps = interleaved(n_queries, lambda i: bare_search(post, lengths, queries[i], K),
                                lambda i: eng.text_search(queries[i], k=K))
    row(f"text search k={K}, 3-word queries, {len(corpus)} docs", eng_qps, "QPS", bare,
        "bare numpy BM25 over a dict", "none: a floor", eng_qps / bare)


def bench_writers(eng: Engine, raw: hnswlib.Index, n: int, base: int) -> None:
    """8 threads learning single concepts into the built store vs raw adds into the raw index of the same size."""
    corpus = texts(n, seed=5, offset=10**9)
    vecs = HashEmbedder(DIM).embed(corpus)
    raw.resize_index(base + n)
    t = time.perf_counter()
    for i in range(n):
        raw.add_items(vecs[i:i + 1], [base + i], num_threads=1)
    t_raw = time.perf_counter() - t
    per = n // 8
    before = eng.stats().concepts

    def writer(w: int) -> None:
        for c in corpus[w * per:(w + 1) * per]:
            eng.learn_concept(c)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t_eng = time.perf_counter() - t
    assert eng.stats().concepts == before + per * 8
    row(f"8 writers x {per} single learns into {base}, fsync always", per * 8 / t_eng, "concepts/s", n / t_raw,
        "raw add_items one at a time", "≥ 0.70", (per * 8 / t_eng) / (n / t_raw))


def build_store(path: Path, n: int, efc: int) -> None:
    """A store of n concepts with 5 associations each (fsync off to build it quickly; `efc` is the
    build's ef_construction: it changes the graph's quality, not the index file's size or layout)."""
    eng = Engine.open(path, settings(storage__fsync="off", storage__max_concepts=2 * n + 10,
                                     index__ef_construction=efc))
    ids: list[str] = []
    t = time.perf_counter()
    for i in range(0, n, BATCH):
        ids.extend(eng.learn_batch([ConceptInput(content=c) for c in texts(min(BATCH, n - i), seed=i, offset=i)]))
    rng = np.random.default_rng(2)
    for i in range(0, n, BATCH // 5):
        src = range(i, min(i + BATCH // 5, n))
        eng.learn_associations([AssociationInput(ids[s], ids[int(d)], TYPES[j], 0.5)
                                for s in src for j, d in enumerate(rng.integers(0, n, 5)) if int(d) != s])
    print(f"(built a {n}-concept store in {time.perf_counter() - t:.0f}s)", flush=True)
    stall_probe(eng, n)
    eng.close()


def stall_probe(eng: Engine, n: int) -> None:
    """Write continuously while a snapshot is taken; report the longest write latency."""
    lat: list[float] = []
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            t = time.perf_counter()
            eng.learn_concept(f"write during snapshot {i}")
            lat.append(time.perf_counter() - t)
            i += 1

    th = threading.Thread(target=writer)
    th.start()
    time.sleep(0.5)
    base = max(lat) if lat else 0.0
    t = time.perf_counter()
    eng.flush()
    t_snap = time.perf_counter() - t
    stop.set()
    th.join()
    print(f"snapshot of {n} concepts took {t_snap:.1f}s while {len(lat)} writes went on; longest write "
          f"{max(lat) * 1000:.0f} ms (before the snapshot: {base * 1000:.0f} ms); longest state-lock hold "
          f"{eng.longest_snapshot_stall * 1000:.0f} ms", flush=True)
    baseline.record(f"snapshot of {n} concepts, longest write", max(lat) * 1000, "ms", higher_is_better=False)


def bench_open(n: int, workdir: Path, efc: int) -> None:
    store = workdir / f"open{n}"
    if not (store / "storage.dat").exists():
        build_store(store, n, efc)
    (index,) = store.glob("index-*.bin")
    probe = texts(min(BATCH, n), seed=0, offset=0)[0]  # the first concept build_store learned
    t_raw, t_eng = [], []
    for _ in range(3):
        gc.collect()
        t = time.perf_counter()
        j = hnswlib.Index(space="cosine", dim=DIM)
        j.load_index(str(index))
        t_raw.append(time.perf_counter() - t)
        del j
        gc.collect()
        t = time.perf_counter()
        eng = Engine.open(store, settings(storage__fsync="always", storage__max_concepts=2 * n + 10))
        hit = eng.vector_search(text=probe, k=1)[0]
        t_eng.append(time.perf_counter() - t)
        assert hit.content == probe, "the reopened store answered a wrong search"
        assert eng._persist is not None  # an on-disk store
        eng._persist.snapshot_lsn = eng._applied_lsn  # bench: skip the close-time snapshot (nothing new)
        eng.close()
        del eng
    size = index.stat().st_size / 1e6
    row(f"open {n} + correct search", statistics.median(t_eng), "s", statistics.median(t_raw),
        f"raw load_index ({size:.0f} MB)", "≤ 1.30", statistics.median(t_eng) / statistics.median(t_raw))


def rss_child(n: int, workdir: Path) -> None:
    proc = psutil.Process()
    corpus = texts(n, seed=9)
    gc.collect()
    before = proc.memory_info().rss
    eng = Engine.in_memory(settings(storage__max_concepts=max(n, 10)))
    ids: list[str] = []
    for i in range(0, n, BATCH):
        ids.extend(eng.learn_batch([ConceptInput(content=c) for c in corpus[i:i + BATCH]]))
    rng = np.random.default_rng(3)
    for i in range(0, n, BATCH // 5):
        eng.learn_associations([AssociationInput(ids[s], ids[int(d)], TYPES[j], 0.5)
                                for s in range(i, min(i + BATCH // 5, n))
                                for j, d in enumerate(rng.integers(0, n, 5)) if int(d) != s])
    del corpus
    gc.collect()
    after = proc.memory_info().rss
    st = eng.stats()
    print(f"{(after - before) / n:.1f} {st.concepts} {st.associations}")


def bench_rss(n: int, workdir: Path) -> None:
    out = subprocess.run([sys.executable, __file__, "--rss-child", str(n)], capture_output=True, text=True,
                         check=True)
    per, concepts, assocs = out.stdout.split()
    per_c = float(per)
    row(f"RSS per concept ({concepts} concepts, {assocs} assoc.)", per_c, "bytes", 2560.0, "budget (2.5 KB)",
        "≤ 1.00", per_c / 2560.0)


QUICK = {"n": 5000, "open_sizes": "5000", "writers_n": 800, "rss_n": 5000, "queries": 500}


def main() -> None:
    if tuning is not None:
        tuning.apply()
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--writers-n", type=int, default=8000)
    ap.add_argument("--open-sizes", default="100000,1000000")
    ap.add_argument("--rss-n", type=int, default=100_000)
    ap.add_argument("--skip", default="")
    ap.add_argument("--dir", default="")
    ap.add_argument("--rss-child", type=int, default=0)
    ap.add_argument("--stall-only", type=int, default=0, help="snapshot stall probe on the --dir store of this size")
    ap.add_argument("--build-efc", type=int, default=EFC, help="ef_construction of the stores built for --open-sizes")
    ap.add_argument("--quick", action="store_true", help="small sizes (a few minutes on 2 cores): " + str(QUICK))
    baseline.add_arguments(ap)
    a = ap.parse_args()
    if a.quick:
        ap.set_defaults(**QUICK)
        a = ap.parse_args()
    baseline.compare_if_asked(__file__, a)
    workdir = Path(a.dir) if a.dir else Path(tempfile.mkdtemp(prefix="bench-engine-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if a.rss_child:
        rss_child(a.rss_child, workdir)
        return
    if a.stall_only:
        eng = Engine.open(workdir / f"open{a.stall_only}", settings(storage__fsync="always",
                                                                   storage__max_concepts=4 * a.stall_only))
        stall_probe(eng, eng.stats().concepts)
        eng.close()
        return
    skip = set(a.skip.split(","))
    print(f"engine vs raw hnswlib, dim {DIM}, M={M}, ef_construction={EFC}, {os.cpu_count()} CPUs, dir {workdir}")
    try:
        if "build" not in skip:
            bench_build_and_search(a.n, a.queries, 0 if "writers" in skip else a.writers_n, workdir)
        if "rss" not in skip:
            bench_rss(a.rss_n, workdir)
        if "open" not in skip:
            for size in (int(s) for s in a.open_sizes.split(",") if s):
                bench_open(size, workdir, a.build_efc)
    finally:
        if not a.dir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
