"""What `/api/status` says beyond the supervisor's rows: the storage server (through `StorageClient`),
the apps (through their `/metrics`), and, with no supervisor, each configured address probed.

Storage: concepts, associations, WAL bytes and segments, the newest snapshot's time and age, the
snapshot's size on disk (when the data directory is on this machine), fsync mode, read-only, and
health. Apps: whether `/metrics` answers, its request count and errors, per route too.

Traffic (`sample`, called by the hub every `CONTROL_SAMPLE_SECONDS`): the storage server's operations
per second and p50/p99 latency, and each app's requests and errors per second and latency per route,
over the last `CONTROL_RATE_WINDOW_SECONDS` of these samples (`rates.py`), so every dashboard polling
`/api/status` sees the same figures and adds no load of its own: the apps' /metrics are read once a
sample, whoever asks. The storage server's figures ride in its stats answer (`StoreStats.calls` and
its latency histogram over every operation, the probes left out), not on its Prometheus port: the
stats call is what control already makes, through the one service layer on either door, with the
storage token and TLS it already has, whether or not `storage.metrics_port` is set or reachable from
here (it is off by default, and bound to the storage host, which may be another machine).
"""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import httpx

from sutra_stack.apps.common.storage import connect_storage
from sutra_stack.apps.control.rates import (
    AppReading,
    Window,
    app_figures,
    parse_app_metrics,
    storage_figures,
    storage_reading,
)
from sutra_stack.config import Settings

PROBE_TIMEOUT = 2.0
APPS = (("api", "api", "sutra_api"), ("hybrid", "hybrid", "sutra_hybrid"))  # service, setting section, prefix


def _base(settings: Settings, section: str) -> str:
    host = settings[f"{section}.host"]
    host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
    return f"http://{host}:{settings[f'{section}.port']}"


def snapshot_bytes(data_dir: Path) -> int | None:
    """Bytes of the store's files outside its WAL (the snapshot), None when the directory is not here."""
    if not data_dir.is_dir():
        return None
    total = 0
    for p in data_dir.iterdir():
        if p.is_file() and p.name != "LOCK":
            total += p.stat().st_size
    return total


class StatusSources:
    def __init__(self, settings: Settings, root: Path) -> None:
        self.settings, self.root = settings, root
        self._store: Any = None
        self.storage_window = Window()  # the storage server's calls, one reading a sample
        self.app_windows = {name: Window() for name, _, _ in APPS}
        self.app_probes: dict[str, dict[str, Any]] = {}  # the last sample's url, up, error of each app

    def _client(self) -> Any:
        if self._store is None:
            self._store = connect_storage(self.settings)
        return self._store

    def _storage_now(self) -> dict[str, Any]:
        client = self._client()
        st = client.stats().to_dict()
        health = client.health()
        data_dir = (self.root / self.settings["storage.path"]).resolve()
        last = st.get("last_snapshot")
        return {"reachable": True, "server": self.settings["storage.server"], "health": health.get("status"),
                "concepts": st["concepts"], "associations": st["associations"], "wal_bytes": st["wal_bytes"],
                "wal_segments": st["wal_segments"], "last_snapshot": last,
                "snapshot_age_seconds": round(time.time() - last, 1) if last else None,
                "snapshot_bytes": snapshot_bytes(data_dir), "fsync": st.get("fsync_policy"),
                "read_only": st.get("read_only", False), "memory_bytes": st.get("memory_bytes"),
                "calls_total": st.get("calls") if st.get("call_seconds_le") else None,
                **storage_figures(self.storage_window)}

    async def storage(self) -> dict[str, Any]:
        try:
            return await asyncio.wait_for(asyncio.to_thread(self._storage_now), PROBE_TIMEOUT * 2)
        except Exception as e:  # noqa: BLE001 - reported, not raised
            return {"reachable": False, "server": self.settings["storage.server"],
                    "error": getattr(e, "message", None) or str(e) or e.__class__.__name__,
                    "calls_total": None, **storage_figures(Window())}

    def flush(self) -> None:
        self._client().flush()

    def backup(self, name: str) -> str:
        return str(self._client().backup(name))

    # ---- traffic: sampled, never read for one request --------------------------------------------
    async def sample(self) -> None:
        """One reading of the storage server's calls and of every app's /metrics, into their windows."""
        await asyncio.gather(self._sample_storage(), self._sample_apps())

    async def _sample_storage(self) -> None:
        try:
            st = await asyncio.wait_for(asyncio.to_thread(lambda: self._client().stats().to_dict()), PROBE_TIMEOUT)
        except Exception:  # noqa: BLE001 - unreachable now: `storage()` says so; the window starts again
            self.storage_window.clear()
            return
        self.storage_window.add(storage_reading(time.monotonic(), st))

    async def _sample_apps(self) -> None:
        async def one(client: httpx.AsyncClient, name: str, section: str, prefix: str) -> None:
            url = _base(self.settings, section) + "/metrics"
            try:
                r = await client.get(url)
                up = r.status_code == 200
                routes = await asyncio.to_thread(parse_app_metrics, r.text, prefix) if up else {}  # off the loop
            except (httpx.HTTPError, ValueError) as e:  # the parser raises ValueError on a malformed text
                self.app_probes[name] = {"url": url, "up": False, "error": str(e) or e.__class__.__name__}
                self.app_windows[name].clear()
                return
            self.app_probes[name] = {"url": url, "up": up}
            self.app_windows[name].add(AppReading(time.monotonic(), routes))

        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT) as client:
            await asyncio.gather(*(one(client, *app) for app in APPS))

    async def apps(self) -> dict[str, Any]:
        """Each app as the last sample found it (read now when nothing was sampled yet)."""
        if len(self.app_probes) < len(APPS):
            await self._sample_apps()
        return {name: {**self.app_probes[name], **app_figures(self.app_windows[name])} for name, _, _ in APPS}

    async def probe_services(self) -> list[dict[str, Any]]:
        """With no supervisor: each configured address, answering or not (no pid, CPU or memory)."""
        s = self.settings
        targets = {"storage": (s["storage.host"], s["storage.port"]), "api": (s["api.host"], s["api.port"]),
                   "hybrid": (s["hybrid.host"], s["hybrid.port"]), "client": (s["client.host"], s["client.port"])}

        def probe(host: str, port: int) -> bool:
            host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
            try:
                with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
                    return True
            except OSError:
                return False

        found = await asyncio.gather(*(asyncio.to_thread(probe, h, p) for h, p in targets.values()))
        return [{"name": n, "state": "reachable" if ok else "unreachable", "pid": None, "uptime": None,
                 "restarts": None, "health": "", "ports": [f"{h}:{p}"], "cpu_percent": None, "memory_bytes": None,
                 "last_exit": None, "transitions": []}
                for (n, (h, p)), ok in zip(targets.items(), found, strict=True)]

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
