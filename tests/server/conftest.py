"""Fixtures for the storage server tests: real server processes on ephemeral loopback ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.storage_server import StorageServerHandle, storage_server

TOKEN = "s3cret-token-for-tests"
# Small, fast stores: tests need few concepts and no fsync wait.
FAST_ENV = {"SUTRA_STORAGE_FSYNC": "off", "SUTRA_EMBEDDING_DIM": "64"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StorageServerHandle]:
    """One server without a token, shared by a module's tests."""
    with storage_server(tmp_path_factory.mktemp("srv") / "data", env=FAST_ENV) as srv:
        yield srv


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StorageServerHandle]:
    """One server that requires TOKEN on every StorageService call."""
    with storage_server(tmp_path_factory.mktemp("srv-token") / "data", token=TOKEN, env=FAST_ENV) as srv:
        yield srv


def addresses(srv: StorageServerHandle) -> dict[str, str]:
    """The three ways a client can reach one server."""
    return {"auto": srv.address, "grpc": srv.grpc_address, "tcp": srv.fast_address}
