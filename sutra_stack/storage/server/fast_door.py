"""The fast door: length-prefixed MessagePack over TCP (see `storage/wire.py` for the protocol).

It runs on the doors' event loop (`door_loop.py`): cheap reads (`Op.inline`) run right on
the loop, so a query costs one read, one decode, one engine call and one write; writes and
other slow operations go to the shared pool so concurrent writers share the group commit.
Pipelined requests are answered by id; at most `MAX_PIPELINED_REQUESTS` wait per connection
(the door stops reading until some finish). A frame whose length exceeds `MAX_MESSAGE_BYTES`,
or that is not MessagePack, gets an error frame and closes that connection only; so does a
connection that has not said hello within `HELLO_TIMEOUT_SECONDS`.

Memory and connections are bounded before and after the hello: until the hello succeeds a
frame may be `MAX_HELLO_FRAME_BYTES` long; unfinished frames of all connections together may
hold `MAX_BUFFERED_BYTES` (a frame that would pass it gets RESOURCE_EXHAUSTED and its
connection is closed, so the server keeps serving the others); `storage.max_connections`
connections are served and the next one is answered RESOURCE_EXHAUSTED and closed. One sweep
timer closes connections that have had nothing in flight and sent nothing for
`storage.idle_timeout` seconds (with a parting `{"error": ..., "closed": "idle"}` frame: a
request sent meanwhile was not read) and connections whose frame has taken longer than
`storage.frame_timeout` seconds to arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from typing import Any, cast

from sutra_stack.errors import (
    Internal,
    InvalidArgument,
    ResourceExhausted,
    SutraError,
    Unavailable,
)
from sutra_stack.limits import (
    HELLO_TIMEOUT_SECONDS,
    MAX_BUFFERED_BYTES,
    MAX_PIPELINED_REQUESTS,
    TRIM_AFTER_BYTES,
)
from sutra_stack.storage.frames import FrameDecoder, hello_token
from sutra_stack.storage.server.door_loop import DoorLimits, DoorLoop
from sutra_stack.storage.server.memory import MemoryTrimmer
from sutra_stack.storage.server.ops import Op
from sutra_stack.storage.server.service import StorageService
from sutra_stack.storage.wire import CLOSED_IDLE, error_body, pack, unpack

log = logging.getLogger("sutra.storage.server")


class _Connection(asyncio.Protocol):
    __slots__ = ("door", "service", "transport", "frames", "authed", "inflight", "paused", "closing", "peer",
                 "hello_timer", "held", "active", "quiet_since", "frame_since")

    def __init__(self, door: FastDoor) -> None:
        self.door = door
        self.service = door.service
        self.transport: asyncio.Transport | None = None
        self.frames = FrameDecoder(hello=True)  # until the hello succeeds, one frame of MAX_HELLO_FRAME_BYTES
        self.authed = False
        self.inflight = 0
        self.paused = False
        self.closing = False
        self.peer = ""
        self.hello_timer: asyncio.TimerHandle | None = None
        self.held = 0  # bytes of unfinished frames counted against MAX_BUFFERED_BYTES
        self.active = False  # bytes arrived since the last sweep
        self.quiet_since = 0.0  # loop time since which nothing arrived (as seen by the sweep)
        self.frame_since = 0.0  # loop time the unfinished frame in `frames` started (0: none)

    # --- asyncio callbacks -----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream server's is an asyncio.Transport
        door = self.door
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.quiet_since = door.loop.time()
        if len(door.connections) >= door.limits.max_connections:
            self._fatal(ResourceExhausted(
                f"the fast door has {len(door.connections)} connections open, the most storage.max_connections="
                f"{door.limits.max_connections} allows; close idle clients or raise the setting",
                field="connections"))
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        door.connections.add(self)
        self.hello_timer = door.loop.call_later(HELLO_TIMEOUT_SECONDS, self._no_hello)

    def _no_hello(self) -> None:
        if not self.authed and not self.closing:
            self._fatal(InvalidArgument(
                f"no hello within HELLO_TIMEOUT_SECONDS={HELLO_TIMEOUT_SECONDS:g}", field="hello"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        if self.hello_timer is not None:
            self.hello_timer.cancel()
        self._hold(0)
        self.frames.clear()
        self.door.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self.active = True
        if self.closing:
            return
        frames = self.frames
        body = frames.whole(data)
        if body is not None:
            self._frame(body)  # the common case: one whole frame, decoded in place
            return
        buf = frames.buf
        buf += data  # frames.feed, without the call
        finished = False
        try:
            while not self.closing:
                frame = frames.next()
                if frame is None:
                    break
                finished = True
                self._frame(frame)
                if len(frame) >= TRIM_AFTER_BYTES:
                    self.door.trimmer.note(len(frame))
        except ResourceExhausted as e:  # a frame past its limit (MAX_MESSAGE_BYTES, MAX_HELLO_FRAME_BYTES)
            self._fatal(e)
            return
        if self.closing:
            return
        if not frames.buf:  # (a new buffer if a frame was refused)
            if self.held:  # a large frame went through: let its buffer go
                frames.clear()
                self._hold(0)
            self.frame_since = 0.0
            return
        if not self._hold(len(frames.buf) + frames.missing):
            self._fatal(ResourceExhausted(
                f"the fast door is already buffering {self.door.buffered} bytes of unfinished frames, near "
                f"MAX_BUFFERED_BYTES={MAX_BUFFERED_BYTES}; retry later or send smaller batches", field="frame"))
            return
        if finished or not self.frame_since:
            self.frame_since = self.door.loop.time()

    def _hold(self, nbytes: int) -> bool:
        """Count `nbytes` of unfinished frames for this connection; False (nothing counted) past the door's cap."""
        door = self.door
        grow = nbytes - self.held
        if grow > 0 and door.buffered + grow > MAX_BUFFERED_BYTES:
            return False
        door.buffered += grow
        self.held = nbytes
        return True

    # --- frames ----------------------------------------------------------------------------
    def _send(self, obj: Any) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(pack(obj))

    def _fatal(self, err: SutraError, level: int = logging.WARNING, **extra: Any) -> None:
        """Answer with an error, then close this connection (the server keeps serving others)."""
        log.log(level, "fast door: closing connection from %s: %s", self.peer, err.message)
        self.closing = True
        self.frames.clear()
        self._hold(0)
        self._send({**error_body(err), **extra})
        if self.transport is not None:
            self.transport.close()

    def sweep(self, now: float, limits: DoorLimits) -> None:
        """Close this connection if its frame is overdue, or if it has idled too long (the door's sweep)."""
        if self.closing:
            return
        if self.frames.buf and self.frame_since and not self.paused and now - self.frame_since > limits.frame_timeout:
            self._fatal(InvalidArgument(
                f"a frame was not finished within storage.frame_timeout={limits.frame_timeout:g}s", field="frame"))
        elif self.active:
            self.active = False
            self.quiet_since = now
        elif not self.frames.buf and not self.inflight and now - self.quiet_since >= limits.idle_timeout and \
                self.transport is not None and not self.transport.get_write_buffer_size():  # answers all sent
            self._fatal(Unavailable(
                f"closing a connection idle for storage.idle_timeout={limits.idle_timeout:g}s; "
                "a request sent meanwhile was not read: send it again on a new connection",
                field="connection"), logging.DEBUG, closed=CLOSED_IDLE)  # routine: clients reconnect

    def _frame(self, body: bytes | memoryview) -> None:
        try:
            msg = unpack(body)
        except InvalidArgument as e:
            self._fatal(e)
            return
        if not isinstance(msg, dict):
            self._fatal(InvalidArgument("malformed frame: expected a map", field="frame"))
            return
        if not self.authed:
            self._hello(msg)
            return
        rid = msg.get("id")
        try:
            op = self.service.lookup(msg.get("op"))
        except SutraError as e:
            self._send(error_body(e, rid))
            return
        if op.inline:
            self._answer(rid, op, msg.get("args"))
            return
        try:
            fut = self.door.doors.to_pool(self.service.call, op, msg.get("args"), "fast")
        except Unavailable as e:
            self._send(error_body(e, rid))
            return
        self.inflight += 1
        if self.inflight >= MAX_PIPELINED_REQUESTS and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        fut.add_done_callback(lambda f: self._done(rid, f))

    def _answer(self, rid: Any, op: Op, args: Any) -> None:
        try:
            result = self.service.call(op, args, "fast")
            self._send({"id": rid, "result": result})
        except SutraError as e:
            self._send(error_body(e, rid))
        except Exception as e:  # an unencodable result is a bug; answer, keep serving
            log.exception("fast door: cannot encode the result of %s", op.name)
            self._send(error_body(Internal(f"{op.name}: cannot encode result: {e}"), rid))

    def _done(self, rid: Any, fut: asyncio.Future[Any]) -> None:
        self.inflight -= 1
        if self.paused and self.inflight < MAX_PIPELINED_REQUESTS // 2 and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
            if self.frames.buf:  # its frame could not arrive while reading was paused: its time starts again
                self.frame_since = self.door.loop.time()
        err = fut.exception()
        if err is None:
            try:
                self._send({"id": rid, "result": fut.result()})
            except Exception as e:  # an unencodable result is a bug; answer, keep serving
                log.exception("fast door: cannot encode a result")
                self._send(error_body(Internal(f"cannot encode result: {e}"), rid))
        elif isinstance(err, SutraError):
            self._send(error_body(err, rid))
        else:
            self._send(error_body(Internal(f"{type(err).__name__}: {err}"), rid))

    def _hello(self, msg: dict[str, Any]) -> None:
        try:
            self.service.authenticate(hello_token(msg))
        except SutraError as e:
            self._fatal(e)
            return
        self.authed = True
        self.frames.hello_done()
        if self.hello_timer is not None:
            self.hello_timer.cancel()
        info = self.service.call(self.service.lookup("server_info"), None, "fast")
        self._send({"hello": {**info, "idle_timeout": self.door.limits.idle_timeout}})


