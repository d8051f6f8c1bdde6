"""Receiving side of socket activation: the listening sockets a parent handed to this process.

Follows systemd's convention (sd_listen_fds(3)): when `LISTEN_PID` equals our pid,
`LISTEN_FDS` descriptors starting at 3 are listening sockets, in the order the parent
declared them. The same code runs under `sutra up` and under a systemd socket unit. With
nothing handed, `inherited_sockets()` returns [] and the app binds host/port itself, e.g.

    socks = inherited_sockets()
    sock = socks[0] if socks else bind(host, port)
    uvicorn.Server(config).run(sockets=[sock])

The variables are removed once read, so our own children (uvicorn workers) do not take them
for theirs. `handover_server(config)` is a `uvicorn.Server` that drains keep-alive clients on
SIGTERM, so a reload on shared sockets fails no request.
"""

from __future__ import annotations

import os
import socket
from typing import Any

SD_LISTEN_FDS_START = 3


def inherited_sockets(unset: bool = True) -> list[socket.socket]:
    """The sockets handed to this process (LISTEN_FDS / LISTEN_PID), or [] when none were."""
    pid, n = os.environ.get("LISTEN_PID", ""), os.environ.get("LISTEN_FDS", "")
    if unset:
        for var in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
            os.environ.pop(var, None)
    if not pid.isdigit() or int(pid) != os.getpid() or not n.isdigit():
        return []
    socks = []
    for fd in range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + int(n)):
        os.set_inheritable(fd, False)  # ours, not our children's (uvicorn passes them explicitly)
        socks.append(socket.socket(fileno=fd))
    return socks


# ---- hand-over without failing a keep-alive client -------------------------------------------

_draining = False


class _CloseWhileDraining:
    """ASGI middleware: while the server drains, every response says `Connection: close`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_closing(message: Any) -> None:
            if _draining and message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        return await self.app(scope, receive, send_closing)


def handover_server(config: Any, drain: float = 5.0) -> Any:
    """A `uvicorn.Server` that hands over to a new instance without failing a request.

    uvicorn, on SIGTERM, closes idle keep-alive connections at once; a request a client sends
    on one at that moment fails. This server instead stops accepting (the new instance,
    sharing the listening socket, takes every new connection), and answers each request on
    its open connections with `Connection: close`, so clients move to a new connection. Once
    no connection is left (or after `drain` seconds, for clients that stay idle) it shuts
    down as uvicorn does. A second signal, or
    SIGINT, exits at once as usual. Use it like `uvicorn.Server(config)`.
    """
    import asyncio
    import signal

    import uvicorn

    class HandoverServer(uvicorn.Server):
        async def serve(self, sockets: list[socket.socket] | None = None) -> None:
            if not self.config.loaded:
                self.config.load()
            self.config.loaded_app = _CloseWhileDraining(self.config.loaded_app)
            self._loop = asyncio.get_running_loop()
            await super().serve(sockets)

        def handle_exit(self, sig: int, frame: Any) -> None:
            global _draining
            if sig == signal.SIGTERM and not _draining and not self.should_exit and hasattr(self, "_loop"):
                _draining = True
                self._loop.call_soon_threadsafe(self._drain)
                return
            super().handle_exit(sig, frame)

        def _drain(self) -> None:
            for server in self.servers:
                server.close()  # stop accepting; the listening socket lives on in the new instance
            self._drain_until = self._loop.time() + drain
            self._check_drained()

        def _check_drained(self) -> None:
            if not self.server_state.connections or self._loop.time() >= self._drain_until:
                self.should_exit = True  # uvicorn's own shutdown closes whatever idles past `drain`
            else:
                self._loop.call_later(0.02, self._check_drained)

    return HandoverServer(config)
