"""Rates and latency percentiles over a recent window, from cumulative figures sutra-control samples
itself: the storage server's calls (its stats answer) and each app's requests per route (its /metrics).

Pure code, no I/O: `histogram_quantile` (Prometheus' own interpolation within a bucket),
`parse_app_metrics` (an app's /metrics text, read with prometheus_client's parser), the readings and
their differences, and `Window`, which keeps the readings of the last `CONTROL_RATE_WINDOW_SECONDS`
and pairs the newest with the oldest. Every figure comes from the samples, never from the request
asking for it, so any number of dashboards polling see the same numbers.

A counter that went down between two readings (the process restarted) counts from zero again, as
Prometheus' `rate` does. Rates are 0.0 over a window without calls; percentiles are None then, and
every figure is None until there are two readings.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from sutra_stack.limits import CONTROL_RATE_WINDOW_SECONDS, CONTROL_SAMPLE_SECONDS

RouteKey = tuple[str, str]  # (method, route template)
# Routes read by monitors (sutra-control's own /metrics reading every second, the supervisor's probes):
# listed per route, marked `monitoring`, and left out of an app's totals and rates, as the storage
# server leaves its health and stats calls out of its own.
MONITORING_ROUTES = frozenset({"/metrics", "/health", "/ready"})


def histogram_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float | None:
    """The q-quantile (0..1) of a histogram given as (upper bound, cumulative count) pairs, ascending, the
    last bound +Inf; linear interpolation within the bucket the rank falls in, the lowest bucket starting
    at 0, as Prometheus' histogram_quantile. A rank in the +Inf bucket answers the largest finite bound.
    None without observations or without a +Inf bucket and one other."""
    if len(buckets) < 2 or not math.isinf(buckets[-1][0]) or not 0.0 <= q <= 1.0:
        return None
    counts = [c for _, c in buckets]
    for i in range(1, len(counts)):  # a scrape may see buckets out of step: cumulative counts never go down
        counts[i] = max(counts[i], counts[i - 1])
    total = counts[-1]
    if total <= 0:
        return None
    rank = q * total
    b = next(i for i, c in enumerate(counts) if c >= rank)
    if b == len(buckets) - 1:
        return buckets[-2][0]
    upper = buckets[b][0]
    if b == 0 and upper <= 0:
        return upper
    lower, below = (buckets[b - 1][0], counts[b - 1]) if b > 0 else (0.0, 0.0)
    in_bucket = counts[b] - below
    if in_bucket <= 0:
        return lower
    return lower + (upper - lower) * (rank - below) / in_bucket


@dataclass(frozen=True)
class Histogram:
    """Cumulative counts at most each finite bound (ascending), and all observations (the +Inf bucket)."""

    bounds: tuple[float, ...]
    cumulative: tuple[float, ...]
    count: float

    def since(self, older: Histogram | None) -> Histogram:
        """The observations made after `older` (all of them when the counts went down: a restart)."""
        if older is None or older.bounds != self.bounds or older.count > self.count:
            return self
        return Histogram(self.bounds, tuple(a - b for a, b in zip(self.cumulative, older.cumulative, strict=True)),
                         self.count - older.count)

    def quantile_ms(self, q: float) -> float | None:
        got = histogram_quantile(q, [*zip(self.bounds, self.cumulative, strict=True), (math.inf, self.count)])
        return None if got is None else round(got * 1000.0, 3)


@dataclass(frozen=True)
class StorageReading:
    """The storage server's calls served so far and their latency (seconds)."""

    at: float  # time.monotonic() when read
    calls: int
    latency: Histogram


def storage_reading(at: float, stats: Mapping[str, Any]) -> StorageReading | None:
    """From the stats answer; None when the server does not report its calls (an older server)."""
    bounds = stats.get("call_seconds_le") or []
    if not bounds:
        return None
    calls = int(stats.get("calls", 0))
    return StorageReading(at, calls, Histogram(tuple(float(b) for b in bounds),
                                               tuple(float(c) for c in stats.get("call_seconds_buckets", [])), calls))


@dataclass
class RouteCounts:
    """One route of an app: requests by status code, and their latency (seconds) when the app reports it."""

    by_status: dict[str, float] = field(default_factory=dict)
    latency: Histogram | None = None

    @property
    def total(self) -> float:
        return sum(self.by_status.values())

    def errors(self, first_digit: str) -> float:
        return sum(n for status, n in self.by_status.items() if status.startswith(first_digit))


@dataclass(frozen=True)
class AppReading:
    at: float  # time.monotonic() when read
    routes: dict[RouteKey, RouteCounts]


