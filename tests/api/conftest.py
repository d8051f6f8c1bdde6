"""Fixtures for sutra-api tests: real uvicorn processes (and real storage servers) on loopback ports."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.procs import PYTHON, free_port, running

API_START_TIMEOUT = 60.0


@dataclass
class Api:
    url: str
    port: int
    log: Path

    def client(self, token: str | None = None, timeout: float = 10.0) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)


def _alive(url: str) -> bool:
    return httpx.get(f"{url}/health", timeout=1.0).status_code == 200


@contextlib.contextmanager
def start_api(storage: str, tmp: Path, *, token: str = "", workers: int = 1, name: str = "api") -> Iterator[Api]:
    """Run `python -m sutra_stack.apps.api` against the storage server at `storage` until the block ends."""
    port = free_port()
    env = {
        "SUTRA_API_HOST": "127.0.0.1",
        "SUTRA_API_PORT": str(port),
        "SUTRA_API_WORKERS": str(workers),
        "SUTRA_STORAGE_SERVER": storage,
        "SUTRA_LOG_LEVEL": "WARNING",
    }
    if token:
        env["SUTRA_API_TOKEN"] = token
    url = f"http://127.0.0.1:{port}"
    log = tmp / f"{name}-{port}.log"
    with running([PYTHON, "-m", "sutra_stack.apps.api"], env=env, ready=lambda: _alive(url),
                 timeout=API_START_TIMEOUT, log=log):
        yield Api(url, port, log)


@pytest.fixture(scope="session")
def dead_storage() -> str:
    """An address where no storage server listens."""
    return f"127.0.0.1:{free_port()}"


@pytest.fixture(scope="module")
def api_without_storage(dead_storage: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with start_api(dead_storage, tmp_path_factory.mktemp("api-nostore")) as api:
        yield api


@dataclass
class Storage:
    address: str  # host:grpc_port, the value of SUTRA_STORAGE_SERVER
    port: int
    fast_port: int
    path: Path


def _serving(port: int) -> bool:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        reply = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""), timeout=1.0)
    return reply.status == health_pb2.HealthCheckResponse.SERVING


@contextlib.contextmanager
def start_storage(path: Path, port: int | None = None, fast_port: int | None = None) -> Iterator[Storage]:
    """Run a real storage server on loopback ports with its data in `path`, until the block ends."""
    port = port or free_port()
    fast_port = fast_port or free_port()
    env = {
        "SUTRA_STORAGE_PATH": str(path),
        "SUTRA_STORAGE_HOST": "127.0.0.1",
        "SUTRA_STORAGE_PORT": str(port),
        "SUTRA_STORAGE_FAST_PORT": str(fast_port),
        "SUTRA_STORAGE_FSYNC": "off",
        "SUTRA_LOG_LEVEL": "WARNING",
    }
    path.mkdir(parents=True, exist_ok=True)
    with running([PYTHON, "-m", "sutra_stack.storage.server"], env=env, ready=lambda: _serving(port),
                 timeout=60.0, log=path.parent / f"storage-{port}.log"):
        yield Storage(f"127.0.0.1:{port}", port, fast_port, path)


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Storage]:
    with start_storage(tmp_path_factory.mktemp("storage") / "data") as s:
        yield s


@pytest.fixture(scope="module")
def api(storage: Storage, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with start_api(storage.address, tmp_path_factory.mktemp("api")) as a:
        yield a
