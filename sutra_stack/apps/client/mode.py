"""Which way the client runs: `client.mode` ("dev", "static", or "auto": dev where Node.js and the
`web/` workspace of a source checkout are present, static otherwise), and where its files are."""

from __future__ import annotations

import shutil
from pathlib import Path

from sutra_stack.config import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"


def web_dir() -> Path | None:
    """The npm workspace of a source checkout (beside the package), or None for an installed wheel."""
    d = Path(__file__).resolve().parents[3] / "web"
    return d if (d / "package.json").is_file() and (d / "client" / "vite.config.ts").is_file() else None


def node_present() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


def resolve_mode(settings: Settings) -> str:
    mode: str = settings["client.mode"]
    if mode == "auto":
        return "dev" if node_present() and web_dir() is not None else "static"
    return mode


def static_built() -> bool:
    return (STATIC_DIR / "index.html").is_file()