class FastDoor:
    """The fast door's listening socket and connections, on the doors' event loop."""

    def __init__(self, service: StorageService, doors: DoorLoop, limits: DoorLimits | None = None) -> None:
        self.service = service
        self.loop = doors.loop
        self.doors = doors
        self.limits = limits or DoorLimits()
        self.connections: set[_Connection] = set()
        self.buffered = 0  # bytes of unfinished frames held by all connections (MAX_BUFFERED_BYTES)
        self.trimmer = MemoryTrimmer(doors.loop, lambda fn: doors.loop.run_in_executor(doors.executor, fn))
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.TimerHandle | None = None
        # Time-outs are checked this often: a connection closes at most a period after it is due.
        self._period = min(1.0, max(0.05, min(self.limits.idle_timeout, self.limits.frame_timeout) / 4))

    def _sweep(self) -> None:
        now = self.loop.time()
        for conn in list(self.connections):
            conn.sweep(now, self.limits)
        self._sweeper = self.loop.call_later(self._period, self._sweep)

    def bind(self, host: str, port: int, tls: ssl.SSLContext | None = None) -> int:
        """Listen on host:port (0: any free port); returns the bound port."""

        async def make() -> asyncio.Server:
            server = await self.loop.create_server(lambda: _Connection(self), host, port, ssl=tls,
                                                   reuse_address=True, backlog=512)
            return cast(asyncio.Server, server)  # uvloop's server has what asyncio.Server has

        self._server = self.doors.run(make())
        if self._sweeper is None:
            self.loop.call_soon_threadsafe(self._sweep)
        return int(self._server.sockets[0].getsockname()[1])

    def stop_accepting(self) -> None:
        if self._server is not None:
            self.loop.call_soon_threadsafe(self._server.close)

        def stop_sweeping() -> None:  # connections left are closed by close_connections
            if self._sweeper is not None:
                self._sweeper.cancel()

        self.loop.call_soon_threadsafe(stop_sweeping)

    def close_connections(self) -> None:
        """Close every connection once what is queued for it is sent (after the pool has drained,
        every answer is already queued on the loop, ahead of this)."""

        async def shut() -> None:
            for conn in list(self.connections):
                if conn.transport is not None:
                    conn.transport.close()

        if self.loop.is_running():
            self.doors.run(shut(), 5)
