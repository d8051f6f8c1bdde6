"""The storage server through its clients, beside the bare libraries and sockets, in the same run.

Limits, measured in this run (the work the project's anchor scripts do):
  * grpcio sync unary echo, bytes in/out: server and client in one process (as the anchor script
    does), and again with the echo server in a process of its own, as our server is;
  * a raw asyncio TCP length-prefixed echo with one blocking client: in one process (as the anchor
    script does) and with the echo server in a process of its own;
  * raw hnswlib knn_query (k=10, ef=64, one query at a time, one thread) on the server's own index file
    (and again with the index on 2 MiB pages, as the server's is);
  * the engine's own learn_batch (batches of 1,000, fsync always) in a fresh process.
Then a real server process (`python -m sutra_stack.storage.server`) and:
  * query_concept through StorageClient on the fast door, one client  (target ≥ 0.50× raw TCP echo),
    plus the best rate with pipelining (AsyncStorageClient, 64 in flight) and batching (query_concepts);
  * QueryConcept over gRPC through StorageClient("grpc://…")           (target ≥ 0.80× grpcio echo),
    and ServerInfo the same way (door, service layer and client without an engine read);
  * vector search through StorageClient, k=10, ef=64, N×384          (target ≥ 0.50× raw hnswlib),
    and beside what a search served over a socket can reach: knn_query + one bare TCP round trip;
  * bulk learn through LearnBatch (fast door) and LearnStream (gRPC), batches of 1,000, fsync always,
    on a fresh store each                                               (target ≥ 0.70× the engine).
StorageClient runs as it ships: its waiting thread busy-polls for up to `storage.busy_poll_us`
(1,000 µs) before it sleeps. The echo clients block in recv; a row with busy-poll off (0) is
printed beside each client figure, so both are in the same run.
The machine is shared, so each figure alternates with its limit --repeats times; the ratio printed
is the median of the per-round ratios.

Usage: python bench/bench_server.py [--n 100000] [--bulk 20000] [--calls 3000] [--repeats 5] [--dir DIR]
       [--quick] [--baseline REV [--rounds 3]]
A quick run (--quick): --n 10000 --bulk 4000 --calls 2000 --queries 500 --repeats 3
Against another revision, in the same run (bench/baseline.py): --baseline HEAD~1 --quick
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import baseline  # bench/baseline.py: which tree's sutra_stack this run measures

TREE = baseline.setup_path()

import grpc  # noqa: E402
import hnswlib  # noqa: E402

from sutra_stack.storage import AsyncStorageClient, StorageClient  # noqa: E402
from sutra_stack.storage.engine import Engine  # noqa: E402
from sutra_stack.storage.engine.embedders import HashEmbedder  # noqa: E402
from sutra_stack.storage.engine.vectors import _on_huge_pages as on_huge_pages  # noqa: E402
from sutra_stack.storage.model import ConceptInput  # noqa: E402
from sutra_stack.storage.server import GRPC_EXPERIMENTS as SERVER_GRPC_EXPERIMENTS  # noqa: E402 (grpc is in: no effect here)
from tests.support.storage_server import storage_server  # noqa: E402

DIM, K, EF, BATCH = 384, 10, 64, 1000


def texts(n: int, offset: int) -> list[str]:
    rng = random.Random(offset)
    words = ["alpha", "beta", "gamma", "delta", "omega", "reactor", "enzyme", "valve", "signal", "harbor",
             "copper", "lattice", "meadow", "orbit", "quartz", "sensor", "tundra", "vector", "willow", "zenith"]
    return [f"concept {i} " + " ".join(rng.choice(words) for _ in range(12)) for i in range(offset, offset + n)]


# --- limits ------------------------------------------------------------------------------------
def loop_rate(fn: Callable[[int], object], n: int) -> float:
    t = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - t)


def paired(anchor: Callable[[], float], ours: Callable[[], float], repeats: int) -> tuple[float, float, float]:
    """Alternate anchor and ours `repeats` times (the machine is shared): medians of both and of the ratios."""
    a, o = [], []
    for _ in range(repeats):
        a.append(anchor())
        o.append(ours())
    return statistics.median(a), statistics.median(o), statistics.median(x / y for x, y in zip(o, a, strict=True))


def report(label: str, anchor_label: str, figures: tuple[float, float, float], target: float | None) -> None:
    anchor, value, ratio = figures
    baseline.record(f"{label.strip()} | {anchor_label}", value, "/s", anchor=anchor)
    verdict = "" if target is None else (" ok" if ratio >= target else " BELOW TARGET")
    tgt = f"target ≥ {target:.2f}×" if target is not None else "(reported)"
    print(f"  {label:<50} {value:>9,.0f}/s | {anchor_label:<28} {anchor:>9,.0f}/s | "
          f"ratio {ratio:5.2f}× {tgt}{verdict}", flush=True)


ECHO = """
from concurrent import futures
import grpc
srv = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
srv.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
    "t.Echo", {"E": grpc.unary_unary_rpc_method_handler(lambda req, ctx: req)}),))
