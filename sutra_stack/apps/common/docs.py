"""The interactive API docs of every FastAPI app, working with no network: `/docs` and `/redoc`.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so an air-gapped machine shows a
blank page. `docs_app()` builds the app with the `fastapi-offline` package instead: the same two
pages, their scripts, style sheet and favicon served by the app itself under `DOCS_ASSETS_URL`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

DOCS_ASSETS_URL = "/docs-assets"  # where the app serves Swagger UI's and ReDoc's files


def docs_app(**kwargs: Any) -> FastAPI:
    """A FastAPI app (same arguments) whose /docs and /redoc use only assets it serves itself."""
    return FastAPIOffline(docs_url="/docs", redoc_url="/redoc", static_url=DOCS_ASSETS_URL, **kwargs)
