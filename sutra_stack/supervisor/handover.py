"""Reload of a service: the hand-over from the serving instance to a new one on the same sockets.

Part of the service actor (service.py), kept apart for size: these handlers run inside
`Service.handle()` like every other, on the `Reload` event and on the hand-over check's answer.
A service without listening sockets, or not running, is restarted instead. The new instance
takes over only once it accepts on the shared sockets and passes readiness; until then the old
one serves, and a failed hand-over (the check fails, the new instance exits, a stop comes) leaves
it serving with the error shown. The old one exiting during the hand-over is a crash: the new
one is stopped too and the restart policy decides.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sutra_stack.errors import SutraError
from sutra_stack.supervisor.events import Probed, Reload, Stop
from sutra_stack.supervisor.seams import Checks, Host, Instance
from sutra_stack.supervisor.spec import ServiceSpec
from sutra_stack.supervisor.states import ALIVE, ServiceState

S = ServiceState


@dataclass
class Handover:
    inst: Instance
    why: str
    done: list[asyncio.Future[bool]] = field(default_factory=list)


class Reloading:
    """The reload handlers of `Service`; the attributes and methods below are the actor's."""

    spec: ServiceSpec
    host: Host
    checks: Checks
    child: Instance | None
    handover: Handover | None
    reload_next: Reload | None
    gen: int
    probing: set[str]
    reloads: int
    last_error: str
    liveness_failures: int

    if TYPE_CHECKING:
        @property
        def state(self) -> ServiceState: ...
        def post(self, ev: Any) -> None: ...
        def _spawn(self) -> Instance: ...
        def _signal(self, inst: Instance) -> None: ...
        def _on_stop(self, ev: Stop) -> None: ...
        def _probe_later(self, kind: str, delay: float) -> None: ...

    # ---- reload -----------------------------------------------------------------------------
    def _on_reload(self, ev: Reload) -> None:
        if self.spec.reload == "none" or self.state in (S.STOPPED, S.STOPPING):
            resolve(ev.done, False)  # never reloaded, or stopped on purpose: a code change does not start it
            return
        if self.handover is not None:
            self.reload_next = ev  # one more reload once this hand-over ends
            if self.reload_next.done is not None:
                self.handover.done.append(self.reload_next.done)
                self.reload_next = Reload(ev.why)
            return
        if self.state not in ALIVE or not self.spec.listen or self.child is None:
            self.host.note(f"{self.spec.name}: restarting ({ev.why})")
            self._on_stop(Stop(f"reload: {ev.why}", then_start=True))
            resolve(ev.done, True)
            return
        old = self.child
        try:
            new = self._spawn()
        except (OSError, SutraError) as e:
            self.last_error = f"reload failed: {e}"
            self.host.note(f"{self.spec.name}: {self.last_error}; pid {old.pid} keeps serving")
            resolve(ev.done, False)
            return
        self.handover = Handover(new, ev.why, [ev.done] if ev.done is not None else [])
        self.host.note(f"{self.spec.name}: reloading ({ev.why}): new pid {new.pid} on the same sockets")
        inodes, timeout = self.host.inodes(self.spec.name), self.spec.ready_timeout

        async def check() -> None:
            ok, detail = await self.checks.handover(new, inodes, timeout)
            self.post(Probed(new, "handover", 0, ok, detail))

        asyncio.create_task(check(), name=f"hand-over {self.spec.name} {new.pid}")

    def _on_handover(self, ev: Probed) -> None:
        ho = self.handover
        if ho is None or ev.inst is not ho.inst or ev.inst.exited.done():
            return  # already decided (the new instance exited, or a stop came first)
        old = self.child
        if not ev.ok or old is None:
            self._signal(ho.inst)
            self._handover_failed(f"new instance {ev.detail}")
            return
        self.handover = None
        self.child = ho.inst
        self.gen += 1
        self.probing.clear()
        self.reloads += 1
        self.last_error = ""
        self.liveness_failures = 0
        self.host.note(f"{self.spec.name}: pid {ho.inst.pid} ready ({ev.detail}); stopping pid {old.pid}")
        self._signal(old)
        if self.spec.liveness is not None:
            self._probe_later("liveness", self.spec.liveness.initial_delay)
        for d in ho.done:
            resolve(d, True)

    def _handover_failed(self, why: str) -> None:
        ho, self.handover = self.handover, None
        if ho is None:
            return
        self.last_error = f"reload failed: {why}"
        serving = f"; pid {self.child.pid} keeps serving" if self.child is not None else ""
        self.host.note(f"{self.spec.name}: {self.last_error}{serving}")
        for d in ho.done:
            resolve(d, False)


def resolve(fut: asyncio.Future[Any] | None, value: Any) -> None:
    if fut is not None and not fut.done():
        fut.set_result(value)
