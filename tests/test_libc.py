"""sutra_stack.libc, the one module of C library calls, in real processes: a parent-death signal
that kills the child when its parent dies, a subreaper that adopts orphaned grandchildren, and
glibc's mallopt answering."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

import psutil

from tests.support.procs import ROOT, child_env, wait_until

ARMED_CHILD = ("import signal, time\nfrom sutra_stack import libc\n"
               "print(int(libc.set_parent_death_signal(signal.SIGKILL)), flush=True)\ntime.sleep(120)\n")
# Starts the child above, prints its pid and what it answered, then dies without waiting for it.
MIDDLE = ("import os, subprocess, sys\n"
          "c = subprocess.Popen([sys.executable, '-c', sys.argv[1]], stdout=subprocess.PIPE, text=True)\n"
          "print(c.pid, c.stdout.readline().strip(), flush=True)\nos._exit(0)\n")
# Becomes a subreaper, starts a middle process that leaves a sleeping grandchild behind, and
# prints the grandchild's parent once the middle process is gone.
REAPER = ("import os, subprocess, sys, time\nfrom sutra_stack import libc\nlibc.become_subreaper()\n"
          "m = subprocess.Popen([sys.executable, '-c', 'import subprocess, sys; "
          "print(subprocess.Popen([sys.executable, \"-c\", \"import time; time.sleep(120)\"]).pid)'],"
          " stdout=subprocess.PIPE, text=True)\n"
          "pid = int(m.stdout.readline()); m.wait()\n"
          "import psutil\ng = psutil.Process(pid)\nfor _ in range(200):\n"
          "    if g.ppid() != m.pid: break\n    time.sleep(0.01)\n"
          "print(os.getpid(), g.ppid(), pid, flush=True)\ng.kill(); g.wait()\n")


def _run(code: str, *args: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=child_env(), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_a_child_with_a_parent_death_signal_dies_with_its_parent() -> None:
    pid, armed = (int(x) for x in _run(MIDDLE, ARMED_CHILD))
    try:
        assert armed == 1
        wait_until(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE,
                   timeout=20, what=f"the orphaned child {pid} to be killed")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_a_subreaper_adopts_its_orphaned_grandchildren() -> None:
    reaper, parent, grandchild = (int(x) for x in _run(REAPER))
    assert parent == reaper, f"grandchild {grandchild} went to {parent}, not to the subreaper {reaper}"


def test_mallopt_and_malloc_trim_answer_on_glibc() -> None:
    code = ("from sutra_stack import libc\n"
            "print(int(libc.mallopt(libc.M_MMAP_THRESHOLD, 256 * 1024)), int(libc.can_trim()))\n")
    assert _run(code) == ["1", "1"]
