"""The dashboard page: the production build of web/dashboard (`make web`), shipped inside this package
(`static/`), served by sutra-control at `/` with its `/assets/*`. The page reads `/api/*` on the same
origin; its response headers forbid framing and any script or connection elsewhere. Without a build
(a checkout before `make web`) `/` says how to make one."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sutra control: page not built</title>
</head><body><h1>The dashboard is not built</h1><p>Run <code>make web</code> (Node.js needed) in the source
checkout; the API is served all the same (<code>/api/status</code>).</p></body></html>"""


def mount_pages(app: FastAPI, static_dir: Path = STATIC_DIR) -> None:
    """`/` (the page) and `/assets/*` (its hashed files) on the control app."""
    index = static_dir / "index.html"

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, headers=SECURITY_HEADERS)
        return FileResponse(index, headers={"cache-control": "no-cache", **SECURITY_HEADERS})

    app.mount("/assets", StaticFiles(directory=static_dir / "assets", check_dir=False), name="assets")
