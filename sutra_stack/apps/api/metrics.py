"""Prometheus metrics of sutra-api: requests and latency per route, storage call latency, graph size.

Each app instance has its own registry (so several apps can live in one test process). With
several uvicorn workers, `apps.common.serve` points PROMETHEUS_MULTIPROC_DIR at a private
directory: every worker then writes its figures there and /metrics, whichever worker answers,
reports the sum over all of them.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sutra_stack.apps.common.serve import multiprocess_metrics_dir

S = TypeVar("S")
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ApiMetrics:
    def __init__(self, prefix: str = "sutra_api") -> None:
        """Every metric is named `<prefix>_...` (another app process reuses these with its own prefix)."""
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            f"{prefix}_requests_total", "HTTP requests by route and status.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            f"{prefix}_request_duration_seconds", "HTTP request latency by route.",
            ["method", "route"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.storage_latency = Histogram(
            f"{prefix}_storage_call_duration_seconds", "Latency of calls to the storage server by operation.",
            ["operation", "outcome"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.concepts = Gauge(f"{prefix}_concepts", "Concepts in the store (at the last stats call).",
                              registry=self.registry, multiprocess_mode="mostrecent")
        self.associations = Gauge(f"{prefix}_associations", "Associations in the store (at the last stats call).",
                                  registry=self.registry, multiprocess_mode="mostrecent")
        self.storage_up = Gauge(f"{prefix}_storage_up", "1 when the last storage call succeeded.",
                                registry=self.registry, multiprocess_mode="mostrecent")
        self.storage_read_only = Gauge(
            f"{prefix}_storage_read_only", "1 when the store refused writes at the last look (read-only).",
            registry=self.registry, multiprocess_mode="mostrecent")

    def render(self) -> bytes:
        if multiprocess_metrics_dir():
            merged = CollectorRegistry()
            MultiProcessCollector(merged)
            return generate_latest(merged)
        return generate_latest(self.registry)


def metered(inner: S, metrics: ApiMetrics) -> S:
    """`inner` (a KnowledgeStore, or the routes' AsyncStore), every call timed into `storage_latency`:
    a `MeteredStore` with the inner store's type.

    The proxy answers every attribute of `inner` (a `BatchedStore` stays one for isinstance), so
    the one cast here is what lets callers see the store's methods typed, not as attributes.
    """
    return cast(S, MeteredStore(inner, metrics))


class MeteredStore:
    """Delegates every attribute to the store it wraps, timing each method call (see `metered`);
    a coroutine method stays one, timed until its answer is in."""

    def __init__(self, inner: object, metrics: ApiMetrics) -> None:
        self._inner = inner
        self._metrics = metrics
        self._wrapped: dict[str, Callable[..., object]] = {}

    def __getattr__(self, name: str) -> object:
        attr = getattr(self._inner, name)
        if name.startswith("_") or not callable(attr):
            return attr
        fn = self._wrapped.get(name)
        if fn is None:
            fn = self._wrapped[name] = self._timed(name, inspect.iscoroutinefunction(attr))
        return fn

    def _timed(self, name: str, is_coroutine: bool) -> Callable[..., object]:
        hist = self._metrics.storage_latency
        ok = hist.labels(name, "ok")
        failed = hist.labels(name, "error")
        up = self._metrics.storage_up
        inner = self._inner

        def failure(t0: float, e: Exception) -> None:
            failed.observe(time.perf_counter() - t0)
            if isinstance(e, ConnectionError):
                up.set(0)

        def success(t0: float) -> None:
            ok.observe(time.perf_counter() - t0)
            up.set(1)

        if is_coroutine:
            async def timed_coroutine(*args: Any, **kwargs: Any) -> object:
                t0 = time.perf_counter()
                try:
                    out = await getattr(inner, name)(*args, **kwargs)
                except Exception as e:
                    failure(t0, e)
                    raise
                success(t0)
                return out

            return timed_coroutine

        def timed(*args: Any, **kwargs: Any) -> object:
            t0 = time.perf_counter()
            try:
                out = getattr(inner, name)(*args, **kwargs)
            except Exception as e:
                failure(t0, e)
                raise
            success(t0)
            return out

        return timed


class RequestMetrics:
    """ASGI middleware: count and time each request under its route template (not the raw path)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, label, str(status)).inc()
            self.metrics.latency.labels(method, label).observe(time.perf_counter() - t0)
