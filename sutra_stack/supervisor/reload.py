"""Hot reload: watch each service's `watch` paths and reload what changed, debounced.

Changes under `.venv`, `__pycache__`, `.git`, `node_modules`, `.sutra`, the storage data
directory and each service's `watch_exclude` are ignored. A change reloads the services
watching that path and every service depending on them, in dependency order; services
with `reload = "none"` (the storage server) are never reloaded.
"""

from __future__ import annotations

import asyncio
import fnmatch
from pathlib import Path
from typing import Protocol

import watchfiles

from sutra_stack.supervisor.spec import DEFAULT_WATCH_EXCLUDES, ServiceSpec, StackSpec


class Reloadable(Protocol):
    """What watching asks of the supervisor (the manager)."""

    stack: StackSpec
    shutdown: asyncio.Event

    def data_dir(self) -> Path: ...
    async def reload(self, names: list[str], why: str) -> None: ...


def excluded(path: Path, spec: ServiceSpec, data_dir: Path, root: Path) -> bool:
    """A change not to reload for: in the data directory, or matching an exclude pattern. Patterns
    match a part of the path below the watched `root` (".venv", "node_modules") or that relative
    path or a folder of it ("apps/client/static", "apps/*/static"): what lies above the root (a package installed
    inside a .venv) never excludes."""
    if path == data_dir or data_dir in path.parents:
        return True
    rel = path.relative_to(root) if root in path.parents else Path(path.name)
    parts = rel.parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]  # apps, apps/client, apps/client/static, ...
    for pat in (*DEFAULT_WATCH_EXCLUDES, *spec.watch_exclude):
        pat = pat.rstrip("/")
        if any(fnmatch.fnmatch(p, pat) for p in parts) or any(fnmatch.fnmatch(p, pat) for p in prefixes):
            return True
    return path.suffix in (".pyc", ".pyo", ".swp", ".tmp") or path.name.endswith("~")


def affected(changes: set[Path], specs: list[ServiceSpec], data_dir: Path) -> list[str]:
    """Services whose watch paths hold a changed, non-excluded path."""
    out = []
    for spec in specs:
        if spec.reload == "none":
            continue
        roots = [w.resolve() for w in spec.watch]
        if any(not excluded(ch, spec, data_dir, w) for ch in changes for w in roots if ch == w or w in ch.parents):
            out.append(spec.name)
    return out


async def watch(mgr: Reloadable, names: list[str]) -> None:
    specs = [mgr.stack.services[n] for n in names if mgr.stack.services[n].watch]
    data_dir = mgr.data_dir()
    paths = sorted({str(w) for s in specs for w in s.watch if w.exists()})
    if not paths:
        return
    step = max(int(mgr.stack.supervisor.reload_debounce * 1000), 10)
    async for batch in watchfiles.awatch(*paths, debounce=1600, step=step, stop_event=mgr.shutdown,
                                         recursive=True, ignore_permission_denied=True):
        changes = {Path(p).resolve() for _, p in batch}
        hit = affected(changes, specs, data_dir)
        if hit:
            root = mgr.stack.root.resolve()
            shown = ", ".join(sorted(str(c.relative_to(root)) if root in c.parents else str(c) for c in changes)[:3])
            await mgr.reload(hit, f"changed: {shown}")
