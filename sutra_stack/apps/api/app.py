"""The sutra-api application factory: wires settings, the storage clients, metrics and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sutra_stack.apps.api.deps import AsyncStore, StoreHandle
from sutra_stack.apps.api.metrics import ApiMetrics, RequestMetrics
from sutra_stack.apps.api.readonly import install_read_only_handler
from sutra_stack.apps.api.routes import router
from sutra_stack.apps.common.bodylimit import BodySizeLimit
from sutra_stack.apps.common.docs import docs_app
from sutra_stack.apps.common.errors import CatchAll, install_error_handlers
from sutra_stack.apps.common.service_routes import service_router
from sutra_stack.apps.common.storage import connect_storage, connect_storage_async
from sutra_stack.config import Settings, settings_from_env
from sutra_stack.limits import MAX_REQUEST_BODY_BYTES
from sutra_stack.storage.store_protocol import KnowledgeStore


def storage_client_factory(settings: Settings) -> Callable[[], KnowledgeStore]:
    """How the API reaches storage: a StorageClient for `storage.server`, with `storage.token`."""
    return lambda: connect_storage(settings)


def async_client_factory(settings: Settings) -> Callable[[], AsyncStore]:
    """What the routes that do not reason await: an AsyncStorageClient for `storage.server`."""
    return lambda: connect_storage_async(settings)


def store_app(settings: Settings, metrics: ApiMetrics, store_factory: Callable[[], KnowledgeStore] | None,
              async_store_factory: Callable[[], AsyncStore] | None, *, title: str, description: str) -> FastAPI:
    """The FastAPI app of a process that talks to storage: /docs and /redoc with their assets served
    here (not from a CDN), `app.state.store` a StoreHandle on the factories (defaults: a StorageClient,
    and an AsyncStorageClient unless only `store_factory` is given) closed at shutdown, and
    `app.state.metrics` `metrics`."""
    if store_factory is None and async_store_factory is None:
        async_store_factory = async_client_factory(settings)
    store = StoreHandle(store_factory or storage_client_factory(settings), metrics, settings["storage.server"],
                        async_store_factory)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await store.aclose()

    app = docs_app(title=title, version="0.1.0", description=description, lifespan=lifespan)
    app.state.store = store
    app.state.metrics = metrics
    return app


def create_app(settings: Settings | None = None,
               store_factory: Callable[[], KnowledgeStore] | None = None,
               async_store_factory: Callable[[], AsyncStore] | None = None) -> FastAPI:
    """Build sutra-api. `store_factory` makes the KnowledgeStore the Reasoner uses (default: a
    StorageClient) and `async_store_factory` the store the other storage routes await (default: an
    AsyncStorageClient; with a `store_factory` alone, its store on the blocking pool)."""
    settings = settings or settings_from_env()
    metrics = ApiMetrics()
    app = store_app(settings, metrics, store_factory, async_store_factory, title="sutra-api",
                    description="Teach the knowledge base text, ask it questions, and get answers with their "
                                "reasoning paths.")
    app.state.token = settings["api.token"]
    install_error_handlers(app)
    install_read_only_handler(app)
    app.include_router(router)
    app.include_router(service_router("sutra-api"))
    app.add_middleware(CatchAll)
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_REQUEST_BODY_BYTES)
    return app


def factory() -> FastAPI:
    """Entry point for uvicorn (`sutra_stack.apps.api.app:factory`), settings from SUTRA_* variables."""
    return create_app()
