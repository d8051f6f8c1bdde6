"""Blocking transports of StorageClient: the fast door (a pool of TCP connections) and gRPC.

Both take an operation name and its wire arguments and return the wire result, raising the
`sutra_stack.errors` family. The fast transport keeps idle connections in a pool, so each
thread of a shared client talks on a connection of its own with no hand-off between threads;
a connection the server closed is noticed before it is reused. The server closes connections
idle for its `idle_timeout` (told in the hello): a pooled connection idle for half that long is
not reused, and a request the server answers with its idle-closing frame (`"closed": "idle"`:
it was not read) is sent again on a new connection, so an idle close never fails a call.

While it waits for an answer, one thread at a time busy-polls its connection for up to
`busy_poll` seconds before it sleeps in recv (never over TLS). Quick reads are answered within
that time and skip the sleep and wake-up, which on a virtual machine cost as much as the read;
an operation whose last answer took longer (a write waiting for fsync) sleeps at once. The poll
yields its core between reads, and an operation whose poll ran out (all cores busy: the server
waited for one) sleeps through its next calls (`BusyPoll`).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import ssl
import threading
from itertools import count
from time import monotonic, perf_counter
from typing import Any

import grpc

from sutra_stack.errors import STORAGE_UNREACHABLE_HINT, InvalidArgument, Reason, SutraError, Unavailable
from sutra_stack.limits import BUSY_POLL_MAX_BACKOFF_CALLS, MAX_MESSAGE_BYTES
from sutra_stack.storage.frames import FrameDecoder, closing_error, hello_frame, hello_info, max_idle
from sutra_stack.storage.proto.convert import LEARN_STREAM, RPCS, SERVICE_NAME, build, message_result
from sutra_stack.storage.wire import pack_request, raise_error, unpack

HINT = STORAGE_UNREACHABLE_HINT


def tls_context(ca: str | None) -> ssl.SSLContext | None:
    if not ca:
        return None
    return ssl.create_default_context(cafile=ca)


class FrameReader:
    """Reads frames from a blocking socket through a FrameDecoder, keeping bytes that arrive ahead
    of time (pipelining)."""

    __slots__ = ("sock", "frames")

    def __init__(self, sock: socket.socket, limit: int = MAX_MESSAGE_BYTES) -> None:
        self.sock = sock
        self.frames = FrameDecoder(limit)

    def read(self, poll_until: float = 0.0) -> Any:
        """The next frame. With `poll_until` (a `time.perf_counter` instant), first poll for it
        until then: only for a plain socket with a timeout (its descriptor is non-blocking)."""
        frames = self.frames
        buf = frames.buf
        if not buf:  # the common case: one whole answer in one recv, decoded without copying
            chunk = self._poll(poll_until) if poll_until else None
            if chunk is None:
                chunk = self.sock.recv(65536)
            if not chunk:
                raise Unavailable("the storage server closed the connection", reason=Reason.CONNECTION_LOST)
            body = frames.whole(chunk)
            if body is not None:
                return unpack(body)
            buf += chunk  # frames.feed, without the call
        while True:
            frame = frames.next()
            if frame is not None:
                return unpack(frame)
            chunk = self.sock.recv(max(frames.missing, 65536))
            if not chunk:
                raise Unavailable("the storage server closed the connection", reason=Reason.CONNECTION_LOST)
            buf += chunk

    def _poll(self, until: float) -> bytes | None:
        """Busy-poll for the first bytes of an answer; None once `until` has passed. An answer due
        within microseconds is then taken without the sleep and wake-up of a blocking recv, which
        on a virtual machine cost about as much as a quick read itself."""
        fd = self.sock.fileno()
        while True:
            try:
                return os.read(fd, 65536)
            except BlockingIOError:
                if perf_counter() >= until:
                    return None
                os.sched_yield()  # the server may be waiting for this core


class _Conn:
    __slots__ = ("sock", "reader", "ids", "idle_since")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = FrameReader(sock)
        self.ids = count(1)
        self.idle_since = 0.0  # monotonic time it went back to the pool

    def alive(self) -> bool:
        """False when the server closed the connection while it sat in the pool."""
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable  # an idle connection has nothing to read unless the peer closed it

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class BusyPoll:
    """Which calls of a transport poll for their answer before sleeping, and until when: one
    thread at a time, for up to `budget` seconds, and not an operation whose last answer took
    longer than that (it would only burn the budget before sleeping anyway).

    A poll spends its core, which on a machine whose cores are all busy is the one the server's
    answer waits for: an answer that usually comes within the budget then comes only once the
    budget is spent. So an operation whose poll ran out sleeps through its next 1, 2, 4 ... up to
    BUSY_POLL_MAX_BACKOFF_CALLS calls (doubling while its polls keep running out, back to polling
    on every call once one is answered in time), and the poll itself yields its core
    (`FrameReader._poll`)."""

    __slots__ = ("budget", "_lock", "_waited", "_misses", "_rest")

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self._lock = threading.Lock()  # held by the thread polling now
        self._waited: dict[str, float] = {}  # op -> seconds its last answer took
        self._misses: dict[str, int] = {}  # op -> polls in a row that ran out before the answer came
        self._rest: dict[str, int] = {}  # op -> calls left to sleep through after such a poll

    def begin(self, op: str, now: float) -> float:
        """The `perf_counter` instant to poll until, or 0.0: do not poll. A non-zero answer must be
        followed by `end()` once the answer is in (or the call failed)."""
        budget = self.budget
        if not budget:
            return 0.0
        rest = self._rest.get(op)
        if rest:
            self._rest[op] = rest - 1
            return 0.0
        if self._waited.get(op, 0.0) <= budget and self._lock.acquire(blocking=False):
            return now + budget
        return 0.0

    def end(self) -> None:
        self._lock.release()

    def waited(self, op: str, seconds: float) -> None:
        """How long `op`'s answer took (polled or not), which decides whether its next call polls."""
        if self.budget:
            self._waited[op] = seconds

    def polled(self, op: str, in_time: bool) -> None:
        """A call of `op` polled: its answer came `in_time` (within the poll), or after the poll ran out."""
        if in_time:
            if op in self._misses:
                del self._misses[op]
            return
        misses = self._misses[op] = self._misses.get(op, 0) + 1
        self._rest[op] = min(1 << min(misses - 1, 30), BUSY_POLL_MAX_BACKOFF_CALLS)


