"""StorageClient on its own: addresses, a server that is not there, a server that moved, a protocol it
does not speak."""

from __future__ import annotations

import socket
import struct
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest

from sutra_stack.errors import FailedPrecondition, InvalidArgument, Unavailable
from sutra_stack.storage import StorageClient
from sutra_stack.storage.client.codec import parse_address
from tests.support.procs import free_port
from tests.support.storage_server import storage_server

from .conftest import FAST_ENV


def test_addresses() -> None:
    assert parse_address("localhost:50051") == ("auto", "localhost", 50051)
    assert parse_address("tcp://10.0.0.2:50052") == ("tcp", "10.0.0.2", 50052)
    assert parse_address("grpc://[::1]:50051") == ("grpc", "::1", 50051)
    for bad in ("localhost", "http://localhost:50051", "host:notaport", ""):
        with pytest.raises(InvalidArgument, match="storage"):
            StorageClient(bad)


@pytest.mark.parametrize("scheme", ("", "grpc://", "tcp://"))
def test_no_server_there_says_where_and_what_to_do(scheme: str) -> None:
    port = free_port()
    with StorageClient(f"{scheme}127.0.0.1:{port}", timeout=5) as c, pytest.raises(Unavailable) as exc:
        c.stats()
    assert f"127.0.0.1:{port}" in str(exc.value)
    assert "`sutra up` starts it" in str(exc.value) and "SUTRA_STORAGE_SERVER" in str(exc.value)


def test_address_and_token_default_to_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with storage_server(tmp_path / "data", env=FAST_ENV, token="tok") as srv:
        monkeypatch.setenv("SUTRA_STORAGE_SERVER", srv.address)
        monkeypatch.setenv("SUTRA_STORAGE_TOKEN", "tok")
        with StorageClient() as c:
            assert c.health()["status"] == "SERVING"


def test_the_client_follows_a_restarted_server_to_its_new_fast_port(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    with StorageClient(f"127.0.0.1:{port}") as c:
        with storage_server(data, port=port, fast_port=0, env=FAST_ENV) as first:
            cid = c.learn_concept(f"before the restart {uuid.uuid4().hex}")
            old_fast = first.fast_port
        new_fast = free_port()
        while new_fast == old_fast:
            new_fast = free_port()
        with storage_server(data, port=port, fast_port=new_fast, env=FAST_ENV) as second:
            assert c.query_concept(cid) is not None  # reconnects, asks ServerInfo again if the port moved
            assert c.server_info()["fast_port"] == second.fast_port


@pytest.fixture
def future_server() -> Iterator[int]:
    """A peer that answers the hello as a server of protocol version 2 would."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = lsock.accept()
            except OSError:
                return
            with conn:
                (n,) = struct.unpack(">I", conn.recv(4))
                conn.recv(n)
                body = msgpack.packb({"hello": {"version": 2, "protocol_version": 2, "server_version": "9.0"}})
                conn.sendall(struct.pack(">I", len(body)) + body)

    threading.Thread(target=serve, daemon=True).start()
    yield lsock.getsockname()[1]
    lsock.close()


def test_refuses_a_protocol_version_it_does_not_speak(future_server: int) -> None:
    with StorageClient(f"tcp://127.0.0.1:{future_server}") as c, pytest.raises(FailedPrecondition) as exc:
        c.stats()
    assert "protocol version 2" in str(exc.value) and "speaks 1" in str(exc.value)


def test_async_client_reconnects_after_a_restart(tmp_path: Path) -> None:
    import asyncio

    from sutra_stack.storage import AsyncStorageClient

    port, fast_port = free_port(), free_port()
    data = tmp_path / "data"

    async def use(c: AsyncStorageClient, text: str) -> str:
        cid = await c.learn_concept(text)
        assert await c.query_concept(cid) is not None
        return cid

    async def main() -> None:
        async with AsyncStorageClient(f"127.0.0.1:{port}") as c:
            with storage_server(data, port=port, fast_port=fast_port, env=FAST_ENV):
                first = await use(c, "async before the restart")
            with pytest.raises(Unavailable):  # the server is gone: a clear error, no hang
                await c.stats()
            with storage_server(data, port=port, fast_port=fast_port, env=FAST_ENV):
                await use(c, "async after the restart")
                assert await c.query_concept(first) is not None

    asyncio.run(main())
