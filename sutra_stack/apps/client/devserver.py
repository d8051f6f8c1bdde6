"""Mode "dev": Vite's dev server from the `web/` workspace, replacing this process (so the
supervisor stops and restarts Vite itself). `npm ci` runs first when `node_modules` is missing or
older than the lockfile, its output in the client's log. Vite takes host, port (strict) and the
sutra-api address from the SUTRA_* variables (web/client/vite.config.ts); hot module replacement
reloads the page, so the supervisor never reloads this service on a code change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sutra_stack.errors import ConfigError

LOCKFILE = "package-lock.json"
INSTALLED_MARKER = Path("node_modules") / ".package-lock.json"  # npm writes it on every install


def needs_install(web: Path) -> bool:
    """node_modules is missing, or older than the lockfile."""
    marker = web / INSTALLED_MARKER
    lock = web / LOCKFILE
    return not marker.is_file() or (lock.is_file() and lock.stat().st_mtime > marker.stat().st_mtime)


def ensure_installed(web: Path) -> None:
    if not needs_install(web):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise ConfigError("client.mode is dev but npm is not on PATH: install Node.js, or set client.mode = "
                          "\"static\"", field="client.mode")
    print(f"sutra-client: node_modules is missing or older than {LOCKFILE}: running npm ci in {web}", flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=web, check=True, stdout=sys.stdout,
                   stderr=sys.stderr)


def exec_vite(web: Path) -> None:
    """Replace this process with `vite` (never returns)."""
    node = shutil.which("node")
    if node is None:
        raise ConfigError("client.mode is dev but node is not on PATH: install Node.js, or set client.mode = "
                          "\"static\"", field="client.mode")
    vite = web / "node_modules" / "vite" / "bin" / "vite.js"
    client = web / "client"
    os.chdir(client)
    os.execv(node, [node, str(vite), "--config", str(client / "vite.config.ts")])
