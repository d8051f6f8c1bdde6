"""Test child: prints how it was set up (parent-death signal, handed sockets, open fds), then sleeps."""

import ctypes
import os
import socket
import time

PR_GET_PDEATHSIG = 2
sig = ctypes.c_int(0)
ctypes.CDLL(None).prctl(PR_GET_PDEATHSIG, ctypes.byref(sig), 0, 0, 0)
fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))
n = int(os.environ.get("LISTEN_FDS", "0"))
ports = []
for fd in range(3, 3 + n):
    s = socket.socket(fileno=os.dup(fd))
    ports.append(f"{s.getsockname()[1]}:{s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)}")
    s.close()
print(f"pdeathsig={sig.value} listen_pid_is_me={os.environ.get('LISTEN_PID') == str(os.getpid())} "
      f"listen_fds={n} ports={','.join(ports)} fds={','.join(map(str, fds))} "
      f"sid_is_me={os.getsid(0) == os.getpid()} pgid_is_me={os.getpgid(0) == os.getpid()}", flush=True)
while True:
    time.sleep(3600)
