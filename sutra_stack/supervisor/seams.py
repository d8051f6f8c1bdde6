"""What a service actor is given from outside: its clock, its spawner, its checks and its host.

`Service` (service.py) decides; these seams do. The real ones start processes (`spawn_child`),
probe them (`RealChecks`) and read the loop's clock (`LoopClock`); tests hand fakes of the
same shapes, so every lifecycle case runs without a process or a real delay.

- `Instance`: one running instance of a service as the actor sees it (a `process.Child`).
- `Spawner`: starts an instance of a spec with an environment, listening fds and a marker.
- `Checks`: one readiness/liveness probe; the hand-over check of a new instance on shared sockets.
- `Host`: what the actor asks of the stack around it (the manager): notes, transitions,
  dependencies, listening sockets.
- `Clock`: wall time and timers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from sutra_stack.supervisor.logs import Pump, ServiceLog
from sutra_stack.supervisor.probes import run_probe
from sutra_stack.supervisor.process import Child, resolve_argv
from sutra_stack.supervisor.spec import ProbeSpec, ServiceSpec
from sutra_stack.supervisor.states import ServiceState

NO_PROBE_GRACE = 0.5  # seconds a reloaded instance without an event loop must stay up before its probe counts
HANDOVER_POLL = 0.02  # seconds between two looks at whether a new instance accepts on its sockets


class Instance(Protocol):
    pid: int
    argv: list[str]
    started: float  # wall time
    exited: asyncio.Future[int]  # resolved with the exit code (negative: the signal) as the exit happens
    unhealthy: bool  # stopped by the supervisor after liveness failures

    def signal_group(self, sig: int) -> None: ...
    async def finish(self) -> int: ...  # after the exit: kill what is left of it, drain its output
    def usage(self) -> tuple[float, int]: ...  # CPU % and RSS of it and its descendants
    def tail(self) -> list[str]: ...  # its last lines of output
    def listening(self, fresh: bool = False) -> list[str]: ...  # host:port of each TCP socket it listens on
    def accepting(self, inodes: set[int], full: bool) -> bool | None: ...


Spawner = Callable[[ServiceSpec, dict[str, str], list[int], str, ServiceLog], Instance]


def spawn_child(spec: ServiceSpec, env: dict[str, str], fds: list[int], marker: str, log: ServiceLog) -> Child:
    """The real spawner: the program found on the child's PATH, its output pumped into `log`."""
    argv = resolve_argv(spec.command, env, spec.cwd)
    child = Child(argv, env=env, cwd=spec.cwd, listen_fds=fds, marker=marker)
    child.pump = Pump(child.out_fd, log)
    return child


class Checks(Protocol):
    def probe(self, p: ProbeSpec) -> Awaitable[tuple[bool, str]]: ...
    def handover(self, inst: Instance, inodes: set[int], timeout: float) -> Awaitable[tuple[bool, str]]: ...


class RealChecks:
    """Probes run by `probes.run_probe` in the service's environment; the hand-over looks into /proc."""

    def __init__(self, spec: ServiceSpec, env: dict[str, str], cwd: Path) -> None:
        self.spec, self.env, self.cwd = spec, env, cwd

    async def probe(self, p: ProbeSpec) -> tuple[bool, str]:
        return await run_probe(p, self.env, self.cwd)

    async def handover(self, inst: Instance, inodes: set[int], timeout: float) -> tuple[bool, str]:
        """A second instance on shared sockets must accept on them itself (the probe may be answered by
        the old one), then pass its readiness probe, within `timeout`."""
        deadline = time.monotonic() + timeout
        rounds = 0
        while True:
            if inst.exited.done():
                return False, f"exited with {inst.exited.result()} before it was ready"
            rounds += 1
            # its descendants (workers) only now and then: listing them walks all of /proc, CPU the old
            # instance needs while it keeps serving
            full = rounds % 10 == 0
            state = inst.accepting(inodes, full)
            if state is True:
                break
            if state is None and full and time.time() - inst.started > NO_PROBE_GRACE:
                break  # no event loop to look into: trust the probe after a grace period
            if time.monotonic() > deadline:
                return False, f"not accepting on its sockets after ready_timeout={timeout:g}s"
            await asyncio.sleep(HANDOVER_POLL)
        p = self.spec.readiness
        if p is None:
            return True, "accepting (no readiness probe)"
        detail = "not probed yet"
        while not inst.exited.done():
            ok, detail = await self.probe(p)
            if ok:
                return True, detail
            if time.monotonic() > deadline:
                return False, f"not ready after ready_timeout={timeout:g}s: {detail}"
            await asyncio.sleep(p.period)
        return False, f"exited with {inst.exited.result()} before it was ready ({detail})"


class Host(Protocol):
    id: str

    def note(self, text: str) -> None: ...
    def on_transition(self, name: str, old: ServiceState, new: ServiceState, why: str) -> None: ...
    def deps_missing(self, spec: ServiceSpec) -> list[str]: ...
    def listen_fds(self, name: str) -> list[int]: ...  # binds them again when released; ConfigError if it cannot
    def release(self, name: str) -> None: ...  # close them: clients are refused, not left waiting
    def addresses(self, name: str) -> list[str]: ...
    def inodes(self, name: str) -> set[int]: ...


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def time(self) -> float: ...
    def call_later(self, delay: float, fn: Callable[[], Any]) -> Timer: ...


class LoopClock:
    """Wall time, and timers on the running event loop."""

    def time(self) -> float:
        return time.time()

    def call_later(self, delay: float, fn: Callable[[], Any]) -> Timer:
        return asyncio.get_running_loop().call_later(delay, fn)
