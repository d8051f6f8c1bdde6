"""The one state machine of a supervised service: named states, allowed transitions, history.

stopped → starting → running → ready, with backoff between restarts, stopping on the way
down, exited when a process ended and is not restarted, fatal when restarts ran out. Every
transition goes through `StateMachine.to()`, which checks it and reports it to a listener
(the supervisor logs each one and `sutra status` shows the current state).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class ServiceState(enum.StrEnum):
    STOPPED = "stopped"  # not running and not wanted
    STARTING = "starting"  # wanted: waiting for dependencies, spawning
    RUNNING = "running"  # process alive, readiness not (yet) passed
    READY = "ready"  # readiness probe passed (or none configured)
    BACKOFF = "backoff"  # exited unexpectedly, waiting to restart
    STOPPING = "stopping"  # stop signal sent, waiting for the process to exit
    EXITED = "exited"  # ended and not restarted (policy, or `completed`)
    FATAL = "fatal"  # could not be (re)started: too many restarts or spawn failed


S = ServiceState
# Each state's possible next states, and nothing more: a move outside this table is a bug in the
# supervisor and raises. STARTING has no instance yet (it waits for dependencies, then spawns);
# STOPPING ends only in STOPPED, whatever happens meanwhile.
TRANSITIONS: dict[ServiceState, frozenset[ServiceState]] = {
    S.STOPPED: frozenset({S.STARTING}),
    S.STARTING: frozenset({S.RUNNING, S.FATAL, S.STOPPED}),  # spawned, could not spawn, stopped while waiting
    S.RUNNING: frozenset({S.READY, S.BACKOFF, S.EXITED, S.FATAL, S.STOPPING}),
    S.READY: frozenset({S.RUNNING, S.BACKOFF, S.EXITED, S.FATAL, S.STOPPING}),  # RUNNING: readiness lost
    S.BACKOFF: frozenset({S.STARTING, S.STOPPED}),
    S.STOPPING: frozenset({S.STOPPED}),
    S.EXITED: frozenset({S.STARTING, S.STOPPED}),
    S.FATAL: frozenset({S.STARTING, S.STOPPED}),
}
ALIVE = frozenset({S.RUNNING, S.READY})


class IllegalTransition(RuntimeError):
    pass


@dataclass
class StateMachine:
    name: str
    on_change: Callable[[str, ServiceState, ServiceState, str], None] | None = None
    state: ServiceState = S.STOPPED
    since: float = field(default_factory=time.time)
    clock: Callable[[], float] = time.time  # wall time of each transition (injected in tests)
    history: list[tuple[float, ServiceState, str]] = field(default_factory=list)

    def to(self, new: ServiceState, why: str = "") -> None:
        old = self.state
        if new == old:
            return
        if new not in TRANSITIONS[old]:
            raise IllegalTransition(f"{self.name}: {old} -> {new} is not allowed ({why})")
        self.state, self.since = new, self.clock()
        self.history.append((self.since, new, why))
        del self.history[:-50]
        if self.on_change is not None:
            self.on_change(self.name, old, new, why)
