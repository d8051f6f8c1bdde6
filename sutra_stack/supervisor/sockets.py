"""Listening sockets the supervisor owns and hands to each instance of a service.

They are bound once, when the supervisor starts, and survive every restart and reload, so
a new instance accepts on the very socket the old one used: no connection is refused while
code is swapped. They are handed with systemd's socket-activation convention: descriptors
from 3 (`SD_LISTEN_FDS_START`), `LISTEN_FDS` = how many, `LISTEN_PID` = the child's pid
(set in the child after fork, see `process.py`). `sutra_stack.apps.common.sockets` is the
receiving side.
"""

from __future__ import annotations

import os
import socket

from sutra_stack.errors import ConfigError

SD_LISTEN_FDS_START = 3
BACKLOG = 2048


def bind_listen(host: str, port: int, where: str = "") -> socket.socket:
    """A listening TCP socket; a clear error when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise ConfigError(f"{where}cannot listen on {host}:{port}: {e.strerror} "
                          "(another process has it? change the port or stop that process)") from None
    sock.listen(BACKLOG)
    return sock


class SocketSet:
    """The bound sockets of every service, by service name.

    A service's sockets are released (closed) while it is stopped or fatal, so its clients are
    refused instead of waiting on a socket nobody accepts on; they are bound again when it starts.
    """

    def __init__(self) -> None:
        self._by_service: dict[str, list[socket.socket]] = {}
        self._addrs: dict[str, tuple[tuple[str, int], ...]] = {}

    def bind(self, service: str, addrs: tuple[tuple[str, int], ...]) -> list[socket.socket]:
        if service not in self._by_service:
            socks: list[socket.socket] = []
            try:
                for host, port in addrs:
                    socks.append(bind_listen(host, port, f"services.{service}.listen: "))
            except BaseException:
                for s in socks:
                    s.close()
                raise
            self._by_service[service] = socks
            # port 0 picked a port: a release and a bind again keep it
            self._addrs[service] = tuple((host, s.getsockname()[1]) for (host, _), s in zip(addrs, socks, strict=True))
        return self._by_service[service]

    def get(self, service: str) -> list[socket.socket]:
        return self._by_service.get(service, [])

    def fds(self, service: str) -> list[int]:
        """The service's sockets' descriptors, bound again first if they were released."""
        if service in self._addrs and service not in self._by_service:
            self.bind(service, self._addrs[service])
        return [s.fileno() for s in self._by_service.get(service, [])]

    def release(self, service: str) -> None:
        for s in self._by_service.pop(service, []):
            s.close()

    def addresses(self, service: str) -> list[str]:
        out = []
        for s in self._by_service.get(service, []):
            host, port = s.getsockname()[:2]
            out.append(f"{host}:{port}")
        return out

    def close(self) -> None:
        for socks in self._by_service.values():
            for s in socks:
                s.close()
        self._by_service.clear()


def inodes(socks: list[socket.socket]) -> set[int]:
    return {os.fstat(s.fileno()).st_ino for s in socks}


def accepting(pids: list[int], want: set[int]) -> bool | None:
    """Whether one of `pids` waits for connections on a socket of `want` (by inode).

    During a reload two instances share the listening socket, so a probe on its port may be
    answered by the old one. An event-loop server that accepts has the socket registered in
    its epoll set, which /proc/PID/fdinfo lists (`tfd: N ... ino:HEX`). None when no process
    has an epoll set at all (a threaded server): the caller then falls back to its probe.
    """
    seen_epoll = False
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:[eventpoll]":
                    continue
                with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                    info = f.read()
            except OSError:
                continue
            seen_epoll = True
            for line in info.splitlines():
                ino = line.rsplit(" ino:", 1)[-1].split()[0] if line.startswith("tfd:") and " ino:" in line else ""
                if ino and int(ino, 16) in want:
                    return True
    return False if seen_epoll else None
