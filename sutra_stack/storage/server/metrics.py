"""Prometheus metrics of the storage server: calls and latency per operation, and store gauges.

Per-call counters and a latency histogram are kept per thread without locks (a scrape adds
them up), so a call pays about a microsecond for them. `Metrics.summary` adds them up over every
operation but the probes for the stats answer (`StoreStats.calls`, `call_seconds_*`), which is how
sutra-control reads the server's load with no metrics port configured; gauges (counts,
WAL bytes and segments, last snapshot, memory, and whatever the engine reports about fsyncs,
group commits and snapshots) are read from the engine when Prometheus scrapes.
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_left
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from sutra_stack.storage.engine import Engine

log = logging.getLogger("sutra.storage.server")

_STAT_GAUGES = (
    ("concepts", "Concepts in the store."),
    ("associations", "Associations in the store."),
    ("vectors", "Vectors in the index."),
    ("wal_bytes", "Bytes in the write-ahead log."),
    ("wal_segments", "WAL segment files."),
    ("memory_bytes", "Resident memory of the process."),
    ("capacity", "Configured concept cap."),
)


class _EngineCollector(Collector):
    def __init__(self) -> None:
        self.engine: Engine | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        engine = self.engine
        if engine is None:
            return
        try:
            st = engine.stats()
        except Exception:  # a scrape must not take the server down
            log.exception("stats failed during a metrics scrape")
            return
        for name, doc in _STAT_GAUGES:
            yield GaugeMetricFamily(f"sutra_storage_{name}", doc, value=float(getattr(st, name, 0) or 0))
        if st.last_snapshot is not None:
            yield GaugeMetricFamily("sutra_storage_last_snapshot_timestamp_seconds",
                                    "Unix time of the newest snapshot.", value=float(st.last_snapshot))
        yield GaugeMetricFamily("sutra_storage_read_only", "1 when the store refuses writes.",
                                value=1.0 if st.read_only else 0.0)
        stall = getattr(engine, "longest_snapshot_stall", None)
        if isinstance(stall, (int, float)):
            yield GaugeMetricFamily("sutra_storage_snapshot_longest_stall_seconds",
                                    "Longest write stall a snapshot caused.", value=float(stall))
        extra = getattr(engine, "metrics", None)  # engine-specific figures: fsyncs, group commits, snapshots
        if callable(extra):
            try:
                for key, value in dict(extra()).items():
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        yield GaugeMetricFamily(f"sutra_storage_engine_{key}", f"Engine figure {key}.",
                                                value=float(value))
            except Exception:
                log.exception("engine metrics failed during a scrape")


BUCKETS = (.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1.0, 5.0)
# What monitors call (sutra-control every second, each dashboard poll, health checks): counted per op on
# the metrics port, left out of the stats answer's summary so that watching the server does not show as load.
PROBE_OPS = frozenset({"health", "server_info", "stats"})


class _Tally:
    """One thread's counts: no lock on the hot path; a scrape sums every thread's tally."""

    __slots__ = ("calls", "hist")

    def __init__(self) -> None:
        self.calls: dict[tuple[str, str, str], int] = {}
        self.hist: dict[str, list[float]] = {}  # op → bucket counts..., +Inf count, sum


class _CallCollector(Collector):
    def __init__(self) -> None:
        self.tallies: list[_Tally] = []
        self.lock = threading.Lock()

    def collect(self) -> Iterator[Any]:
        calls: dict[tuple[str, str, str], int] = {}
        hist: dict[str, list[float]] = {}
        with self.lock:
            tallies = list(self.tallies)
        for t in tallies:
            for key, n in list(t.calls.items()):
                calls[key] = calls.get(key, 0) + n
            for op, h in list(t.hist.items()):
                acc = hist.setdefault(op, [0.0] * (len(BUCKETS) + 2))
                for i, v in enumerate(h):
                    acc[i] += v
        c = CounterMetricFamily("sutra_storage_calls", "Storage operations served, by door and result code.",
                                labels=("op", "door", "code"))
        for (op, door, code), n in sorted(calls.items()):
            c.add_metric((op, door, code), n)
        yield c
        latency = HistogramMetricFamily("sutra_storage_call_seconds", "Latency of storage operations.",
                                        labels=("op",))
        for op, acc in sorted(hist.items()):
            cumulative, buckets = 0.0, []
            for bound, count in zip((*[str(b) for b in BUCKETS], "+Inf"), acc[:-1], strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            latency.add_metric((op,), buckets, acc[-1])
        yield latency


class Metrics:
    """The server's metrics, in a registry of its own (so tests can make several)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._calls = _CallCollector()
        self.registry.register(self._calls)
        self._local = threading.local()
        self._engine = _EngineCollector()
        self.registry.register(self._engine)

    def bind_engine(self, engine: Engine) -> None:
        self._engine.engine = engine

    def _tally(self) -> _Tally:
        t = _Tally()
        self._local.tally = t
        with self._calls.lock:
            self._calls.tallies.append(t)
        return t

    def observe(self, op: str, door: str, code: str, seconds: float) -> None:
        t = getattr(self._local, "tally", None) or self._tally()
        key = (op, door, code)
        t.calls[key] = t.calls.get(key, 0) + 1
        h = t.hist.get(op)
        if h is None:
            h = t.hist[op] = [0.0] * (len(BUCKETS) + 2)
        h[bisect_left(BUCKETS, seconds)] += 1
        h[-1] += seconds

    def summary(self) -> tuple[int, list[float], list[int]]:
        """Every operation but the probes (`PROBE_OPS`) added up, for the stats answer: (calls, the
        histogram's upper bounds in seconds, the calls at most each bound took, cumulative)."""
        per_bucket = [0.0] * (len(BUCKETS) + 1)  # the last: over the largest bound (+Inf)
        with self._calls.lock:
            tallies = list(self._calls.tallies)
        for t in tallies:
            for op, h in list(t.hist.items()):
                if op not in PROBE_OPS:
                    per_bucket = [a + b for a, b in zip(per_bucket, h, strict=False)]  # h ends with the sum
        cumulative, running = [], 0
        for n in per_bucket[:-1]:
            running += int(n)
            cumulative.append(running)
        return running + int(per_bucket[-1]), list(BUCKETS), cumulative

    def serve(self, host: str, port: int) -> int:
        """Expose /metrics over HTTP; returns the bound port."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return int(server.server_address[1])
