"""The gRPC door bounds what a connection may cost: a caller without the token is refused before its
message is read, connections past `storage.max_connections` are closed, a connection that never
speaks HTTP/2 is dropped, and idle connections are closed without failing grpc clients."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import grpc
import pytest

from sutra_stack import limits
from sutra_stack.errors import Unauthenticated, Unavailable
from sutra_stack.storage import StorageClient
from sutra_stack.storage.proto import storage_pb2 as pb
from sutra_stack.storage.proto.convert import SERVICE_NAME
from tests.support.procs import wait_until
from tests.support.storage_server import StorageServerHandle, storage_server

from .conftest import FAST_ENV, TOKEN
from .memwatch import PeakRss, rss
from .test_fast_door_limits import established

MiB = 1024 * 1024
IDLE, MAX_CONNECTIONS = 2.0, 6
LIMITED_ENV = {**FAST_ENV, "SUTRA_STORAGE_IDLE_TIMEOUT": str(IDLE),
               "SUTRA_STORAGE_MAX_CONNECTIONS": str(MAX_CONNECTIONS)}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StorageServerHandle]:
    with storage_server(tmp_path_factory.mktemp("grpc-limited") / "data", token=TOKEN, env=LIMITED_ENV) as srv:
        yield srv


def _learn(srv: StorageServerHandle, content: str, token: str | None) -> grpc.StatusCode:
    """One LearnConcept call on a channel of its own; its status code."""
    options = [("grpc.max_send_message_length", -1), ("grpc.use_local_subchannel_pool", 1)]
    with grpc.insecure_channel(srv.address, options=options) as ch:
        call = ch.unary_unary(f"/{SERVICE_NAME}/LearnConcept")
        metadata = (("authorization", f"Bearer {token}"),) if token else None
        try:
            call(pb.LearnConceptRequest(content=content).SerializeToString(), timeout=120, metadata=metadata)
        except grpc.RpcError as e:
            return e.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def test_unauthenticated_60mb_calls_are_refused_before_they_are_read(token_server: StorageServerHandle) -> None:
    big = "x" * 60_000_000
    codes: list[grpc.StatusCode] = []
    with PeakRss(token_server.proc.pid) as peak:
        threads = [threading.Thread(target=lambda: codes.append(_learn(token_server, big, None))) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
    assert codes == [grpc.StatusCode.UNAUTHENTICATED] * 8
    assert peak.growth < 300 * MiB, f"RSS grew by {peak.growth / MiB:.0f} MiB"
    with StorageClient(token_server.grpc_address, token=TOKEN) as c:
        assert c.health()["status"] == "SERVING"


def test_memory_of_large_requests_is_given_back(token_server: StorageServerHandle) -> None:
    """Eight 60 MB requests (refused for their content's size, after being read whole): the server's
    resident memory returns to near where it was instead of staying up by their size."""
    big = "x" * 60_000_000
    start = rss(token_server.proc.pid)
    codes: list[grpc.StatusCode] = []
    threads = [threading.Thread(target=lambda: codes.append(_learn(token_server, big, TOKEN))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert codes == [grpc.StatusCode.INVALID_ARGUMENT] * 8
    wait_until(lambda: rss(token_server.proc.pid) - start < 400 * MiB, timeout=60,
               what="the server to give back the memory of the large requests")


def test_the_token_is_still_checked_on_every_storage_call(token_server: StorageServerHandle) -> None:
    for address in (token_server.grpc_address, token_server.address):
        with StorageClient(address, token="wrong") as c, pytest.raises(Unauthenticated, match="wrong storage token"):
            c.stats()
    with StorageClient(token_server.grpc_address, token="") as c, pytest.raises(Unauthenticated, match="requires"):
        c.learn_stream([[]])
    assert _learn(token_server, "fine", TOKEN) == grpc.StatusCode.OK


def _closed(sock: socket.socket) -> bool:
    """True once the server has closed `sock` (without waiting)."""
    try:
        return sock.recv(1, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


def test_connections_past_the_limit_are_closed_and_silent_ones_dropped(limited: StorageServerHandle) -> None:
    wait_until(lambda: established(limited, limited.port) == 0, what="no gRPC connection left")
    socks = [socket.create_connection(("127.0.0.1", limited.port), timeout=5) for _ in range(MAX_CONNECTIONS + 1)]
    try:
        wait_until(lambda: _closed(socks[-1]), timeout=10, what="the connection past the limit to be closed")
        assert not _closed(socks[0])  # those within the limit stay until their handshake time-out
        with StorageClient(limited.grpc_address, token=TOKEN) as c, \
                pytest.raises(Unavailable, match="storage.max_connections"):
            c.stats()
        # None of them sent the HTTP/2 preface: each is dropped once HELLO_TIMEOUT_SECONDS pass.
        wait_until(lambda: all(_closed(s) for s in socks), timeout=limits.HELLO_TIMEOUT_SECONDS + 20,
                   what="connections that never spoke HTTP/2 to be dropped")
    finally:
        for s in socks:
            s.close()
    with StorageClient(limited.grpc_address, token=TOKEN) as c:
        assert c.health()["status"] == "SERVING"


def test_idle_grpc_connections_are_closed_and_clients_carry_on(limited: StorageServerHandle) -> None:
    with StorageClient(limited.grpc_address, token=TOKEN) as c:
        for _ in range(3):
            assert c.health()["status"] == "SERVING"
            wait_until(lambda: established(limited, limited.port) == 0, timeout=IDLE * 10,
                       what="the server closing the idle gRPC connection")
        assert c.stats().concepts >= 0


def test_a_busy_client_is_not_sent_away(limited: StorageServerHandle) -> None:
    """Calls keep one connection busy for longer than the idle time-out; none of them fails."""
    with StorageClient(limited.grpc_address, token=TOKEN) as c:
        for _ in range(int(IDLE * 2 / 0.1)):
            assert c.health()["status"] == "SERVING"
            time.sleep(0.1)
