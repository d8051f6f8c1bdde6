"""The fast door's protocol core, free of I/O: splitting a byte stream into frames, the hello
handshake (building it, checking it on the server, checking its answer on a client) and what a
hello or `server_info` answer tells a client (the fast port, how long a connection may idle).

The server's fast door and both clients feed it the bytes they read and act on what it returns;
they own the sockets, time-outs and buffer accounting. The frame format is `wire.py`'s.
"""

from __future__ import annotations

from typing import Any

from sutra_stack.errors import (
    FailedPrecondition,
    InvalidArgument,
    Reason,
    ResourceExhausted,
    SutraError,
    Unavailable,
    shown,
)
from sutra_stack.limits import MAX_HELLO_FRAME_BYTES, MAX_MESSAGE_BYTES
from sutra_stack.storage.wire import CLOSED_IDLE, HEADER, HEADER_SIZE, PROTOCOL_VERSION, pack, raise_error

_unpack_header = HEADER.unpack_from


class FrameDecoder:
    """Splits a byte stream into frame bodies, checking each length before its body is buffered.

    `feed(data)` then `next()` until it answers None; `whole(data)` is the common case first (an
    empty buffer and `data` exactly one frame: its body without a copy). With `hello=True` the
    first frames may be at most `MAX_HELLO_FRAME_BYTES` long until `hello_done()`. A frame past the
    limit raises ResourceExhausted naming it, as soon as its header is in."""

    __slots__ = ("buf", "limit", "max", "missing")

    def __init__(self, limit: int = MAX_MESSAGE_BYTES, *, hello: bool = False) -> None:
        self.buf = bytearray()
        self.limit = limit
        self.max = min(limit, MAX_HELLO_FRAME_BYTES) if hello else limit  # what the next frame may be
        self.missing = HEADER_SIZE  # once `next()` answered None: bytes still to come before it can answer

    def hello_done(self) -> None:
        """The hello succeeded: frames may be `limit` long from now on."""
        self.max = self.limit

    def whole(self, data: bytes) -> memoryview | None:
        """The body of `data` when nothing is buffered and `data` is exactly one frame within the limit."""
        if not self.buf and len(data) >= HEADER_SIZE:
            (n,) = _unpack_header(data)
            if n + HEADER_SIZE == len(data) and n <= self.max:
                return memoryview(data)[HEADER_SIZE:]
        return None

    def feed(self, data: bytes) -> None:
        self.buf += data

    def next(self) -> bytes | None:
        """The next whole frame's body (taken out of the buffer), or None until more bytes arrive."""
        buf = self.buf
        have = len(buf)
        if have < HEADER_SIZE:
            self.missing = HEADER_SIZE - have
            return None
        (n,) = _unpack_header(buf)
        if n > self.max:
            raise self._too_large(n)
        end = HEADER_SIZE + n
        if have < end:
            self.missing = end - have
            return None
        body = bytes(memoryview(buf)[HEADER_SIZE:end])
        del buf[:end]
        return body

    def clear(self) -> None:
        self.buf = bytearray()

    def _too_large(self, n: int) -> ResourceExhausted:
        if n <= self.limit:  # within the limit of frames, past that of the hello
            return ResourceExhausted(
                f"frame of {n} bytes before a successful hello exceeds MAX_HELLO_FRAME_BYTES={self.max}; "
                "the first frame must be the hello", field="hello")
        return ResourceExhausted(f"frame of {n} bytes exceeds MAX_MESSAGE_BYTES={self.limit}; send smaller batches",
                                 field="frame")


# --- the hello ---------------------------------------------------------------------------------
def hello_frame(token: str | None) -> bytes:
    """The first frame a client sends."""
    return pack({"hello": {"version": PROTOCOL_VERSION, "token": token or ""}})


def hello_token(msg: dict[str, Any]) -> Any:
    """The token of a client's first frame (for the server to authenticate); raises when it is not a
    hello this server speaks."""
    hello = msg.get("hello")
    if not isinstance(hello, dict):
        raise InvalidArgument(f'the first frame must be {{"hello": {{"version": {PROTOCOL_VERSION}, "token": ...}}}}',
                              field="hello")
    version = hello.get("version")
    if version != PROTOCOL_VERSION:
        raise FailedPrecondition(
            f"protocol version {shown(version, 20)} is not spoken here: this server speaks version "
            f"{PROTOCOL_VERSION}; upgrade the client or the server so they match", field="hello.version")
    return hello.get("token")


def hello_info(reply: Any, where: str) -> dict[str, Any]:
    """What the server's answer to the hello tells (its `server_info` and `idle_timeout`); raises
    the server's error, or FailedPrecondition when it speaks another protocol version."""
    if not isinstance(reply, dict):
        raise Unavailable(f"the storage server at {where} answered the hello with a {type(reply).__name__}")
    if "error" in reply:
        raise_error(reply["error"])
    from sutra_stack.storage.client.codec import check_protocol  # the client package imports this module

    return check_protocol(reply.get("hello") or {}, where)


def max_idle(info: dict[str, Any]) -> float:
    """How long a client may leave a connection idle before reusing it: half the server's
    `idle_timeout` (told in the hello), so the server never closes it just as a request leaves."""
    idle = info.get("idle_timeout")
    return idle / 2 if isinstance(idle, (int, float)) and idle > 0 else float("inf")


def fast_port(info: dict[str, Any], where: str) -> int:
    """The fast door's port from the gRPC door's `server_info` (discovery)."""
    from sutra_stack.storage.client.codec import check_protocol  # the client package imports this module

    check_protocol(info, where)
    port = info.get("fast_port")
    if not port:
        raise Unavailable(f"the storage server at {where} has no fast door; use grpc://")
    return int(port)


def closing_error(msg: Any, where: str) -> SutraError:
    """The error a frame that answers no request carries: the server closes the connection after it.
    Its reason is CLOSED_IDLE when the server closed it for idling (and read no request sent after
    that: send it again), CONNECTION_LOST otherwise."""
    err = msg.get("error") if isinstance(msg, dict) else None
    if not isinstance(err, dict):
        return Unavailable(f"the storage server at {where} answered out of turn; connection dropped",
                           reason=Reason.CONNECTION_LOST)
    e = SutraError.from_code(str(err.get("code", "INTERNAL")), str(err.get("message", "")), err.get("field"))
    e.reason = Reason.CLOSED_IDLE if msg.get("closed") == CLOSED_IDLE else Reason.CONNECTION_LOST
    return e
