"""Spawning and ending child processes so that no descendant outlives its service or us.

- Each child runs in its own session/process group; stopping a service signals the whole
  group, then SIGKILLs whatever is left of it, including descendants that left the group
  (found by the instance marker in their environment).
- The child asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG, set by
  `setpriv` before it execs the program: no Python runs between fork and exec), and the
  supervisor is a child subreaper
  (PR_SET_CHILD_SUBREAPER), so orphaned grandchildren come back to it and are reaped.
- A small guard process (`guard.py`) holds a pipe from the supervisor; when the supervisor
  dies, even by SIGKILL, the pipe closes and the guard kills every process that carries
  this supervisor's marker in its environment: grandchildren, shell wrappers' children,
  uvicorn workers.
- Exits are noticed as they happen: each child has a pidfd watched by the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from sutra_stack.supervisor.guard import kill_marked
from sutra_stack.supervisor.sockets import SD_LISTEN_FDS_START, accepting

if TYPE_CHECKING:
    from sutra_stack.supervisor.logs import Pump

MARKER_VAR = "SUTRA_SUPERVISOR_MARK"  # value: "<supervisor id>/<service>/<instance>"
_known_pids: set[int] = set()  # children the supervisor waits for itself (not orphans)
_live: dict[int, Child] = {}  # every running child (services, instances being stopped, probes)
_supervisor_id = "none"  # set by start_guard; the prefix of every marker this supervisor hands out


# Set-up of a child without Python code between fork and exec (a process with threads may deadlock
# there): the parent-death signal is set by util-linux's `setpriv`, which then execs the program
# (none where it is missing: the guard and the subreaper still catch every descendant); listening
# sockets are moved to fds 3.. and LISTEN_PID (only known after fork) is set by a one-line bash
# script that execs the program. The descriptors are passed high (from LISTEN_FD_BASE up) so that
# moving them to 3.. never overwrites one not yet moved.
SETPRIV = shutil.which("setpriv")
BASH = shutil.which("bash")
LISTENING_TTL = 1.0  # seconds a child's list of listening ports is reused
LISTEN_FD_BASE = 100  # the handed sockets are passed at this descriptor or above, then moved to 3..


def _child_argv(argv: list[str], fds: list[int]) -> list[str]:
    """The command line that sets the child up then execs `argv` (see above); `fds` (all at least
    LISTEN_FD_BASE) become 3, 4, ... in the child."""
    out = [SETPRIV, "--pdeathsig", "KILL", "--"] if SETPRIV else []
    if fds:
        if BASH is None:
            raise FileNotFoundError("bash: not found on PATH (needed to hand listening sockets to a service)")
        moves = " ".join(f"{SD_LISTEN_FDS_START + i}<&{fd} {fd}<&-" for i, fd in enumerate(fds))
        out += [BASH, "-c", f'exec {moves}; export LISTEN_PID=$$; exec "$@"', "sutra-listen-fds"]
    return out + argv


def resolve_argv(argv: tuple[str, ...], env: dict[str, str], cwd: Path) -> list[str]:
    """argv with the program found on the child's PATH; FileNotFoundError names what is missing."""
    prog = argv[0]
    if "/" in prog:
        path = prog if os.path.isabs(prog) else str(cwd / prog)
        if not os.access(path, os.X_OK):
            raise FileNotFoundError(f"{prog}: not found or not executable")
        return [path, *argv[1:]]
    found = shutil.which(prog, path=env.get("PATH", os.defpath))
    if found is None:
        raise FileNotFoundError(f"{prog}: not found on PATH")
    return [found, *argv[1:]]


