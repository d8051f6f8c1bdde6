"""The fast door bounds what a connection may cost: memory before and after the hello, the number of
connections, and how long a connection may idle or take over one frame. Each refusal is an error
frame naming the limit or setting, and the server keeps serving everyone else."""

from __future__ import annotations

import asyncio
import struct
import threading
import time
from collections.abc import Iterator

import msgpack
import psutil
import pytest

from sutra_stack import limits
from sutra_stack.storage import AsyncStorageClient, StorageClient
from sutra_stack.storage.wire import CLOSED_IDLE
from tests.support.procs import wait_until
from tests.support.storage_server import StorageServerHandle, storage_server

from .conftest import FAST_ENV, TOKEN
from .memwatch import PeakRss
from .rawfast import RawFast, packb

MiB = 1024 * 1024
IDLE, FRAME, MAX_CONNECTIONS = 2.0, 1.0, 6
LIMITED_ENV = {**FAST_ENV, "SUTRA_STORAGE_IDLE_TIMEOUT": str(IDLE), "SUTRA_STORAGE_FRAME_TIMEOUT": str(FRAME),
               "SUTRA_STORAGE_MAX_CONNECTIONS": str(MAX_CONNECTIONS)}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StorageServerHandle]:
    """A server with a token, short time-outs and few connections."""
    with storage_server(tmp_path_factory.mktemp("srv-limited") / "data", token=TOKEN, env=LIMITED_ENV) as srv:
        yield srv


def established(srv: StorageServerHandle, port: int) -> int:
    """How many connections the server holds open on its `port` (its side not closed yet)."""
    return sum(1 for c in psutil.Process(srv.proc.pid).net_connections("tcp")
               if c.laddr and c.laddr.port == port and c.status in (psutil.CONN_ESTABLISHED, psutil.CONN_CLOSE_WAIT))


