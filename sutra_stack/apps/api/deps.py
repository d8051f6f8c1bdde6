"""What sutra-api's routes depend on: the process's storage clients, the reasoner, the token check.

`StoreHandle` builds its clients lazily and keeps them for the life of the process: an
AsyncStorageClient (`astore`) that the routes reading or deleting without reasoning await on the
event loop, and a StorageClient (`store`) for the Reasoner, which runs on the blocking pool, and
the health probes. While storage cannot be reached it answers `Unavailable` quickly (one
connection attempt per `RETRY_SECONDS`), and once connected the clients reconnect by themselves.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from fastapi import HTTPException, Request

from sutra_stack.apps.api.metrics import ApiMetrics, metered
from sutra_stack.apps.common.blocking import blocking
from sutra_stack.errors import SutraError, Unavailable
from sutra_stack.storage.model import Concept, Neighbor, SearchHit, StoreStats
from sutra_stack.storage.store_protocol import KnowledgeStore

if TYPE_CHECKING:
    from sutra_stack.reasoning import Reasoner

RETRY_SECONDS = 0.25
T = TypeVar("T")


class AsyncStore(Protocol):
    """The store calls the routes await on the event loop (AsyncStorageClient has them all)."""

    async def query_concept(self, concept_id: str) -> Concept | None: ...

    async def query_concepts(self, concept_ids: Sequence[str]) -> list[Concept | None]: ...

    async def get_neighbors(self, concept_id: str, *, types: Sequence[str] | None = None,
                            min_confidence: float = 0.0, direction: str = "both",
                            limit: int = 1000, valid_at: float | None = None) -> list[Neighbor]: ...

    async def vector_search(self, *, vector: Sequence[float] | None = None, text: str | None = None,
                            k: int = 10, ef: int | None = None) -> list[SearchHit]: ...

    async def text_search(self, query: str, k: int = 10) -> list[SearchHit]: ...

    async def search_candidates(self, text: str, k: int = 10) -> tuple[list[SearchHit], list[SearchHit]]: ...

    async def delete_concept(self, concept_id: str) -> bool: ...

    async def stats(self) -> StoreStats: ...

    async def close(self) -> None: ...


class OnPool:
    """A blocking KnowledgeStore as an AsyncStore: each call on the blocking pool. What the routes
    await when the app was given a `store_factory` and no async one (e.g. an in-process engine)."""

    def __init__(self, store: KnowledgeStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Callable[..., Any]:
        fn = getattr(self._store, name)

        async def on_pool(*args: Any, **kwargs: Any) -> Any:
            return await blocking(lambda: fn(*args, **kwargs))

        return on_pool

    async def close(self) -> None:
        """Nothing: the StoreHandle closes the blocking store it wraps."""


class StoreHandle:
    """The process's store clients (wrapped in metrics) and one Reasoner, each made on first use."""

    def __init__(self, factory: Callable[[], KnowledgeStore], metrics: ApiMetrics, address: str = "",
                 async_factory: Callable[[], AsyncStore] | None = None) -> None:
        """`async_factory` makes the client the routes await; without one they await `factory`'s
        store on the blocking pool (`OnPool`)."""
        self._factory = factory
        self._async_factory = async_factory
        self._metrics = metrics
        self._address = address
        self._lock = threading.Lock()
        self._inner: KnowledgeStore | None = None  # what the factory made (closed by `close`)
        self._store: KnowledgeStore | None = None  # the same, metered
        self._ainner: AsyncStore | None = None  # what the async factory made (closed by `aclose`)
        self._astore: AsyncStore | None = None  # the same, metered (or the blocking store, OnPool)
        self._reasoner: Reasoner | None = None
        self._next_try = 0.0
        self._last_error = ""

    @property
    def address(self) -> str:
        return self._address

    def _make(self, factory: Callable[[], T]) -> T:
        """With the lock held: `factory()`, or Unavailable naming the address (and no new attempt
        for RETRY_SECONDS) when storage cannot be reached."""
        now = time.monotonic()
        if now < self._next_try:
            raise Unavailable(self._last_error)
        try:
            return factory()
        except (ConnectionError, OSError, SutraError) as e:
            self._next_try = now + RETRY_SECONDS
            msg = getattr(e, "message", None) or str(e) or type(e).__name__
            self._last_error = f"cannot connect to the storage server at {self._address}: {msg}"
            self._metrics.storage_up.set(0)
            if isinstance(e, SutraError) and not isinstance(e, Unavailable):
                raise
            raise Unavailable(self._last_error) from None

    def store(self) -> KnowledgeStore:
        """The blocking client (for code on the blocking pool)."""
        store = self._store
        if store is not None:
            return store
        with self._lock:
            if self._store is None:
                self._inner = self._make(self._factory)
                self._store = metered(self._inner, self._metrics)
            return self._store

    def astore(self) -> AsyncStore:
        """The client to await on the event loop (one per process: its connection is pipelined)."""
        store = self._astore
        if store is not None:
            return store
        if self._async_factory is None:
            self._astore = OnPool(self.store())
            return self._astore
        with self._lock:
            if self._astore is None:
                self._ainner = self._make(self._async_factory)
                self._astore = metered(self._ainner, self._metrics)
            return self._astore

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
        """Close the blocking client (the async one is `aclose`'s)."""
        inner = self._inner
        self._inner = self._store = None
        self._reasoner = None
        close = getattr(inner, "close", None)  # a StorageClient has one; the KnowledgeStore protocol does not
        if close is not None:
            close()

    async def aclose(self) -> None:
        """Close both clients (on the event loop the async one was used on)."""
        ainner, self._ainner, self._astore = self._ainner, None, None
        try:
            if ainner is not None:
                await ainner.close()
        finally:
            self.close()


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
