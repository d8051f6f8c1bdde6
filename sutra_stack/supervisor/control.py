"""The control socket: a unix socket under `.sutra/run/` (mode 0600, directory 0700).

One JSON object per line in, one JSON object per line out:
`{"cmd": "status"}`, `{"cmd": "logs", "service": "api", "n": 100}`,
`{"cmd": "start" | "stop" | "restart", "service": "api"}`, `{"cmd": "down"}`.
Answers are `{"ok": true, ...}` or `{"ok": false, "error": {"code", "message"}}`.
`call()` is the client side used by the CLI (and the dashboard).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sutra_stack.errors import InvalidArgument, SutraError, Unavailable
from sutra_stack.supervisor.logs import log_dir, read_lines

if TYPE_CHECKING:
    from sutra_stack.supervisor.manager import Manager

MAX_REQUEST_BYTES = 64 * 1024


class ControlServer:
    def __init__(self, mgr: Manager, path: Path) -> None:
        self.mgr, self.path = mgr, path
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a supervisor that was killed; we hold the lock
        old = os.umask(0o177)
        try:
            self.server = await asyncio.start_unix_server(self._client, path=str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 1.0)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _client(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            line = await r.readline()
            if len(line) > MAX_REQUEST_BYTES:
                raise InvalidArgument(f"request larger than {MAX_REQUEST_BYTES} bytes")
            try:
                req = json.loads(line or b"{}")
            except ValueError:
                raise InvalidArgument("request is not JSON") from None
            out = {"ok": True, **(await self.handle(req))}
        except SutraError as e:
            out = {"ok": False, "error": e.to_dict()}
        except Exception as e:  # noqa: BLE001 - answer, never crash the supervisor
            out = {"ok": False, "error": {"code": "INTERNAL", "message": f"{e.__class__.__name__}: {e}"}}
        with contextlib.suppress(ConnectionError):
            w.write(json.dumps(out).encode() + b"\n")
            await w.drain()
            w.close()

    async def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        mgr = self.mgr
        cmd = req.get("cmd")
        service = req.get("service")
        if cmd == "status":
            return {"supervisor": {"pid": os.getpid(), "uptime": round(time.time() - mgr.started, 3),
                                   "config": mgr.stack.where}, "services": mgr.status()}
        if cmd == "logs":
            n = int(req.get("n", 100))
            names = [service] if service else list(mgr.services)
            return {"lines": {s: read_lines(log_dir(mgr.stack), s, n) for s in names}}
        if cmd in ("start", "stop", "restart"):
            if not isinstance(service, str):
                raise InvalidArgument(f"{cmd} needs a service name", field="service")
            mgr._get(service)
            if cmd == "start":
                return {"started": mgr.start([service])}
            if cmd == "stop":
                await mgr.stop(service)
            else:
                await mgr.restart(service)
            return {}
        if cmd == "down":
            asyncio.get_running_loop().call_soon(mgr.shutdown.set)
            return {}
        raise InvalidArgument(f"unknown command {cmd!r} (status, logs, start, stop, restart, down)", field="cmd")


def call(path: Path, req: dict[str, Any], timeout: float = 120.0) -> dict[str, Any]:
    """Send one request to a running supervisor; Unavailable when none is running."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError) as e:
        s.close()
        raise Unavailable(f"no supervisor is running here ({path}: {e.strerror})") from None
    with s:
        s.sendall(json.dumps(req).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
    if not buf:
        raise Unavailable("the supervisor closed the control socket without answering")
    out = json.loads(buf)
    if not out.get("ok"):
        err = out.get("error", {})
        raise SutraError.from_code(err.get("code", "INTERNAL"), err.get("message", "?"), err.get("field"))
    return out