port = srv.add_insecure_port("127.0.0.1:0")
"""
ECHO_SERVER = ECHO + """
import sys
print(port, flush=True)
srv.start()
sys.stdin.read()
"""


class GrpcEcho:
    """grpcio sync unary echo (bytes in/out): in this process (as the anchor script does) or in a child."""

    def __init__(self, own_process: bool, env: dict[str, str] | None = None) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.srv: grpc.Server | None = None
        if own_process:
            self.proc = subprocess.Popen([sys.executable, "-c", ECHO_SERVER], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
            assert self.proc.stdout is not None
            port = int(self.proc.stdout.readline())
        else:
            code: dict[str, Any] = {}
            exec(ECHO, code)  # the same server as the child's
            self.srv, port = code["srv"], code["port"]
            self.srv.start()
        self.ch = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.call = self.ch.unary_unary("/t.Echo/E")
        for _ in range(200):
            self.call(b"x" * 100)

    def rate(self, n: int) -> float:
        return loop_rate(lambda _i: self.call(b"x" * 100), n)

    def close(self) -> None:
        self.ch.close()
        if self.srv is not None:
            self.srv.stop(0)
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


TCP_ECHO = """
import asyncio, struct
async def echo(r, w):
    try:
        while True:
            hdr = await r.readexactly(4)
            (m,) = struct.unpack(">I", hdr)
            w.write(hdr + await r.readexactly(m))
            await w.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
