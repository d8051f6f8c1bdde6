"""Every reader of fast-door frames gives the same frames for the same byte stream, however the
stream is cut into reads: the protocol core's FrameDecoder, StorageClient's FrameReader (blocking
socket), AsyncStorageClient's reader (asyncio stream) and the server's fast door (its
data_received, through a real server: the answers to requests sent in arbitrary pieces are the
answers to the same requests sent whole)."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Iterator
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sutra_stack.errors import ResourceExhausted
from sutra_stack.limits import MAX_HELLO_FRAME_BYTES
from sutra_stack.storage.client.aio import _Pipe
from sutra_stack.storage.client.transport import FrameReader
from sutra_stack.storage.frames import FrameDecoder
from sutra_stack.storage.wire import PROTOCOL_VERSION, pack
from tests.server.rawfast import RawFast
from tests.support.storage_server import StorageServerHandle

values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=40) | st.binary(max_size=200_000),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=12,
)
messages = st.lists(st.dictionaries(st.text(max_size=8), values, max_size=4), min_size=1, max_size=8)


def cut(data: bytes, fractions: list[float]) -> list[bytes]:
    """`data` in pieces, cut at the given fractions of its length (empty pieces dropped)."""
    points = sorted({int(f * len(data)) for f in fractions} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:], strict=False) if b > a]


cuts = st.lists(st.floats(0.0, 1.0), max_size=30)


def spec_frames(data: bytes) -> list[Any]:
    """The frames of `data` as the format defines them: a 4-byte big-endian length, then the body."""
    out, pos = [], 0
    while pos < len(data):
        (n,) = struct.unpack_from(">I", data, pos)
        out.append(msgpack.unpackb(data[pos + 4:pos + 4 + n], raw=False, strict_map_key=False))
        pos += 4 + n
    return out


def decoder_frames(pieces: list[bytes]) -> list[Any]:
    """FrameDecoder driven the way its users drive it: `whole` first, then `feed` and `next`."""
    dec, out = FrameDecoder(), []
    for piece in pieces:
        body = dec.whole(piece)
        if body is not None:
            out.append(msgpack.unpackb(body, raw=False, strict_map_key=False))
            continue
        dec.feed(piece)
        while (frame := dec.next()) is not None:
            out.append(msgpack.unpackb(frame, raw=False, strict_map_key=False))
    assert not dec.buf
    return out


class Pieces:
    """A byte source with a socket's `recv`: each call returns (at most `n` bytes of) the next piece."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)

    def recv(self, n: int) -> bytes:
        if not self.pieces:
            return b""
        piece = self.pieces.pop(0)
        if len(piece) > n:
            self.pieces.insert(0, piece[n:])
        return piece[:n]


def reader_frames(pieces: list[bytes], count: int) -> list[Any]:
    reader = FrameReader(Pieces(pieces))  # type: ignore[arg-type]
    return [reader.read() for _ in range(count)]


def pipe_frames(pieces: list[bytes], count: int) -> list[Any]:
    async def run() -> list[Any]:
        stream = asyncio.StreamReader()
        pipe = _Pipe(stream, None, "test")  # type: ignore[arg-type]

        async def read_all() -> list[Any]:
            return [await pipe.read_frame() for _ in range(count)]

        reading = asyncio.ensure_future(read_all())
        for piece in pieces:
            stream.feed_data(piece)
            for _ in range(3):  # let the reader take this piece before the next arrives
                await asyncio.sleep(0)
        stream.feed_eof()
        return await reading

    return asyncio.run(run())


TAIL = pack({"x": 1})  # a frame carried at the end of another frame's body
CARRIER = {"b": b"y" * 100 + TAIL}
CUT = (len(pack(CARRIER)) - len(TAIL) + 0.5) / len(pack(CARRIER))  # the last read is exactly TAIL


@settings(max_examples=150, deadline=None)
@given(messages, cuts)
@example([CARRIER], [CUT])  # a read mid-frame that looks like a whole frame is not one
def test_every_client_reader_gives_the_frames_of_the_stream(msgs: list[dict[str, Any]], fractions: list[float]) -> None:
    data = b"".join(pack(m) for m in msgs)
    pieces = cut(data, fractions)
    expected = spec_frames(data)
    assert expected == msgs
    assert decoder_frames(pieces) == expected
    assert reader_frames(pieces, len(msgs)) == expected
    assert pipe_frames(pieces, len(msgs)) == expected


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_a_length_past_the_limit_is_refused_however_the_header_arrives(n: int, split: int) -> None:
    header = struct.pack(">I", n)
    for hello in (False, True):
        dec = FrameDecoder(1 << 20, hello=hello)
        limit = MAX_HELLO_FRAME_BYTES if hello else 1 << 20
        dec.feed(header[:split])
        if split < 4:
            assert dec.next() is None
            dec.feed(header[split:])
        if n > limit:
            with pytest.raises(ResourceExhausted) as exc:
                dec.next()
            assert ("MAX_HELLO_FRAME_BYTES" if hello and n <= 1 << 20 else "MAX_MESSAGE_BYTES") in exc.value.message
        else:
            assert dec.next() == (b"" if n == 0 else None)


# --- the server's reader -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fast_port(server: StorageServerHandle) -> Iterator[int]:
    yield server.fast_port


def answers(port: int, pieces: list[bytes], count: int) -> list[Any]:
    """The server's answers to the frames in `pieces`, sent one piece per write, hello included."""
    conn = RawFast(port, hello=False)
    conn.sock.settimeout(3)
    try:
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in pieces:
            conn.send_raw(piece)
        return [conn.recv() for _ in range(count + 1)]
    finally:
        conn.close()


requests = st.lists(st.one_of(
    st.builds(lambda cid: ("query_concept", {"concept_id": cid}), st.text(min_size=1, max_size=3000)),
    st.builds(lambda q, k: ("text_search", {"query": q, "k": k}), st.text(max_size=200), st.integers(1, 5)),
    st.just(("server_info", None)),
), min_size=1, max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requests, cuts)
def test_the_fast_door_reads_the_same_frames_however_they_are_cut(
        fast_port: int, reqs: list[tuple[str, Any]], fractions: list[float]) -> None:
    frames = [pack({"hello": {"version": PROTOCOL_VERSION, "token": ""}})]
    frames += [pack({"id": i, "op": op, "args": args}) for i, (op, args) in enumerate(reqs, 1)]
    whole = answers(fast_port, frames, len(reqs))
    assert "hello" in whole[0] and [a["id"] for a in whole[1:]] == list(range(1, len(reqs) + 1))
    got = answers(fast_port, cut(b"".join(frames), fractions), len(reqs))
    assert got[1:] == whole[1:]
