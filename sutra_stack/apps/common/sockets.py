"""Receiving side of socket activation: the listening sockets a parent handed to this process.

Follows systemd's convention (sd_listen_fds(3)): when `LISTEN_PID` equals our pid,
`LISTEN_FDS` descriptors starting at 3 are listening sockets, in the order the parent
declared them. The same code runs under `sutra up` and under a systemd socket unit. With
nothing handed, `inherited_sockets()` returns [] and the app binds host/port itself, e.g.

    socks = inherited_sockets()
    sock = socks[0] if socks else bind(host, port)
    uvicorn.Server(config).run(sockets=[sock])

The variables are removed once read, so our own children (uvicorn workers) do not take them
for theirs.
"""

from __future__ import annotations

import os
import socket

SD_LISTEN_FDS_START = 3


def inherited_sockets(unset: bool = True) -> list[socket.socket]:
    """The sockets handed to this process (LISTEN_FDS / LISTEN_PID), or [] when none were."""
    pid, n = os.environ.get("LISTEN_PID", ""), os.environ.get("LISTEN_FDS", "")
    if unset:
        for var in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
            os.environ.pop(var, None)
    if not pid.isdigit() or int(pid) != os.getpid() or not n.isdigit():
        return []
    socks = []
    for fd in range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + int(n)):
        os.set_inheritable(fd, False)  # ours, not our children's (uvicorn passes them explicitly)
        socks.append(socket.socket(fileno=fd))
    return socks
