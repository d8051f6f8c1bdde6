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


def main() -> None:
    needle = sys.argv[1].encode()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while os.read(0, 4096):
        pass
    me = os.getpid()
    for _ in range(3):  # a second pass catches anything forked during the first
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == me:
                continue
            try:
                with open(f"/proc/{name}/environ", "rb") as f:
                    env = f.read()
            except OSError:
                continue
            if any(item.startswith(needle) for item in env.split(b"\0")):
                with contextlib.suppress(OSError):
                    os.kill(int(name), signal.SIGKILL)


if __name__ == "__main__":
    main()
