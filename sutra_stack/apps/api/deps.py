"""What sutra-api's routes depend on: the one shared storage connection, the reasoner, the token check.

`StoreHandle` builds the StorageClient lazily and keeps it for the life of the process; while
storage cannot be reached it answers `Unavailable` quickly (one connection attempt per
`RETRY_SECONDS`), and once connected the client reconnects by itself.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request

from sutra_stack.apps.api.metrics import ApiMetrics, metered
from sutra_stack.errors import SutraError, Unavailable
from sutra_stack.storage.store_protocol import KnowledgeStore

if TYPE_CHECKING:
    from sutra_stack.reasoning import Reasoner

RETRY_SECONDS = 0.25


class StoreHandle:
    """The process's one store (wrapped in metrics) and one Reasoner over it, made on first use."""

    def __init__(self, factory: Callable[[], KnowledgeStore], metrics: ApiMetrics, address: str = "") -> None:
        self._factory = factory
        self._metrics = metrics
        self._address = address
        self._lock = threading.Lock()
        self._inner: KnowledgeStore | None = None  # what the factory made (closed by `close`)
        self._store: KnowledgeStore | None = None  # the same, metered
        self._reasoner: Reasoner | None = None
        self._next_try = 0.0
        self._last_error = ""

    @property
    def address(self) -> str:
        return self._address

    def store(self) -> KnowledgeStore:
        store = self._store
        if store is not None:
            return store
        with self._lock:
            if self._store is None:
                now = time.monotonic()
                if now < self._next_try:
                    raise Unavailable(self._last_error)
                try:
                    self._inner = self._factory()
                    self._store = metered(self._inner, self._metrics)
                except (ConnectionError, OSError, SutraError) as e:
                    self._next_try = now + RETRY_SECONDS
                    msg = getattr(e, "message", None) or str(e) or type(e).__name__
                    self._last_error = f"cannot connect to the storage server at {self._address}: {msg}"
                    self._metrics.storage_up.set(0)
                    if isinstance(e, SutraError) and not isinstance(e, Unavailable):
                        raise
                    raise Unavailable(self._last_error) from None
            return self._store

    def reasoner(self) -> Reasoner:
        reasoner = self._reasoner
        if reasoner is not None:
            return reasoner
        store = self.store()
        with self._lock:
            if self._reasoner is None:
                from sutra_stack.reasoning import Reasoner

                self._reasoner = Reasoner(store)
            return self._reasoner

    def close(self) -> None:
        inner = self._inner
        self._inner = self._store = None
        self._reasoner = None
        close = getattr(inner, "close", None)  # a StorageClient has one; the KnowledgeStore protocol does not
        if close is not None:
            close()


async def handle(request: Request) -> StoreHandle:
    """The app's StoreHandle (async: a plain lookup, no reason to hop to the threadpool)."""
    return request.app.state.store


async def require_token(request: Request) -> None:
    """Dependency of mutating routes: when a token is configured, demand `Authorization: Bearer <token>`."""
    expected: str = request.app.state.token
    if not expected:
        return
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise HTTPException(
            status_code=401,
            detail="this route needs the header 'Authorization: Bearer <token>' with the token set in SUTRA_API_TOKEN",
            headers={"WWW-Authenticate": "Bearer"},
        )
