"""Mode "static": the client's production build served from this package, with `/api/X` passed
to sutra-api's `/X` (the one rule of every front, `API_PREFIX`), a Host check against DNS
rebinding (`localhost`, addresses, `client.host` and `client.allowed_hosts`), request bodies
capped at MAX_REQUEST_BODY_BYTES, and a page saying how to build the bundle when it is missing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from sutra_stack.apps.client import API_PREFIX
from sutra_stack.apps.client.mode import STATIC_DIR
from sutra_stack.apps.common.bodylimit import BodySizeLimit
from sutra_stack.apps.common.hosts import HostCheck, allowed_names
from sutra_stack.config import Settings, settings_from_env
from sutra_stack.limits import CLIENT_PROXY_TIMEOUT_SECONDS

# Headers of one hop only (RFC 9110 7.6.1), never passed on by the proxy.
HOP_HEADERS = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                         "transfer-encoding", "upgrade", "host"})
# The page loads only its own scripts; @xyflow/react positions nodes with inline styles.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sutra: client not built</title>
</head><body><main><h1>The web client is not built</h1><p>This copy of sutra-stack has no client bundle. In a
source checkout run <code>make web</code> (or <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>), or
set <code>client.mode = "dev"</code> to run Vite's dev server; a wheel built with <code>make wheel</code> carries
the bundle.</p></main></body></html>"""


def api_base(settings: Settings) -> str:
    """Where sutra-api answers, from api.host / api.port."""
    host = settings["api.host"]
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings['api.port']}"


def upstream_path(path: str) -> str:
    """/api/X -> /X (and /api -> /)."""
    rest = path[len(API_PREFIX):]
    return rest if rest.startswith("/") else "/" + rest


def _error(status: int, code: str, message: str, field: str | None = None) -> Response:
    body = {"error": {"code": code, "message": message, **({"field": field} if field else {})}}
    return Response(json.dumps(body), status_code=status, media_type="application/json")


def _host_refused(host: str) -> Response:
    return _error(400, "INVALID_ARGUMENT", f"Host {host!r} is not a name this server answers to: add it to "
                  "SUTRA_CLIENT_ALLOWED_HOSTS (client.allowed_hosts) if people really reach it by that name", "host")


def create_app(settings: Settings, static_dir: Path = STATIC_DIR) -> ASGIApp:
    base = api_base(settings)
    index = static_dir / "index.html"

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(base_url=base, timeout=CLIENT_PROXY_TIMEOUT_SECONDS) as client:
            app.state.upstream = client
            yield

    async def proxy(request: Request) -> Response:
        client: httpx.AsyncClient = request.app.state.upstream
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_HEADERS]
        upstream = client.build_request(request.method, upstream_path(request.url.path),
                                        params=request.url.query.encode(), headers=headers,
                                        content=await request.body())
        try:
            res = await client.send(upstream, stream=True)
        except httpx.TimeoutException:
            return _error(504, "DEADLINE_EXCEEDED", f"sutra-api at {base} did not answer within "
                          f"{CLIENT_PROXY_TIMEOUT_SECONDS:g} s (CLIENT_PROXY_TIMEOUT_SECONDS)")
        except httpx.HTTPError as e:
            return _error(502, "UNAVAILABLE", f"sutra-api at {base} cannot be reached ({type(e).__name__}): start "
                          "it with `sutra start api` (or `sutra up`)")
        out = {k: v for k, v in res.headers.items() if k.lower() not in HOP_HEADERS}
        return StreamingResponse(res.aiter_raw(), status_code=res.status_code, headers=out,
                                 background=BackgroundTask(res.aclose))

    async def page(request: Request) -> Response:
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, headers=SECURITY_HEADERS)
        return FileResponse(index, headers={"cache-control": "no-cache", **SECURITY_HEADERS})

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    routes = [
        Route(API_PREFIX, proxy, methods=methods),
        Route(API_PREFIX + "/{rest:path}", proxy, methods=methods),
        Mount("/assets", app=StaticFiles(directory=static_dir / "assets", check_dir=False), name="assets"),
        Route("/{rest:path}", page, methods=["GET", "HEAD"]),  # the app routes itself (#/ask, ...)
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    allowed = allowed_names(settings["client.host"], settings["client.allowed_hosts"])
    return HostCheck(BodySizeLimit(app), allowed, _host_refused)


def factory() -> ASGIApp:
    """The app of the `client` service (uvicorn factory)."""
    return create_app(settings_from_env())
