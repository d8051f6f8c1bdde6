"""Prometheus metrics of the storage server: calls and latency per operation, and store gauges.

Per-call counters and a latency histogram are updated by the service layer; gauges (counts,
WAL bytes and segments, last snapshot, memory, and whatever the engine reports about fsyncs,
group commits and snapshots) are read from the engine when Prometheus scrapes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

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
        self.engine: Any = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        engine = self.engine
        if engine is None:
            return
        try:
            st = engine.stats()
        except Exception:  # noqa: BLE001 - a scrape must not take the server down
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
            except Exception:  # noqa: BLE001
                log.exception("engine metrics failed during a scrape")


class Metrics:
    """The server's metrics, in a registry of its own (so tests can make several)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._calls = Counter("sutra_storage_calls", "Storage operations served, by door and result code.",
                              ("op", "door", "code"), registry=self.registry)
        self._latency = Histogram("sutra_storage_call_seconds", "Latency of storage operations.", ("op",),
                                  registry=self.registry,
                                  buckets=(.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5))
        self._children: dict[tuple[str, str, str], Any] = {}
        self._hist: dict[str, Any] = {}
        self._engine = _EngineCollector()
        self.registry.register(self._engine)

    def bind_engine(self, engine: Any) -> None:
        self._engine.engine = engine

    def observe(self, op: str, door: str, code: str, seconds: float) -> None:
        key = (op, door, code)
        c = self._children.get(key)
        if c is None:
            c = self._children[key] = self._calls.labels(op, door, code)
        c.inc()
        h = self._hist.get(op)
        if h is None:
            h = self._hist[op] = self._latency.labels(op)
        h.observe(seconds)

    def serve(self, host: str, port: int) -> int:
        """Expose /metrics over HTTP; returns the bound port."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return int(server.server_address[1])
