"""Fixtures for sutra-api tests: real uvicorn processes (and real storage servers) on loopback ports."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.procs import PYTHON, free_port, running
from tests.support.storage_server import StorageServerHandle, storage_server

API_START_TIMEOUT = 60.0
STORAGE_ENV = {"SUTRA_STORAGE_FSYNC": "off"}  # durability is storage's own tests


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
def start_api(storage: str, tmp: Path, *, token: str = "", workers: int = 1, name: str = "api",
              storage_token: str = "", extra_env: dict[str, str] | None = None) -> Iterator[Api]:
    """Run `python -m sutra_stack.apps.api` against the storage server at `storage` until the block ends
    (`extra_env`: more SUTRA_* settings)."""
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
    if storage_token:
        env["SUTRA_STORAGE_TOKEN"] = storage_token
    env.update(extra_env or {})
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


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StorageServerHandle]:
    with storage_server(tmp_path_factory.mktemp("storage") / "data", env=STORAGE_ENV) as s:
        yield s


@pytest.fixture(scope="module")
def api(storage: StorageServerHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with start_api(storage.address, tmp_path_factory.mktemp("api")) as a:
        yield a
