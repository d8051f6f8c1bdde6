"""Fixtures for sutra-hybrid tests: a real `python -m sutra_stack.apps.hybrid` (and a real storage server)
on loopback ports, reached with the official `openai` SDK and httpx."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest

from tests.api.conftest import STORAGE_ENV
from tests.support.procs import PYTHON, free_port, running
from tests.support.storage_server import StorageServerHandle, storage_server

START_TIMEOUT = 60.0
FACTS = ("Smoking causes lung cancer.", "Lung cancer causes chest pain.", "Rain makes roads wet.")


@dataclass
class Hybrid:
    url: str
    port: int
    log: Path

    def client(self, key: str | None = None, timeout: float = 10.0) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def openai(self, key: str = "any-key", **kw: object) -> openai.OpenAI:
        """The official SDK, validating every response strictly against its models."""
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=key, _strict_response_validation=True,
                             max_retries=0, **kw)  # type: ignore[arg-type]

    def async_openai(self, key: str = "any-key") -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=f"{self.url}/v1", api_key=key, _strict_response_validation=True,
                                  max_retries=0)


def _alive(url: str) -> bool:
    return httpx.get(f"{url}/health", timeout=1.0).status_code == 200


@contextlib.contextmanager
def start_hybrid(storage: str, tmp: Path, *, token: str = "", api_token: str = "", workers: int = 1,
                 extra_env: dict[str, str] | None = None) -> Iterator[Hybrid]:
    """Run sutra-hybrid against the storage server at `storage` until the block ends."""
    port = free_port()
    env = {"SUTRA_HYBRID_HOST": "127.0.0.1", "SUTRA_HYBRID_PORT": str(port), "SUTRA_HYBRID_WORKERS": str(workers),
           "SUTRA_STORAGE_SERVER": storage, "SUTRA_LOG_LEVEL": "WARNING"}
    if token:
        env["SUTRA_HYBRID_TOKEN"] = token
    if api_token:
        env["SUTRA_API_TOKEN"] = api_token
    env.update(extra_env or {})
    url = f"http://127.0.0.1:{port}"
    log = tmp / f"hybrid-{port}.log"
    with running([PYTHON, "-m", "sutra_stack.apps.hybrid"], env=env, ready=lambda: _alive(url),
                 timeout=START_TIMEOUT, log=log):
        yield Hybrid(url, port, log)


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StorageServerHandle]:
    with storage_server(tmp_path_factory.mktemp("storage") / "data", env=STORAGE_ENV) as s:
        yield s


@pytest.fixture(scope="module")
def hybrid(storage: StorageServerHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hybrid]:
    """sutra-hybrid with no key set, over a store taught FACTS."""
    with start_hybrid(storage.address, tmp_path_factory.mktemp("hybrid")) as h:
        with h.client() as c:
            for fact in FACTS:
                assert c.post("/sutra/learn", json={"content": fact}).status_code == 200
        yield h
