"""The events a service actor reads from its queue, one class each (see service.py).

Each names what happened and, where an instance is concerned, which instance: the actor drops
an event about an instance it has since replaced.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Start:
    why: str = "wanted"


@dataclass(frozen=True)
class Stop:
    why: str
    done: asyncio.Future[None] | None = None
    then_start: bool = False  # a restart: the listening sockets stay bound, clients wait for the new instance


@dataclass(frozen=True)
class Reload:
    why: str
    done: asyncio.Future[bool] | None = None


@dataclass(frozen=True)
class Exited:
    inst: Any
    code: int


@dataclass(frozen=True)
class Probed:
    inst: Any
    kind: str  # readiness | liveness | handover
    gen: int
    ok: bool
    detail: str


@dataclass(frozen=True)
class Due:
    what: str  # probe-readiness | probe-liveness | backoff | kill
    gen: int = 0
    inst: Any = None


@dataclass(frozen=True)
class Finished:
    inst: Any
    killed: int


@dataclass(frozen=True)
class DepsChanged:
    name: str  # the service that changed state


Event = Start | Stop | Reload | Exited | Probed | Due | Finished | DepsChanged
