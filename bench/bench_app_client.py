"""Which storage client an asyncio app should use: AsyncStorageClient awaited on the loop, or the
blocking StorageClient run on the apps' thread pool (`apps/common/blocking.py`), as sutra-api does.

A real server process (`python -m sutra_stack.storage.server`) holds --n concepts. One asyncio
"app" keeps --concurrency requests in flight until --requests are answered; a request is either
one `query_concept` (`get`: the cheapest route) or what an /ask costs the store (`ask`:
search_candidates, find_paths_with_concepts, query_concepts, one after the other). The two
clients alternate --repeats times (the machine is shared); each figure is the median rate, and
the ratio the median of the per-round ratios async/pool.

Usage: python bench/bench_app_client.py [--n 5000] [--requests 4000] [--concurrency 64] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sutra_stack.apps.common.blocking import blocking  # noqa: E402
from sutra_stack.storage import AsyncStorageClient, StorageClient  # noqa: E402
from sutra_stack.storage.model import AssociationInput, ConceptInput  # noqa: E402
from tests.support.storage_server import storage_server  # noqa: E402

WORDS = ["alpha", "beta", "gamma", "delta", "reactor", "enzyme", "valve", "signal", "harbor", "copper"]


def load(address: str, n: int) -> list[str]:
    with StorageClient(address) as c:
        ids: list[str] = []
        for start in range(0, n, 1000):
            ids += c.learn_batch([ConceptInput(f"concept {i} {WORDS[i % 10]} {WORDS[(i * 7) % 10]}")
                                  for i in range(start, min(n, start + 1000))])
        c.learn_associations([AssociationInput(ids[i], ids[(i * 31 + 7) % n]) for i in range(n)])
        return ids


def sync_request(kind: str, c: StorageClient, ids: list[str], i: int) -> object:
    if kind == "get":
        return c.query_concept(ids[i % len(ids)])
    hits, _ = c.search_candidates(WORDS[i % 10], 5)
    paths, _ = c.find_paths_with_concepts([h.concept_id for h in hits[:2]], [ids[i % len(ids)]], max_depth=3)
    return c.query_concepts([h.concept_id for h in hits])


async def async_request(kind: str, c: AsyncStorageClient, ids: list[str], i: int) -> object:
    if kind == "get":
        return await c.query_concept(ids[i % len(ids)])
    hits, _ = await c.search_candidates(WORDS[i % 10], 5)
    paths, _ = await c.find_paths_with_concepts([h.concept_id for h in hits[:2]], [ids[i % len(ids)]], max_depth=3)
    return await c.query_concepts([h.concept_id for h in hits])


async def drive(request: Callable[[int], Awaitable[object]], requests: int, concurrency: int) -> float:
    """Requests per second with `concurrency` of them in flight at a time."""
    counter = iter(range(requests))

    async def worker() -> None:
        for i in counter:
            await request(i)

    t = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    return requests / (time.perf_counter() - t)


def pool_rate(address: str, kind: str, ids: list[str], requests: int, concurrency: int) -> float:
    async def run() -> float:
        with StorageClient(address) as c:
            sync_request(kind, c, ids, 0)
            return await drive(lambda i: blocking(lambda: sync_request(kind, c, ids, i)), requests, concurrency)

    return asyncio.run(run())


def async_rate(address: str, kind: str, ids: list[str], requests: int, concurrency: int) -> float:
    async def run() -> float:
        async with AsyncStorageClient(address) as c:
            await async_request(kind, c, ids, 0)
            return await drive(lambda i: async_request(kind, c, ids, i), requests, concurrency)

    return asyncio.run(run())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--requests", type=int, default=4000)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    with storage_server(env={"SUTRA_STORAGE_FSYNC": "off"}) as srv:
        ids = load(srv.address, a.n)
        print(f"{a.n:,} concepts; {a.concurrency} requests in flight; {a.repeats} rounds; requests/s (median)")
        for kind in ("get", "ask"):
            n = a.requests if kind == "get" else a.requests // 4
            pool: list[float] = []
            aio: list[float] = []
            for _ in range(a.repeats):
                pool.append(pool_rate(srv.address, kind, ids, n, a.concurrency))
                aio.append(async_rate(srv.address, kind, ids, n, a.concurrency))
            ratio = statistics.median(x / y for x, y in zip(aio, pool, strict=True))
            spread: Any = f"{min(pool):,.0f}..{max(pool):,.0f} / {min(aio):,.0f}..{max(aio):,.0f}"
            print(f"  {kind:<4} StorageClient on the pool {statistics.median(pool):>8,.0f}/s | "
                  f"AsyncStorageClient {statistics.median(aio):>8,.0f}/s | async/pool {ratio:4.2f}× "
                  f"(ranges pool / async: {spread})", flush=True)


if __name__ == "__main__":
    main()
