"""The control socket: a unix socket under `.sutra/run/` (mode 0600, directory 0700).

One JSON object per line in, one JSON object per line out:
`{"v": 2, "cmd": "status"}`, `{"v": 2, "cmd": "logs", "service": "api", "n": 100}`,
`{"v": 2, "cmd": "start" | "stop" | "restart", "service": "api"}`, `{"v": 2, "cmd": "down"}`.
Answers are `{"ok": true, "v": 2, ...}` or `{"ok": false, "v": 2, "error": {"code", "message"}}`.

Version 3 adds what sutra-control needs:
- `{"cmd": "events", "after": SEQ, "wait": SECONDS}`: every service's transitions numbered after SEQ
  (the last `CHANGES_KEPT`), waiting up to `wait` (at most `MAX_EVENTS_WAIT_SECONDS`) for one:
  `{"supervisor_id", "last", "events": [{"seq", "at", "service", "old", "state", "why"}]}`. Numbers
  start again with a new supervisor (another `supervisor_id`). `after: 0` is the history kept.
- `{"cmd": "log_page", "service": NAME, "before" | "after": CURSOR, "limit": N, "text": FILTER}`:
  one page of a service's log across its rotated files (`logs.read_page`): `{"lines": [{"at",
  "text", "cursor"}], "first", "next"}`; `before` pages back, `after` follows, neither is the tail.
- `status` rows carry `cpu_percent` and `memory_bytes` sampled at each call, and `supervisor` its
  `id` and `log_dir`.

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
import secrets
import socket
from pathlib import Path
from typing import Any, Protocol

from sutra_stack.errors import FailedPrecondition, InvalidArgument, SutraError, Unavailable
from sutra_stack.supervisor.logs import read_lines, read_page

PROTOCOL_VERSION = 3  # 1: the unversioned protocol (no "v"); 2: status, logs, actions; 3: events, log_page
MAX_REQUEST_BYTES = 64 * 1024
MAX_EVENTS_WAIT_SECONDS = 30.0  # an `events` request waits at most this long for a transition
MAX_LOG_PAGE_LINES = 1_000  # lines in one `log_page` answer
SOCKET_ENV = "SUTRA_SUPERVISOR_SOCKET"  # every child is told where the control socket is (sutra-control)
STATE_DIR_ENV = "SUTRA_SUPERVISOR_STATE_DIR"  # ... and where the state directory is (sutra-control's jobs)
TOKEN_ENV = "SUTRA_CONTROL_TOKEN"  # control.token's variable: the generated one when none is configured
TOKEN_FILE = "control.token"  # under the state directory, 0600


def token_path(state_dir: Path) -> Path:
    """Where `sutra up` keeps the admin token it generated (`sutra status` says so)."""
    return state_dir / TOKEN_FILE


def ensure_admin_token(state_dir: Path) -> str:
    """The generated admin token of sutra-control: read from the state directory, made there (0600) the
    first time. Used when control.token is not configured, so actions never go without one."""
    path = token_path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC)
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token


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
    async def changes_after(self, after: int, wait: float) -> dict[str, Any]: ...
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
        if cmd == "events":
            after, wait = _number(req, "after", 0), min(float(_number(req, "wait", 0)), MAX_EVENTS_WAIT_SECONDS)
            return await sup.changes_after(int(after), max(0.0, wait))
        if cmd == "log_page":
            if not isinstance(service, str) or (service not in sup.services and service != "sutra"):
                raise InvalidArgument(f"log_page needs a service name (services: {', '.join(sup.services)}, sutra)",
                                      field="service")
            limit = int(_number(req, "limit", 100))
            if not 1 <= limit <= MAX_LOG_PAGE_LINES:
                raise InvalidArgument(f"limit must be 1..MAX_LOG_PAGE_LINES={MAX_LOG_PAGE_LINES}", field="limit")
            before, after_c, text = req.get("before"), req.get("after"), req.get("text") or ""
            if not all(x is None or isinstance(x, str) for x in (before, after_c, text)):
                raise InvalidArgument("before, after and text are strings", field="cursor")
            return await asyncio.to_thread(read_page, sup.log_dir(), service, before=before, after=after_c,
                                           limit=limit, text=text)
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
        raise InvalidArgument(f"unknown command {cmd!r} (status, events, logs, log_page, start, stop, restart, down)",
                              field="cmd")


def _number(req: dict[str, Any], key: str, default: float) -> float:
    value = req.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgument(f"{key} must be a number", field=key)
    return value


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
