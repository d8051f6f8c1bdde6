"""One supervised service as one actor: a single task reads one queue of events and owns it all.

Events: `Start`, `Stop`, `Reload`, `Exited` (an instance ended), `Probed` (a probe or hand-over
check answered), `Due` (a timer: next probe, end of backoff, SIGKILL after stop_timeout),
`Finished` (what was left of an exited instance is gone), `DepsChanged`. Only `handle()` changes
the instances, the timers and the state machine, and it never awaits: probes, hand-over checks
and clean-ups run as tasks that post their answer back, so no event is handled halfway.
Stale answers (a probe of an instance that has since been replaced) are recognised by the
instance they name, or by a generation number, and dropped.

Lifecycle: STARTING waits for dependencies then spawns; RUNNING until readiness passes, READY
then (liveness probed; a dependency that stops re-probes readiness, which may go back to
RUNNING); an exit asks the restart policy (BACKOFF, EXITED or FATAL); `Stop` sends the stop
signal and SIGKILLs after stop_timeout. `Reload` on a service with listening sockets starts a
second instance on the same sockets and swaps once it accepts and is ready; until then the old
one serves, and a failed hand-over leaves it serving with the error shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

from sutra_stack.errors import SutraError
from sutra_stack.supervisor.events import DepsChanged, Due, Event, Exited, Finished, Probed, Reload, Start, Stop
from sutra_stack.supervisor.handover import Handover, Reloading, resolve
from sutra_stack.supervisor.logs import ServiceLog
from sutra_stack.supervisor.restart import RestartPolicy
from sutra_stack.supervisor.seams import Checks, Clock, Host, Instance, LoopClock, RealChecks, Spawner, spawn_child
from sutra_stack.supervisor.spec import ServiceSpec
from sutra_stack.supervisor.states import ALIVE, ServiceState, StateMachine

S = ServiceState
TAIL_LINES = 3  # lines of a failed instance's output quoted in its error


class Service(Reloading):
    def __init__(self, spec: ServiceSpec, host: Host, log: ServiceLog, env: dict[str, str], *,
                 spawner: Spawner = spawn_child, checks: Checks | None = None, clock: Clock | None = None) -> None:
        self.spec, self.host, self.log, self.env = spec, host, log, env
        self.spawner = spawner
        self.checks: Checks = checks or RealChecks(spec, env, spec.cwd)
        self.clock: Clock = clock or LoopClock()
        self.sm = StateMachine(spec.name, host.on_transition, clock=self.clock.time)
        self.policy = RestartPolicy(spec)
        self.inbox: asyncio.Queue[Event] = asyncio.Queue()
        self.child: Instance | None = None  # the instance that serves
        self.handover: Handover | None = None  # a reload's new instance, until it takes over or fails
        self.dying: dict[Any, Any] = {}  # instances sent their stop signal -> their SIGKILL timer
        self.finishing: set[Any] = set()  # exited instances whose leftovers are being swept
        self.stop_waiters: list[asyncio.Future[None]] = []
        self.reload_next: Reload | None = None  # a reload asked for during a hand-over
        self.start_after_stop = False
        self.released = True  # its listening sockets are closed (bound again by the next spawn)
        self.gen = 0  # bumped whenever the current probes and timers stop counting
        self.backoff_timer: Any = None
        self.liveness_failures = 0
        self.probing: set[str] = set()  # probe kinds with a probe or its timer under way
        self.ever_ready = False  # this instance passed readiness
        self.start_failure = ""  # why the last instance exited before it was ready
        self.waiting_said = ""
        self.task: asyncio.Task[None] | None = None
        self.instances = self.reloads = 0
        self.last_exit: int | None = None
        self.last_error = ""
        self.health = ""

    # ---- the outside: post events, await their outcome -----------------------------------
    @property
    def state(self) -> ServiceState:
        return self.sm.state

    def run(self) -> asyncio.Task[None]:
        """Start the actor (once); it lives until `close()`."""
        if self.task is None:
            self.task = asyncio.create_task(self._loop(), name=f"service {self.spec.name}")
        return self.task

    def post(self, ev: Event) -> None:
        self.inbox.put_nowait(ev)

    def start(self, why: str = "wanted") -> None:
        self.post(Start(why))

    async def stop(self, why: str = "stop", then_start: bool = False) -> None:
        """Stop (and with `then_start`, start again); returns once every instance is gone."""
        if self.task is None:
            return  # the actor never ran: nothing was started
        done = asyncio.get_running_loop().create_future()
        self.post(Stop(why, done, then_start))
        await done

    async def reload(self, why: str) -> bool:
        """Reload on a code change; True once the new instance serves (or a restart began)."""
        if self.task is None:
            return False
        done = asyncio.get_running_loop().create_future()
        self.post(Reload(why, done))
        return bool(await done)

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _loop(self) -> None:
        while True:
            ev = await self.inbox.get()
            try:
                self.handle(ev)
            except Exception as e:  # noqa: BLE001 - a bug must show, not leave the service silently stuck
                self.last_error = f"supervisor error: {e.__class__.__name__}: {e}"
                self.host.note(f"{self.spec.name}: {self.last_error} (handling {ev.__class__.__name__})")
                if isinstance(ev, (Stop, Reload)):  # whoever waits for it is answered, not left hanging
                    resolve(ev.done, None if isinstance(ev, Stop) else False)

    # ---- the one place that decides ------------------------------------------------------
    def handle(self, ev: Event) -> None:
        if isinstance(ev, Start):
            self._on_start(ev.why)
        elif isinstance(ev, Stop):
            self._on_stop(ev)
        elif isinstance(ev, Reload):
            self._on_reload(ev)
        elif isinstance(ev, Exited):
            self._on_exited(ev.inst, ev.code)
        elif isinstance(ev, Probed):
            self._on_probed(ev)
        elif isinstance(ev, Due):
            self._on_due(ev)
        elif isinstance(ev, Finished):
            self.finishing.discard(ev.inst)
            if ev.killed:
                self.host.note(f"{self.spec.name}: killed descendants of pid {ev.inst.pid} left behind ({ev.killed})")
        elif isinstance(ev, DepsChanged):
            self._on_deps_changed(ev.name)
        self._settle()

    def _to(self, new: ServiceState, why: str) -> None:
        self.sm.to(new, why)

    def _on_start(self, why: str) -> None:
        self.policy.failures = 0  # a start by request forgives earlier failures
        if self.state == S.STOPPING:
            self.start_after_stop = True
            return
        if self.state in (S.STOPPED, S.EXITED, S.FATAL, S.BACKOFF):
            self._cancel_backoff()
            self._to(S.STARTING, why)
            self.waiting_said = ""
            self._try_spawn()

    def _on_deps_changed(self, name: str) -> None:
        if self.state == S.STARTING:
            self._try_spawn()
        elif (self.state == S.READY and self.spec.readiness is not None
              and any(d.name == name for d in self.spec.depends_on) and self.host.deps_missing(self.spec)):
            self._probe_now("readiness")  # a dependency went away: is this one still ready?

    def _try_spawn(self) -> None:
        missing = self.host.deps_missing(self.spec)
        if missing:
            text = ", ".join(missing)
            if text != self.waiting_said:
                self.host.note(f"{self.spec.name}: waiting for {text}")
                self.waiting_said = text
            return
        try:
            inst = self._spawn()
        except (OSError, SutraError) as e:
            self.last_error = f"cannot start: {e}"
            self.host.note(f"{self.spec.name}: {self.last_error}")
            self._to(S.FATAL, self.last_error)
            return
        self.child, self.ever_ready, self.liveness_failures = inst, False, 0
        self.gen += 1
        self.probing.clear()
        self._to(S.RUNNING, f"pid {inst.pid}")
        if self.spec.readiness is None:
            self._became_ready("no readiness probe")
        else:
            self._probe_later("readiness", self.spec.readiness.initial_delay)

    def _spawn(self) -> Instance:
        self.instances += 1
        self.released = False
        marker = f"{self.host.id}/{self.spec.name}/{self.instances}"
        inst = self.spawner(self.spec, self.env, self.host.listen_fds(self.spec.name), marker, self.log)
        inst.exited.add_done_callback(lambda f: self.post(Exited(inst, f.result())))
        self.host.note(f"{self.spec.name}: spawned pid {inst.pid}: {' '.join(inst.argv)[:200]}")
        return inst

    def _became_ready(self, detail: str) -> None:
        self.ever_ready = True
        self.last_error = self.start_failure = ""  # what went wrong before is over
        self.health = detail
        self._to(S.READY, detail)
        if self.spec.liveness is not None and "liveness" not in self.probing:
            self._probe_later("liveness", self.spec.liveness.initial_delay)

    # ---- probes ---------------------------------------------------------------------------
    def _probe_later(self, kind: str, delay: float) -> None:
        self.probing.add(kind)
        gen = self.gen
        self.clock.call_later(delay, lambda: self.post(Due(f"probe-{kind}", gen)))

    def _probe_now(self, kind: str) -> None:
        if kind in self.probing:
            return  # one is already under way or due
        self._probe_later(kind, 0.0)

    def _launch_probe(self, kind: str) -> None:
        inst, gen = self.child, self.gen
        p = self.spec.readiness if kind == "readiness" else self.spec.liveness
        assert inst is not None and p is not None

        async def one() -> None:
            ok, detail = await self.checks.probe(p)
            self.post(Probed(inst, kind, gen, ok, detail))

        asyncio.create_task(one(), name=f"{kind} probe {self.spec.name}")

    def _on_probed(self, ev: Probed) -> None:
        if ev.kind == "handover":
            self._on_handover(ev)
            return
        if ev.gen != self.gen or ev.inst is not self.child or self.state not in ALIVE:
            return  # an instance since replaced or stopped: its probes no longer count
        self.probing.discard(ev.kind)
        if ev.kind == "readiness":
            self.health = ev.detail
            assert self.spec.readiness is not None
            if ev.ok:
                if self.state == S.RUNNING:
                    self._became_ready(ev.detail)
                elif self.host.deps_missing(self.spec):  # still ready with a dependency gone? look again
                    self._probe_later("readiness", self.spec.readiness.period)
                return
            if self.state == S.READY:
                self._to(S.RUNNING, f"not ready: {ev.detail}")
            self._probe_later("readiness", self.spec.readiness.period)
            return
        p = self.spec.liveness
        assert p is not None
        self.liveness_failures = 0 if ev.ok else self.liveness_failures + 1
        if self.liveness_failures:
            self.health = f"liveness failed {self.liveness_failures}/{p.failure_threshold}: {ev.detail}"
        if self.liveness_failures < p.failure_threshold:
            self._probe_later("liveness", p.period)
            return
        inst = self.child
        assert inst is not None
        self.host.note(f"{self.spec.name}: liveness failed {self.liveness_failures} times ({ev.detail}), restarting")
        inst.unhealthy = True
        self.gen += 1
        self._to(S.RUNNING, "liveness failed")
        self._signal(inst)  # its exit then goes through the restart policy

    def _on_due(self, ev: Due) -> None:
        if ev.what == "kill":
            if ev.inst in self.dying and not ev.inst.exited.done():
                self.host.note(f"{self.spec.name}: pid {ev.inst.pid} still running after "
                               f"stop_timeout={self.spec.stop_timeout:g}s, sending SIGKILL")
                ev.inst.signal_group(signal.SIGKILL)
        elif ev.what == "backoff":
            if ev.gen == self.gen and self.state == S.BACKOFF:
                self.backoff_timer = None
                self._to(S.STARTING, "backoff over")
                self.waiting_said = ""
                self._try_spawn()
        elif ev.gen == self.gen and self.state in ALIVE and self.child is not None:
            self._launch_probe(ev.what.removeprefix("probe-"))

    # ---- exits, stops -----------------------------------------------------------------------
    def _signal(self, inst: Instance) -> None:
        """The stop signal to the instance's group; SIGKILL once stop_timeout passes."""
        if inst in self.dying:
            return
        inst.signal_group(self.spec.stop_signal)
        self.dying[inst] = self.clock.call_later(self.spec.stop_timeout, lambda: self.post(Due("kill", inst=inst)))

    def _finish(self, inst: Instance) -> None:
        timer = self.dying.pop(inst, None)
        if timer is not None:
            timer.cancel()
        self.finishing.add(inst)

        async def sweep() -> None:
            killed = 0
            try:
                killed = await inst.finish()
            finally:
                self.post(Finished(inst, killed))

        asyncio.create_task(sweep(), name=f"sweep {self.spec.name} {inst.pid}")

    def _on_exited(self, inst: Instance, code: int) -> None:
        ho = self.handover
        unhealthy = inst.unhealthy
        self._finish(inst)
        if ho is not None and inst is ho.inst:
            if inst is not self.child:  # the new instance died before it took over
                self._handover_failed(f"new instance exited with {code} before it was ready")
            return
        if inst is not self.child:
            return  # an instance being stopped (or replaced) ended: nothing else to decide
        self.child = None
        self.gen += 1
        self.probing.clear()
        self.last_exit = code
        if ho is not None:  # the old instance died during a hand-over: a crash; the candidate goes too
            self._signal(ho.inst)
            self._handover_failed(f"pid {inst.pid} exited during the hand-over")
        if self.state == S.STOPPING:
            return
        decision = self.policy.on_exit(code, self.clock.time() - inst.started, unhealthy)
        self.host.note(f"{self.spec.name}: pid {inst.pid} exited: {decision.why}")
        if not self.ever_ready and code != 0:
            tail = " | ".join(inst.tail()[-TAIL_LINES:])
            self.start_failure = f"exited with {code} before it was ready" + (f": {tail}" if tail else "")
            self.last_error = self.start_failure
        if decision.fatal:
            self.last_error = decision.why + (f"; last: {self.last_error}" if self.last_error else "")
            self._to(S.FATAL, decision.why)
        elif not decision.restart:
            self._to(S.EXITED, decision.why)
        else:
            self._to(S.BACKOFF, decision.why)
            if decision.delay == 0:  # a first failure: restarted now, not a loop turn later
                self._on_due(Due("backoff", self.gen))
                return
            gen = self.gen
            self.backoff_timer = self.clock.call_later(decision.delay, lambda: self.post(Due("backoff", gen)))

    def _cancel_backoff(self) -> None:
        if self.backoff_timer is not None:
            self.backoff_timer.cancel()
            self.backoff_timer = None

    def _on_stop(self, ev: Stop) -> None:
        if ev.done is not None:
            self.stop_waiters.append(ev.done)
        self._cancel_backoff()
        self.start_after_stop = ev.then_start
        self.gen += 1
        self.probing.clear()
        if self.handover is not None:
            self._signal(self.handover.inst)
            self._handover_failed("stopped")
        if self.child is not None:
            self._signal(self.child)
            self.child = None
            if self.state != S.STOPPING:
                self._to(S.STOPPING, ev.why)
        elif self.state not in (S.STOPPED, S.STOPPING):
            self._to(S.STOPPED, ev.why)
        self.health = ""

    def _settle(self) -> None:
        """What follows from the state once an event is handled: a finished stop, released sockets."""
        if self.state == S.STOPPING and not self.dying and self.child is None:
            self._to(S.STOPPED, "stopped")
        if (self.state in (S.STOPPED, S.FATAL, S.EXITED) and self.child is None and not self.dying
                and not self.start_after_stop and not self.released):
            self.host.release(self.spec.name)
            self.released = True
        if self.state == S.STOPPED and not self.dying and not self.finishing:
            waiters, self.stop_waiters = self.stop_waiters, []
            for w in waiters:
                resolve(w, None)
            if self.start_after_stop:
                self.start_after_stop = False
                self._on_start("restart")
        if self.reload_next is not None and self.handover is None:
            nxt, self.reload_next = self.reload_next, None
            self._on_reload(nxt)

    # ---- status ------------------------------------------------------------------------------
    def addresses(self, urls: bool = False) -> list[str]:
        """Where it can be reached: its supervisor-held sockets and every port its instance listens on
        (an HTTP one as a URL); none while it is not running."""
        c = self.child
        ports = self.host.addresses(self.spec.name)
        if c is not None and not c.exited.done():
            ports += [a for a in c.listening(fresh=urls) if a not in ports]
        http = {p.port for p in (self.spec.readiness, self.spec.liveness) if p is not None and p.kind == "http"}
        if not urls:
            return ports
        return [f"http://{a}" if a.rsplit(":", 1)[-1].isdigit() and int(a.rsplit(":", 1)[-1]) in http else a
                for a in ports]

    def status(self) -> dict[str, Any]:
        c = self.child
        alive = c is not None and not c.exited.done()
        cpu, rss = c.usage() if alive and c is not None else (0.0, 0)
        ports = self.addresses() if alive else []
        return {
            "name": self.spec.name, "state": str(self.sm.state), "pid": c.pid if alive and c else None,
            "uptime": round(self.clock.time() - c.started, 3) if alive and c else None,
            "since": self.sm.since, "restarts": self.policy.restarts, "reloads": self.reloads,
            "health": self.health, "ports": ports, "cpu_percent": round(cpu, 1), "memory_bytes": rss,
            "last_exit": self.last_exit, "last_error": self.last_error, "start_failure": self.start_failure,
            "transitions": [{"at": round(t, 3), "state": str(st), "why": why} for t, st, why in self.sm.history[-10:]],
        }
