"""The storage server through its clients, beside the bare libraries and sockets, in the same run.

Limits measured first, in this run (the same work the project's anchor scripts do):
  * grpcio sync unary echo, bytes in/out, server and client in one process;
  * a raw asyncio TCP length-prefixed echo, server thread + blocking client, one process;
  * raw hnswlib knn_query (k=10, ef=64, one query at a time) on the server's own index file.
Then a real server process (`python -m sutra_stack.storage.server`) and:
  * query_concept through StorageClient on the fast door, one client  (target ≥ 0.50× raw TCP echo),
    plus the best rate with pipelining (AsyncStorageClient, 64 in flight) and batching (query_concepts);
  * QueryConcept over gRPC through StorageClient("grpc://…")           (target ≥ 0.80× grpcio echo);
  * vector search through StorageClient, k=10, ef=64, N×384          (target ≥ 0.50× raw hnswlib);
  * bulk learn through LearnBatch (fast door) and LearnStream (gRPC), batches of 1,000, fsync always,
    beside the engine's own learn_batch in-process on the same texts   (target ≥ 0.70×).
Each rate is the median of --repeats runs.

Usage: python bench/bench_server.py [--n 100000] [--bulk 20000] [--calls 5000] [--repeats 3] [--dir DIR]
A quick run: python bench/bench_server.py --n 10000 --bulk 5000 --calls 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent import futures
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402
import hnswlib  # noqa: E402
import numpy as np  # noqa: E402

from sutra_stack.storage import AsyncStorageClient, StorageClient  # noqa: E402
from sutra_stack.storage.engine import Engine  # noqa: E402
from sutra_stack.storage.engine.embedders import HashEmbedder  # noqa: E402
from sutra_stack.storage.model import ConceptInput  # noqa: E402
from tests.support.storage_server import storage_server  # noqa: E402

DIM, K, EF, BATCH = 384, 10, 64, 1000


def median_rate(fn: Callable[[], float], repeats: int) -> float:
    return statistics.median(fn() for _ in range(repeats))


def row(label: str, value: float, anchor: float, anchor_label: str, target: float | None) -> None:
    ratio = value / anchor if anchor else float("nan")
    verdict = "" if target is None else (" ok" if ratio >= target else " BELOW TARGET")
    tgt = f"target ≥ {target:.2f}×" if target is not None else "(reported)"
    print(f"  {label:<52} {value:>10,.0f} /s   {anchor_label} {anchor:>9,.0f} /s   "
          f"ratio {ratio:5.2f}×  {tgt}{verdict}", flush=True)


def texts(n: int, offset: int) -> list[str]:
    rng = random.Random(offset)
    words = ["alpha", "beta", "gamma", "delta", "omega", "reactor", "enzyme", "valve", "signal", "harbor",
             "copper", "lattice", "meadow", "orbit", "quartz", "sensor", "tundra", "vector", "willow", "zenith"]
    return [f"concept {i} " + " ".join(rng.choice(words) for _ in range(12)) for i in range(offset, offset + n)]


# --- limits ------------------------------------------------------------------------------------
def grpc_echo_rate(n: int, repeats: int) -> float:
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    srv.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "t.Echo", {"E": grpc.unary_unary_rpc_method_handler(lambda req, ctx: req)}),))
    port = srv.add_insecure_port("127.0.0.1:0")
    srv.start()
    ch = grpc.insecure_channel(f"127.0.0.1:{port}")
    call = ch.unary_unary("/t.Echo/E")
    for _ in range(200):
        call(b"x" * 100)

    def once() -> float:
        t = time.perf_counter()
        for _ in range(n):
            call(b"x" * 100)
        return n / (time.perf_counter() - t)

    rate = median_rate(once, repeats)
    ch.close()
    srv.stop(0)
    return rate


def tcp_echo_rate(n: int, repeats: int) -> float:
    async def serve(ready: threading.Event, holder: list, stop: asyncio.Event) -> None:
        async def h(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            try:
                while True:
                    hdr = await r.readexactly(4)
                    (m,) = struct.unpack(">I", hdr)
                    body = await r.readexactly(m)
                    w.write(hdr + body)
                    await w.drain()
            except asyncio.IncompleteReadError:
                pass

        s = await asyncio.start_server(h, "127.0.0.1", 0)
        holder.append(s.sockets[0].getsockname()[1])
        holder.append(asyncio.get_running_loop())
        ready.set()
        await stop.wait()
        s.close()

    ready, holder = threading.Event(), []
    stop = asyncio.Event()
    th = threading.Thread(target=lambda: asyncio.run(serve(ready, holder, stop)), daemon=True)
    th.start()
    ready.wait()
    c = socket.create_connection(("127.0.0.1", holder[0]))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = struct.pack(">I", 100) + b"x" * 100

    def rt() -> None:
        c.sendall(msg)
        got = b""
        while len(got) < 104:
            got += c.recv(4096)

    for _ in range(200):
        rt()

    def once() -> float:
        t = time.perf_counter()
        for _ in range(n):
            rt()
        return n / (time.perf_counter() - t)

    rate = median_rate(once, repeats)
    c.close()
    holder[1].call_soon_threadsafe(stop.set)
    th.join(5)
    return rate


def raw_hnsw_rate(index_file: Path, n: int, queries: np.ndarray, repeats: int) -> float:
    idx = hnswlib.Index(space="cosine", dim=DIM)
    idx.load_index(str(index_file), max_elements=n + 1000)
    idx.set_ef(EF)
    idx.set_num_threads(1)

    def once() -> float:
        t = time.perf_counter()
        for q in queries:
            idx.knn_query(q, k=K)
        return len(queries) / (time.perf_counter() - t)

    return median_rate(once, repeats)


# --- through the server ------------------------------------------------------------------------
def calls_rate(fn: Callable[[int], object], n: int, repeats: int) -> float:
    for i in range(100):
        fn(i)

    def once() -> float:
        t = time.perf_counter()
        for i in range(n):
            fn(i)
        return n / (time.perf_counter() - t)

    return median_rate(once, repeats)


def pipelined_rate(address: str, ids: list[str], n: int, repeats: int, depth: int = 64) -> float:
    async def run() -> float:
        async with AsyncStorageClient(address) as c:
            await c.query_concept(ids[0])
            rates = []
            for _ in range(repeats):
                t = time.perf_counter()
                for start in range(0, n, depth):
                    await asyncio.gather(*[c.query_concept(ids[(start + j) % len(ids)]) for j in range(depth)])
                rates.append(n / (time.perf_counter() - t))
            return statistics.median(rates)

    return asyncio.run(run())


def bulk_engine_rate(workdir: Path, items: list[str]) -> float:
    d = workdir / "engine-bulk"
    shutil.rmtree(d, ignore_errors=True)
    eng = Engine.open(d, {"storage.fsync": "always"})
    t = time.perf_counter()
    for i in range(0, len(items), BATCH):
        eng.learn_batch([ConceptInput(x) for x in items[i:i + BATCH]])
    rate = len(items) / (time.perf_counter() - t)
    eng.close()
    shutil.rmtree(d, ignore_errors=True)
    return rate


def bulk_server_rate(workdir: Path, name: str, items: list[str], stream: bool) -> float:
    with storage_server(workdir / name, env={"SUTRA_STORAGE_FSYNC": "always", "SUTRA_LOG_LEVEL": "WARNING"}) as srv:
        with StorageClient(srv.address) as c:
            batches = [[ConceptInput(x) for x in items[i:i + BATCH]] for i in range(0, len(items), BATCH)]
            t = time.perf_counter()
            if stream:
                ids = c.learn_stream(iter(batches))
            else:
                ids = [cid for b in batches for cid in c.learn_batch(b)]
            rate = len(items) / (time.perf_counter() - t)
            assert len(ids) == len(items)
    shutil.rmtree(workdir / name, ignore_errors=True)
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="concepts in the store searched")
    ap.add_argument("--bulk", type=int, default=20_000, help="concepts per bulk-learn measurement")
    ap.add_argument("--calls", type=int, default=5_000, help="calls per rate measurement")
    ap.add_argument("--queries", type=int, default=2_000, help="vector searches per measurement")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=None)
    a = ap.parse_args()
    workdir = a.dir or Path(tempfile.mkdtemp(prefix="bench-server-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"storage server vs bare libraries, {os.cpu_count()} CPUs, store {a.n:,}×{DIM}, medians of {a.repeats}")

    print("limits (same run):", flush=True)
    grpc_echo = grpc_echo_rate(a.calls, a.repeats)
    print(f"  grpcio sync unary echo, 1 client thread          {grpc_echo:>10,.0f} /s")
    tcp_echo = tcp_echo_rate(a.calls, a.repeats)
    print(f"  raw asyncio TCP framed echo, 1 client            {tcp_echo:>10,.0f} /s", flush=True)

    print("bulk learn, batches of 1,000, fsync always, hash embedder:", flush=True)
    eng_rate = bulk_engine_rate(workdir, texts(a.bulk, 0))
    print(f"  engine learn_batch in-process                    {eng_rate:>10,.0f} /s", flush=True)
    row("LearnBatch through StorageClient (fast door)", bulk_server_rate(workdir, "bulk-fast", texts(a.bulk, 0),
                                                                         False), eng_rate, "engine", 0.70)
    row("LearnStream through StorageClient (gRPC stream)", bulk_server_rate(workdir, "bulk-stream",
                                                                            texts(a.bulk, 0), True),
        eng_rate, "engine", 0.70)

    print(f"filling a store of {a.n:,} concepts ...", flush=True)
    env = {"SUTRA_STORAGE_FSYNC": "off", "SUTRA_LOG_LEVEL": "WARNING"}
    with storage_server(workdir / "store", env=env, timeout=600) as srv:
        with StorageClient(srv.address) as c:
            t = time.perf_counter()
            ids: list[str] = []
            for i in range(0, a.n, BATCH):
                ids += c.learn_batch([ConceptInput(x) for x in texts(min(BATCH, a.n - i), 1_000_000 + i)])
            print(f"  filled in {time.perf_counter() - t:.1f}s", flush=True)
            c.flush()
        rng = random.Random(1)
        sample = [ids[rng.randrange(len(ids))] for _ in range(4096)]

        print("query_concept:", flush=True)
        with StorageClient(srv.address) as c:
            assert c.query_concept(sample[0]) is not None
            row("StorageClient fast door, 1 client", calls_rate(lambda i: c.query_concept(sample[i % 4096]),
                                                                a.calls, a.repeats), tcp_echo, "raw TCP echo", 0.50)
            best_batch = median_rate(lambda: _batch_rate(c, sample, a.calls), a.repeats)
        row("AsyncStorageClient fast door, 64 pipelined", pipelined_rate(srv.address, sample, a.calls, a.repeats),
            tcp_echo, "raw TCP echo", None)
        row("StorageClient query_concepts, batches of 100", best_batch, tcp_echo, "raw TCP echo", None)
        with StorageClient(srv.grpc_address) as g:
            row("QueryConcept over gRPC (StorageClient grpc://)", calls_rate(
                lambda i: g.query_concept(sample[i % 4096]), a.calls // 2, a.repeats), grpc_echo, "grpcio echo", 0.80)

        print(f"vector search k={K} ef={EF}:", flush=True)
        emb = HashEmbedder(DIM)
        queries = emb.embed(texts(a.queries, 5_000_000))
        index_files = sorted((workdir / "store").glob("index-*.bin*"))
        raw = raw_hnsw_rate(index_files[-1], a.n, queries, a.repeats)
        print(f"  raw hnswlib knn_query, same index, 1 thread      {raw:>10,.0f} /s", flush=True)
        qlist = [q.tolist() for q in queries]
        with StorageClient(srv.address) as c:
            assert len(c.vector_search(vector=qlist[0], k=K, ef=EF)) == K
            row("vector_search through StorageClient (fast door)", calls_rate(
                lambda i: c.vector_search(vector=qlist[i % len(qlist)], k=K, ef=EF), a.queries, a.repeats),
                raw, "raw hnswlib", 0.50)
    if a.dir is None:
        shutil.rmtree(workdir, ignore_errors=True)


def _batch_rate(c: StorageClient, ids: list[str], n: int) -> float:
    t = time.perf_counter()
    for start in range(0, n, 100):
        c.query_concepts(ids[start % 4000:start % 4000 + 100])
    return n / (time.perf_counter() - t)


if __name__ == "__main__":
    main()
