"""Test child: prints a line, then runs until told to stop.

argv: [--exit-after SECONDS CODE] [--ignore-term] [--pidfile PATH] [--grandchild]
Prints the SUTRA_STORAGE_PORT it was handed so tests can check settings reach children.
"""

import os
import signal
import subprocess
import sys
import time

args = sys.argv[1:]
name = os.environ.get("CHILD_NAME", "sleeper")
print(f"{name} started pid={os.getpid()} port={os.environ.get('SUTRA_STORAGE_PORT')} "
      f"extra={os.environ.get('CHILD_EXTRA', '')} unbuffered={os.environ.get('PYTHONUNBUFFERED')}", flush=True)
if "--ignore-term" in args:
    signal.signal(signal.SIGTERM, lambda *_: print(f"{name} ignoring SIGTERM", flush=True))
else:
    def bye(*_: object) -> None:
        print(f"{name} got SIGTERM, bye", flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, bye)
if "--pidfile" in args:
    path = args[args.index("--pidfile") + 1]
    pids = [os.getpid()]
    if "--grandchild" in args:
        # a grandchild in a new session: it leaves our process group
        g = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
        pids.append(g.pid)
    with open(path + ".tmp", "w") as f:
        f.write(" ".join(map(str, pids)))
    os.replace(path + ".tmp", path)
if "--exit-after" in args:
    i = args.index("--exit-after")
    time.sleep(float(args[i + 1]))
    print(f"{name} exiting with {args[i + 2]}", flush=True)
    sys.exit(int(args[i + 2]))
while True:
    time.sleep(3600)
