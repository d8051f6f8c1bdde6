"""The figures of /api/status' traffic, from known readings: Prometheus' histogram_quantile, an app's
/metrics text as sutra-api's own metrics write it, and windows with rates, errors and restarts."""

from __future__ import annotations

import math

import pytest
from prometheus_client import generate_latest

from sutra_stack.apps.api.metrics import ApiMetrics
from sutra_stack.apps.control.rates import (
    AppReading,
    Histogram,
    RouteCounts,
    StorageReading,
    Window,
    app_figures,
    histogram_quantile,
    parse_app_metrics,
    storage_figures,
    storage_reading,
)

INF = math.inf
# 10 observations at most 0.1, 20 more up to 0.2, 10 more up to 0.5, none beyond
BUCKETS = [(0.1, 10.0), (0.2, 30.0), (0.5, 40.0), (INF, 40.0)]


@pytest.mark.parametrize(("q", "want"), [
    (0.5, 0.15),  # rank 20: the 10th of 20 in (0.1, 0.2]
    (0.25, 0.1),  # rank 10: the top of the first bucket
    (0.99, 0.488),  # rank 39.6: 9.6 of 10 in (0.2, 0.5]
    (1.0, 0.5),
    (0.1, 0.04),  # rank 4 in the first bucket, which starts at 0
])
def test_quantile_interpolates_within_the_bucket(q: float, want: float) -> None:
    assert histogram_quantile(q, BUCKETS) == pytest.approx(want)


def test_quantile_in_the_inf_bucket_is_the_largest_finite_bound() -> None:
    assert histogram_quantile(0.5, [(0.1, 1.0), (1.0, 2.0), (INF, 10.0)]) == 1.0
    assert histogram_quantile(0.99, [(0.1, 0.0), (INF, 3.0)]) == 0.1


def test_quantile_has_no_answer_without_observations_or_an_inf_bucket() -> None:
    assert histogram_quantile(0.5, [(0.1, 0.0), (INF, 0.0)]) is None
    assert histogram_quantile(0.5, [(0.1, 5.0), (0.2, 5.0)]) is None  # no +Inf bucket
    assert histogram_quantile(0.5, [(INF, 5.0)]) is None  # one bucket
    assert histogram_quantile(1.5, BUCKETS) is None


def test_quantile_counts_never_go_down() -> None:
    # a bucket read out of step with the next (lower than the one before) is taken as that one
    assert histogram_quantile(0.5, [(0.1, 10.0), (0.2, 8.0), (0.5, 20.0), (INF, 20.0)]) == pytest.approx(0.1)


def test_histogram_since_subtracts_and_a_restart_counts_from_zero() -> None:
    old = Histogram((0.1, 0.2), (5.0, 8.0), 9.0)
    new = Histogram((0.1, 0.2), (5.0, 18.0), 19.0)
    assert new.since(old) == Histogram((0.1, 0.2), (0.0, 10.0), 10.0)
    assert new.since(old).quantile_ms(0.5) == pytest.approx(150.0)
    restarted = Histogram((0.1, 0.2), (1.0, 2.0), 2.0)
    assert restarted.since(new) == restarted
    assert Histogram((0.1, 0.2), (5.0, 8.0), 9.0).since(old).quantile_ms(0.5) is None  # nothing in between


def test_storage_figures_over_the_window() -> None:
    w = Window(seconds=10.0)
    assert storage_figures(w) == {"ops_per_second": None, "latency_ms": {"p50": None, "p99": None},
                                  "window_seconds": None}
    first = storage_reading(100.0, {"calls": 50, "call_seconds_le": [0.001, 0.01], "call_seconds_buckets": [40, 50]})
    assert first == StorageReading(100.0, 50, Histogram((0.001, 0.01), (40.0, 50.0), 50.0))
    w.add(first)
    assert storage_figures(w)["ops_per_second"] is None  # one reading is no window
    w.add(storage_reading(104.0, {"calls": 250, "call_seconds_le": [0.001, 0.01], "call_seconds_buckets": [40, 250]}))
    got = storage_figures(w)
    assert got["ops_per_second"] == 50.0 and got["window_seconds"] == 4.0
    # the 200 calls of the window all took 1-10 ms: p50 at the middle of that bucket, p99 near its top
    assert got["latency_ms"]["p50"] == pytest.approx(5.5) and got["latency_ms"]["p99"] == pytest.approx(9.91)
    w.add(storage_reading(105.0, {"calls": 250, "call_seconds_le": [0.001, 0.01], "call_seconds_buckets": [40, 250]}))
    assert storage_figures(w)["ops_per_second"] == 40.0  # 200 calls over 5 s
    assert storage_reading(1.0, {"calls": 0}) is None  # an older server does not report its calls