"""
TCP_ECHO_SERVER = TCP_ECHO + """
async def main():
    s = await asyncio.start_server(echo, "127.0.0.1", 0)
    print(s.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(10**9)
asyncio.run(main())
"""


class TcpEcho:
    """A raw asyncio TCP length-prefixed echo server (in a thread, as the anchor script does, or in a
    child process like our server), and one blocking client."""

    def __init__(self, own_process: bool = False) -> None:
        self.proc: subprocess.Popen[str] | None = None
        if own_process:
            self.proc = subprocess.Popen([sys.executable, "-c", TCP_ECHO_SERVER], stdout=subprocess.PIPE, text=True)
            assert self.proc.stdout is not None
            self._connect(int(self.proc.stdout.readline()))
            return
        ready, holder = threading.Event(), []
        code: dict[str, Any] = {}
        exec(TCP_ECHO, code)  # the same handler as the child's

        async def serve() -> None:
            s = await asyncio.start_server(code["echo"], "127.0.0.1", 0)
            holder.append(s.sockets[0].getsockname()[1])
            ready.set()
            await asyncio.sleep(10**9)

        threading.Thread(target=lambda: asyncio.run(serve()), daemon=True).start()
        ready.wait()
        self._connect(holder[0])

    def _connect(self, port: int) -> None:
        self.c = socket.create_connection(("127.0.0.1", port))
        self.c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.msg = struct.pack(">I", 100) + b"x" * 100
        for _ in range(200):
            self._rt()

    def _rt(self) -> None:
        self.c.sendall(self.msg)
        got = b""
        while len(got) < 104:
            got += self.c.recv(4096)

    def rate(self, n: int) -> float:
        return loop_rate(lambda _i: self._rt(), n)

    def close(self) -> None:
        self.c.close()
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


def raw_hnsw(index_file: Path, n: int, huge_pages: bool = False) -> hnswlib.Index:
    """The index file loaded by hnswlib itself; `huge_pages`: on 2 MiB pages, as the server's is."""
    idx = hnswlib.Index(space="cosine", dim=DIM)
    with on_huge_pages() if huge_pages else contextlib.nullcontext():
        idx.load_index(str(index_file), max_elements=n + 1000)
    for t in threading.enumerate():  # wait for the pages to be collapsed
        if t.name == "index-huge-pages":
            t.join(120)
    idx.set_ef(EF)
    idx.set_num_threads(1)
    return idx


# --- through the server ------------------------------------------------------------------------
def pipelined_rate(address: str, ids: list[str], n: int, depth: int = 64) -> float:
    async def run() -> float:
        async with AsyncStorageClient(address) as c:
            await c.query_concept(ids[0])
            t = time.perf_counter()
            for start in range(0, n, depth):
                await asyncio.gather(*[c.query_concept(ids[(start + j) % len(ids)]) for j in range(depth)])
            return n / (time.perf_counter() - t)

    return asyncio.run(run())


ENGINE_BULK = """
import sys, time
sys.path.insert(0, sys.argv[1])
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.model import ConceptInput
items = [line.rstrip("\\n") for line in open(sys.argv[3], encoding="utf-8")]
eng = Engine.open(sys.argv[2], {"storage.fsync": "always"})
t = time.perf_counter()
for i in range(0, len(items), int(sys.argv[4])):
    eng.learn_batch([ConceptInput(x) for x in items[i:i + int(sys.argv[4])]])
print(len(items) / (time.perf_counter() - t))
eng.close()
"""


def bulk_engine_rate(workdir: Path, items: list[str]) -> float:
    """The engine's own learn_batch rate, in a fresh process like the server's (same texts, same batches)."""
    d = workdir / "engine-bulk"
    shutil.rmtree(d, ignore_errors=True)
    texts_file = workdir / "bulk-texts.txt"
    texts_file.write_text("\n".join(items) + "\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", ENGINE_BULK, str(TREE), str(d), str(texts_file), str(BATCH)],
                         capture_output=True, text=True, check=True, timeout=3600)
    shutil.rmtree(d, ignore_errors=True)
    return float(out.stdout.strip().splitlines()[-1])


def bulk_server_rate(workdir: Path, name: str, items: list[str], stream: bool) -> float:
    env = {"SUTRA_STORAGE_FSYNC": "always", "SUTRA_LOG_LEVEL": "WARNING"}
    with storage_server(workdir / name, env=env) as srv, StorageClient(srv.address) as c:
        batches = [[ConceptInput(x) for x in items[i:i + BATCH]] for i in range(0, len(items), BATCH)]
        t = time.perf_counter()
        ids = c.learn_stream(iter(batches)) if stream else [cid for b in batches for cid in c.learn_batch(b)]
        rate = len(items) / (time.perf_counter() - t)
        assert len(ids) == len(items)
    shutil.rmtree(workdir / name, ignore_errors=True)
    return rate


QUICK = {"n": 10_000, "bulk": 4_000, "calls": 2_000, "queries": 500, "repeats": 3}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="concepts in the store searched")
    ap.add_argument("--bulk", type=int, default=20_000, help="concepts per bulk-learn measurement")
    ap.add_argument("--calls", type=int, default=3_000, help="calls per rate measurement")
    ap.add_argument("--queries", type=int, default=1_000, help="vector searches per measurement")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--only", choices=("all", "grpc"), default="all",
                    help="grpc: fill the store, then measure only the QueryConcept-over-gRPC rows")
    ap.add_argument("--quick", action="store_true", help="small sizes (a few minutes on 2 cores): " + str(QUICK))
    baseline.add_arguments(ap)
    a = ap.parse_args()
    if a.quick:
        ap.set_defaults(**QUICK)
        a = ap.parse_args()
    baseline.compare_if_asked(__file__, a)
    workdir = a.dir or Path(tempfile.mkdtemp(prefix="bench-server-"))
    workdir.mkdir(parents=True, exist_ok=True)
    r = a.repeats
    print(f"storage server vs bare libraries, {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f}), "
          f"store {a.n:,}×{DIM}; each figure alternates with its limit {r}× (medians; ratio = median of "
          "per-round ratios)", flush=True)

    print(f"filling a store of {a.n:,} concepts ...", flush=True)
    env = {"SUTRA_STORAGE_FSYNC": "off", "SUTRA_LOG_LEVEL": "WARNING"}
    with storage_server(workdir / "store", env=env, timeout=600) as srv:
        with StorageClient(srv.address) as c:
            t = time.perf_counter()
            ids: list[str] = []
            for i in range(0, a.n, BATCH):
                ids += c.learn_batch([ConceptInput(x) for x in texts(min(BATCH, a.n - i), 1_000_000 + i)])
            spent = time.perf_counter() - t
            print(f"  filled in {spent:.1f}s", flush=True)
            baseline.record("fill: learn_batch via StorageClient, fsync off", a.n / spent, "concepts/s")
            c.flush()
        rng = random.Random(1)
        sample = [ids[rng.randrange(len(ids))] for _ in range(4096)]
        if a.only == "all":
            _fast_and_vector(a, srv, workdir, sample)
        _grpc(a, srv, sample)
    if a.only == "all":
        _bulk(a, workdir)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if a.dir is None:
        shutil.rmtree(workdir, ignore_errors=True)


