"""Readiness and liveness probes: grpc (grpc.health.v1 Check), http GET, tcp connect, exec.

Each probe is one async call returning (ok, detail). The grpc probe speaks the real health
protocol, so a server that is up but NOT_SERVING (still loading) is not ready. grpc is
imported only when a grpc probe runs, to keep the supervisor small otherwise.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from sutra_stack.supervisor.spec import ProbeSpec

_grpc_channels: dict[str, Any] = {}


async def probe_tcp(p: ProbeSpec) -> tuple[bool, str]:
    try:
        _, w = await asyncio.wait_for(asyncio.open_connection(p.host, p.port), p.timeout)
    except (OSError, TimeoutError) as e:
        return False, f"tcp {p.host}:{p.port}: {e.__class__.__name__}: {e}"
    w.close()
    return True, f"tcp {p.host}:{p.port} open"


async def probe_http(p: ProbeSpec) -> tuple[bool, str]:
    """GET p.path over HTTP/1.1 with a fresh connection; 2xx/3xx is success."""
    w = None
    try:
        async with asyncio.timeout(p.timeout):
            r, w = await asyncio.open_connection(p.host, p.port)
            w.write(f"GET {p.path} HTTP/1.1\r\nHost: {p.host}:{p.port}\r\nConnection: close\r\n\r\n".encode())
            status_line = await r.readline()
    except (OSError, TimeoutError) as e:
        return False, f"http {p.path}: {e.__class__.__name__}: {e}"
    finally:
        if w is not None:
            w.close()
    parts = status_line.split()
    if len(parts) < 2 or not parts[1].isdigit():
        return False, f"http {p.path}: not an HTTP answer: {status_line[:60]!r}"
    code = int(parts[1])
    return 200 <= code < 400, f"http {p.path}: {code}"


async def probe_grpc(p: ProbeSpec) -> tuple[bool, str]:
    # we fork+exec children while grpc threads run: grpc's fork handlers are not needed
    os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
    import grpc  # noqa: PLC0415 - only when a grpc probe runs
    from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: PLC0415

    target = f"{p.host}:{p.port}"
    channel = _grpc_channels.get(target)
    if channel is None:
        channel = _grpc_channels[target] = grpc.aio.insecure_channel(target)
    stub = health_pb2_grpc.HealthStub(channel)
    try:
        resp = await stub.Check(health_pb2.HealthCheckRequest(service=p.service), timeout=p.timeout)
    except grpc.aio.AioRpcError as e:
        return False, f"grpc health {target}: {e.code().name}"
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
    return resp.status == health_pb2.HealthCheckResponse.SERVING, f"grpc health {target}: {status}"


async def probe_exec(p: ProbeSpec, env: dict[str, str], cwd: Path) -> tuple[bool, str]:
    from sutra_stack.supervisor.process import resolve_argv, run_exec  # noqa: PLC0415

    try:
        argv = resolve_argv(p.command, env, cwd)
    except FileNotFoundError as e:
        return False, f"exec: {e}"
    code, out = await run_exec(argv, p.timeout, env, cwd)
    if code is None:
        return False, f"exec {p.command[0]}: timed out after {p.timeout:g}s"
    return code == 0, f"exec {os.path.basename(argv[0])}: exit {code}" + (f": {out}" if out else "")


async def run_probe(p: ProbeSpec, env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[bool, str]:
    if p.kind == "tcp":
        return await probe_tcp(p)
    if p.kind == "http":
        return await probe_http(p)
    if p.kind == "grpc":
        return await probe_grpc(p)
    return await probe_exec(p, env or dict(os.environ), cwd or Path.cwd())


async def close_channels() -> None:
    for ch in _grpc_channels.values():
        await ch.close()
    _grpc_channels.clear()
