"""The one state machine and the restart policy: allowed moves, history, backoff schedule."""

from __future__ import annotations

from pathlib import Path

import pytest

from sutra_stack.supervisor.restart import RestartPolicy
from sutra_stack.supervisor.spec import ServiceSpec
from sutra_stack.supervisor.states import TRANSITIONS, IllegalTransition, S, StateMachine


def test_transitions_are_checked_and_reported() -> None:
    seen: list[tuple[str, S, S, str]] = []
    sm = StateMachine("api", lambda *a: seen.append(a))
    for s in (S.STARTING, S.RUNNING, S.READY, S.STOPPING, S.STOPPED):
        sm.to(s, "why")
    assert [(a, b) for _, a, b, _ in seen] == [
        (S.STOPPED, S.STARTING), (S.STARTING, S.RUNNING), (S.RUNNING, S.READY),
        (S.READY, S.STOPPING), (S.STOPPING, S.STOPPED)]
    assert [h[1] for h in sm.history] == [S.STARTING, S.RUNNING, S.READY, S.STOPPING, S.STOPPED]
    with pytest.raises(IllegalTransition, match="stopped -> ready"):
        sm.to(S.READY)
    assert sm.state == S.STOPPED and len(seen) == 5  # an illegal move changes nothing


def test_every_state_can_be_left_and_stopped_is_reachable() -> None:
    assert set(TRANSITIONS) == set(S)
    for s, nxt in TRANSITIONS.items():
        assert nxt, s
        assert S.STOPPED in nxt or S.STOPPING in nxt or s == S.STOPPED


def spec(**kw: object) -> ServiceSpec:
    return ServiceSpec(name="x", command=("true",), cwd=Path("."), **kw)  # type: ignore[arg-type]


def test_backoff_doubles_to_its_cap_then_fatal() -> None:
    p = RestartPolicy(spec(backoff=0.1, backoff_max=0.5, max_restarts=5, stable_after=10))
    delays = [p.on_exit(1, 0.5).delay for _ in range(5)]
    assert delays == [0.0, 0.1, 0.2, 0.4, 0.5]
    d = p.on_exit(1, 0.5)
    assert d.fatal and not d.restart and "max_restarts" in d.why
    assert p.restarts == 5


def test_stable_uptime_resets_the_count_and_policies() -> None:
    p = RestartPolicy(spec(backoff=0.1, stable_after=2))
    assert p.on_exit(1, 0.1).delay == 0.0
    assert p.on_exit(1, 0.1).delay == 0.1
    assert p.on_exit(1, 5.0).delay == 0.0  # it ran long enough: a fresh failure
    assert not RestartPolicy(spec(restart="on-failure")).on_exit(0, 1).restart
    assert RestartPolicy(spec(restart="on-failure")).on_exit(0, 1, unhealthy=True).restart
    assert RestartPolicy(spec(restart="always")).on_exit(0, 1).restart
    assert not RestartPolicy(spec(restart="no")).on_exit(-9, 1).restart
    assert "killed by signal 9" in RestartPolicy(spec()).on_exit(-9, 1).why
