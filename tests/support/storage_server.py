"""A real storage server for tests: `with storage_server(tmp_path) as srv: StorageClient(srv.address)`.

Starts `python -m sutra_stack.storage.server` in its own process group on ephemeral loopback
ports (port 0, read back from the server's `listening grpc=… fast=…` log line) with its data
in a temporary directory, waits until grpc.health.v1 says SERVING, and always stops it.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.procs import PYTHON, running

LISTEN_RE = re.compile(r"listening grpc=(\S+):(\d+) fast=(\S+):(\d+)")


@dataclass
class StorageServerHandle:
    host: str
    port: int  # gRPC door
    fast_port: int  # MessagePack door
    path: Path  # data directory
    log: Path
    proc: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        """host:port of the gRPC door: the value of SUTRA_STORAGE_SERVER."""
        return f"{self.host}:{self.port}"

    @property
    def fast_address(self) -> str:
        return f"tcp://{self.host}:{self.fast_port}"

    @property
    def grpc_address(self) -> str:
        return f"grpc://{self.host}:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def listening_ports(log: Path) -> tuple[str, int, int] | None:
    """(host, grpc port, fast port) from a server log, once the server has bound them."""
    if not log.exists():
        return None
    m = LISTEN_RE.search(log.read_text(errors="replace"))
    return (m.group(1), int(m.group(2)), int(m.group(4))) if m else None


def health_status(host: str, port: int, service: str = "", tls_ca: Path | None = None) -> str:
    """grpc.health.v1 status name of the server (SERVING, NOT_SERVING, ...)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    target = f"{host}:{port}"
    if tls_ca is not None:
        ch = grpc.secure_channel(target, grpc.ssl_channel_credentials(tls_ca.read_bytes()))
    else:
        ch = grpc.insecure_channel(target)
    with ch:
        reply = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=service), timeout=2.0)
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


@contextlib.contextmanager
def storage_server(
    path: Path | None = None,
    *,
    port: int = 0,
    fast_port: int = 0,
    token: str = "",
    env: dict[str, str] | None = None,
    wait_serving: bool = True,
    timeout: float = 60.0,
    log: Path | None = None,
    tls_ca: Path | None = None,
) -> Iterator[StorageServerHandle]:
    """Run a real storage server with its data in `path` (default: a fresh temp dir) until the block ends.

    `env` adds SUTRA_* settings (e.g. SUTRA_STORAGE_FSYNC, TLS paths); `tls_ca` is used for the
    health probe when the server runs TLS. With `wait_serving=False` it returns once the
    ports are bound (the store may still be loading).
    """
    with contextlib.ExitStack() as stack:
        if path is None:
            path = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sutra-storage-"))) / "data"
        path.mkdir(parents=True, exist_ok=True)
        log = log or path.parent / f"storage-{path.name}.log"
        full_env = {
            "SUTRA_STORAGE_PATH": str(path),
            "SUTRA_STORAGE_HOST": "127.0.0.1",
            "SUTRA_STORAGE_PORT": str(port),
            "SUTRA_STORAGE_FAST_PORT": str(fast_port),
            "SUTRA_LOG_LEVEL": "INFO",
            **({"SUTRA_STORAGE_TOKEN": token} if token else {}),
            **(env or {}),
        }
        start = log.stat().st_size if log.exists() else 0

        def bound() -> tuple[str, int, int] | None:
            text = log.read_text(errors="replace")[start:] if log.exists() else ""
            m = LISTEN_RE.search(text)
            return (m.group(1), int(m.group(2)), int(m.group(4))) if m else None

        proc = stack.enter_context(running([PYTHON, "-m", "sutra_stack.storage.server"], env=full_env,
                                           ready=lambda: bound() is not None, timeout=timeout, log=log))
        host, gport, fport = bound()  # type: ignore[misc]
        handle = StorageServerHandle(host, gport, fport, path, log, proc, full_env)
        if wait_serving:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"storage server exited with {proc.returncode}:\n{handle.log_text()[-3000:]}")
                with contextlib.suppress(Exception):
                    if health_status(host, gport, tls_ca=tls_ca) == "SERVING":
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"storage server not SERVING after {timeout}s:\n{handle.log_text()[-3000:]}")
                time.sleep(0.05)
        yield handle