class FastTransport:
    """Blocking client of the fast door, safe to share between threads."""

    def __init__(self, host: str, port: int, *, token: str | None, tls: ssl.SSLContext | None,
                 timeout: float, busy_poll: float = 0.0) -> None:
        self.host, self.port = host, port
        self.address = f"tcp://{host}:{port}"
        self._token = token
        self._tls = tls
        self._timeout = timeout
        self._idle: list[_Conn] = []
        self._lock = threading.Lock()
        self.info: dict[str, Any] | None = None
        self._max_idle = float("inf")  # half the server's idle_timeout, once a hello told it
        # Polling reads the descriptor directly: only a plain socket with a timeout is non-blocking.
        self._poll = BusyPoll(busy_poll if tls is None and timeout and timeout > 0 else 0.0)

    def connect(self) -> _Conn:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=min(self._timeout, 10.0))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
            sock.settimeout(self._timeout)
        except ssl.SSLError as e:
            raise Unavailable(f"TLS handshake with the storage server at {self.address} failed: {e.reason}; "
                              "check SUTRA_STORAGE_TLS_CA names the CA that signed the server's certificate") from None
        except OSError as e:
            raise Unavailable(f"cannot reach the storage server at {self.address}: {e.strerror or e}; {HINT}",
                              reason=Reason.UNREACHABLE) from None
        conn = _Conn(sock)
        try:
            sock.sendall(hello_frame(self._token))
            reply = conn.reader.read()
        except (OSError, Unavailable) as e:
            conn.close()
            raise Unavailable(f"the storage server at {self.address} dropped the connection during the hello: "
                              f"{e}; {HINT}", reason=Reason.UNREACHABLE) from None
        try:
            self.info = hello_info(reply, self.address)
        except SutraError:
            conn.close()
            raise
        self._max_idle = max_idle(self.info)
        return conn

    def _checkout(self) -> _Conn:
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self.connect()
            if monotonic() - conn.idle_since < self._max_idle and conn.alive():
                return conn
            conn.close()  # closed by the server, or about to be for idling

    def call(self, op: str, args: dict[str, Any] | None) -> Any:
        conn = self._checkout()
        reply, rid = self._exchange(conn, op, args)
        if reply.get("id") != rid:
            conn.close()
            err = closing_error(reply, self.address)
            if err.reason is not Reason.CLOSED_IDLE:
                raise err
            # The server closed the connection for idling just as the request left, and read none of it.
            conn = self.connect()
            reply, rid = self._exchange(conn, op, args)
            if reply.get("id") != rid:
                conn.close()
                raise closing_error(reply, self.address)
        conn.idle_since = monotonic()
        with self._lock:
            self._idle.append(conn)
        if "error" in reply:
            raise_error(reply["error"])
        return reply.get("result")

    def _exchange(self, conn: _Conn, op: str, args: dict[str, Any] | None) -> tuple[Any, int]:
        """Send one request on `conn` and read its answer (the connection is closed if that fails)."""
        rid = next(conn.ids)
        start = perf_counter()
        until = self._poll.begin(op, start)
        try:
            conn.sock.sendall(pack_request({"id": rid, "op": op, "args": args}))
            reply = conn.reader.read(until)
            now = perf_counter()
            self._poll.waited(op, now - start)
            if until:
                self._poll.polled(op, now <= until)
        except TimeoutError:
            conn.close()
            raise Unavailable(f"no answer from the storage server at {self.address} within {self._timeout:g}s "
                              f"({op}); it may be overloaded", reason=Reason.TIMED_OUT) from None
        except (OSError, Unavailable) as e:
            conn.close()
            raise Unavailable(f"lost the connection to the storage server at {self.address} during {op}: {e}; "
                              "a write may or may not have been applied", reason=Reason.CONNECTION_LOST) from None
        except SutraError:
            conn.close()
            raise
        finally:
            if until:
                self._poll.end()
        return reply, rid

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


