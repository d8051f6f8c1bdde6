"""An ASGI middleware that refuses request bodies over a limit with 413, before reading them whole.

A declared `Content-Length` over the limit is refused before a single body byte is read; a
chunked body is counted as it arrives and refused as soon as it passes the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sutra_stack.limits import MAX_REQUEST_BODY_BYTES


def too_large_body(limit: int, size: int | None) -> bytes:
    told = f"{size} bytes" if size is not None else "more bytes than that"
    return json.dumps(
        {
            "error": {
                "code": "RESOURCE_EXHAUSTED",
                "message": f"request body is {told}; the limit is {limit} bytes (MAX_REQUEST_BODY_BYTES)",
                "field": "body",
            }
        }
    ).encode()


async def send_413(send: Send, limit: int, size: int | None,
                   render: Callable[[int, int | None], bytes] = too_large_body) -> None:
    body = render(limit, size)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Wrap an ASGI app so that no request body over `max_bytes` reaches it. `render(limit, size)` makes the
    413's JSON body (default: the REST apps' error shape, `too_large_body`)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_REQUEST_BODY_BYTES,
                 render: Callable[[int, int | None], bytes] = too_large_body) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: int | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
                break
        if declared is not None and declared > self.max_bytes:
            await send_413(send, self.max_bytes, declared, self.render)
            return

        seen = 0
        started = False
        rejected = False

        async def limited_receive() -> Message:
            nonlocal seen, rejected, started
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Answer now and tell the app the client went away: it stops reading, and
                    # whatever it tries to send afterwards is dropped.
                    rejected = True
                    if not started:
                        started = True
                        await send_413(send, self.max_bytes, None, self.render)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not rejected:
                raise
