"""sutra-control's view of the supervisor: its control socket (protocol version 3), or none.

Under `sutra up` every child is told the socket's path (`SUTRA_SUPERVISOR_SOCKET`); started any
other way (systemd) there is none, and `Link.available` is False: status then comes from probing
the configured addresses, and process actions answer FAILED_PRECONDITION saying so. Each call
runs on a thread (the socket client is blocking) and raises the supervisor's own errors; a
supervisor of another release raises FailedPrecondition saying to restart `sutra up`.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from sutra_stack.errors import FailedPrecondition
from sutra_stack.supervisor.control import SOCKET_ENV, call

NO_SUPERVISOR = ("process control is not available: sutra-control was not started by `sutra up` (under systemd "
                 "use systemctl start|stop|restart sutra-NAME and journalctl -u sutra-NAME)")


class Link:
    def __init__(self, path: str | None = None) -> None:
        found = path if path is not None else os.environ.get(SOCKET_ENV, "")
        self.path = Path(found) if found else None

    @property
    def available(self) -> bool:
        return self.path is not None

    def _need(self) -> Path:
        if self.path is None:
            raise FailedPrecondition(NO_SUPERVISOR)
        return self.path

    async def ask(self, cmd: str, timeout: float = 30.0, **kw: Any) -> dict[str, Any]:
        path = self._need()
        return await asyncio.to_thread(call, path, {"cmd": cmd, **kw}, timeout)