_OPTIONS = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)]


def rpc_error(e: grpc.RpcError, address: str) -> SutraError:
    code = e.code()
    details = e.details() or ""
    name = code.name if code is not None else "UNKNOWN"
    # The server's own UNAVAILABLE errors name the storage server; grpc core's (no connection) do not.
    # Only the wording of the message is chosen from grpc core's text; the reason is typed.
    if name == "UNAVAILABLE" and "storage server" not in details:
        hint = HINT
        if "Socket closed" in details or "reset by peer" in details:  # accepted, then closed at once
            hint = "the server closed the connection at once: it may have storage.max_connections open already"
        return Unavailable(f"cannot reach the storage server at {address}: {details}; {hint}",
                           reason=Reason.UNREACHABLE)
    if name == "CANCELLED":
        # This client never cancels a call, so the server did: grpc core cancels calls that reached
        # a stopping server before a handler took them. That is the server going away, not an error.
        return Unavailable(f"the storage server at {address} cancelled the call as it stopped; retry against "
                           "its replacement (a write may or may not have been applied)", reason=Reason.CONNECTION_LOST)
    return SutraError.from_code(name, details)


class GrpcTransport:
    """Blocking client of the gRPC door (thread-safe: one channel)."""

    def __init__(self, host: str, port: int, *, token: str | None, tls_ca: str | None, timeout: float) -> None:
        self.address = f"grpc://{host}:{port}"
        target = f"{host}:{port}"
        if tls_ca:
            with open(tls_ca, "rb") as f:
                creds = grpc.ssl_channel_credentials(root_certificates=f.read())
            self.channel = grpc.secure_channel(target, creds, options=_OPTIONS)
        else:
            self.channel = grpc.insecure_channel(target, options=_OPTIONS)
        self._timeout = timeout
        self._metadata = (("authorization", f"Bearer {token}"),) if token else None
        self._calls = {
            op: self.channel.unary_unary(f"/{SERVICE_NAME}/{rpc.method}",
                                         request_serializer=rpc.request.SerializeToString,
                                         response_deserializer=rpc.response.FromString)
            for op, rpc in RPCS.items()
        }
        self._stream = self.channel.stream_unary(
            f"/{SERVICE_NAME}/{LEARN_STREAM.method}", request_serializer=LEARN_STREAM.request.SerializeToString,
            response_deserializer=LEARN_STREAM.response.FromString)

    def _request(self, op: str, args: dict[str, Any] | None) -> Any:
        try:
            return build(RPCS[op].request, args or {})
        except (TypeError, ValueError) as e:
            raise InvalidArgument(f"{op}: an argument has the wrong type for the gRPC door: {e}") from None

    def call(self, op: str, args: dict[str, Any] | None) -> Any:
        request = self._request(op, args)
        try:
            response = self._calls[op](request, timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as e:
            raise rpc_error(e, self.address) from None
        return message_result(RPCS[op], response)

    def learn_stream(self, batches: Any) -> list[str]:
        """Client-streaming bulk load: each element of `batches` is one list of concept maps."""
        requests = (self._request("learn_batch", {"items": b}) for b in batches)
        try:
            response = self._stream(requests, timeout=None, metadata=self._metadata)
        except grpc.RpcError as e:
            raise rpc_error(e, self.address) from None
        return list(response.concept_ids)

    def close(self) -> None:
        self.channel.close()
