"""What `/api/status` says beyond the supervisor's rows: the storage server (through `StorageClient`),
the apps (through their `/metrics`), and, with no supervisor, each configured address probed.

Storage: concepts, associations, WAL bytes and segments, the newest snapshot's time and age, the
snapshot's size on disk (when the data directory is on this machine), fsync mode, read-only, and
health. Apps: whether `/metrics` answers and its request count.
"""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import httpx

from sutra_stack.apps.common.storage import connect_storage
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
                "read_only": st.get("read_only", False), "memory_bytes": st.get("memory_bytes")}

    async def storage(self) -> dict[str, Any]:
        try:
            return await asyncio.wait_for(asyncio.to_thread(self._storage_now), PROBE_TIMEOUT * 2)
        except Exception as e:  # noqa: BLE001 - reported, not raised
            return {"reachable": False, "server": self.settings["storage.server"],
                    "error": getattr(e, "message", None) or str(e) or e.__class__.__name__}

    def flush(self) -> None:
        self._client().flush()

    def backup(self, name: str) -> str:
        return str(self._client().backup(name))

    async def apps(self) -> dict[str, Any]:
        async def one(client: httpx.AsyncClient, section: str, prefix: str) -> dict[str, Any]:
            url = _base(self.settings, section) + "/metrics"
            try:
                r = await client.get(url)
                total = 0.0
                for line in r.text.splitlines():
                    if line.startswith(f"{prefix}_requests_total"):
                        total += float(line.rsplit(" ", 1)[-1])
                return {"url": url, "up": r.status_code == 200, "requests_total": int(total)}
            except (httpx.HTTPError, ValueError) as e:
                return {"url": url, "up": False, "error": str(e) or e.__class__.__name__}

        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT) as client:
            found = await asyncio.gather(*(one(client, section, prefix) for _, section, prefix in APPS))
        return {name: f for (name, _, _), f in zip(APPS, found, strict=True)}

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