def parse_app_metrics(text: str, prefix: str) -> dict[RouteKey, RouteCounts]:
    """`<prefix>_requests_total{method,route,status}` and `<prefix>_request_duration_seconds` of an app's
    /metrics, per (method, route)."""
    routes: dict[RouteKey, RouteCounts] = {}
    buckets: dict[RouteKey, list[tuple[float, float]]] = {}
    for family in text_string_to_metric_families(text):
        if family.name == f"{prefix}_requests":
            for s in family.samples:
                if s.name == f"{prefix}_requests_total":
                    row = routes.setdefault((s.labels.get("method", ""), s.labels.get("route", "")), RouteCounts())
                    status = s.labels.get("status", "")
                    row.by_status[status] = row.by_status.get(status, 0.0) + s.value
        elif family.name == f"{prefix}_request_duration_seconds":
            for s in family.samples:
                if s.name.endswith("_bucket"):
                    key = (s.labels.get("method", ""), s.labels.get("route", ""))
                    buckets.setdefault(key, []).append((float(s.labels["le"]), s.value))
    for key, pairs in buckets.items():
        pairs.sort()
        if len(pairs) >= 2 and math.isinf(pairs[-1][0]):
            routes.setdefault(key, RouteCounts()).latency = Histogram(
                tuple(b for b, _ in pairs[:-1]), tuple(c for _, c in pairs[:-1]), pairs[-1][1])
    return routes


def _grown(new: float, old: float) -> float:
    """How much a counter grew (all of `new` when it went down: the process restarted)."""
    return new if new < old else new - old


def _rate(n: float, seconds: float | None) -> float | None:
    return None if seconds is None or seconds <= 0 else round(n / seconds, 3)


class Window:
    """The readings of the last `CONTROL_RATE_WINDOW_SECONDS` of one source (one every
    `CONTROL_SAMPLE_SECONDS`): the figures compare the newest with the oldest."""

    def __init__(self, seconds: float = CONTROL_RATE_WINDOW_SECONDS) -> None:
        self.seconds = seconds
        self.readings: collections.deque[Any] = collections.deque(
            maxlen=int(seconds / CONTROL_SAMPLE_SECONDS) + 2)

    def add(self, reading: Any) -> None:
        if reading is None:
            return
        self.readings.append(reading)
        while len(self.readings) > 2 and reading.at - self.readings[1].at >= self.seconds:
            self.readings.popleft()  # the next one still spans the whole window

    def clear(self) -> None:
        self.readings.clear()

    @property
    def newest(self) -> Any:
        return self.readings[-1] if self.readings else None

    def pair(self) -> tuple[Any, Any] | None:
        """(oldest, newest) when there are two readings."""
        return (self.readings[0], self.readings[-1]) if len(self.readings) >= 2 else None


def storage_figures(window: Window) -> dict[str, Any]:
    """`ops_per_second`, `latency_ms` {p50, p99} and `window_seconds` over the window."""
    pair = window.pair()
    if pair is None:
        return {"ops_per_second": None, "latency_ms": {"p50": None, "p99": None}, "window_seconds": None}
    old, new = pair
    seconds = new.at - old.at
    latency = new.latency.since(old.latency)
    return {"ops_per_second": _rate(_grown(new.calls, old.calls), seconds),
            "latency_ms": {"p50": latency.quantile_ms(0.5), "p99": latency.quantile_ms(0.99)},
            "window_seconds": round(seconds, 3)}


def app_figures(window: Window) -> dict[str, Any]:
    """An app's totals (from the newest reading) and rates and per-route latency over the window:
    `requests_total`, `requests_per_second`, `errors_4xx`, `errors_5xx`, `errors_per_second` (without
    the `MONITORING_ROUTES`), and `routes` (every route, each marked `monitoring` or not)."""
    new: AppReading | None = window.newest
    if new is None:
        return {"requests_total": 0, "requests_per_second": None, "errors_4xx": 0, "errors_5xx": 0,
                "errors_per_second": None, "routes": []}
    pair = window.pair()
    old: AppReading | None = pair[0] if pair else None
    seconds = new.at - old.at if old is not None else None
    rows, all_grown, errors_grown = [], 0.0, 0.0
    for (method, route), now in sorted(new.routes.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        before = old.routes.get((method, route), RouteCounts()) if old is not None else None
        grown = _grown(now.total, before.total) if before is not None else 0.0
        bad = (_grown(now.errors("4") + now.errors("5"), before.errors("4") + before.errors("5"))
               if before is not None else 0.0)
        monitoring = route in MONITORING_ROUTES
        if not monitoring:
            all_grown, errors_grown = all_grown + grown, errors_grown + bad
        latency = now.latency.since(before.latency) if now.latency is not None and before is not None else None
        rows.append({"method": method, "route": route, "requests_total": int(now.total),
                     "errors_4xx": int(now.errors("4")), "errors_5xx": int(now.errors("5")),
                     "requests_per_second": _rate(grown, seconds),
                     "p50_ms": latency.quantile_ms(0.5) if latency else None,
                     "p99_ms": latency.quantile_ms(0.99) if latency else None, "monitoring": monitoring})
    served = [r for r in rows if not r["monitoring"]]
    return {"requests_total": sum(r["requests_total"] for r in served),
            "requests_per_second": _rate(all_grown, seconds),
            "errors_4xx": sum(r["errors_4xx"] for r in served), "errors_5xx": sum(r["errors_5xx"] for r in served),
            "errors_per_second": _rate(errors_grown, seconds), "routes": rows}
