"""Run an ASGI app under uvicorn on a socket handed to us, or on host:port bound here.

`serve("pkg.module:factory", ...)` is the one way app processes start: with `workers > 1`
uvicorn's process manager shares the one listening socket between worker processes, and
prometheus-client's multiprocess mode gets a private directory so that metrics add up across
workers. Every connection is served by `httpguard.GuardedHttpProtocol`: a request must arrive
whole within `api.request_timeout` seconds, and each worker serves at most `api.max_connections`
connections; uvicorn itself closes keep-alive connections idle for `timeout_keep_alive` (5 s).

Under a service manager (`$NOTIFY_SOCKET`, `sutra_stack.notify`) the process that was started,
uvicorn's manager when there are several workers, sends READY=1 once `ready_path` answers 200
through the listening socket (the socket accepts and storage answers), STOPPING=1 on SIGTERM or
SIGINT, and with several workers RELOADING=1 … READY=1 around a SIGHUP (a rolling restart).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
import tempfile
import threading
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from sutra_stack import notify
from sutra_stack.apps.common.httpguard import guard
from sutra_stack.apps.common.sockets import handover_server, inherited_sockets
from sutra_stack.config import Settings, settings_from_env
from sutra_stack.errors import ConfigError

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own switch for multiprocess mode


def multiprocess_metrics_dir() -> str | None:
    """The directory workers share their metrics through, when serving with several workers."""
    return os.environ.get(MULTIPROC_ENV) or None


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (IPv6 when the host has a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(
    app_ref: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    sock: socket.socket | None = None,
    log_level: str = "INFO",
    request_timeout: float | None = None,
    max_connections: int | None = None,
    ready_path: str = "/ready",
    service: str = "sutra-api",
) -> None:
    """Serve the app factory `app_ref` ("module:function") until SIGTERM/SIGINT. The request
    time-out and connection limit default to the settings api.request_timeout / api.max_connections."""
    if request_timeout is None or max_connections is None:
        from sutra_stack.config import settings_from_env

        settings = settings_from_env()
        request_timeout = settings["api.request_timeout"] if request_timeout is None else request_timeout
        max_connections = settings["api.max_connections"] if max_connections is None else max_connections
    level = log_level.lower()
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = uvicorn.Config(
        app_ref,
        factory=True,
        workers=workers,
        log_level=level,
        access_log=False,
        timeout_graceful_shutdown=10,
        lifespan="on",
    )
    guard(config, request_timeout=request_timeout, max_connections=max_connections, service=service)
    if sock is None:
        sock = bind(host, port)
    stop_notifying = threading.Event()
    notify.notify_when_http_ready(sock, ready_path, stop_notifying)
    if workers > 1:
        metrics_dir = tempfile.mkdtemp(prefix="sutra-metrics-")
        os.environ[MULTIPROC_ENV] = metrics_dir  # inherited by the workers before they import prometheus
        try:
            _NotifyingMultiprocess(config, [sock], stop_notifying).run()
        finally:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    else:
        config.load_app()
        # Drains keep-alive connections on SIGTERM, so a reload that hands the socket to a new
        # instance fails no request.
        server = handover_server(config)
        handle_exit = server.handle_exit

        def on_exit(sig: int, frame: Any) -> None:
            if not stop_notifying.is_set():
                stop_notifying.set()
                notify.stopping()
            handle_exit(sig, frame)

        server.handle_exit = on_exit  # uvicorn installs it as the signal handler when it serves
        server.run(sockets=[sock])


class _NotifyingMultiprocess(Multiprocess):
    """uvicorn's worker manager, telling the service manager about stops and rolling restarts."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket], stop: threading.Event) -> None:
        super().__init__(config, sockets=sockets)
        self.stop_notifying = stop

    def _stopping(self) -> None:
        if not self.stop_notifying.is_set():
            self.stop_notifying.set()
            notify.stopping()

    def handle_int(self) -> None:
        self._stopping()
        super().handle_int()

    def handle_term(self) -> None:
        self._stopping()
        super().handle_term()

    def handle_hup(self) -> None:
        notify.reloading()
        super().handle_hup()
        notify.ready("workers restarted")


def handed_socket() -> socket.socket | None:
    """The listening socket the supervisor (or systemd) handed us, if any."""
    found = inherited_sockets()
    return found[0] if found else None


def run_app(service: str, app_ref: str, section: str, settings: Settings | None = None, **options: Any) -> int:
    """The entry point of an app process: `serve` `app_ref` on the handed socket or on `<section>.host`
    / `<section>.port` (with `<section>.workers` when the table has it), as `service` in messages.
    Exit codes: 2 for bad settings, 1 when the address cannot be listened on, 0 after a clean stop."""
    try:
        settings = settings if settings is not None else settings_from_env()
    except ConfigError as e:
        print(f"{service}: {e.message}", file=sys.stderr)
        return 2
    host, port = settings[f"{section}.host"], settings[f"{section}.port"]
    if f"{section}.workers" in settings:
        options.setdefault("workers", settings[f"{section}.workers"])
    try:
        serve(app_ref, host=host, port=port, sock=handed_socket(), log_level=settings["log.level"], service=service,
              **options)
    except OSError as e:
        print(f"{service}: cannot listen on {host}:{port}: {e}", file=sys.stderr)
        return 1
    return 0