def _fast_and_vector(a: argparse.Namespace, srv: Any, workdir: Path, sample: list[str]) -> None:
    r = a.repeats
    # No gRPC object lives in this process during the fast-door figures: its threads cost CPU.
    tcp, tcp_out = TcpEcho(), TcpEcho(own_process=True)

    print("query_concept (one random stored concept per call):", flush=True)
    with StorageClient(srv.address) as c:
        assert c.query_concept(sample[0]) is not None
        one = lambda i: c.query_concept(sample[i % 4096])  # noqa: E731
        loop_rate(one, 200)
        report("StorageClient fast door, 1 client", "raw TCP echo, 1 process",
               paired(lambda: tcp.rate(a.calls), lambda: loop_rate(one, a.calls), r), 0.50)
        report("StorageClient fast door, 1 client", "raw TCP echo, server process",
               paired(lambda: tcp_out.rate(a.calls), lambda: loop_rate(one, a.calls), r), 0.50)
    with StorageClient(srv.address, busy_poll_us=0) as c:
        still = lambda i: c.query_concept(sample[i % 4096])  # noqa: E731
        loop_rate(still, 200)
        report("  the same, busy-poll off", "raw TCP echo, server process",
               paired(lambda: tcp_out.rate(a.calls), lambda: loop_rate(still, a.calls), r), None)
    with StorageClient(srv.address) as c:
        report("StorageClient.query_concepts, batches of 100", "raw TCP echo, server process",
               paired(lambda: tcp_out.rate(a.calls), lambda: _batch_rate(c, sample, a.calls * 10), r), None)
    report("AsyncStorageClient fast door, 64 pipelined", "raw TCP echo, server process",
           paired(lambda: tcp_out.rate(a.calls), lambda: pipelined_rate(srv.address, sample, a.calls * 2), r),
           None)
    tcp.close()
    print(f"vector search k={K} ef={EF}, one query at a time:", flush=True)
    queries = HashEmbedder(DIM).embed(texts(a.queries, 5_000_000))
    index_file = sorted((workdir / "store").glob("index-*.bin*"))[-1]
    idx, big = raw_hnsw(index_file, a.n), raw_hnsw(index_file, a.n, huge_pages=True)
    raw = lambda i: idx.knn_query(queries[i % len(queries)], k=K)  # noqa: E731
    raw_big = lambda i: big.knn_query(queries[i % len(queries)], k=K)  # noqa: E731
    with StorageClient(srv.address) as c:
        assert len(c.vector_search(vector=queries[0], k=K, ef=EF)) == K
        ours = lambda i: c.vector_search(vector=queries[i % len(queries)], k=K, ef=EF)  # noqa: E731
        report("vector_search via StorageClient (fast door)", "raw hnswlib knn_query",
               paired(lambda: loop_rate(raw, a.queries), lambda: loop_rate(ours, a.queries), r), 0.50)
        # The like-for-like limit of a search served over a socket: one knn_query plus one bare
        # round trip to a server process (their times add up; both measured in this round).
        served = lambda: 1 / (1 / loop_rate(raw, a.queries) + 1 / tcp_out.rate(a.calls))  # noqa: E731
        report("vector_search via StorageClient (fast door)", "knn_query + TCP echo round trip",
               paired(served, lambda: loop_rate(ours, a.queries), r), None)
        report("vector_search via StorageClient (fast door)", "raw knn_query, 2 MiB pages",
               paired(lambda: loop_rate(raw_big, a.queries), lambda: loop_rate(ours, a.queries), r), None)
    with StorageClient(srv.address, busy_poll_us=0) as c:
        still_search = lambda i: c.vector_search(vector=queries[i % len(queries)], k=K, ef=EF)  # noqa: E731
        loop_rate(still_search, 100)
        report("  the same, busy-poll off", "raw hnswlib knn_query",
               paired(lambda: loop_rate(raw, a.queries), lambda: loop_rate(still_search, a.queries), r), None)
    tcp_out.close()
    copy = workdir / "store-copy"
    shutil.copytree(workdir / "store", copy, ignore=shutil.ignore_patterns("LOCK"))
    eng = Engine.open(copy, {"storage.fsync": "off"})
    inproc = lambda i: eng.vector_search(vector=queries[i % len(queries)], k=K, ef=EF)  # noqa: E731
    report("  (for reference) engine.vector_search in-process", "raw hnswlib knn_query",
           paired(lambda: loop_rate(raw, a.queries), lambda: loop_rate(inproc, a.queries), r), None)
    eng.close()


