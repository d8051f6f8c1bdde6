"""Who may do what on sutra-control.

- `Host` is checked against the names it serves (`HostCheck`: localhost, addresses, control.host,
  control.allowed_hosts), so a DNS-rebinding page cannot read it.
- A write (any method but GET, HEAD, OPTIONS) carrying an `Origin` is refused unless that origin is
  this server itself (`http(s)://` + the request's Host) or listed in control.cors_origins: a form
  post or a multipart upload is a request any web page can send. No CORS headers unless
  control.cors_origins is set.
- The admin token (`Authorization: Bearer <token>`, never a cookie or the URL) is needed by the
  stream, logs, actions and bulk learning (`require_token`); status, history, health and
  readiness need none. Without a token configured (sutra-control started outside `sutra up` with
  no control.token) those routes answer FAILED_PRECONDITION saying to set one.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from sutra_stack.apps.common.errors import error_response
from sutra_stack.errors import FailedPrecondition, SutraError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Refused(SutraError):
    """A request refused by the token check (401) or the Origin check (403)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.status, self.code = status, code


def require_token(request: Request) -> None:
    """FastAPI dependency: the admin token must come as `Authorization: Bearer <token>`."""
    token: str = request.app.state.settings["control.token"]
    if not token:
        raise FailedPrecondition("no admin token is configured for sutra-control: set control.token "
                                 "(SUTRA_CONTROL_TOKEN), or run it under `sutra up`, which generates one")
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise Refused(401, "UNAUTHENTICATED", "this needs the admin token as 'Authorization: Bearer <token>' "
                      "(`sutra status` says where it is)", field="authorization")
    if not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise Refused(401, "UNAUTHENTICATED", "wrong admin token (control.token)", field="authorization")


class OriginCheck:
    """ASGI middleware: a write from a foreign Origin is answered 403 before it reaches a route."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app, self.allowed = app, allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            headers = dict(scope["headers"])
            origin = headers.get(b"origin", b"").decode("latin-1").strip().lower().rstrip("/")
            host = headers.get(b"host", b"").decode("latin-1").strip().lower()
            if origin and origin not in (f"http://{host}", f"https://{host}") and origin not in self.allowed:
                await error_response(403, "PERMISSION_DENIED", f"a write from Origin {origin[:100]} is refused: "
                                     "only this server's own pages and control.cors_origins may write",
                                     field="origin")(scope, receive, send)
                return
        await self.app(scope, receive, send)
