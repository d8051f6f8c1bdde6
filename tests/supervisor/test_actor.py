"""The service actor with a fake child, a fake clock and fake probes: the lifecycle cases that are hard
to time with real processes (stop during a reload, the old instance exiting during the hand-over, a
crash during backoff, a probe failing while stopping, stop of a fatal service), and the transition
table refusing moves it does not list."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sutra_stack.supervisor.logs import ServiceLog
from sutra_stack.supervisor.service import Service
from sutra_stack.supervisor.spec import ProbeSpec, ServiceSpec
from sutra_stack.supervisor.states import TRANSITIONS, IllegalTransition, S, StateMachine


class FakeTimer:
    def __init__(self, due: float, fn: Callable[[], Any]) -> None:
        self.due, self.fn, self.cancelled = due, fn, False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.timers: list[FakeTimer] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, fn: Callable[[], Any]) -> FakeTimer:
        t = FakeTimer(self.now + delay, fn)
        self.timers.append(t)
        return t

    def advance(self, dt: float) -> None:
        self.now += dt
        due = sorted((t for t in self.timers if t.due <= self.now and not t.cancelled), key=lambda t: t.due)
        self.timers = [t for t in self.timers if t not in due]
        for t in due:
            t.fn()


class FakeChild:
    pids = 100

    def __init__(self, clock: FakeClock) -> None:
        FakeChild.pids += 1
        self.pid, self.argv, self.started = FakeChild.pids, ["fake"], clock.time()
        self.exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.unhealthy = False
        self.signals: list[int] = []
        self.output = ["starting", "error: port 50051 is taken"]

    def exit(self, code: int) -> None:
        self.exited.set_result(code)

    def signal_group(self, sig: int) -> None:
        self.signals.append(sig)

    async def finish(self) -> int:
        return 0

    def usage(self) -> tuple[float, int]:
        return 0.0, 0

    def tail(self) -> list[str]:
        return self.output

    def listening(self, fresh: bool = False) -> list[str]:
        return []

    def accepting(self, inodes: set[int], full: bool) -> bool | None:
        return True


class FakeChecks:
    """Every probe and hand-over check waits until the test answers it."""

    def __init__(self) -> None:
        self.probes: list[tuple[str, asyncio.Future[tuple[bool, str]]]] = []
        self.handovers: list[asyncio.Future[tuple[bool, str]]] = []

    async def probe(self, p: ProbeSpec) -> tuple[bool, str]:
        fut: asyncio.Future[tuple[bool, str]] = asyncio.get_running_loop().create_future()
        self.probes.append((p.path, fut))
        return await fut

    async def handover(self, inst: Any, inodes: set[int], timeout: float) -> tuple[bool, str]:
        fut: asyncio.Future[tuple[bool, str]] = asyncio.get_running_loop().create_future()
        self.handovers.append(fut)
        return await fut

    def answer(self, ok: bool, path: str | None = None) -> None:
        """Answer the newest open probe (of `path`)."""
        for i, (pp, fut) in reversed(list(enumerate(self.probes))):
            if path is None or pp == path:
                del self.probes[i]
                fut.set_result((ok, f"{pp}: {'ok' if ok else 'failed'}"))
                return
        raise AssertionError(f"no open probe of {path}")


class FakeHost:
    id = "test"

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.moves: list[tuple[S, S]] = []
        self.released = 0

    def note(self, text: str) -> None:
        self.notes.append(text)

    def on_transition(self, name: str, old: S, new: S, why: str) -> None:
        self.moves.append((old, new))

    def deps_missing(self, spec: ServiceSpec) -> list[str]:
        return []

    def listen_fds(self, name: str) -> list[int]:
        return []

    def release(self, name: str) -> None:
        self.released += 1

    def addresses(self, name: str) -> list[str]:
        return []

    def inodes(self, name: str) -> set[int]:
        return set()


class Rig:
    def __init__(self, tmp: Path, **kw: Any) -> None:
        spec = ServiceSpec(name="web", command=("fake",), cwd=tmp, listen=(("127.0.0.1", 0),),
                           readiness=ProbeSpec("http", port=1, path="/ready", period=0.5),
                           liveness=ProbeSpec("http", port=1, path="/live", period=1.0, failure_threshold=1),
                           backoff=0.1, stop_timeout=5.0, **kw)
        self.clock, self.checks, self.host = FakeClock(), FakeChecks(), FakeHost()
        self.children: list[FakeChild] = []
        self.svc = Service(spec, self.host, ServiceLog("web", tmp, 1 << 20, 1, None), {},
                           spawner=self.spawn, checks=self.checks, clock=self.clock)
        self.svc.run()

    def spawn(self, spec: ServiceSpec, env: dict[str, str], fds: list[int], marker: str, log: Any) -> FakeChild:
        c = FakeChild(self.clock)
        self.children.append(c)
        return c

    async def settle(self) -> None:
        for _ in range(20):
            await asyncio.sleep(0)

    async def tick(self, dt: float) -> None:
        await self.settle()
        self.clock.advance(dt)
        await self.settle()

    async def ready(self) -> FakeChild:
        self.svc.start()
        await self.tick(0)
        self.checks.answer(True, "/ready")
        await self.settle()
        assert self.svc.state == S.READY
        return self.children[-1]

    async def close(self) -> None:
        await self.svc.close()


def run(coro: Any) -> None:
    asyncio.run(coro)


def test_stop_during_reload_stops_both_instances_and_the_reload_fails(tmp_path: Path) -> None:
    async def main() -> None:
        rig = Rig(tmp_path)
        old = await rig.ready()
        reload = asyncio.ensure_future(rig.svc.reload("changed"))
        await rig.settle()
        new = rig.children[-1]
        assert new is not old and rig.checks.handovers
        stop = asyncio.ensure_future(rig.svc.stop("stop requested"))
        await rig.settle()
        assert rig.svc.state == S.STOPPING and reload.done() and reload.result() is False
        assert old.signals == [signal.SIGTERM] and new.signals == [signal.SIGTERM]
        rig.checks.handovers[0].set_result((True, "ready"))  # too late: it must not take over
        old.exit(0)
        await rig.settle()
        assert not stop.done()  # the new instance is still running
        new.exit(0)
        await rig.settle()
        assert stop.done() and rig.svc.state == S.STOPPED and rig.svc.child is None
        assert rig.svc.reloads == 0 and len(rig.children) == 2 and rig.host.released == 1
        await rig.close()

    run(main())


def test_old_instance_exiting_during_hand_over_is_a_crash_and_the_new_one_goes(tmp_path: Path) -> None:
    async def main() -> None:
        rig = Rig(tmp_path)
        old = await rig.ready()
        reload = asyncio.ensure_future(rig.svc.reload("changed"))
        await rig.settle()
        new = rig.children[-1]
        old.exit(-9)
        await rig.tick(0)
        assert reload.result() is False and "exited during the hand-over" in rig.svc.last_error
        assert new.signals == [signal.SIGTERM]  # the half-checked instance is not kept
        assert rig.svc.state == S.RUNNING and rig.svc.policy.restarts == 1  # restarted at once (first failure)
        third = rig.children[-1]
        assert third not in (old, new) and rig.svc.child is third
        rig.checks.handovers[0].set_result((True, "ready"))  # the abandoned check answers: ignored
        new.exit(0)
        await rig.settle()
        assert rig.svc.child is third and rig.svc.reloads == 0
        await rig.close()

    run(main())


def test_crash_during_backoff_and_stale_answers_are_ignored(tmp_path: Path) -> None:
    async def main() -> None:
        rig = Rig(tmp_path)
        first = await rig.ready()
        rig.checks.probes.clear()
        first.exit(1)  # first failure: restarted at once
        await rig.tick(0)
        await rig.tick(0)  # its readiness probe starts
        second = rig.children[-1]
        assert rig.svc.state == S.RUNNING and rig.svc.child is second
        second.exit(1)  # second failure: backoff 0.1 s
        await rig.settle()
        assert rig.svc.state == S.BACKOFF and len(rig.children) == 2
        assert "exited with 1 before it was ready: starting | error: port 50051 is taken" in rig.svc.last_error
        rig.checks.answer(True, "/ready")  # the crashed instance's probe answers late: it counts for nothing
        await rig.tick(0.05)
        assert rig.svc.state == S.BACKOFF and len(rig.children) == 2
        await rig.tick(0.06)
        assert rig.svc.state == S.RUNNING and len(rig.children) == 3
        rig.children[-1].exit(1)  # a crash of the third: backoff again, doubled; stopped meanwhile
        await rig.settle()
        assert rig.svc.state == S.BACKOFF
        await rig.svc.stop("stop")
        assert rig.svc.state == S.STOPPED
        await rig.tick(10)  # the backoff timer was cancelled: nothing is spawned
        assert rig.svc.state == S.STOPPED and len(rig.children) == 3
        await rig.close()

    run(main())


def test_probe_failing_while_stopping_restarts_nothing(tmp_path: Path) -> None:
    async def main() -> None:
        rig = Rig(tmp_path)
        child = await rig.ready()
        await rig.tick(0)  # the liveness probe starts
        assert [p for p, _ in rig.checks.probes] == ["/live"]
        stop = asyncio.ensure_future(rig.svc.stop("stop requested"))
        await rig.settle()
        assert rig.svc.state == S.STOPPING
        rig.checks.answer(False, "/live")  # failure threshold 1, but it is being stopped anyway
        await rig.settle()
        assert rig.svc.state == S.STOPPING and not child.unhealthy and child.signals == [signal.SIGTERM]
        await rig.tick(5.0)  # stop_timeout: SIGKILL
        assert child.signals == [signal.SIGTERM, signal.SIGKILL]
        child.exit(-9)
        await rig.settle()
        assert stop.done() and rig.svc.state == S.STOPPED and len(rig.children) == 1
        assert rig.svc.health == ""  # a stopped service shows no health
        await rig.close()

    run(main())


def test_stop_of_a_fatal_service_then_start(tmp_path: Path) -> None:
    async def main() -> None:
        rig = Rig(tmp_path, max_restarts=1)
        rig.svc.start()
        await rig.tick(0)
        rig.children[-1].exit(2)
        await rig.tick(0)
        rig.children[-1].exit(2)
        await rig.settle()
        assert rig.svc.state == S.FATAL and "max_restarts" in rig.svc.last_error
        assert rig.host.released == 1  # its listening sockets are closed: clients are refused
        await asyncio.wait_for(rig.svc.stop("stop"), 1)
        assert rig.svc.state == S.STOPPED and (S.FATAL, S.STOPPED) in rig.host.moves
        rig.svc.start()
        await rig.tick(0)
        assert rig.svc.state == S.RUNNING and len(rig.children) == 3 and rig.svc.policy.failures == 0
        rig.checks.answer(True, "/ready")
        await rig.settle()
        assert rig.svc.state == S.READY and rig.svc.last_error == ""  # ready again: the old error is gone
        await rig.close()

    run(main())


def test_a_dependency_lost_sends_a_ready_service_back_to_running(tmp_path: Path) -> None:
    async def main() -> None:
        rig = Rig(tmp_path)
        await rig.ready()
        rig.host.deps_missing = lambda spec: ["db (healthy, now stopped)"]  # type: ignore[method-assign]
        from sutra_stack.supervisor.events import DepsChanged

        rig.svc.spec = ServiceSpec(**{**rig.svc.spec.__dict__, "depends_on": (_dep("db"),)})
        rig.svc.post(DepsChanged("db"))
        await rig.tick(0)
        rig.checks.answer(False, "/ready")
        await rig.settle()
        assert rig.svc.state == S.RUNNING and "failed" in rig.svc.health
        rig.host.deps_missing = lambda spec: []  # type: ignore[method-assign]
        await rig.tick(0.5)
        rig.checks.answer(True, "/ready")
        await rig.settle()
        assert rig.svc.state == S.READY
        await rig.close()

    run(main())


def _dep(name: str) -> Any:
    from sutra_stack.supervisor.spec import Dependency

    return Dependency(name, "healthy")


@pytest.mark.parametrize(("old", "new"), [
    (S.STARTING, S.READY), (S.STARTING, S.BACKOFF), (S.STARTING, S.EXITED), (S.STARTING, S.STOPPING),
    (S.BACKOFF, S.FATAL), (S.BACKOFF, S.RUNNING), (S.STOPPING, S.RUNNING), (S.STOPPING, S.FATAL),
    (S.STOPPED, S.RUNNING), (S.FATAL, S.RUNNING), (S.EXITED, S.READY),
])
def test_moves_outside_the_table_raise(old: S, new: S) -> None:
    sm = StateMachine("x", state=old)
    with pytest.raises(IllegalTransition, match=f"{old} -> {new}"):
        sm.to(new)
    assert sm.state == old


def test_starting_has_three_ways_out() -> None:
    assert TRANSITIONS[S.STARTING] == {S.RUNNING, S.FATAL, S.STOPPED}
    assert TRANSITIONS[S.STOPPING] == {S.STOPPED}
