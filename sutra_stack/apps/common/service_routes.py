"""The routes every app that talks to storage serves the same way: /health, /ready, /metrics.

`service_router(name)` builds them for one app (sutra-api, sutra-hybrid): liveness with the
storage server's status inside, readiness (200 once storage answers, 503 until then; a read-only
store still serves reads, so it stays ready with `storage.read_only` true), and the app's
Prometheus text with the store's size refreshed. The app provides `app.state.store` (a
StoreHandle) and `app.state.metrics` (an ApiMetrics).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sutra_stack.apps.common.health import probe

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


async def probe_storage(request: Request) -> dict[str, Any]:
    """The storage probe of /health, /ready and /metrics: status, latency, counts and `read_only`."""
    seen: list[Any] = []

    def check() -> Any:
        st = request.app.state.store.store().stats()
        seen.append(st)
        return st

    storage = await probe(check)
    if seen and storage["status"] == "up":
        storage["read_only"] = bool(seen[0].read_only)
        request.app.state.metrics.storage_read_only.set(1 if storage["read_only"] else 0)
    return storage


def service_router(service: str) -> APIRouter:
    router = APIRouter(tags=["service"])

    @router.get("/health")
    async def health(request: Request) -> dict[str, Any]:
        """Liveness: 200 while this process works, with the storage server's status inside."""
        return {"status": "ok", "service": service, "storage": await probe_storage(request)}

    @router.get("/ready", responses={503: {"description": "Storage is not reachable yet."}})
    async def ready(request: Request) -> JSONResponse:
        """Readiness: 200 once the storage server answers, 503 until then. A read-only store (after a
        disk failure, or configured) still answers reads: ready, with `storage.read_only` true."""
        storage = await probe_storage(request)
        ok = storage["status"] == "up"
        return JSONResponse({"ready": ok, "storage": storage}, status_code=200 if ok else 503)

    @router.get("/metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        """Prometheus text: requests and latency per route, storage calls, this app's own gauges and the
        store's size."""
        m = request.app.state.metrics
        st = await probe_storage(request)
        if st["status"] == "up":
            m.concepts.set(st["concepts"])
            m.associations.set(st["associations"])
        return Response(m.render(), media_type=PROMETHEUS_TEXT)

    return router
