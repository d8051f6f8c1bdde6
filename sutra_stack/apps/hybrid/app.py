"""The sutra-hybrid application factory: settings, the storage clients, the embedder, metrics and routes.

It reuses sutra-api's pieces (the store handle and its Reasoner, request metrics under the
`sutra_hybrid_` prefix, the body-size limit, the storage probes); only the error envelope
(OpenAI's), the keys, the Host check and CORS are its own.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from prometheus_client import Gauge

from sutra_stack.apps.api.app import store_app
from sutra_stack.apps.api.deps import AsyncStore
from sutra_stack.apps.api.metrics import ApiMetrics, RequestMetrics
from sutra_stack.apps.common.bodylimit import BodySizeLimit
from sutra_stack.apps.common.errors import CatchAll
from sutra_stack.apps.common.service_routes import service_router
from sutra_stack.apps.hybrid import chat, embeddings, routes
from sutra_stack.apps.hybrid.errors import install_error_handlers, openai_response, too_large_body
from sutra_stack.apps.hybrid.security import install_security
from sutra_stack.config import Settings, settings_from_env
from sutra_stack.limits import MAX_REQUEST_BODY_BYTES
from sutra_stack.storage.store_protocol import KnowledgeStore

METRICS_PREFIX = "sutra_hybrid"


class HybridMetrics(ApiMetrics):
    def __init__(self) -> None:
        super().__init__(METRICS_PREFIX)
        self.streams_open = Gauge(f"{METRICS_PREFIX}_streams_open", "Streamed chat completions open now.",
                                  registry=self.registry, multiprocess_mode="livesum")


def create_app(settings: Settings | None = None,
               store_factory: Callable[[], KnowledgeStore] | None = None,
               async_store_factory: Callable[[], AsyncStore] | None = None) -> FastAPI:
    """Build sutra-hybrid (the factories as in sutra-api's `create_app`)."""
    settings = settings or settings_from_env()
    metrics = HybridMetrics()
    app = store_app(settings, metrics, store_factory, async_store_factory, title="sutra-hybrid",
                    description="OpenAI-compatible API over the knowledge base: chat completions answered with "
                                "their reasoning, embeddings, models.")
    app.state.settings = settings
    app.state.embedder = embeddings.EmbedderHandle(settings)
    app.state.streams_open = 0
    install_error_handlers(app)
    app.include_router(chat.router)
    app.include_router(embeddings.router)
    app.include_router(routes.router)
    app.include_router(service_router(routes.SERVICE))
    app.add_middleware(CatchAll, respond=lambda message: openai_response(500, message, "server_error", None,
                                                                         "internal"))
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_REQUEST_BODY_BYTES, render=too_large_body)
    install_security(app, settings)
    return app


def factory() -> FastAPI:
    """Entry point for uvicorn (`sutra_stack.apps.hybrid.app:factory`), settings from SUTRA_* variables."""
    return create_app()
