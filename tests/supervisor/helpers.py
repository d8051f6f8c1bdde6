"""Helpers for supervisor tests: write a stack config, run a real supervisor, ask it over its socket."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

from sutra_stack.config import load_config
from sutra_stack.supervisor.control import call
from sutra_stack.supervisor.manager import control_path
from sutra_stack.supervisor.spec import load_stack
from tests.support.procs import ROOT, child_env, free_port, wait_until

CHILDREN = Path(__file__).resolve().parent / "children"
PY = sys.executable


def child(name: str, *args: str) -> str:
    """A TOML argv list running one of the test children."""
    return json.dumps([PY, str(CHILDREN / name), *args])


def write_config(d: Path, services: str, extra: str = "") -> Path:
    cfg = d / "sutra.toml"
    cfg.write_text(f"[storage]\npath = \"{d / 'data'}\"\n{extra}\n{services}", encoding="utf-8")
    return cfg


def sutra(d: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real `sutra` command in directory d."""
    return subprocess.run([PY, "-m", "sutra_stack", *args], cwd=d, env=child_env({"PYTHONPATH": str(ROOT)}),
                          capture_output=True, text=True, timeout=timeout)


def builtin_env(d: Path) -> tuple[int, int, int]:
    """Free ports for the built-in stack (no sutra.toml) in d, through .env: (grpc, fast door, api);
    every other service of it gets one too."""
    ports: list[int] = []
    while len(ports) < 6:  # different ones (free_port may answer the same port twice)
        if (p := free_port()) not in ports:
            ports.append(p)
    grpc_port, fast_port, api_port, hybrid_port, client_port, control_port = ports
    (d / ".env").write_text(f"SUTRA_STORAGE_PORT={grpc_port}\nSUTRA_STORAGE_FAST_PORT={fast_port}\n"
                            f"SUTRA_API_PORT={api_port}\nSUTRA_STORAGE_PATH={d / 'knowledge'}\n"
                            f"SUTRA_HYBRID_PORT={hybrid_port}\n"
                            f"SUTRA_CLIENT_PORT={client_port}\nSUTRA_CLIENT_MODE=static\n"
                            f"SUTRA_CONTROL_PORT={control_port}\n")
    return grpc_port, fast_port, api_port


def env_port(d: Path, var: str) -> int:
    """A port builtin_env wrote into d/.env (e.g. SUTRA_CONTROL_PORT)."""
    for line in (d / ".env").read_text().splitlines():
        if line.startswith(var + "="):
            return int(line.split("=", 1)[1])
    raise KeyError(var)


class Supervisor:
    def __init__(self, d: Path, proc: subprocess.Popen[bytes]) -> None:
        self.d, self.proc = d, proc
        self.sock = control_path(load_stack(load_config(d / "sutra.toml", environ={})))

    def ask(self, cmd: str, **kw: Any) -> dict[str, Any]:
        return call(self.sock, {"cmd": cmd, **kw}, timeout=30)

    def status(self) -> dict[str, dict[str, Any]]:
        return {r["name"]: r for r in self.ask("status")["services"]}

    def wait_state(self, name: str, *states: str, timeout: float = 20) -> dict[str, Any]:
        row: dict[str, Any] = {}

        def check() -> bool:
            nonlocal row
            row = self.status()[name]
            return row["state"] in states

        wait_until(check, timeout, 0.02, what=f"{name} in {states} (last {row})")
        return row

    def events(self) -> str:
        return (self.d / ".sutra" / "logs" / "sutra.log").read_text()

    def log(self, name: str) -> str:
        return (self.d / ".sutra" / "logs" / f"{name}.log").read_text(errors="replace")

    def wait_log(self, name: str, text: str, timeout: float = 20) -> None:
        wait_until(lambda: text in self.log(name), timeout, 0.02, what=f"{text!r} in {name}'s log")

    def descendants(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.Error):
            return psutil.Process(self.proc.pid).children(recursive=True)
        return []


@contextlib.contextmanager
def supervisor(d: Path, *names: str, wait_ready: bool = True, timeout: float = 30) -> Iterator[Supervisor]:
    """A real background supervisor (what `sutra up -d` starts) on the config in d; always stopped afterwards."""
    out = open(d / "supervisor.out", "ab")  # noqa: SIM115
    proc = subprocess.Popen([PY, "-m", "sutra_stack.supervisor", *names], cwd=d,
                            env=child_env({"PYTHONPATH": str(ROOT)}), stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    sup = Supervisor(d, proc)
    try:
        def up() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"supervisor exited {proc.returncode}: {(d / 'supervisor.out').read_text()[-3000:]}")
            return sup.sock.exists()

        wait_until(up, timeout, what="control socket")
        if wait_ready:
            wait_until(lambda: all(r["state"] in ("ready", "exited") for r in sup.status().values()), timeout,
                       what="every service ready")
        yield sup
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
        out.close()


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_gone(pids: list[int], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return
        time.sleep(0.05)
    raise AssertionError(f"still alive: {[p for p in pids if alive(p)]}")