def _grpc(a: argparse.Namespace, srv: Any, sample: list[str]) -> None:
    r = a.repeats
    print("QueryConcept over gRPC:", flush=True)
    echo_in, echo_out = GrpcEcho(own_process=False), GrpcEcho(own_process=True)
    # The storage server turns gRPC's EventEngine listener off (storage/server/__init__.py); an
    # echo server with the same setting shows what of the figure is that setting, not our code.
    echo_same = GrpcEcho(own_process=True, env={"GRPC_EXPERIMENTS": SERVER_GRPC_EXPERIMENTS})
    with StorageClient(srv.grpc_address) as g:
        gone = lambda i: g.query_concept(sample[i % 4096])  # noqa: E731
        loop_rate(gone, 200)
        report("QueryConcept over gRPC (StorageClient grpc://)", "grpcio echo, 1 process",
               paired(lambda: echo_in.rate(a.calls // 2), lambda: loop_rate(gone, a.calls // 2), r), 0.80)
        report("QueryConcept over gRPC (StorageClient grpc://)", "grpcio echo, server process",
               paired(lambda: echo_out.rate(a.calls // 2), lambda: loop_rate(gone, a.calls // 2), r), 0.80)
        report("QueryConcept over gRPC (StorageClient grpc://)",
               f"grpcio echo, server process, GRPC_EXPERIMENTS={SERVER_GRPC_EXPERIMENTS}",
               paired(lambda: echo_same.rate(a.calls // 2), lambda: loop_rate(gone, a.calls // 2), r), 0.80)
        # The same door, service layer and client without the engine's read: what is left is ours.
        info = lambda _i: g.server_info()  # noqa: E731
        report("  ServerInfo over gRPC (door + client, no engine)", "grpcio echo, server process",
               paired(lambda: echo_out.rate(a.calls // 2), lambda: loop_rate(info, a.calls // 2), r), None)
    echo_in.close()
    echo_out.close()
    echo_same.close()


def _bulk(a: argparse.Namespace, workdir: Path) -> None:
    r = a.repeats
    print("bulk learn, batches of 1,000, fsync always, hash embedder (fresh store each):", flush=True)
    items = texts(a.bulk, 0)
    report("LearnBatch via StorageClient (fast door)", "engine learn_batch in-proc",
           paired(lambda: bulk_engine_rate(workdir, items), lambda: bulk_server_rate(workdir, "bf", items, False),
                  max(1, r // 2)), 0.70)
    report("LearnStream via StorageClient (gRPC stream)", "engine learn_batch in-proc",
           paired(lambda: bulk_engine_rate(workdir, items), lambda: bulk_server_rate(workdir, "bs", items, True),
                  max(1, r // 2)), 0.70)


def _batch_rate(c: StorageClient, ids: list[str], n: int) -> float:
    t = time.perf_counter()
    for start in range(0, n, 100):
        c.query_concepts(ids[start % 3900:start % 3900 + 100])
    return n / (time.perf_counter() - t)


if __name__ == "__main__":
    main()
