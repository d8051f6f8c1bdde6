"""Readiness and liveness probes: grpc (grpc.health.v1 Check), http GET, tcp connect, exec.

Each probe is one async call returning (ok, detail). The grpc probe speaks the real health
protocol, so a server that is up but NOT_SERVING (still loading) is not ready. grpc is
spoken with h2 (pure-Python HTTP/2), to keep grpcio out of the supervisor's memory: measured in
the supervisor's loop (bench/bench_supervisor.py), a probe costs 0.65 ms CPU and 1.0 ms with h2,
0.57 ms and 1.0 ms with grpcio's health stub on a channel per probe, 0.18 ms and 0.3 ms on a
channel kept open; but importing grpcio adds 21 MB to the supervisor (h2: 3.5 MB) and its
threads, for probes that run a few times a second at most and mostly only until ready.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sutra_stack.supervisor.process import resolve_argv, run_exec
from sutra_stack.supervisor.spec import ProbeSpec


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


_HEALTH_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}
_GRPC_CODES = ("OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
               "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
               "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED")


def _health_request(service: str) -> bytes:
    """A grpc.health.v1.HealthCheckRequest (field 1: service) in a gRPC length-prefixed frame."""
    name = service.encode()
    msg = (b"\x0a" + _varint(len(name)) + name) if name else b""
    return b"\x00" + len(msg).to_bytes(4, "big") + msg


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _health_status(frame: bytes) -> int:
    """ServingStatus (field 1, varint) of a HealthCheckResponse frame; 0 when absent."""
    msg, i = frame[5:], 0
    while i < len(msg):
        key = msg[i]
        i += 1
        if key == 0x08:
            val, shift = 0, 0
            while True:
                b = msg[i]
                i += 1
                val |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    return val
        break  # unknown field: the message has nothing else we need
    return 0


async def probe_grpc(p: ProbeSpec) -> tuple[bool, str]:
    """The real grpc.health.v1.Health/Check call, over plaintext HTTP/2 (h2), one connection per probe.

    Speaking the protocol with h2 keeps grpcio (≈15 MB) out of the supervisor."""
    status, detail = await grpc_health(p.host, p.port, p.service, p.timeout)
    return status == 1, detail


async def grpc_serving(host: str, port: int, service: str, timeout: float) -> bool | None:
    """True when health `service` is SERVING, False when it answers otherwise, None when there is no answer."""
    status, _ = await grpc_health(host, port, service, timeout)
    return None if status is None else status == 1


async def grpc_health(host: str, port: int, service: str, timeout: float) -> tuple[int | None, str]:
    """(ServingStatus, detail) of one grpc.health.v1 Check of `service`; (None, detail) without an answer."""
    # Imported here: h2 costs 47 ms to import, and every `sutra` command imports this module.
    import h2.config
    import h2.connection
    import h2.events

    target = f"{host}:{port}"
    w = None
    try:
        async with asyncio.timeout(timeout):
            r, w = await asyncio.open_connection(host, port)
            conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
            conn.initiate_connection()
            conn.send_headers(1, [(":method", "POST"), (":scheme", "http"), (":authority", target),
                                  (":path", "/grpc.health.v1.Health/Check"), ("content-type", "application/grpc"),
                                  ("te", "trailers")])
            conn.send_data(1, _health_request(service), end_stream=True)
            w.write(conn.data_to_send())
            body, headers = b"", dict[str, str]()
            done = False
            while not done:
                data = await r.read(65536)
                if not data:
                    return None, f"grpc health {target}: connection closed"
                for ev in conn.receive_data(data):
                    if isinstance(ev, h2.events.DataReceived):
                        body += ev.data
                        conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    elif isinstance(ev, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                        headers.update((str(k), str(v)) for k, v in ev.headers)  # str: header_encoding
                    elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset, h2.events.ConnectionTerminated)):
                        done = True
                w.write(conn.data_to_send())
    except (OSError, TimeoutError) as e:
        return None, f"grpc health {target}: UNAVAILABLE ({e.__class__.__name__}: {e})"
    except Exception as e:  # noqa: BLE001 - a server that is not HTTP/2 / gRPC
        return None, f"grpc health {target}: not a gRPC answer ({e.__class__.__name__})"
    finally:
        if w is not None:
            w.close()
    code = int(headers.get("grpc-status", "0") or 0)
    if code != 0:
        name = _GRPC_CODES[code] if code < len(_GRPC_CODES) else str(code)
        return None, f"grpc health {target}: {name} {headers.get('grpc-message', '')}".rstrip()
    status = _health_status(body) if len(body) >= 5 else 0
    return status, f"grpc health {target}: {_HEALTH_STATUS.get(status, str(status))}"


async def probe_exec(p: ProbeSpec, env: dict[str, str], cwd: Path) -> tuple[bool, str]:
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

