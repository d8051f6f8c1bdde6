"""The Host check of every HTTP app: DNS rebinding is refused.

A web page on a name its author controls can make that name resolve to 127.0.0.1 and then read
a local service from the browser; its requests carry that name in `Host`. An app therefore
answers only requests that name it by an IP address (a rebinding page never does), `localhost`,
its own bind address, or the names its settings allow (`*` allows any). `HostCheck` is the ASGI
middleware; each app says how its refusal reads (`respond(host)`), in its own error shape.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def host_of(header: str) -> str:
    """The host name or address of a Host header value, without its port or IPv6 brackets, lower-case."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def allowed_names(bind_host: str, extra: str | Iterable[str]) -> frozenset[str]:
    """localhost's names, the bind address and `extra` (a comma-separated setting, or names)."""
    names = extra.split(",") if isinstance(extra, str) else extra
    return frozenset(LOCAL_NAMES | {bind_host.strip().lower()} | {n.strip().lower() for n in names if n.strip()})


class HostCheck:
    """ASGI middleware: a request naming this server by a name not in `allowed` gets `respond(host)`."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str], respond: Callable[[str], Response]) -> None:
        self.app = app
        self.allowed = allowed
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "*" not in self.allowed:
            header = next((v for k, v in scope["headers"] if k == b"host"), None)
            host = host_of(header.decode("latin-1")) if header is not None else ""
            if host and host not in self.allowed and not is_address(host):
                await self.respond(host)(scope, receive, send)
                return
        await self.app(scope, receive, send)
