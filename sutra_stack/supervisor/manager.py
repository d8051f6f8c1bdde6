"""The supervisor process: asyncio orchestration of every service of one stack.

Starts services in dependency order (each waits for its dependencies' conditions:
started, healthy, completed), reacts to exits as they happen (pidfd readers, SIGCHLD for
orphans; no polling tick), serves the control socket, reloads on file changes and stops
everything in reverse dependency order on SIGINT/SIGTERM or `sutra down`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import hashlib
import os
import signal
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from sutra_stack import libc, notify
from sutra_stack.config import LoadedConfig
from sutra_stack.errors import FailedPrecondition, NotFound
from sutra_stack.supervisor.control import SOCKET_ENV, STATE_DIR_ENV, TOKEN_ENV, ControlServer, ensure_admin_token
from sutra_stack.supervisor.events import DepsChanged
from sutra_stack.supervisor.logs import Console, ServiceLog, log_dir
from sutra_stack.supervisor.process import kill_all, reap_orphans, start_guard
from sutra_stack.supervisor.reload import watch
from sutra_stack.supervisor.service import Service
from sutra_stack.supervisor.sockets import SocketSet, inodes
from sutra_stack.supervisor.spec import ServiceSpec, StackSpec
from sutra_stack.supervisor.states import ServiceState


def run_dir(stack: StackSpec) -> Path:
    return stack.supervisor.state_dir / "run"


CHANGES_KEPT = 1_000  # transitions the control socket's `events` can give back
UNIX_PATH_MAX = 100  # sun_path holds 108 bytes on Linux; keep a margin


def control_path(stack: StackSpec) -> Path:
    """`.sutra/run/control.sock`; under /tmp/sutra-UID/ when that path is too long for a unix socket."""
    path = run_dir(stack) / "control.sock"
    if len(os.fsencode(path)) <= UNIX_PATH_MAX:
        return path
    digest = hashlib.sha256(os.fsencode(path)).hexdigest()[:16]
    short = Path(tempfile.gettempdir()) / f"sutra-{os.getuid()}"
    short.mkdir(mode=0o700, exist_ok=True)
    if short.stat().st_uid != os.getuid() or short.stat().st_mode & 0o077:
        raise FailedPrecondition(f"{short} must be a directory of yours with mode 0700 (for {path})")
    return short / f"{digest}.sock"


class AlreadyRunning(FailedPrecondition):
    pass


class Manager:
    """The stack: one `Service` actor per service, and the `Host` each of them asks (seams.py)."""

    def __init__(self, loaded: LoadedConfig, stack: StackSpec, console: Console | None = None) -> None:
        self.loaded, self.stack, self.console = loaded, stack, console
        self.id = uuid.uuid4().hex[:12]
        self.started = time.time()
        self.sockets = SocketSet()
        self.shutdown = asyncio.Event()
        self.stack_ready_said = False
        sup = stack.supervisor
        self.events = ServiceLog("sutra", log_dir(stack), sup.log_max_bytes, sup.log_backups, console)
        base_env = {**os.environ, **loaded.child_env(), "PYTHONUNBUFFERED": "1"}
        base_env.pop("LISTEN_FDS", None)
        base_env.pop("LISTEN_PID", None)
        # under systemd the supervisor is the service: it says READY=1 once the stack is; a child
        # notifying the same socket would speak for the whole unit (or be dropped by NotifyAccess=main)
        base_env.pop(notify.NOTIFY_SOCKET_ENV, None)
        base_env[SOCKET_ENV] = str(control_path(stack))  # sutra-control asks the supervisor through it
        base_env[STATE_DIR_ENV] = str(stack.supervisor.state_dir.resolve())
        if not loaded.settings["control.token"]:  # the admin token sutra-control needs: made at first start
            base_env[TOKEN_ENV] = ensure_admin_token(stack.supervisor.state_dir)
        self.services: dict[str, Service] = {}
        for name, spec in stack.services.items():
            env = dict(base_env)
            for f in spec.env_files:
                env.update({k: v for k, v in dotenv_values(f).items() if v is not None})
            env.update(spec.env)
            log = ServiceLog(name, log_dir(stack), sup.log_max_bytes, sup.log_backups, console)
            self.services[name] = Service(spec, self, log, env)
        self.wanted: list[str] = []  # the services `sutra up` was asked for, with their dependencies
        self._lock_fd: int | None = None
        self._guard: Any = None
        self._control: ControlServer | None = None
        self._watcher: asyncio.Task[None] | None = None
        # every service's transitions, numbered, for the control socket's `events` (sutra-control)
        self.changes: collections.deque[dict[str, Any]] = collections.deque(maxlen=CHANGES_KEPT)
        self.change_seq = 0
        self.changed = asyncio.Event()

    # ---- the host of every service (seams.Host) ------------------------------------------
    def note(self, text: str) -> None:
        self.events.note(text)

    def on_transition(self, name: str, old: ServiceState, new: ServiceState, why: str) -> None:
        self.note(f"{name}: {old} -> {new}" + (f" ({why})" if why else ""))
        self.change_seq += 1
        self.changes.append({"seq": self.change_seq, "at": round(time.time(), 3), "service": name,
                             "old": str(old), "state": str(new), "why": why})
        self.changed.set()
        self.changed = asyncio.Event()
        if new == ServiceState.READY:
            addrs = self.services[name].addresses(urls=True) if name in self.services else []
            if addrs:
                self.note(f"{name}: ready at {', '.join(addrs)}")
        for svc in self.services.values():
            if svc.spec.name != name:
                svc.post(DepsChanged(name))
        self._say_stack_ready(name, new)

    def _say_stack_ready(self, name: str, new: ServiceState) -> None:
        """One line once every wanted service is ready (or completed); again after it was not."""
        if not self.wanted or name not in self.wanted:
            return
        done = all(self.services[n].state == ServiceState.READY
                   or (self.services[n].state == ServiceState.EXITED and self.services[n].last_exit == 0)
                   for n in self.wanted)
        if done and not self.stack_ready_said:
            self.stack_ready_said = True
            self.note(f"stack ready: {', '.join(self.wanted)} (`sutra status` for details)")
            notify.ready(f"stack ready: {', '.join(self.wanted)}")
        elif not done and new in (ServiceState.STOPPING, ServiceState.BACKOFF, ServiceState.FATAL):
            self.stack_ready_said = False

    def deps_missing(self, spec: ServiceSpec) -> list[str]:
        missing = []
        for d in spec.depends_on:
            dep = self.services[d.name]
            st = dep.state
            ok = (
                (d.condition == "started" and st in (ServiceState.RUNNING, ServiceState.READY))
                or (d.condition == "healthy" and st == ServiceState.READY)
                or (d.condition == "completed" and st == ServiceState.EXITED and dep.last_exit == 0)
            )
            if not ok:
                missing.append(f"{d.name} ({d.condition}, now {st})")
        return missing

    def listen_fds(self, name: str) -> list[int]:
        return self.sockets.fds(name)

    def release(self, name: str) -> None:
        self.sockets.release(name)

    def addresses(self, name: str) -> list[str]:
        return self.sockets.addresses(name)

    def inodes(self, name: str) -> set[int]:
        return inodes(self.sockets.get(name))

    # ---- commands (the control socket's seam) ----------------------------------------------
    def service(self, name: str) -> Service:
        """The service called `name`; NotFound naming the services there are."""
        if name not in self.services:
            raise NotFound(f"no service {name!r} (services: {', '.join(self.services)})")
        return self.services[name]

    def start(self, names: list[str] | None = None) -> list[str]:
        order = self.stack.order(names)
        for n in order:
            self.services[n].start("wanted")
        return order

    async def stop(self, name: str) -> None:
        await self.service(name).stop("stopped by request")

    async def restart(self, name: str) -> None:
        await self.service(name).stop("restart requested", then_start=True)

    async def reload(self, names: list[str], why: str) -> None:
        """Reload the services (and what depends on them) in dependency order, never reload = none."""
        affected: set[str] = set()
        for n in names:
            affected.add(n)
            affected.update(self.stack.dependents(n))
        for n in self.stack.services:
            if n in affected and self.services[n].spec.reload != "none":
                await self.services[n].reload(why)

    async def down(self) -> None:
        """Stop every service, dependents before their dependencies."""
        for name in reversed(list(self.services)):
            await self.services[name].stop("shutdown")

    def status(self) -> list[dict[str, Any]]:
        return [s.status() for s in self.services.values()]

    def supervisor_status(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "uptime": round(time.time() - self.started, 3), "config": self.stack.where,
                "id": self.id, "log_dir": str(self.log_dir())}

    def log_dir(self) -> Path:
        return log_dir(self.stack)

    async def changes_after(self, after: int, wait: float) -> dict[str, Any]:
        """The transitions numbered after `after` (waiting up to `wait` seconds for one), with this
        supervisor's id: numbers start again with a new supervisor."""
        if self.change_seq <= after and wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), wait)
        return {"supervisor_id": self.id, "last": self.change_seq,
                "events": [c for c in self.changes if c["seq"] > after]}

    def data_dir(self) -> Path:
        return (self.stack.root / self.loaded.settings["storage.path"]).resolve()

    # ---- lifetime --------------------------------------------------------------------------
    def lock(self) -> None:
        rd = run_dir(self.stack)
        rd.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(rd, 0o700)
        fd = os.open(rd / "supervisor.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode().strip()
            os.close(fd)
            raise AlreadyRunning(f"a supervisor is already running for {self.stack.root} (pid {pid or '?'}): "
                                 "use `sutra status`, `sutra logs` or `sutra down`") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    async def run(self, names: list[str] | None = None) -> None:
        """Supervise until SIGINT/SIGTERM or `down`; everything is stopped on the way out."""
        self.lock()
        loop = asyncio.get_running_loop()
        try:
            for n in self.stack.order(names):
                self.sockets.bind(n, self.stack.services[n].listen)
            libc.become_subreaper()
            self._guard = start_guard(self.id)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # HUP: the terminal went away
                loop.add_signal_handler(sig, self._on_stop_signal)
            loop.add_signal_handler(signal.SIGCHLD, reap_orphans)
            self._control = ControlServer(self, control_path(self.stack))
            await self._control.start()
            self.note(f"supervisor pid {os.getpid()} for {self.stack.where}; control socket {control_path(self.stack)}")
            for svc in self.services.values():
                svc.run()
            order = self.wanted = self.start(names)
            if any(self.services[n].spec.watch for n in order):
                self._watcher = asyncio.create_task(watch(self, order))
            await self.shutdown.wait()
        finally:
            await self.close()

    def _on_stop_signal(self) -> None:
        """First Ctrl-C / SIGTERM: ordered shutdown. A second one: SIGKILL every service now."""
        if not self.shutdown.is_set():
            self.shutdown.set()
            return
        self.note("second stop signal: killing every service now")
        kill_all()

    async def close(self) -> None:
        self.note("shutting down")
        notify.stopping()
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watcher
        await self.down()
        for svc in self.services.values():
            await svc.close()
        if self._control is not None:
            await self._control.close()
        self.sockets.close()
        if self._guard is not None:
            self._guard.stdin.close()  # the guard sweeps any straggler and exits
            with contextlib.suppress(Exception):
                self._guard.wait(5)
        self.note("stopped")
        for s in self.services.values():
            s.log.close()
        self.events.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
