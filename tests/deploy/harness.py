"""A stand-in service manager for readiness tests: a datagram socket `$NOTIFY_SOCKET` points at.

`NotifySocket()` binds an AF_UNIX datagram socket (an abstract `@name` by default, or a path)
with SO_PASSCRED, so each message comes with the pid that sent it, as systemd sees it.
"""

from __future__ import annotations

import os
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

UCRED = struct.Struct("3i")  # pid, uid, gid


@dataclass(frozen=True)
class Message:
    fields: dict[str, str]
    pid: int


class NotifySocket:
    def __init__(self, path: Path | None = None) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        if path is None:
            name = f"sutra-notify-test-{os.getpid()}-{id(self)}"
            self.sock.bind("\0" + name)
            self.env_value = "@" + name
        else:
            self.sock.bind(str(path))
            self.env_value = str(path)

    def __enter__(self) -> NotifySocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    @property
    def env(self) -> dict[str, str]:
        return {"NOTIFY_SOCKET": self.env_value}

    def receive(self, timeout: float | None) -> Message | None:
        """The next message, or None when none came within `timeout` seconds (0: only one queued now)."""
        self.sock.settimeout(timeout)
        try:
            data, ancdata, _flags, _addr = self.sock.recvmsg(4096, socket.CMSG_SPACE(UCRED.size))
        except (TimeoutError, BlockingIOError):
            return None
        pid = 0
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = UCRED.unpack(payload[: UCRED.size])[0]
        fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
        return Message(fields, pid)

    def wait_for(self, key: str, timeout: float = 60.0) -> Message:
        """The first message carrying `key` (e.g. READY; "": any) within `timeout`; earlier ones are skipped."""
        while True:
            m = self.receive(timeout)
            if m is None:
                raise TimeoutError(f"no {key or 'notify'}= message within {timeout}s")
            if not key or key in m.fields:
                return m
