"""uvicorn's HTTP protocol with a request read time-out and a connection limit.

uvicorn closes a keep-alive connection that idles between requests (`timeout_keep_alive`,
`HTTP_KEEP_ALIVE_SECONDS`) but waits forever for a request whose headers or body arrive slowly,
and for a connection that never sends one; with httptools it also buffers headers of any size.
`GuardedHttpProtocol` gives each request `api.request_timeout` seconds from its first byte (or
from the connection opening) until its body is complete; a request still unfinished then is
answered 408 and its connection closed (the app, if it was reading the body, sees the client
disconnect). Headers still unfinished after `MAX_HTTP_HEADER_BYTES` are answered 431. A
connection beyond `api.max_connections` (per worker) is answered 503 and closed at once. Each
answer is the REST apps' JSON error shape, naming the limit or setting.

`serve.py` selects it through `uvicorn.Config(http=GuardedHttpProtocol)` and passes the two
values as attributes of the config (`guard(config, ...)`), which workers receive pickled.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sutra_stack.limits import (
    DEFAULT_HTTP_REQUEST_TIMEOUT_SECONDS,
    DEFAULT_MAX_CONNECTIONS,
    HTTP_KEEP_ALIVE_SECONDS,
    MAX_HTTP_HEADER_BYTES,
)

log = logging.getLogger("sutra.api")


def guard(config: Any, *, request_timeout: float, max_connections: int, service: str = "sutra-api") -> Any:
    """Make `config` (a uvicorn.Config) serve with GuardedHttpProtocol and these two limits (`service`: the
    app's name in its answers)."""
    config.http = GuardedHttpProtocol
    config.timeout_keep_alive = HTTP_KEEP_ALIVE_SECONDS
    config.request_timeout = request_timeout
    config.max_connections = max_connections
    config.service_name = service
    return config


def _response(status: bytes, code: str, message: str) -> bytes:
    body = json.dumps({"error": {"code": code, "message": message, "field": "connection"}}).encode()
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)


class GuardedHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with `request_timeout` for reading each request and `max_connections`."""

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.request_timeout: float = getattr(config, "request_timeout", DEFAULT_HTTP_REQUEST_TIMEOUT_SECONDS)
        self.max_connections: int = getattr(config, "max_connections", DEFAULT_MAX_CONNECTIONS)
        self.service_name: str = getattr(config, "service_name", "sutra-api")
        self._read_timer: asyncio.TimerHandle | None = None
        self._in_headers = False  # a request has begun and its headers are not complete yet
        self._header_bytes = 0  # bytes received while they were not

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # a stream's
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            log.warning("refusing a connection: %d open, api.max_connections=%d", len(self.connections) - 1,
                        self.max_connections)
            self._answer_and_close(b"503 Service Unavailable", "UNAVAILABLE",
                                   f"{self.service_name} already has {len(self.connections) - 1} connections open, "
                                   f"the most api.max_connections={self.max_connections} allows; retry shortly")
            return
        self._arm()  # the first request must arrive in time too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    # --- the read time-out ---------------------------------------------------------------------
    def _arm(self) -> None:
        if self._read_timer is None:
            self._read_timer = self.loop.call_later(self.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._in_headers and not self.transport.is_closing():
            self._header_bytes += len(data)  # all of it went to headers that are still not complete
            if self._header_bytes > MAX_HTTP_HEADER_BYTES:
                self._answer_and_close(b"431 Request Header Fields Too Large", "RESOURCE_EXHAUSTED",
                                       f"the request line and headers passed MAX_HTTP_HEADER_BYTES="
                                       f"{MAX_HTTP_HEADER_BYTES} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._header_bytes = 0
        self._arm()

    def on_headers_complete(self) -> None:
        self._in_headers = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _too_slow(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and cycle.response_started and not cycle.response_complete:
            cycle.disconnected = True
            self.transport.close()  # the app is answering already while the body never finished: just close
            return
        self._answer_and_close(b"408 Request Timeout", "DEADLINE_EXCEEDED",
                               f"the request did not arrive whole within api.request_timeout="
                               f"{self.request_timeout:g}s (headers and body); send it faster or raise the setting")

    def _answer_and_close(self, status: bytes, code: str, message: str) -> None:
        self._disarm()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the app reading the body sees the client go; its answer is dropped
        self.transport.write(_response(status, code, message))
        self.transport.close()
