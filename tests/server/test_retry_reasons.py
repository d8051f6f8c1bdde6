"""Connection-level errors carry a typed reason, and the clients decide on it (not on message text):
nothing reachable is UNREACHABLE; a connection lost during a call is CONNECTION_LOST and the call is
not sent again (a write may have been applied); a call the server closed unread for idling
(CLOSED_IDLE, whatever its message says) is sent again on a new connection and succeeds."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

import msgpack
import pytest

from sutra_stack.errors import Reason, Unavailable
from sutra_stack.storage import AsyncStorageClient, StorageClient
from sutra_stack.storage.wire import PROTOCOL_VERSION
from tests.support.procs import free_port

HELLO = {"hello": {"version": PROTOCOL_VERSION, "protocol_version": PROTOCOL_VERSION, "server_version": "peer"}}


def _read(conn: socket.socket) -> Any:
    head = b""
    while len(head) < 4:
        chunk = conn.recv(4 - len(head))
        if not chunk:
            return None
        head += chunk
    (n,) = struct.unpack(">I", head)
    body = b""
    while len(body) < n:
        body += conn.recv(n - len(body))
    return msgpack.unpackb(body, raw=False)


def _send(conn: socket.socket, obj: Any) -> None:
    body = msgpack.packb(obj, use_bin_type=True)
    conn.sendall(struct.pack(">I", len(body)) + body)


class Peer:
    """A fast-door peer on a loopback port: answers the hello, then answers the i-th connection's
    first request with `script[i](request)` (None: close without answering). Records the requests."""

    def __init__(self, script: list[Callable[[dict[str, Any]], Any]]) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen()
        self.port = self.lsock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        for answer in self.script:
            try:
                conn, _ = self.lsock.accept()
            except OSError:
                return
            with conn:
                _read(conn)
                _send(conn, HELLO)
                request = _read(conn)
                if request is None:
                    continue
                self.requests.append(request)
                reply = answer(request)
                if reply is not None:
                    _send(conn, reply)
                    _read(conn)  # until the client closes

    def close(self) -> None:
        self.lsock.close()


@pytest.fixture
def peer_factory() -> Iterator[Callable[[list[Callable[[dict[str, Any]], Any]]], Peer]]:
    peers: list[Peer] = []

    def make(script: list[Callable[[dict[str, Any]], Any]]) -> Peer:
        peers.append(Peer(script))
        return peers[-1]

    yield make
    for p in peers:
        p.close()


def call(kind: str, address: str) -> Any:
    """`stats()` through the sync or the async client."""
    if kind == "sync":
        with StorageClient(address, token="") as c:
            return c.server_info()

    async def run() -> Any:
        async with AsyncStorageClient(address, token="") as c:
            return await c.server_info()

    return asyncio.run(run())


@pytest.mark.parametrize("scheme", ["tcp://", "grpc://", ""])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_nothing_listening_is_unreachable(kind: str, scheme: str) -> None:
    with pytest.raises(Unavailable) as exc:
        call(kind, f"{scheme}127.0.0.1:{free_port()}")
    assert exc.value.reason is Reason.UNREACHABLE
    assert "cannot reach the storage server" in exc.value.message


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_connection_lost_during_a_call_is_not_sent_again(kind: str, peer_factory: Any) -> None:
    peer = peer_factory([lambda req: None, lambda req: {"id": req["id"], "result": {"sent": "twice"}}])
    with pytest.raises(Unavailable) as exc:
        call(kind, f"tcp://127.0.0.1:{peer.port}")
    assert exc.value.reason is Reason.CONNECTION_LOST
    assert "may or may not have been applied" in exc.value.message
    assert [r["op"] for r in peer.requests] == ["server_info"]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_call_closed_unread_for_idling_is_sent_again(kind: str, peer_factory: Any) -> None:
    idle_close = {"error": {"code": "UNAVAILABLE", "message": "bye"}, "closed": "idle"}  # the message says nothing
    peer = peer_factory([lambda req: idle_close,
                         lambda req: {"id": req["id"], "result": {"protocol_version": PROTOCOL_VERSION, "n": 2}}])
    assert call(kind, f"tcp://127.0.0.1:{peer.port}")["n"] == 2
    assert [r["op"] for r in peer.requests] == ["server_info", "server_info"]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_another_closing_frame_is_raised_not_retried(kind: str, peer_factory: Any) -> None:
    closing = {"error": {"code": "RESOURCE_EXHAUSTED", "message": "closed: idle"}}  # text alone decides nothing
    peer = peer_factory([lambda req: closing, lambda req: {"id": req["id"], "result": {}}])
    with pytest.raises(Exception) as exc:
        call(kind, f"tcp://127.0.0.1:{peer.port}")
    assert getattr(exc.value, "code", None) == "RESOURCE_EXHAUSTED"
    assert len(peer.requests) == 1