def test_the_window_keeps_its_length() -> None:
    w = Window(seconds=10.0)
    for t in range(30):
        w.add(StorageReading(float(t), t * 10, Histogram((0.1,), (float(t * 10),), float(t * 10))))
    old, new = w.pair() or (None, None)
    assert (old.at, new.at) == (19.0, 29.0)
    assert storage_figures(w)["ops_per_second"] == 10.0
    w.clear()
    assert w.pair() is None


def _reading(at: float, metrics: ApiMetrics) -> AppReading:
    return AppReading(at, parse_app_metrics(generate_latest(metrics.registry).decode(), "sutra_api"))


def test_app_metrics_parsed_per_route_with_errors_and_latency() -> None:
    m = ApiMetrics()
    m.requests.labels("GET", "/health", "200").inc()
    w = Window(seconds=10.0)
    w.add(_reading(10.0, m))
    for _ in range(6):
        m.requests.labels("POST", "/ask", "200").inc()
        m.latency.labels("POST", "/ask").observe(0.003)  # (0.0025, 0.005]
    for _ in range(2):
        m.requests.labels("POST", "/ask", "422").inc()
        m.latency.labels("POST", "/ask").observe(0.0007)  # (0.0005, 0.001]
    m.requests.labels("GET", "/concepts/{concept_id}", "404").inc()
    m.requests.labels("POST", "/learn", "503").inc()
    w.add(_reading(12.0, m))
    got = app_figures(w)
    rows = {(r["method"], r["route"]): r for r in got["routes"]}
    ask = rows["POST", "/ask"]
    assert ask["requests_total"] == 8 and ask["errors_4xx"] == 2 and ask["errors_5xx"] == 0
    assert ask["requests_per_second"] == 4.0
    assert ask["p50_ms"] == pytest.approx(2.5 + 2.5 * (4 - 2) / 6, abs=1e-3)  # rank 4: the 2nd of 6 in (2.5, 5] ms
    assert ask["p99_ms"] == pytest.approx(2.5 + 2.5 * (7.92 - 2) / 6, abs=1e-3)
    assert rows["GET", "/health"]["requests_per_second"] == 0.0 and rows["GET", "/health"]["p50_ms"] is None
    assert rows["GET", "/health"]["monitoring"] is True and ask["monitoring"] is False
    assert got["requests_total"] == 10 and got["errors_4xx"] == 3 and got["errors_5xx"] == 1  # /health left out
    assert got["requests_per_second"] == 5.0 and got["errors_per_second"] == 2.0  # 10 and 4 over 2 s


def test_monitoring_reads_are_listed_but_are_not_an_apps_traffic() -> None:
    """sutra-control reads each app's /metrics every second: an idle app shows no requests per second."""
    m = ApiMetrics()
    w = Window(seconds=10.0)
    w.add(_reading(10.0, m))
    for _ in range(4):
        m.requests.labels("GET", "/metrics", "200").inc()
        m.requests.labels("GET", "/ready", "503").inc()
    w.add(_reading(12.0, m))
    got = app_figures(w)
    assert got["requests_per_second"] == 0.0 and got["errors_per_second"] == 0.0
    assert got["requests_total"] == 0 and got["errors_5xx"] == 0
    rows = {r["route"]: r for r in got["routes"]}
    assert rows["/metrics"]["requests_per_second"] == 2.0 and rows["/metrics"]["monitoring"] is True
    assert rows["/ready"]["errors_5xx"] == 4


def test_app_figures_before_a_window_and_after_a_restart() -> None:
    w = Window(seconds=10.0)
    assert app_figures(w) == {"requests_total": 0, "requests_per_second": None, "errors_4xx": 0, "errors_5xx": 0,
                              "errors_per_second": None, "routes": []}
    w.add(AppReading(1.0, {("POST", "/ask"): RouteCounts({"200": 100.0, "500": 4.0})}))
    only = app_figures(w)
    assert only["requests_total"] == 104 and only["errors_5xx"] == 4 and only["requests_per_second"] is None
    w.add(AppReading(3.0, {("POST", "/ask"): RouteCounts({"200": 6.0})}))  # the app restarted: counts from 0
    got = app_figures(w)
    assert got["requests_total"] == 6 and got["requests_per_second"] == 3.0 and got["errors_per_second"] == 0.0
