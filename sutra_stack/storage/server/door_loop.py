"""The event loop both doors of the storage server run on, and the pool for their slow operations.

One uvloop event loop in a thread of its own serves the gRPC door (grpc.aio) and the fast door
(asyncio.Protocol). Cheap reads (`Op.inline`) run right on the loop, so a read is one wake-up
and no hand-off between threads, whichever door it came through; writes and other slow
operations go to one thread pool, so concurrent writers of both doors share the engine's
group commit. `DoorLimits` holds what both doors enforce on their connections.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import uvloop

from sutra_stack.errors import Unavailable
from sutra_stack.limits import (
    DEFAULT_FRAME_TIMEOUT_SECONDS,
    DEFAULT_IDLE_TIMEOUT_SECONDS,
    DEFAULT_MAX_CONNECTION_AGE_SECONDS,
    DEFAULT_MAX_CONNECTIONS,
)
from sutra_stack.storage.server.service import SHUTTING_DOWN

T = TypeVar("T")

POOL_WORKERS = 32  # threads for slow operations (writes wait on the group commit)


@dataclass(frozen=True)
class DoorLimits:
    """What each door enforces on its connections (settings `storage.max_connections`, ...)."""

    max_connections: int = DEFAULT_MAX_CONNECTIONS
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT_SECONDS
    frame_timeout: float = DEFAULT_FRAME_TIMEOUT_SECONDS
    max_connection_age: float = DEFAULT_MAX_CONNECTION_AGE_SECONDS

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> DoorLimits:
        return cls(max_connections=settings["storage.max_connections"], idle_timeout=settings["storage.idle_timeout"],
                   frame_timeout=settings["storage.frame_timeout"],
                   max_connection_age=settings["storage.max_connection_age"])


class DoorLoop:
    """The doors' event loop (started at once) and their shared pool of worker threads."""

    def __init__(self, *, workers: int = POOL_WORKERS) -> None:
        self.loop = uvloop.new_event_loop()
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="storage")
        self._thread = threading.Thread(target=self.loop.run_forever, name="doors", daemon=True)
        self._thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run `coro` on the loop; its result arrives in the returned future (call from other threads)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run `coro` on the loop and wait for its result (call from other threads)."""
        return self.submit(coro).result(timeout)

    def to_pool(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run `fn(*args)` in the pool (call on the loop); Unavailable once the pool has been drained."""
        try:
            return self.loop.run_in_executor(self.executor, fn, *args)  # type: ignore[return-value]  # uvloop's stub
        except RuntimeError:  # the pool is shutting down with the server
            raise Unavailable(SHUTTING_DOWN) from None

    def drain_pool(self) -> None:
        """Let every operation in the pool finish (their answers are then queued on the loop); refuse new ones."""
        self.executor.shutdown(wait=True, cancel_futures=False)

    def stop(self, linger: float = 0.05) -> None:
        """Stop the loop after `linger` seconds (for writes it already queued) and wait for its thread."""
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.call_later, linger, self.loop.stop)
            self._thread.join(5)
