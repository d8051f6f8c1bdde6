"""Who may call sutra-hybrid: API keys, the Host header (DNS rebinding) and CORS.

Keys: with `hybrid.token` set every route but /health, /ready and /metrics needs
`Authorization: Bearer <hybrid.token>`; with none set any key is accepted (the SDKs always send one).
`/sutra/learn` writes, so it needs `hybrid.token`, or `api.token` when only that is set: the rule of
sutra-api's writes. Host: a request naming this server by a host name must use `localhost` or one of
`hybrid.allowed_hosts`; IP addresses are always accepted (a DNS-rebinding page reaches us by a name
it controls, never by our address). CORS headers are sent only for `hybrid.cors_origins`.
"""

from __future__ import annotations

import hmac

from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from sutra_stack.apps.common.hosts import LOCAL_NAMES, HostCheck, allowed_names, host_of
from sutra_stack.apps.hybrid.errors import KeyRefused, openai_response
from sutra_stack.config import Settings

# The Host check is apps.common.hosts'; LOCAL_NAMES and host_of stay importable from here too.
__all__ = ["LOCAL_NAMES", "host_of", "install_security", "require_key", "require_write_key"]


def _names(text: str) -> list[str]:
    return [n.strip().lower() for n in text.split(",") if n.strip()]


def _given_key(request: Request) -> str | None:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" and given.strip() else None


def _check(request: Request, expected: str, setting: str) -> None:
    given = _given_key(request)
    if given is None:
        raise KeyRefused(f"You didn't provide an API key: send 'Authorization: Bearer <key>' with the key set in "
                         f"{setting}")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise KeyRefused(f"Incorrect API key provided: it is not the key set in {setting}")


async def require_key(request: Request) -> None:
    """Dependency of the /v1 and /sutra routes: the key must match `hybrid.token` when one is set."""
    expected: str = request.app.state.settings["hybrid.token"]
    if expected:
        _check(request, expected, "SUTRA_HYBRID_TOKEN (hybrid.token)")


async def require_write_key(request: Request) -> None:
    """Dependency of /sutra/learn: `hybrid.token`, else `api.token` when only that is set."""
    settings = request.app.state.settings
    if settings["hybrid.token"]:
        _check(request, settings["hybrid.token"], "SUTRA_HYBRID_TOKEN (hybrid.token)")
    elif settings["api.token"]:
        _check(request, settings["api.token"], "SUTRA_API_TOKEN (api.token; no hybrid.token is set)")


def _host_refused(host: str) -> Response:
    return openai_response(400, f"Host {host!r} is not a name this server answers to: add it to "
                           "SUTRA_HYBRID_ALLOWED_HOSTS (hybrid.allowed_hosts) if clients really reach it by that name",
                           "invalid_request_error", "host", "host_not_allowed")


def install_security(app: FastAPI, settings: Settings) -> None:
    """The Host check always; CORS only when origins are configured."""
    allowed = allowed_names(settings["hybrid.host"], settings["hybrid.allowed_hosts"])
    origins = _names(settings["hybrid.cors_origins"])
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                           allow_headers=["authorization", "content-type"])
    app.add_middleware(HostCheck, allowed=allowed, respond=_host_refused)
