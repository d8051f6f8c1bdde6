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


def kill_marked(needle: str, exact: bool = False) -> int:
    """SIGKILL every process whose environment holds `needle` (exact variable, or a prefix)."""
    me, n = os.getpid(), 0
    data = needle.encode()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        for item in env.split(b"\0"):
            if (item == data) if exact else item.startswith(data):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(entry.name), signal.SIGKILL)
                    n += 1
                break
    return n


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while os.read(0, 4096):
        pass
    for _ in range(3):  # a second pass catches anything forked during the first
        kill_marked(sys.argv[1])


if __name__ == "__main__":
    main()
