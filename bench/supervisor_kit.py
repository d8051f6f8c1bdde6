"""What the supervisor's benchmarks share: the tree under test on sys.path, the test children,
a scratch supervisor (`Sup`), readiness checks, and the table row every figure is printed as."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import baseline  # bench/baseline.py: which tree's sutra_stack this run measures

TREE = baseline.setup_path()
ROOT = Path(__file__).resolve().parents[1]  # this checkout: the test children the bench runs

import httpx  # noqa: E402

from sutra_stack.config import load_config  # noqa: E402
from sutra_stack.supervisor.control import call  # noqa: E402
from sutra_stack.supervisor.manager import control_path  # noqa: E402
from sutra_stack.supervisor.spec import load_stack  # noqa: E402
from tests.support.procs import wait_until  # noqa: E402

PY = sys.executable
CHILDREN = ROOT / "tests" / "supervisor" / "children"
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("SUTRA_")}, "PYTHONPATH": str(TREE)}


def child(name: str, *args: str) -> str:
    return json.dumps([PY, str(CHILDREN / name), *args])


class Sup:
    """A supervisor in a scratch directory: in the background as `sutra up -d` runs it, or `sutra up` with a console."""

    def __init__(self, d: Path, services: str, console: Path | None = None) -> None:
        self.d = d
        (d / "sutra.toml").write_text(f'[storage]\npath = "{d / "data"}"\n{services}')
        argv = [PY, "-m", "sutra_stack", "up"] if console else [PY, "-m", "sutra_stack.supervisor"]
        self.out = open(console or d / "supervisor.out", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(argv, cwd=d, env=ENV, stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.sock = control_path(load_stack(load_config(d / "sutra.toml", environ={})))
        wait_until(lambda: all(r["state"] in ("ready", "exited") for r in self.status().values()), 60, 0.005)

    def status(self) -> dict[str, dict]:
        return {r["name"]: r for r in call(self.sock, {"cmd": "status"})["services"]}

    def events(self) -> list[tuple[float, str]]:
        out = []
        for line in (self.d / ".sutra" / "logs" / "sutra.log").read_text().splitlines():
            ts, _, text = line.partition(" ")
            out.append((datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp(), text))
        return out

    def close(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(120)
        self.out.close()


def row(name: str, ours: str, beside: str, target: str) -> None:
    print(f"| {name} | {ours} | {beside} | {target} |", flush=True)


def ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


def hand(fd: int, env: dict[str, str]) -> Callable[[], None]:
    """Hand a socket the way systemd does (LISTEN_PID is only known after fork)."""

    def setup() -> None:
        os.dup2(fd, 3)
        os.environ.clear()
        os.environ.update(env)
        os.environ["LISTEN_FDS"] = "1"
        os.environ["LISTEN_PID"] = str(os.getpid())
    return setup


def http_ok(port: int) -> bool:
    return httpx.get(f"http://127.0.0.1:{port}/ready").status_code == 200


def grpc_serving(port: int) -> bool:
    import grpc
    from grpc_health.v1 import health_pb2

    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        resp = ch.unary_unary("/grpc.health.v1.Health/Check",
                              request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                              response_deserializer=health_pb2.HealthCheckResponse.FromString)(
            health_pb2.HealthCheckRequest(), timeout=1)
        return resp.status == health_pb2.HealthCheckResponse.SERVING
