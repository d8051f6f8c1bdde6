"""Guard: kills every process the supervisor started once the supervisor is gone.

Started by the supervisor with a pipe on stdin and the environment marker prefix as its
argument. It blocks reading the pipe; end of file means the supervisor exited or was
killed (even by SIGKILL), and every process whose environment carries the marker is sent
SIGKILL — grandchildren, daemonised descendants and workers included. Runs with `-I -S`
and imports only the standard library, to stay small.
"""

import contextlib
import os
import signal
import sys
import time


def _marked(needle: bytes, exact: bool) -> set[int]:
    """Pids of processes whose environment holds `needle` (exact variable, or a prefix)."""
    me, found = os.getpid(), set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        if any((item == needle) if exact else item.startswith(needle) for item in env.split(b"\0")):
            found.add(int(entry.name))
    return found


def kill_marked(needle: str, exact: bool = False, pause: float = 0.02, limit: float = 3.0) -> int:
    """SIGKILL every process whose environment holds `needle`; the number of processes killed.

    One pass is not enough: a process forked just before its parent died may be in the middle
    of exec, when its environment reads as empty. So passes repeat, `pause` apart, until two
    in a row find no process not already killed (or `limit` seconds pass).
    """
    data, quiet = needle.encode(), 0
    killed: set[int] = set()
    deadline = time.monotonic() + limit
    while quiet < 2 and time.monotonic() < deadline:
        fresh = _marked(data, exact) - killed
        for pid in fresh:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        killed |= fresh
        quiet = 0 if fresh else quiet + 1
        if quiet < 2:
            time.sleep(pause)
    return len(killed)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while os.read(0, 4096):
        pass
    kill_marked(sys.argv[1])


if __name__ == "__main__":
    main()