def _flood(port: int, frame_len: int, total: int, hello: bool) -> None:
    """Announce a frame of `frame_len` bytes and send `total` bytes of it, as fast as the server takes them."""
    conn = RawFast(port, hello=hello, token=TOKEN)
    chunk = b"\x00" * MiB
    try:
        conn.send_raw(struct.pack(">I", frame_len))
        for _ in range(total // MiB):
            conn.send_raw(chunk)
    except OSError:
        pass  # the server closed the connection: what a bounded server does
    finally:
        conn.close()


def test_a_large_frame_before_the_hello_is_refused_at_its_header(token_server: StorageServerHandle) -> None:
    conn = RawFast(token_server.fast_port, hello=False)
    conn.send_raw(struct.pack(">I", limits.MAX_HELLO_FRAME_BYTES + 1))
    reply = conn.recv()
    assert reply["error"]["code"] == "RESOURCE_EXHAUSTED", reply
    assert "MAX_HELLO_FRAME_BYTES" in reply["error"]["message"]
    assert conn.closed_by_server()
    conn.close()


def test_thirty_60mb_frames_before_the_hello_keep_memory_bounded(token_server: StorageServerHandle) -> None:
    with PeakRss(token_server.proc.pid) as peak:
        threads = [threading.Thread(target=_flood, args=(token_server.fast_port, 60_000_000, 60 * MiB, False))
                   for _ in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert peak.growth < 300 * MiB, f"RSS grew by {peak.growth / MiB:.0f} MiB"
    with StorageClient(token_server.fast_address, token=TOKEN) as c:
        assert c.health()["status"] == "SERVING"


def test_unfinished_frames_share_one_buffer_cap(token_server: StorageServerHandle) -> None:
    frame = 60_000_000  # under MAX_MESSAGE_BYTES; a few of them pass MAX_BUFFERED_BYTES
    fits = limits.MAX_BUFFERED_BYTES // (frame + 4)
    conns = [RawFast(token_server.fast_port, token=TOKEN) for _ in range(fits + 1)]
    bystander = RawFast(token_server.fast_port, token=TOKEN)
    try:
        for conn in conns:
            conn.send_raw(struct.pack(">I", frame) + b"\x00" * 1024)
        reply = conns[-1].recv()
        assert reply["error"]["code"] == "RESOURCE_EXHAUSTED", reply
        assert "MAX_BUFFERED_BYTES" in reply["error"]["message"]
        assert conns[-1].closed_by_server()
        assert bystander.call("health", None)["result"]["status"] == "SERVING"
    finally:
        for conn in conns:
            conn.close()
    # Closed connections give their share back: a whole large frame is read and answered again.
    body = packb({"id": 5, "op": "health", "args": None, "padding": b"\x00" * frame})
    wait_until(lambda: established(token_server, token_server.fast_port) == 1, what="the others to be closed")
    bystander.send_body(body)
    reply = bystander.recv()
    assert reply["id"] == 5 and reply["result"]["status"] == "SERVING", reply
    bystander.close()


def test_the_connection_over_the_limit_gets_an_error(limited: StorageServerHandle) -> None:
    wait_until(lambda: established(limited, limited.fast_port) == 0, what="no fast-door connection left")
    conns = [RawFast(limited.fast_port, token=TOKEN) for _ in range(MAX_CONNECTIONS)]
    try:
        extra = RawFast(limited.fast_port, hello=False)
        reply = extra.recv()
        assert reply["error"]["code"] == "RESOURCE_EXHAUSTED", reply
        assert f"storage.max_connections={MAX_CONNECTIONS}" in reply["error"]["message"]
        assert extra.closed_by_server()
        extra.close()
        assert conns[0].call("health", None)["result"]["status"] == "SERVING"  # the others are served
    finally:
        for conn in conns:
            conn.close()
    # Once connections close, new ones are served again.
    wait_until(lambda: established(limited, limited.fast_port) == 0, what="connections closed")
    with StorageClient(limited.fast_address, token=TOKEN) as c:
        assert c.health()["status"] == "SERVING"


def test_an_idle_connection_is_closed_with_a_frame_saying_so(limited: StorageServerHandle) -> None:
    conn = RawFast(limited.fast_port, token=TOKEN)
    conn.sock.settimeout(IDLE + 10)
    reply = conn.recv()  # nothing sent: the next frame is the server's parting one
    assert reply["error"]["code"] == "UNAVAILABLE" and reply.get("closed") == CLOSED_IDLE, reply
    assert "storage.idle_timeout" in reply["error"]["message"]
    assert "id" not in reply
    assert conn.closed_by_server()
    conn.close()


def test_the_hello_tells_the_idle_timeout(limited: StorageServerHandle) -> None:
    conn = RawFast(limited.fast_port, hello=False)
    conn.send({"hello": {"version": 1, "token": TOKEN}})
    assert conn.recv()["hello"]["idle_timeout"] == IDLE
    conn.close()


def test_a_frame_that_takes_too_long_closes_its_connection(limited: StorageServerHandle) -> None:
    conn = RawFast(limited.fast_port, token=TOKEN)
    conn.send_raw(struct.pack(">I", 100) + b"\x00" * 10)  # 10 of 100 bytes, then silence
    reply = conn.recv()
    assert reply["error"]["code"] == "INVALID_ARGUMENT" and "storage.frame_timeout" in reply["error"]["message"]
    assert conn.closed_by_server()
    conn.close()


def test_a_frame_trickled_byte_by_byte_is_cut_off(limited: StorageServerHandle) -> None:
    """Bytes that keep coming do not keep a frame alive: the frame as a whole must arrive in time."""
    conn = RawFast(limited.fast_port, token=TOKEN)
    body = msgpack.packb({"id": 1, "op": "health", "args": None})
    frame = struct.pack(">I", len(body)) + body
    deadline = time.monotonic() + FRAME * 10
    closed = False
    try:
        for byte in frame:
            conn.send_raw(bytes([byte]))
            time.sleep(FRAME / 4)
            if time.monotonic() > deadline:
                break
    except OSError:
        closed = True
    if not closed:
        reply = conn.recv()
        assert reply.get("error", {}).get("code") == "INVALID_ARGUMENT", reply
        assert "storage.frame_timeout" in reply["error"]["message"]
    conn.close()


@pytest.mark.parametrize("door", ["auto", "tcp"])
def test_storage_client_reconnects_after_an_idle_close(limited: StorageServerHandle, door: str) -> None:
    address = {"auto": limited.address, "tcp": limited.fast_address}[door]
    with StorageClient(address, token=TOKEN) as c:
        for _ in range(3):
            assert c.health()["status"] == "SERVING"
            wait_until(lambda: established(limited, limited.fast_port) == 0, timeout=IDLE * 10,
                       what="the server closing the idle connection")
        assert c.stats().concepts >= 0


def test_storage_client_survives_keeping_a_connection_past_the_idle_time_out(limited: StorageServerHandle) -> None:
    """A client that does not know the idle time-out (an older server told none) keeps its
    connection pooled; the server closes it; the next call still succeeds on a new one."""
    with StorageClient(limited.fast_address, token=TOKEN) as c:
        assert c.health()["status"] == "SERVING"
        fast = c._fast_transport()
        fast._max_idle = float("inf")
        wait_until(lambda: established(limited, limited.fast_port) == 0, timeout=IDLE * 10,
                   what="the server closing the idle connection")
        assert c.health()["status"] == "SERVING"


def test_async_client_carries_on_across_idle_closes(limited: StorageServerHandle) -> None:
    async def main() -> None:
        async with AsyncStorageClient(limited.fast_address, token=TOKEN) as c:
            for keep in (False, True, False):
                assert (await c.health())["status"] == "SERVING"
                if keep:  # as a client that was told no idle time-out: the server's close is what it sees
                    assert c._pipe is not None
                    c._pipe.max_idle = float("inf")
                await asyncio.to_thread(wait_until, lambda: established(limited, limited.fast_port) == 0,
                                        IDLE * 10, 0.02, "the server closing the idle connection")
            assert (await c.stats()).concepts >= 0

    asyncio.run(main())
