"""One supervised service: its instances, the run loop that restarts them, probes, stop, reload.

The run loop spawns an instance, watches readiness then liveness, awaits the exit (a
future resolved by the pidfd reader, so the exit is seen as it happens) and asks the
restart policy what next. `reload()` swaps instances without downtime when the service
has listening sockets: the new instance starts on the same sockets, must pass readiness,
then the old one gets its stop signal and drains; when the new one fails, the old one
keeps serving and the error is shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sutra_stack.supervisor.logs import Pump, ServiceLog
from sutra_stack.supervisor.probes import run_probe
from sutra_stack.supervisor.process import Child, resolve_argv
from sutra_stack.supervisor.restart import RestartPolicy
from sutra_stack.supervisor.sockets import accepting, inodes
from sutra_stack.supervisor.spec import ServiceSpec
from sutra_stack.supervisor.states import ALIVE, TRANSITIONS, ServiceState, StateMachine

if TYPE_CHECKING:
    from sutra_stack.supervisor.manager import Manager

NO_PROBE_GRACE = 0.5  # seconds a reloaded instance without readiness probe must stay up


class Service:
    def __init__(self, spec: ServiceSpec, mgr: Manager, log: ServiceLog, env: dict[str, str]) -> None:
        self.spec, self.mgr, self.log, self.env = spec, mgr, log, env
        self.sm = StateMachine(spec.name, mgr.on_transition)
        self.policy = RestartPolicy(spec)
        self.child: Child | None = None
        self.task: asyncio.Task[None] | None = None
        self.monitor: asyncio.Task[None] | None = None
        self.reload_lock = asyncio.Lock()
        self.cleanups: set[asyncio.Task[None]] = set()  # sweeps of exited instances, off the restart path
        self.instances = 0
        self.reloads = 0
        self.last_exit: int | None = None
        self.last_error = ""
        self.health = ""

    # ---- instances -------------------------------------------------------------------------
    def spawn(self) -> Child:
        argv = resolve_argv(self.spec.command, self.env, self.spec.cwd)
        self.instances += 1
        marker = f"{self.mgr.id}/{self.spec.name}/{self.instances}"
        child = Child(argv, env=self.env, cwd=self.spec.cwd, listen_fds=self.mgr.sockets.fds(self.spec.name),
                      marker=marker)
        child.pump = Pump(child.out_fd, self.log)
        self.mgr.note(f"{self.spec.name}: spawned pid {child.pid}: {' '.join(argv)[:200]}")
        return child

    async def terminate(self, child: Child) -> None:
        """Stop signal to the whole group, SIGKILL after stop_timeout, then every straggler."""
        if not child.exited.done():
            child.signal_group(self.spec.stop_signal)
            try:
                await asyncio.wait_for(asyncio.shield(child.exited), self.spec.stop_timeout)
            except TimeoutError:
                self.mgr.note(f"{self.spec.name}: pid {child.pid} still running after "
                              f"stop_timeout={self.spec.stop_timeout:g}s, sending SIGKILL")
                child.signal_group(signal.SIGKILL)
                await asyncio.shield(child.exited)
        await self.cleanup(child)

    async def cleanup(self, child: Child) -> None:
        child.signal_group(signal.SIGKILL)  # the group outlived its leader
        if await asyncio.to_thread(child.kill_descendants):
            self.mgr.note(f"{self.spec.name}: killed descendants of pid {child.pid} left behind")
        pump = child.pump
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(pump.done), 2.0)
        pump.close()
        task = asyncio.current_task()
        if task in self.cleanups:
            self.cleanups.discard(task)

    # ---- probes ----------------------------------------------------------------------------
    async def probe_until_ready(self, child: Child, timeout: float | None) -> tuple[bool, str]:
        """Run readiness until it passes, the child exits, or `timeout` passes."""
        p = self.spec.readiness
        if p is None:
            if timeout is None:
                return True, "running (no readiness probe)"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(child.exited), min(NO_PROBE_GRACE, timeout))
            if child.exited.done():
                return False, f"exited with {child.returncode}"
            return True, "running (no readiness probe)"
        deadline = None if timeout is None else time.monotonic() + timeout
        await self._sleep_or_exit(child, p.initial_delay)
        detail = "not probed yet"
        while not child.exited.done():
            ok, detail = await run_probe(p, self.env, self.spec.cwd)
            self.health = detail
            if ok:
                return True, detail
            if deadline is not None and time.monotonic() > deadline:
                return False, f"not ready after ready_timeout={timeout:g}s: {detail}"
            await self._sleep_or_exit(child, p.period)
        return False, f"exited with {child.returncode} before it was ready ({detail})"

    async def new_instance_ready(self, child: Child) -> tuple[bool, str]:
        """Readiness of a second instance on shared sockets: it must accept on them itself, since
        the probe may be answered by the old instance; then its readiness probe must pass."""
        deadline = time.monotonic() + self.spec.ready_timeout
        want = inodes(self.mgr.sockets.get(self.spec.name))
        rounds = 0
        while True:
            if child.exited.done():
                return False, f"exited with {child.returncode} before it was ready"
            rounds += 1
            # the process itself each round; its descendants (workers) now and then: listing them
            # walks all of /proc, CPU the old instance needs while it keeps serving
            full = rounds % 10 == 0
            state = accepting([child.pid, *(child.descendant_pids() if full else [])], want)
            if state is True:
                break
            if state is None and full and time.monotonic() - child.started > NO_PROBE_GRACE:
                break  # no event loop to look into: trust the probe after a grace period
            if time.monotonic() > deadline:
                return False, f"not accepting on its sockets after ready_timeout={self.spec.ready_timeout:g}s"
            await self._sleep_or_exit(child, 0.02)
        return await self.probe_until_ready(child, max(0.1, deadline - time.monotonic()))

    @staticmethod
    async def _sleep_or_exit(child: Child, seconds: float) -> None:
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(child.exited), seconds)

    async def watch_health(self, child: Child, ready: bool) -> None:
        """Readiness (unless already passed), then liveness for as long as the child lives."""
        if not ready:
            ok, detail = await self.probe_until_ready(child, None)
            if not ok or self.child is not child:
                return
            self.sm.to(ServiceState.READY, detail)
        p = self.spec.liveness
        if p is None:
            return
        await self._sleep_or_exit(child, p.initial_delay)
        failures = 0
        while not child.exited.done():
            ok, detail = await run_probe(p, self.env, self.spec.cwd)
            failures = 0 if ok else failures + 1
            if failures:
                self.health = f"liveness failed {failures}/{p.failure_threshold}: {detail}"
            if failures >= p.failure_threshold:
                self.mgr.note(f"{self.spec.name}: liveness failed {failures} times ({detail}), restarting")
                self.sm.to(ServiceState.RUNNING, "liveness failed")
                child.unhealthy = True
                child.signal_group(self.spec.stop_signal)
                await self._sleep_or_exit(child, self.spec.stop_timeout)
                child.signal_group(signal.SIGKILL)
                return
            await self._sleep_or_exit(child, p.period)

    # ---- the run loop ----------------------------------------------------------------------
    async def run(self, wait_deps: Callable[[Service], Any]) -> None:
        while True:
            self.sm.to(ServiceState.STARTING, "wanted")
            await wait_deps(self)
            try:
                child = self.spawn()
            except OSError as e:
                self.last_error = f"cannot start: {e}"
                self.mgr.note(f"{self.spec.name}: {self.last_error}")
                self.sm.to(ServiceState.FATAL, self.last_error)
                return
            self.child = child
            self.sm.to(ServiceState.RUNNING, f"pid {child.pid}")
            self.monitor = asyncio.create_task(self.watch_health(child, ready=False))
            if self.spec.readiness is None:
                self.sm.to(ServiceState.READY, "no readiness probe")
            while True:
                cur = self.child
                assert cur is not None
                code = await asyncio.shield(cur.exited)
                if self.reload_lock.locked():
                    async with self.reload_lock:
                        pass
                if self.child is cur:
                    break  # otherwise a reload swapped instances: watch the new one
            self.monitor.cancel()
            cur.signal_group(signal.SIGKILL)  # what is left of its group; the rest after the respawn
            self.cleanups.add(asyncio.create_task(self.cleanup(cur)))
            self.last_exit = code
            decision = self.policy.on_exit(code, time.time() - cur.started, cur.unhealthy)
            self.mgr.note(f"{self.spec.name}: pid {cur.pid} exited: {decision.why}")
            if decision.fatal:
                self.last_error = decision.why
                self.sm.to(ServiceState.FATAL, decision.why)
                return
            if not decision.restart:
                self.sm.to(ServiceState.EXITED, decision.why)
                return
            self.sm.to(ServiceState.BACKOFF, decision.why)
            if decision.delay:
                await asyncio.sleep(decision.delay)

    def start(self, wait_deps: Callable[[Service], Any]) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.run(wait_deps), name=f"run {self.spec.name}")
            self.task.add_done_callback(self._run_ended)

    def _run_ended(self, task: asyncio.Task[None]) -> None:
        """A bug in the run loop must show, not leave the service silently stuck."""
        if task.cancelled() or task.exception() is None:
            return
        e = task.exception()
        self.last_error = f"supervisor error: {e.__class__.__name__}: {e}"
        self.mgr.note(f"{self.spec.name}: {self.last_error}")
        if ServiceState.FATAL in TRANSITIONS[self.sm.state]:
            self.sm.to(ServiceState.FATAL, self.last_error)

    async def stop(self, why: str = "stop") -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None
        if self.monitor is not None:
            self.monitor.cancel()
        child, self.child = self.child, None
        if child is not None:
            if self.sm.state in (ServiceState.STARTING, ServiceState.RUNNING, ServiceState.READY):
                self.sm.to(ServiceState.STOPPING, why)
            await self.terminate(child)
            self.last_exit = child.returncode
        if self.cleanups:
            await asyncio.gather(*self.cleanups, return_exceptions=True)
        if self.sm.state != ServiceState.STOPPED:
            self.sm.to(ServiceState.STOPPED, why)

    # ---- reload ----------------------------------------------------------------------------
    async def reload(self, why: str, wait_deps: Callable[[Service], Any]) -> bool:
        """Restart on a code change; without downtime when the service has listening sockets."""
        if self.spec.reload == "none":
            return False
        if self.sm.state not in ALIVE or not self.spec.listen:
            self.mgr.note(f"{self.spec.name}: restarting ({why})")
            await self.stop(f"reload: {why}")
            self.policy.failures = 0
            self.start(wait_deps)
            return True
        async with self.reload_lock:
            old = self.child
            assert old is not None
            try:
                new = self.spawn()
            except OSError as e:
                self.last_error = f"reload failed: {e}"
                self.mgr.note(f"{self.spec.name}: {self.last_error}; pid {old.pid} keeps serving")
                return False
            self.mgr.note(f"{self.spec.name}: reloading ({why}): new pid {new.pid} on the same sockets")
            ok, detail = await self.new_instance_ready(new)
            if self.task is None or self.child is not old:  # stopped meanwhile: drop the new instance
                await self.terminate(new)
                return False
            if not ok or old.exited.done():
                await self.terminate(new)
                self.last_error = f"reload failed: new instance {detail}"
                self.mgr.note(f"{self.spec.name}: {self.last_error}; pid {old.pid} keeps serving")
                return False
            self.child = new
            if self.monitor is not None:
                self.monitor.cancel()
            self.monitor = asyncio.create_task(self.watch_health(new, ready=True))
            self.reloads += 1
            self.last_error = ""
            self.mgr.note(f"{self.spec.name}: pid {new.pid} ready ({detail}); stopping pid {old.pid}")
        await self.terminate(old)
        return True

    # ---- status ----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        c = self.child
        alive = c is not None and not c.exited.done()
        cpu, rss = c.usage() if alive and c is not None else (0.0, 0)
        ports = self.mgr.sockets.addresses(self.spec.name)
        for p in (self.spec.readiness, self.spec.liveness):
            if p is not None and p.port and f"{p.host}:{p.port}" not in ports:
                ports.append(f"{p.host}:{p.port}")
        return {
            "name": self.spec.name, "state": str(self.sm.state), "pid": c.pid if alive and c else None,
            "uptime": round(time.time() - c.started, 3) if alive and c else None,
            "since": self.sm.since, "restarts": self.policy.restarts, "reloads": self.reloads,
            "health": self.health, "ports": ports, "cpu_percent": round(cpu, 1), "memory_bytes": rss,
            "last_exit": self.last_exit, "last_error": self.last_error,
            "transitions": [{"at": round(t, 3), "state": str(st), "why": why} for t, st, why in self.sm.history[-10:]],
        }
