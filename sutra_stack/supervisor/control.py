"""The control socket: a unix socket under `.sutra/run/` (mode 0600, directory 0700).

One JSON object per line in, one JSON object per line out:
`{"v": 2, "cmd": "status"}`, `{"v": 2, "cmd": "logs", "service": "api", "n": 100}`,
`{"v": 2, "cmd": "start" | "stop" | "restart", "service": "api"}`, `{"v": 2, "cmd": "down"}`.
Answers are `{"ok": true, "v": 2, ...}` or `{"ok": false, "v": 2, "error": {"code", "message"}}`.

`v` is `PROTOCOL_VERSION`. A supervisor refuses a request of another version (FAILED_PRECONDITION)
and a client refuses an answer of another version, both saying to restart `sutra up`: the
supervisor was started by another release of sutra than the command talking to it. `down` is
served whatever the version, so that restart is always possible. `call()` is the client side
used by the CLI (and the dashboard); `Supervised` is what the server needs of the supervisor.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from pathlib import Path
from typing import Any, Protocol

from sutra_stack.errors import FailedPrecondition, InvalidArgument, SutraError, Unavailable
from sutra_stack.supervisor.logs import read_lines

PROTOCOL_VERSION = 2  # 1: the unversioned protocol (no "v")
MAX_REQUEST_BYTES = 64 * 1024


def version_mismatch(supervisor_v: object, client_v: object) -> FailedPrecondition:
    return FailedPrecondition(
        f"the running supervisor speaks control protocol {supervisor_v} and this sutra command {client_v}: "
        "it was started by another release of sutra. Restart `sutra up` (`sutra down`, then `sutra up`) "
        "to use this one.")


class Supervised(Protocol):
    """What the control socket asks of the supervisor (the manager)."""

    shutdown: asyncio.Event
    services: Any

    def status(self) -> list[dict[str, Any]]: ...
    def supervisor_status(self) -> dict[str, Any]: ...
    def log_dir(self) -> Path: ...
    def service(self, name: str) -> Any: ...  # NotFound when there is none
    def start(self, names: list[str] | None = None) -> list[str]: ...
    async def stop(self, name: str) -> None: ...
    async def restart(self, name: str) -> None: ...


class ControlServer:
    def __init__(self, sup: Supervised, path: Path) -> None:
        self.sup, self.path = sup, path
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
                raise InvalidArgument(f"request larger than MAX_REQUEST_BYTES={MAX_REQUEST_BYTES}")
            try:
                req = json.loads(line or b"{}")
            except ValueError:
                raise InvalidArgument("request is not JSON") from None
            if not isinstance(req, dict):
                raise InvalidArgument("request must be a JSON object")
            if req.get("v", 1) != PROTOCOL_VERSION and req.get("cmd") != "down":
                raise version_mismatch(PROTOCOL_VERSION, req.get("v", 1))
            out = {"ok": True, **(await self.handle(req))}
        except SutraError as e:
            out = {"ok": False, "error": e.to_dict()}
        except Exception as e:  # noqa: BLE001 - answer, never crash the supervisor
            out = {"ok": False, "error": {"code": "INTERNAL", "message": f"{e.__class__.__name__}: {e}"}}
        out["v"] = PROTOCOL_VERSION
        with contextlib.suppress(ConnectionError):
            w.write(json.dumps(out).encode() + b"\n")
            await w.drain()
            w.close()

    async def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        sup = self.sup
        cmd = req.get("cmd")
        service = req.get("service")
        if cmd == "status":
            return {"supervisor": sup.supervisor_status(), "services": sup.status()}
        if cmd == "logs":
            n = int(req.get("n", 100))
            names = [service] if service else list(sup.services)
            return {"lines": {s: read_lines(sup.log_dir(), s, n) for s in names}}
        if cmd in ("start", "stop", "restart"):
            if not isinstance(service, str):
                raise InvalidArgument(f"{cmd} needs a service name", field="service")
            sup.service(service)
            if cmd == "start":
                return {"started": sup.start([service])}
            if cmd == "stop":
                await sup.stop(service)
            else:
                await sup.restart(service)
            return {}
        if cmd == "down":
            asyncio.get_running_loop().call_soon(sup.shutdown.set)
            return {}
        raise InvalidArgument(f"unknown command {cmd!r} (status, logs, start, stop, restart, down)", field="cmd")


def call(path: Path, req: dict[str, Any], timeout: float = 120.0) -> dict[str, Any]:
    """Send one request to a running supervisor; Unavailable when none is running, FailedPrecondition
    when it speaks another protocol version."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError) as e:
        s.close()
        raise Unavailable(f"no supervisor is running here ({path}: {e.strerror})") from None
    with s:
        s.sendall(json.dumps({"v": PROTOCOL_VERSION, **req}).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
    if not buf:
        raise Unavailable("the supervisor closed the control socket without answering")
    try:
        out = json.loads(buf)
    except ValueError:
        raise version_mismatch("?", PROTOCOL_VERSION) from None
    if not isinstance(out, dict) or (out.get("v", 1) != PROTOCOL_VERSION and req.get("cmd") != "down"):
        raise version_mismatch(out.get("v", 1) if isinstance(out, dict) else "?", PROTOCOL_VERSION)
    if not out.get("ok"):
        err = out.get("error", {})
        raise SutraError.from_code(err.get("code", "INTERNAL"), err.get("message", "?"), err.get("field"))
    return out
