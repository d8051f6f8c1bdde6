"""How far one storage node carries: the stack end to end at 100K and 1M concepts, in one run.

One storage server and sutra-api processes, started as the units run them (`python -m ...` with
`SUTRA_*` settings), on loopback. The store is filled through sutra-api (`POST /learn/batch`,
bench/gen_store.py's template facts, about 21 concepts per 7 facts) with the bulk-load advice of
the README: `storage.recovery_target_seconds = 0` while loading and a `Flush` after. At each size
(--sizes, default 100K then 1M) it prints:
  * the storage server's resident memory, bytes per concept above the empty store's, and the data
    directory on disk;
  * the learn rate through the stack since the previous size (concepts created per second);
  * `POST /ask` p50 / p95, one client, sequential (the same question mix at each size);
  * the /ask rate with 1, 2 and 4 API processes in front of the one storage node (16 clients spread
    over them), with CPU per ask on the API side and on the storage side; the storage node's
    saturation point is projected as cores / storage CPU per ask (a projection, labelled so).
After the last size: a storage node failure (SIGKILL, right after the Flush: the store reopens from
its snapshot) timed until the storage server answers again, and until every API process's
/ready is 200 again without being restarted.

Every figure is printed as a line `RESULT {json}` too (and appended to --results), so a run that
hits --deadline keeps what it measured. The machine this runs on has 2 cores shared with the load
generator: rates are lower bounds; the CPU per ask is the figure that carries over.

Usage: python bench/bench_scaling.py [--sizes 100000,1000000] [--deadline-min 55] [--results FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import baseline  # bench/baseline.py: which tree's sutra_stack this run measures

baseline.setup_path()

import gen_store  # noqa: E402
import httpx  # noqa: E402
import psutil  # noqa: E402
from bench_api import _roundtrip, cpu_seconds, http_concurrent, http_sequential, pct, request_bytes  # noqa: E402

from sutra_stack.limits import MAX_REQUEST_BODY_BYTES  # noqa: E402
from sutra_stack.storage import StorageClient  # noqa: E402
from tests.support.procs import free_port, wait_until  # noqa: E402

PY = sys.executable
BATCH = 700  # facts per /learn/batch call (100 template groups)
API_COUNTS = (1, 2, 4)
CLIENTS = 16


def result(out: Path | None, **fields: Any) -> None:
    line = json.dumps(fields)
    print(f"RESULT {line}", flush=True)
    if out is not None:
        with out.open("a") as f:
            f.write(line + "\n")


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    full = {**os.environ, "SUTRA_LOG_LEVEL": "WARNING", **env}
    return subprocess.Popen(argv, env=full, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 120) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def api_ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def learn(port: int, start_group: int, groups: int, deadline: float) -> tuple[int, int]:
    """Learn template groups [start_group, start_group+groups) through /learn/batch on two
    connections; returns (groups learned, concepts created)."""
    per = BATCH // gen_store.FACTS_PER_GROUP
    starts = list(range(start_group, start_group + groups, per))

    async def run() -> tuple[int, int]:
        learned = created = 0
        queue = list(reversed(starts))

        async def one() -> None:
            nonlocal learned, created
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            while queue and time.time() < deadline:
                s = queue.pop()
                n = min(per, start_group + groups - s)
                items = [{"content": c} for c in gen_store.facts(s, n)]
                req = request_bytes("/learn/batch", {"items": items})
                assert len(req) < MAX_REQUEST_BODY_BYTES
                status, body = await _roundtrip(reader, writer, req)
                if status != 200:
                    raise SystemExit(f"learn/batch HTTP {status}: {body[:300]!r}")
                created += json.loads(body)["concepts_created"]
                learned += n
            writer.close()

        await asyncio.gather(one(), one())
        return learned, created

    return asyncio.run(run())


async def spread(ports: list[int], reqs: list[bytes], seconds: float) -> tuple[int, list[float]]:
    """CLIENTS keep-alive clients spread over the API processes' ports."""
    results = await asyncio.gather(*(http_concurrent(p, reqs[i::len(ports)], CLIENTS // len(ports), seconds)
                                     for i, p in enumerate(ports)))
    return sum(r for r, _ in results), [x for _, lat in results for x in lat]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="concept counts to measure at, ascending")
    ap.add_argument("--asks", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=5.0, help="each throughput run")
    ap.add_argument("--deadline-min", type=float, default=55.0, help="stop learning after this many minutes")
    ap.add_argument("--results", type=Path, default=None, help="append the RESULT lines to this file")
    ap.add_argument("--dir", type=Path, default=None, help="working folder (default: a temp folder, removed)")
    args = ap.parse_args()
    deadline = time.time() + args.deadline_min * 60
    sizes = [int(s) for s in args.sizes.split(",")]
    tmp = args.dir or Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    tmp.mkdir(parents=True, exist_ok=True)
    data = tmp / "data"
    sport, fport = free_port(), free_port()
    address = f"127.0.0.1:{sport}"
    senv = {"SUTRA_STORAGE_PATH": str(data), "SUTRA_STORAGE_PORT": str(sport), "SUTRA_STORAGE_FAST_PORT": str(fport),
            "SUTRA_STORAGE_RECOVERY_TARGET_SECONDS": "0"}
    sargv = [PY, "-m", "sutra_stack.storage.server"]
    storage = start(sargv, senv, tmp / "storage.log")
    client = StorageClient(address)
    wait_until(lambda: client.stats() is not None, 120, 0.05, what="storage server")
    api_ports = [free_port() for _ in range(max(API_COUNTS))]
    apis = [start([PY, "-m", "sutra_stack.apps.api"],
                  {"SUTRA_API_PORT": str(p), "SUTRA_STORAGE_SERVER": address, "SUTRA_API_RELOAD": "none"},
                  tmp / f"api{i}.log") for i, p in enumerate(api_ports)]
    try:
        for p in api_ports:
            wait_until(functools.partial(api_ready, p), 60, 0.05, what=f"sutra-api :{p}")
        rss0 = psutil.Process(storage.pid).memory_info().rss  # the empty store: the process's own share
        cores = psutil.cpu_count()
        result(args.results, what="machine", cores=cores, load_avg=os.getloadavg(),
               sizes=sizes, batch=BATCH, clients=CLIENTS, max_request_body_bytes=MAX_REQUEST_BODY_BYTES)
        groups_done = 0
        qs: list[bytes] = []
        for size in sizes:
            target_groups = max(1, size // gen_store.CONCEPTS_PER_GROUP)
            t0 = time.perf_counter()
            learned, created = learn(api_ports[0], groups_done, target_groups - groups_done, deadline)
            secs = time.perf_counter() - t0
            groups_done += learned
            complete = groups_done >= target_groups
            client.flush()
            st = client.stats()
            rss = psutil.Process(storage.pid).memory_info().rss
            disk = sum(f.stat().st_size for f in data.rglob("*") if f.is_file())
            result(args.results, what="size", target=size, complete=complete, concepts=st.concepts,
                   associations=st.associations, facts=groups_done * gen_store.FACTS_PER_GROUP,
                   learn_seconds=round(secs, 1), learn_rate=round(created / max(secs, 1e-9)),
                   storage_rss_mb=round(rss / 2**20), bytes_per_concept=round((rss - rss0) / max(st.concepts, 1)),
                   empty_rss_mb=round(rss0 / 2**20),
                   disk_mb=round(disk / 2**20), disk_bytes_per_concept=round(disk / max(st.concepts, 1)))
            if not qs:  # the same questions at every size: about the first size's facts
                qs = [request_bytes("/ask", {"question": q})
                      for q in gen_store.questions(groups_done * gen_store.FACTS_PER_GROUP, args.asks)]
            asyncio.run(http_sequential(api_ports[0], qs[:30]))
            lat = asyncio.run(http_sequential(api_ports[0], qs))
            result(args.results, what="ask", concepts=st.concepts, p50_ms=round(pct(lat, 50), 2),
                   p95_ms=round(pct(lat, 95), 2), asks=len(lat))
            for n in API_COUNTS:
                ports = api_ports[:n]
                s0 = cpu_seconds(storage.pid)
                a0 = sum(cpu_seconds(a.pid) for a in apis[:n])
                rate, clat = asyncio.run(spread(ports, qs, args.seconds))
                s1 = cpu_seconds(storage.pid)
                a1 = sum(cpu_seconds(a.pid) for a in apis[:n])
                asks = rate * args.seconds
                s_ms = (s1 - s0) / asks * 1000
                a_ms = (a1 - a0) / asks * 1000
                result(args.results, what="throughput", concepts=st.concepts, api_processes=n, rate=rate,
                       p95_ms=round(pct(clat, 95), 2), storage_cpu_ms_per_ask=round(s_ms, 3),
                       api_cpu_ms_per_ask=round(a_ms, 3),
                       projected_storage_saturation_per_core=round(1000 / s_ms) if s_ms else None)
            if not complete:
                result(args.results, what="deadline", reached_concepts=st.concepts, wanted=size)
                break
        # a storage node failure: SIGKILL after the flush, restart, time until it and the APIs answer
        client.flush()
        concepts = client.stats().concepts
        stop(storage, signal.SIGKILL)
        t0 = time.perf_counter()
        storage = start(sargv, senv, tmp / "storage.log")
        wait_until(lambda: client.stats() is not None, 600, 0.02, what="storage server after SIGKILL")
        t_storage = time.perf_counter() - t0
        wait_until(lambda: all(api_ready(p) for p in api_ports), 120, 0.02, what="API nodes /ready after restart")
        t_api = time.perf_counter() - t0
        result(args.results, what="failure", concepts=concepts, restart_to_serving_s=round(t_storage, 2),
               restart_to_api_ready_s=round(t_api, 2), storage_rss_mb=round(
                   psutil.Process(storage.pid).memory_info().rss / 2**20))
    finally:
        client.close()
        for a in apis:
            stop(a)
        stop(storage)
        if args.dir is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
