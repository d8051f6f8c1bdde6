"""Readiness notification to a service manager (sd_notify(3)), with no dependency.

A process started by systemd with `Type=notify` (or by anything else that sets
`$NOTIFY_SOCKET`) says it is ready with `ready()` and that it is shutting down with
`stopping()`. A message is one AF_UNIX datagram of `KEY=VALUE` lines sent to the socket the
variable names: a path, or an abstract name written with a leading `@`. When the variable is
unset (a process run by hand, by tests, by `sutra up`) nothing is sent and nothing fails.

Only the process the manager started may speak for the service by default (`NotifyAccess=main`):
the storage server notifies from its one process, and an app served with several uvicorn
workers notifies from the manager process, never from a worker (`serve.py`).
`notify_when_http_ready` is how app processes wait for their own socket to answer before saying
so: uvicorn runs the app's startup hook before it opens its socket, so the hook is too early.
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import threading
import time

log = logging.getLogger("sutra.notify")

NOTIFY_SOCKET_ENV = "NOTIFY_SOCKET"
READY_POLL_SECONDS = 0.1  # between two probes of an app's own readiness path
READY_PROBE_TIMEOUT_SECONDS = 5.0


def _target(value: str) -> str | None:
    """The socket address a `$NOTIFY_SOCKET` value names, or None for one we cannot use."""
    if value.startswith("@"):
        return "\0" + value[1:]  # abstract namespace
    if value.startswith("/"):
        return value
    return None  # vsock:… and relative paths are not supported


def notify(*fields: str) -> bool:
    """Send `fields` (e.g. "READY=1", "STATUS=…") as one message; True when it was sent."""
    value = os.environ.get(NOTIFY_SOCKET_ENV, "")
    if not value:
        return False
    target = _target(value)
    if target is None:
        log.warning("%s=%r is neither a path nor an @abstract name: not notifying", NOTIFY_SOCKET_ENV, value)
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(target)
            s.sendall("\n".join(fields).encode())
    except OSError as e:
        log.warning("cannot notify the service manager at %s: %s", value, e.strerror or e)
        return False
    return True


def ready(status: str = "") -> bool:
    """Tell the service manager this process serves now."""
    return notify("READY=1", *((f"STATUS={status}",) if status else ()))


def stopping() -> bool:
    """Tell the service manager this process is shutting down."""
    return notify("STOPPING=1")


def extend_timeout(seconds: float) -> bool:
    """Ask for `seconds` more before the start (or stop) times out: the process is still working."""
    return notify(f"EXTEND_TIMEOUT_USEC={int(seconds * 1_000_000)}")


def reloading() -> bool:
    """Tell the service manager a reload began (send `ready()` once it is over)."""
    return notify("RELOADING=1", f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}")


def probe_address(sock: socket.socket) -> tuple[str, int]:
    """Where to connect to reach a listening TCP socket (a wildcard address becomes loopback)."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return host, port


def http_ready(host: str, port: int, path: str, timeout: float = READY_PROBE_TIMEOUT_SECONDS) -> bool:
    """True when GET `path` on host:port answers 200."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"connection": "close"})
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def notify_when_http_ready(sock: socket.socket, path: str, stop: threading.Event) -> threading.Thread | None:
    """In a daemon thread of this process, probe `path` through `sock`'s address until it answers
    200, then send READY=1 (an app is ready once its socket accepts and what `path` checks, e.g.
    storage, answers). Nothing is started when no service manager listens."""
    if not os.environ.get(NOTIFY_SOCKET_ENV):
        return None
    host, port = probe_address(sock)

    def wait() -> None:
        while not stop.is_set():
            if http_ready(host, port, path):
                if not stop.is_set():
                    ready(f"serving on {host}:{port}")
                return
            stop.wait(READY_POLL_SECONDS)

    t = threading.Thread(target=wait, name="notify-ready", daemon=True)
    t.start()
    return t
