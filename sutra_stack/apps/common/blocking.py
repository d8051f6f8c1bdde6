"""Blocking library calls (StorageClient, Reasoner) from async routes, on one fixed thread pool.

Starlette runs plain `def` routes through anyio's worker threads, whose bookkeeping per call
(capacity limiter, cancel scope, context copy) costs more CPU than a storage round trip.
Routes that call the storage server are `async def` and `await blocking(fn)` instead: one
`run_in_executor` on a pool of BLOCKING_THREADS threads, made on first use in each process.
Health probes run their checks on it too.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sutra_stack.limits import BLOCKING_THREADS

T = TypeVar("T")
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(BLOCKING_THREADS, thread_name_prefix="sutra-blocking")
    return _pool


async def blocking(fn: Callable[[], T]) -> T:
    """Run `fn()` on the blocking pool and return (or raise) what it does."""
    return await asyncio.get_running_loop().run_in_executor(_executor(), fn)