class Child:
    """One running process: spawned, watched through a pidfd, reaped, killed as a tree."""

    pump: Pump  # what copies its output to the logs, set by the service that spawns it

    def __init__(self, argv: list[str], *, env: dict[str, str], cwd: Path, listen_fds: list[int],
                 marker: str) -> None:
        env = {**env, MARKER_VAR: marker}
        self.marker = marker
        self.unhealthy = False  # stopped by the supervisor after liveness failures
        env = {**env, "LISTEN_FDS": str(len(listen_fds))} if listen_fds else env
        self.started = time.time()
        high: list[int] = []  # the sockets at LISTEN_FD_BASE.. for the shim; closed once it runs
        # stdout and stderr share one pipe; the read end is ours (`self.out_fd`), non-inheritable
        self.out_fd, w = os.pipe()
        try:
            high += [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, LISTEN_FD_BASE) for fd in listen_fds]
            self.proc = subprocess.Popen(
                _child_argv(argv, high), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=w, stderr=w, start_new_session=True, close_fds=True, pass_fds=high,
            )
        except BaseException:
            os.close(self.out_fd)
            raise
        finally:
            os.close(w)
            for fd in high:
                os.close(fd)
        self.argv = argv
        self.pid = self.proc.pid
        _known_pids.add(self.pid)
        _live[self.pid] = self
        self.pidfd = os.pidfd_open(self.pid)
        self.exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().add_reader(self.pidfd, self._on_exit)
        self._ps: psutil.Process | None = None
        self._listening: list[str] = []
        self._listening_at = -LISTENING_TTL

    def _on_exit(self) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(self.pidfd)
        os.close(self.pidfd)
        code = self.proc.wait()
        _known_pids.discard(self.pid)
        _live.pop(self.pid, None)
        if not self.exited.done():
            self.exited.set_result(code)

    @property
    def returncode(self) -> int | None:
        return self.exited.result() if self.exited.done() else None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)
        if self.exited.done():
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, sig)  # in case it left its group

    async def finish(self) -> int:
        """After the exit: SIGKILL what is left of its group and of its marked descendants, then let its
        output drain (2 s at most); how many descendants were left behind."""
        self.signal_group(signal.SIGKILL)  # the group outlived its leader
        killed = await asyncio.to_thread(self.kill_descendants)
        pump = getattr(self, "pump", None)
        if pump is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(pump.done), 2.0)
            pump.close()
        return killed

    def tail(self) -> list[str]:
        pump = getattr(self, "pump", None)
        return [] if pump is None else pump.tail()

    def listening(self, fresh: bool = False) -> list[str]:
        """host:port of each TCP socket the process or a descendant listens on (what `status` shows);
        reused for a second (`sutra up -d` asks for the status every 20 ms) unless `fresh` (asked on
        readiness, so the addresses it shows then are the current ones)."""
        now = time.monotonic()
        if not fresh and now - self._listening_at < LISTENING_TTL:
            return list(self._listening)
        self._listening, self._listening_at = self._find_listening(), now
        return list(self._listening)

    def _find_listening(self) -> list[str]:
        out: list[str] = []
        try:
            procs = [psutil.Process(self.pid), *psutil.Process(self.pid).children(recursive=True)]
        except psutil.Error:
            return out
        for p in procs:
            with contextlib.suppress(psutil.Error):
                for c in p.net_connections(kind="tcp"):
                    if c.status == psutil.CONN_LISTEN and c.laddr:
                        ip = c.laddr.ip.removeprefix("::ffff:")  # an IPv4 address on a dual-stack socket
                        addr = f"[{ip}]:{c.laddr.port}" if ":" in ip else f"{ip}:{c.laddr.port}"
                        if addr not in out:
                            out.append(addr)
        return out

    def accepting(self, inodes: set[int], full: bool) -> bool | None:
        """Whether it (with `full`, or one of its descendants) waits for connections on one of `inodes`."""
        return accepting([self.pid, *(self.descendant_pids() if full else [])], inodes)

    def kill_descendants(self) -> int:
        """SIGKILL every process still carrying this instance's marker (left behind by the group)."""
        return kill_marked(f"{MARKER_VAR}={self.marker}", exact=True)

    def descendant_pids(self) -> list[int]:
        try:
            return [p.pid for p in psutil.Process(self.pid).children(recursive=True)]
        except psutil.Error:
            return []

    def usage(self) -> tuple[float, int]:
        """CPU % and resident memory of the process and its descendants."""
        try:
            if self._ps is None:
                self._ps = psutil.Process(self.pid)
                self._kids: dict[int, psutil.Process] = {}
            cpu, rss = self._ps.cpu_percent(None), self._ps.memory_info().rss
            kids = {}
            for k in self._ps.children(recursive=True):
                k = self._kids.get(k.pid, k)
                kids[k.pid] = k
                with contextlib.suppress(psutil.Error):
                    cpu += k.cpu_percent(None)
                    rss += k.memory_info().rss
            self._kids = kids
            return cpu, rss
        except psutil.Error:
            return 0.0, 0


def kill_all() -> None:
    """SIGKILL every running child's group at once (a second Ctrl-C)."""
    for child in list(_live.values()):
        child.signal_group(signal.SIGKILL)


def reap_orphans() -> list[int]:
    """Reap zombies reparented to us (we are a subreaper) that no Child waits for."""
    reaped = []
    with contextlib.suppress(psutil.Error):
        for p in psutil.Process().children():
            if p.pid in _known_pids:
                continue
            with contextlib.suppress(ChildProcessError, OSError):
                pid, _ = os.waitpid(p.pid, os.WNOHANG)
                if pid:
                    reaped.append(pid)
    return reaped


def start_guard(supervisor_id: str) -> subprocess.Popen[bytes]:
    """The process that kills our descendants when we die (see guard.py)."""
    global _supervisor_id
    _supervisor_id = supervisor_id
    guard = Path(__file__).with_name("guard.py")
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", str(guard), f"{MARKER_VAR}={supervisor_id}/"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _known_pids.add(proc.pid)
    return proc


async def run_exec(argv: list[str], timeout: float, env: dict[str, str], cwd: Path) -> tuple[int | None, str]:
    """Run a short command (an exec probe); its exit code (None on timeout) and output tail."""
    child = Child(argv, env=env, cwd=cwd, listen_fds=[], marker=f"{_supervisor_id}/probe")
    out = b""
    try:
        code: int | None = await asyncio.wait_for(asyncio.shield(child.exited), timeout)
        os.set_blocking(child.out_fd, False)
        with contextlib.suppress(BlockingIOError):
            out = os.read(child.out_fd, 4096)
    except TimeoutError:
        child.signal_group(signal.SIGKILL)
        code = None
    finally:
        os.close(child.out_fd)
    return code, out.decode(errors="replace").strip()[-200:]
