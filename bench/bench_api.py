"""sutra-api through the whole path (HTTP → API → StorageClient → storage → back), beside storage-only.

Builds a store of ~100K concepts with bench/gen_store.py, then measures:
  * POST /ask latency (one client, sequential): p50 / p95, beside Reasoner.ask over StorageClient;
  * POST /ask throughput with concurrent clients, beside the same asks from threads over StorageClient;
  * POST /learn/batch concepts/s end to end, beside Reasoner.learn_batch over StorageClient;
  * the routes that call the store without reasoning (GET /concepts/{id}, .../neighbors, POST /search,
    GET /stats, DELETE /concepts/{id}): p50 / p95 with one client, and requests/s with --clients
    clients for the first two.
The load generator is a small asyncio HTTP/1.1 keep-alive client (cheaper than httpx, so more of
the 2 cores go to the server). Targets: ask p50 ≤ 5 ms, p95 ≤ 15 ms, ≥ 1,000 asks/s;
learn/batch ≥ 2,000 concepts/s.

Usage: python bench/bench_api.py [--concepts 100000] [--workers 1] [--clients 16] [--seconds 5]
       [--quick] [--baseline REV [--rounds 3]]
A quick run (--quick): --concepts 10000 --seconds 2 --asks 200 --learn-items 2100 --route-requests 300
Against another revision, in the same run (bench/baseline.py): --baseline HEAD~1 --quick
(--workers defaults to the stack's own default, api.workers = 1: on two cores one API process
beside the storage server spends less CPU per ask than two, which also share their metrics
through files.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import baseline  # bench/baseline.py: which tree's sutra_stack this run measures

baseline.setup_path()

import gen_store  # noqa: E402  (the reasoning benchmark's store templates, beside this script)
import httpx  # noqa: E402
import psutil  # noqa: E402

from sutra_stack.reasoning import Reasoner  # noqa: E402
from sutra_stack.storage import StorageClient  # noqa: E402
from tests.support.procs import free_port, running, wait_until  # noqa: E402

PY = sys.executable


# --- a small HTTP/1.1 keep-alive load generator ---------------------------------------------

def request_bytes(path: str, body: dict | None, method: str = "POST") -> bytes:
    if body is None:
        return f"{method} {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    data = json.dumps(body).encode()
    head = (f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n")
    return head.encode() + data


async def _roundtrip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, req: bytes) -> tuple[int, bytes]:
    writer.write(req)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length)
    return status, body


async def http_sequential(port: int, reqs: list[bytes]) -> list[float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    out = []
    for req in reqs:
        t0 = time.perf_counter()
        status, body = await _roundtrip(reader, writer, req)
        out.append(time.perf_counter() - t0)
        if status != 200:
            raise SystemExit(f"HTTP {status}: {body[:300]!r}")
    writer.close()
    return out


async def http_concurrent(port: int, reqs: list[bytes], clients: int, seconds: float) -> tuple[int, list[float]]:
    stop = time.perf_counter() + seconds
    lat: list[float] = []
    done = 0

    async def one(offset: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = offset
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            status, body = await _roundtrip(reader, writer, reqs[i % len(reqs)])
            lat.append(time.perf_counter() - t0)
            if status != 200:
                raise SystemExit(f"HTTP {status}: {body[:300]!r}")
            done += 1
            i += clients
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(one(c) for c in range(clients)))
    return int(done / (time.perf_counter() - t0)), lat


def cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of a process and its children (uvicorn workers)."""
    p = psutil.Process(pid)
    total = 0.0
    for proc in [p, *p.children(recursive=True)]:
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def storage_calls(port: int) -> dict[str, tuple[float, float]]:
    """operation -> (calls, seconds) from sutra-api's storage call histogram."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    out: dict[str, list[float]] = {}
    for kind, op, value in re.findall(
        r'^sutra_api_storage_call_duration_seconds_(count|sum)\{operation="(\w+)",outcome="ok"\} (\S+)$', text, re.M
    ):
        out.setdefault(op, [0.0, 0.0])[0 if kind == "count" else 1] = float(value)
    return {op: (v[0], v[1]) for op, v in out.items()}


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))] * 1000


def threads_rate(fn, items: list[str], threads: int, seconds: float) -> tuple[int, list[float]]:  # type: ignore[no-untyped-def]
    stop = time.perf_counter() + seconds
    lat: list[float] = []
    count = [0]

    def work(offset: int) -> None:
        i = offset
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            fn(items[i % len(items)])
            lat.append(time.perf_counter() - t0)
            count[0] += 1
            i += threads

    t0 = time.perf_counter()
    ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return int(count[0] / (time.perf_counter() - t0)), lat


def row(name: str, figure: str, target: str, storage_only: str, ratio: str) -> None:
    print(f"{name:<34} {figure:>14} {target:>12} {storage_only:>16} {ratio:>8}")


QUICK = {"concepts": 10_000, "seconds": 2.0, "asks": 200, "learn_items": 2_100, "route_requests": 300}


def route_requests(client: StorageClient, qs: list[str], n: int) -> dict[str, list[bytes]]:
    """n requests for each route that calls the store without reasoning (the deletes remove concepts
    learned for them here)."""
    ids: list[str] = []
    for q in qs:
        ids += [h.concept_id for h in client.vector_search(text=q, k=5)]
    ids = list(dict.fromkeys(ids))
    doomed = [client.learn_concept(f"Route bench throwaway fact number {i}.") for i in range(n)]
    return {
        "GET /concepts/{id}": [request_bytes(f"/concepts/{ids[i % len(ids)]}", None, "GET") for i in range(n)],
        "GET /concepts/{id}/neighbors": [request_bytes(f"/concepts/{ids[i % len(ids)]}/neighbors", None, "GET")
                                         for i in range(n)],
        "POST /search": [request_bytes("/search", {"query": qs[i % len(qs)], "top_k": 10}) for i in range(n)],
        "GET /stats": [request_bytes("/stats", None, "GET")] * n,
        "DELETE /concepts/{id}": [request_bytes(f"/concepts/{cid}", None, "DELETE") for cid in doomed],
    }


CONCURRENT_ROUTES = ("GET /concepts/{id}", "POST /search")  # also measured with --clients clients


def measure_routes(port: int, reqs: dict[str, list[bytes]], clients: int, seconds: float
                   ) -> dict[str, tuple[list[float], int]]:
    """route -> (sequential latencies, concurrent requests/s or 0)."""
    out = {}
    for route, rs in reqs.items():
        asyncio.run(http_sequential(port, rs[:20] if not route.startswith("DELETE") else []))  # warm up
        lat = asyncio.run(http_sequential(port, rs))
        rate = asyncio.run(http_concurrent(port, rs, clients, seconds))[0] if route in CONCURRENT_ROUTES else 0
        out[route] = (lat, rate)
    return out


def record_figures(api_lat: list[float], lib_lat: list[float], conc_lat: list[float], rates: tuple[int, int],
                   cpu: tuple[tuple[float, float], tuple[float, float]], learn: tuple[float, float],
                   trips: float, routes: dict[str, tuple[list[float], int]]) -> None:
    """The table's figures, for --baseline (sutra-api's, then storage-only's: both are our code)."""
    for route, (lat, rate) in routes.items():
        baseline.record(f"sutra-api: {route} p50, 1 client", pct(lat, 50), "ms", higher_is_better=False)
        baseline.record(f"sutra-api: {route} p95, 1 client", pct(lat, 95), "ms", higher_is_better=False)
        if rate:
            baseline.record(f"sutra-api: {route} /s, concurrent", rate, "/s")
    for side, lat, rate, (app, storage), learned in (("sutra-api", api_lat, rates[0], cpu[0], learn[0]),
                                                       ("storage-only", lib_lat, rates[1], cpu[1], learn[1])):
        baseline.record(f"{side}: ask p50, 1 client", pct(lat, 50), "ms", higher_is_better=False)
        baseline.record(f"{side}: ask p95, 1 client", pct(lat, 95), "ms", higher_is_better=False)
        baseline.record(f"{side}: asks/s, concurrent", rate, "/s")
        baseline.record(f"{side}: CPU per ask, app side", app, "ms", higher_is_better=False)
        baseline.record(f"{side}: CPU per ask, storage server", storage, "ms", higher_is_better=False)
        baseline.record(f"{side}: asks/s 2 free cores would allow", 2000 / (app + storage), "/s")
        baseline.record(f"{side}: learn batch", learned, "concepts/s")
    baseline.record("sutra-api: ask p95, concurrent", pct(conc_lat, 95), "ms", higher_is_better=False)
    baseline.record("storage round trips per ask", trips, "calls", higher_is_better=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--concepts", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--asks", type=int, default=500)
    ap.add_argument("--learn-items", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--route-requests", type=int, default=1000,
                    help="requests per storage route (concepts, neighbors, search, stats, delete)")
    ap.add_argument("--quick", action="store_true", help="small sizes (a few minutes on 2 cores): " + str(QUICK))
    baseline.add_arguments(ap)
    args = ap.parse_args()
    if args.quick:
        ap.set_defaults(**QUICK)
        args = ap.parse_args()
    baseline.compare_if_asked(__file__, args)

    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    sport, fport, aport = free_port(), free_port(), free_port()
    senv = {"SUTRA_STORAGE_PATH": str(tmp / "data"), "SUTRA_STORAGE_PORT": str(sport),
            "SUTRA_STORAGE_FAST_PORT": str(fport), "SUTRA_LOG_LEVEL": "WARNING"}
    address = f"127.0.0.1:{sport}"
    with running([PY, "-m", "sutra_stack.storage.server"], env=senv, log=tmp / "storage.log",
                 stop_timeout=60) as sproc:
        client = StorageClient(address)
        wait_until(lambda: client.stats() is not None, 120, 0.05, what="storage server")
        t0 = time.perf_counter()
        n_facts = gen_store.fill(client, args.concepts)
        st = client.stats()
        print(f"store: {st.concepts} concepts, {st.associations} associations from {n_facts} facts "
              f"(built in {time.perf_counter() - t0:.1f} s); API workers={args.workers}, clients={args.clients}")

        aenv = {"SUTRA_API_PORT": str(aport), "SUTRA_API_WORKERS": str(args.workers),
                "SUTRA_STORAGE_SERVER": address, "SUTRA_LOG_LEVEL": "WARNING"}
        with running([PY, "-m", "sutra_stack.apps.api"], env=aenv, log=tmp / "api.log", stop_timeout=60) as aproc:
            wait_until(lambda: httpx.get(f"http://127.0.0.1:{aport}/ready", timeout=2).status_code == 200, 60,
                       0.05, what="sutra-api ready")
            reasoner = Reasoner(client)
            qs = gen_store.questions(n_facts, args.asks)
            reqs = [request_bytes("/ask", {"question": q}) for q in qs]
            asyncio.run(http_sequential(aport, reqs[:50]))  # warm up every worker's connection
            for q in qs[:50]:
                reasoner.ask(q)

            # how answers came: through paths or as direct matches
            kinds: dict[str, int] = {}
            for q in qs[:200]:
                k = reasoner.ask(q).kind
                kinds[k] = kinds.get(k, 0) + 1

            lib_lat = []
            for q in qs:
                t = time.perf_counter()
                reasoner.ask(q)
                lib_lat.append(time.perf_counter() - t)
            m0 = storage_calls(aport)
            api_lat = asyncio.run(http_sequential(aport, reqs))
            m1 = storage_calls(aport)
            c0 = (cpu_seconds(os.getpid()), cpu_seconds(sproc.pid))
            lib_rate, _ = threads_rate(reasoner.ask, qs, args.clients, args.seconds)
            c1 = (cpu_seconds(os.getpid()), cpu_seconds(sproc.pid), cpu_seconds(aproc.pid))
            api_rate, conc_lat = asyncio.run(http_concurrent(aport, reqs, args.clients, args.seconds))
            c2 = (cpu_seconds(sproc.pid), cpu_seconds(aproc.pid))
            routes = measure_routes(aport, route_requests(client, qs, args.route_requests), args.clients,
                                    args.seconds / 2)
            lib_n, api_n = lib_rate * args.seconds, api_rate * args.seconds
            cpu_lib = ((c1[0] - c0[0]) / lib_n * 1000, (c1[1] - c0[1]) / lib_n * 1000)  # ms per ask: client, storage
            cpu_api = ((c2[1] - c1[2]) / api_n * 1000, (c2[0] - c1[1]) / api_n * 1000)  # ms per ask: API, storage

            # learn/batch: fresh facts each side, same shape
            groups = args.learn_items // gen_store.FACTS_PER_GROUP
            base = n_facts + 1_000_000  # template groups far past the store's
            items = gen_store.facts(base, groups)
            t = time.perf_counter()
            lib_created = 0
            for i in range(0, len(items), args.batch):
                lib_created += sum(r.concepts_created for r in reasoner.learn_batch(items[i:i + args.batch]))
            lib_learn = lib_created / (time.perf_counter() - t)
            items = gen_store.facts(base + groups, groups)
            breqs = [request_bytes("/learn/batch", {"items": [{"content": c} for c in items[i:i + args.batch]]})
                     for i in range(0, len(items), args.batch)]

            async def post_batches() -> int:
                reader, writer = await asyncio.open_connection("127.0.0.1", aport)
                created = 0
                for req in breqs:
                    status, body = await _roundtrip(reader, writer, req)
                    if status != 200:
                        raise SystemExit(f"learn/batch HTTP {status}: {body[:300]!r}")
                    created += json.loads(body)["concepts_created"]
                writer.close()
                return created

            t = time.perf_counter()
            api_created = asyncio.run(post_batches())
            api_learn = api_created / (time.perf_counter() - t)

        parts = []
        trips = 0.0
        for op in sorted(m1):
            calls = m1[op][0] - m0.get(op, (0.0, 0.0))[0]
            secs = m1[op][1] - m0.get(op, (0.0, 0.0))[1]
            if calls and op != "stats":  # stats: the /metrics probes, not asks
                trips += calls / len(reqs)
                parts.append(f"{op} {calls / len(reqs):.2f}×{secs / calls * 1000:.2f} ms")
        split = ", ".join(parts)
        print(f"storage calls per ask through the API (calls × mean latency, from its /metrics): {split}; "
              f"{trips:.2f} round trips per ask in all")
        print(f"answers of {sum(kinds.values())} asks: {kinds} (path: through reasoning paths, direct: best match)")
        record_figures(api_lat, lib_lat, conc_lat, (api_rate, lib_rate), (cpu_api, cpu_lib), (api_learn, lib_learn),
                       trips, routes)
        print()
        row("figure", "sutra-api", "target", "storage-only", "ratio")
        row("POST /ask p50 (1 client)", f"{pct(api_lat, 50):.2f} ms", "≤ 5 ms", f"{pct(lib_lat, 50):.2f} ms",
            f"{pct(api_lat, 50) / pct(lib_lat, 50):.2f}x")
        row("POST /ask p95 (1 client)", f"{pct(api_lat, 95):.2f} ms", "≤ 15 ms", f"{pct(lib_lat, 95):.2f} ms",
            f"{pct(api_lat, 95) / pct(lib_lat, 95):.2f}x")
        row("POST /ask mean (1 client)", f"{statistics.mean(api_lat) * 1000:.2f} ms", "seed 5-9 ms",
            f"{statistics.mean(lib_lat) * 1000:.2f} ms", "")
        row(f"POST /ask rate ({args.clients} clients)", f"{api_rate} /s", "≥ 1000 /s", f"{lib_rate} /s",
            f"{api_rate / max(lib_rate, 1):.2f}")
        row(f"POST /ask p95 ({args.clients} clients)", f"{pct(conc_lat, 95):.2f} ms", "", "", "")
        row("CPU per ask: app side", f"{cpu_api[0]:.2f} ms", "", f"{cpu_lib[0]:.2f} ms",
            f"{cpu_api[0] / max(cpu_lib[0], 1e-9):.2f}x")
        row("CPU per ask: storage server", f"{cpu_api[1]:.2f} ms", "", f"{cpu_lib[1]:.2f} ms", "")
        cap_api, cap_lib = 2000 / sum(cpu_api), 2000 / sum(cpu_lib)
        row("asks/s 2 free cores would allow", f"{cap_api:.0f} /s", "≥ 1000 /s", f"{cap_lib:.0f} /s",
            f"{cap_api / cap_lib:.2f}")
        row(f"POST /learn/batch ({args.batch}/call)", f"{api_learn:.0f} c/s", "≥ 2000 c/s", f"{lib_learn:.0f} c/s",
            f"{api_learn / max(lib_learn, 1):.2f}")
        for route, (lat, rate) in routes.items():
            row(f"{route} p50 / p95", f"{pct(lat, 50):.2f} ms", "", f"p95 {pct(lat, 95):.2f} ms", "")
            if rate:
                row(f"{route} rate ({args.clients} clients)", f"{rate} /s", "", "", "")
        print("\nCPU per ask is measured with psutil over the concurrent runs (app side = the API processes, or this"
              " process for storage-only); 'asks/s 2 free cores would allow' = 2 CPU-seconds / (app + storage CPU"
              " per ask), the load generator not counted: the figure on a machine not shared with other work.")
        print("storage-only = the same Reasoner calls over StorageClient in this process, without HTTP or the API;"
              " seed's original: 520 requests/s, 5-9 ms average. c/s = concepts created per second.")
        client.close()
    shutil.rmtree(tmp, ignore_errors=True)  # the store and logs; kept when a run fails, to look at


if __name__ == "__main__":
    main()
