"""Helpers for tests that start real processes: free loopback ports, waiting, clean teardown."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float = 20.0, interval: float = 0.02, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as e:  # noqa: BLE001 - the check may fail until the thing is up
            last = e
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what or check}: {last!r}")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test's environment minus any SUTRA_* variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUTRA_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


@contextlib.contextmanager
def running(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    ready: Callable[[], bool] | None = None,
    timeout: float = 30.0,
    log: Path | None = None,
    stop_timeout: float = 10.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a real process in its own group, wait for `ready`, and always stop it (SIGTERM, then SIGKILL)."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        list(argv), env=child_env(env), cwd=cwd or ROOT, stdout=out, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        if ready is not None:
            def check() -> bool:
                if proc.poll() is not None:
                    tail = log.read_text(errors="replace")[-2000:] if log else ""
                    raise RuntimeError(f"{argv[0]} exited with {proc.returncode} before it was ready\n{tail}")
                return ready()
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if check():
                        break
                except RuntimeError:
                    raise
                except Exception:  # noqa: BLE001 - not ready yet: the check may fail until the thing is up
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{' '.join(argv)} not ready after {timeout}s")
                time.sleep(0.02)
        yield proc
    finally:
        stop(proc, stop_timeout)
        if log:
            out.close()  # type: ignore[union-attr]


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it has not gone."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers of the group
