"""Restart policy: whether an exit is restarted, after how long, and when to give up.

The first restart after a failure is immediate; each further consecutive failure waits
`backoff`, then twice that, and so on up to `backoff_max`. A process that stayed up for
`stable_after` seconds resets the count. Past `max_restarts` consecutive failures the
service is `fatal`. Pure logic, no clock of its own: the caller passes uptimes in.
"""

from __future__ import annotations

from dataclasses import dataclass

from sutra_stack.supervisor.spec import ServiceSpec


@dataclass
class Decision:
    restart: bool
    delay: float = 0.0
    fatal: bool = False
    why: str = ""


@dataclass
class RestartPolicy:
    spec: ServiceSpec
    failures: int = 0  # consecutive, reset after a stable uptime
    restarts: int = 0  # total, shown in status

    def on_exit(self, code: int, uptime: float, unhealthy: bool = False) -> Decision:
        """`unhealthy`: the supervisor stopped it after liveness failures — a failure whatever the code."""
        s = self.spec
        how = f"exit code {code}" if code >= 0 else f"killed by signal {-code}"
        if unhealthy:
            how += " after liveness failures"
        if s.restart == "no" or (s.restart == "on-failure" and code == 0 and not unhealthy):
            return Decision(False, why=f"{how}, restart = {s.restart!r}")
        if uptime >= s.stable_after:
            self.failures = 0
        self.failures += 1
        if self.failures > s.max_restarts:
            return Decision(False, fatal=True,
                            why=f"{how}; {s.max_restarts} restarts in a row failed (max_restarts)")
        delay = 0.0 if self.failures == 1 else min(s.backoff * 2 ** (self.failures - 2), s.backoff_max)
        self.restarts += 1
        return Decision(True, delay, why=f"{how}; restart {self.failures}/{s.max_restarts} in {delay:g}s")
