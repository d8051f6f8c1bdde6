"""The gRPC door: `sutra.storage.StorageService`, grpc.health.v1 and server reflection.

A thin adapter on grpc.aio, served from the doors' event loop (`door_loop.py`): each RPC
turns its request message into operation arguments, calls the service layer, and turns the
result (or the SutraError) into a response (or a status). Cheap reads (`Op.inline`) run on
the loop itself, as on the fast door; writes and other slow operations run in the shared
pool. The token travels as `authorization: Bearer <token>` metadata; health and reflection
need none. When a token is required, an interceptor checks it from the call's metadata before
the request message is read: a caller without it is refused without its message (up to
`MAX_MESSAGE_BYTES`) ever being buffered whole.

Connections (`server_options`): at most `storage.max_connections` (grpc core closes the next
one), `MAX_GRPC_STREAMS_PER_CONNECTION` calls at once on each, HTTP/2 settings due within
`HELLO_TIMEOUT_SECONDS`, closed after `storage.idle_timeout` seconds without a call, asked to go
away after `storage.max_connection_age` seconds (calls in flight get `GRPC_AGE_GRACE_SECONDS`
more, so a call whose request never finishes is cut there), and pinged after
`GRPC_KEEPALIVE_SECONDS` of quiet so that dead peers are dropped. grpc clients reconnect by
themselves after a GOAWAY. Client pings stay under grpc's default policy (StorageClient sends
none without data), so no client is sent away for `too_many_pings`.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from sutra_stack.errors import InvalidArgument, SutraError
from sutra_stack.limits import (
    GRPC_AGE_GRACE_SECONDS,
    GRPC_KEEPALIVE_SECONDS,
    GRPC_KEEPALIVE_TIMEOUT_SECONDS,
    HELLO_TIMEOUT_SECONDS,
    MAX_GRPC_STREAMS_PER_CONNECTION,
    MAX_MESSAGE_BYTES,
)
from sutra_stack.storage.proto.convert import (
    LEARN_STREAM,
    RPCS,
    SERVICE_NAME,
    WRITABLE_HEALTH_NAME,
    Rpc,
    request_args,
    result_message,
)
from sutra_stack.storage.server.door_loop import DoorLimits, DoorLoop
from sutra_stack.storage.server.memory import MemoryTrimmer
from sutra_stack.storage.server.ops import OPS, Op
from sutra_stack.storage.server.service import StorageService

log = logging.getLogger("sutra.storage.server")



def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def server_options(limits: DoorLimits) -> list[tuple[str, Any]]:
    """grpc core's channel arguments for the door (each one honoured by grpc core's HTTP/2 server)."""
    return [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.so_reuseport", 0),  # a second server on the same port must fail, not share it
        ("grpc.max_allowed_incoming_connections", limits.max_connections),
        ("grpc.max_concurrent_streams", MAX_GRPC_STREAMS_PER_CONNECTION),
        ("grpc.server_handshake_timeout_ms", _ms(HELLO_TIMEOUT_SECONDS)),
        ("grpc.max_connection_idle_ms", _ms(limits.idle_timeout)),
        ("grpc.max_connection_age_ms", _ms(limits.max_connection_age)),
        ("grpc.max_connection_age_grace_ms", _ms(GRPC_AGE_GRACE_SECONDS)),
        ("grpc.keepalive_time_ms", _ms(GRPC_KEEPALIVE_SECONDS)),
        ("grpc.keepalive_timeout_ms", _ms(GRPC_KEEPALIVE_TIMEOUT_SECONDS)),
        ("grpc.http2.max_pings_without_data", 0),  # keep probing a call whose peer went silent
    ]


class _Malformed:
    """What the deserializer hands over when the bytes are not the request message."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _parser(cls: Any, trimmer: MemoryTrimmer) -> Callable[[bytes], Any]:
    parse = cls.FromString
    note = trimmer.note

    def deserialize(data: bytes) -> Any:
        note(len(data))
        try:
            return parse(data)
        except Exception as e:  # noqa: BLE001 - DecodeError and friends
            return _Malformed(f"malformed {cls.DESCRIPTOR.name} message: {e}")

    return deserialize


def _status(err: SutraError) -> grpc.StatusCode:
    return getattr(grpc.StatusCode, err.code, grpc.StatusCode.UNKNOWN)


def _token(metadata: Any) -> str | None:
    for key, value in metadata or ():
        if key == "authorization":
            scheme, _, token = str(value).partition(" ")
            return token.strip() if scheme.lower() == "bearer" else str(value)
    return None


def _refusal(code: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler:
    """A handler that answers `code` at once and never reads the request (a request-streaming
    handler reads only when asked, so grpc core drops the caller's message without buffering it)."""

    async def refuse(requests: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(code, message)

    return grpc.stream_unary_rpc_method_handler(refuse)


class _TokenCheck(grpc.aio.ServerInterceptor):
    """Checks the token of every StorageService call from its metadata, before its message is read."""

    def __init__(self, service: StorageService) -> None:
        self.service = service
        self.prefix = f"/{SERVICE_NAME}/"

    async def intercept_service(self, continuation: Any, details: grpc.HandlerCallDetails) -> Any:
        if details.method.startswith(self.prefix):  # health and reflection need no token
            try:
                self.service.authenticate(_token(details.invocation_metadata))
            except SutraError as e:
                return _refusal(_status(e), e.message)
        return await continuation(details)


Handler = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


class GrpcDoor:
    """Owns the grpc.aio server: StorageService + health + reflection on one port."""

    def __init__(self, service: StorageService, doors: DoorLoop, limits: DoorLimits | None = None) -> None:
        self.service = service
        self._doors = doors
        self.limits = limits or DoorLimits()
        self.trimmer = MemoryTrimmer(doors.loop, lambda fn: doors.loop.run_in_executor(doors.executor, fn))
        self._stopping: concurrent.futures.Future[None] | None = None
        self.server: grpc.aio.Server
        self.health: Any
        self._serving = False
        service.on_writable_change(self._writable_changed)
        doors.run(self._make())

    async def _make(self) -> None:
        interceptors = [_TokenCheck(self.service)] if self.service.needs_token else []
        self.server = server = grpc.aio.server(options=server_options(self.limits), interceptors=interceptors)
        handlers: dict[str, grpc.RpcMethodHandler] = {}
        for name, rpc in RPCS.items():
            handlers[rpc.method] = grpc.unary_unary_rpc_method_handler(
                self._unary(OPS[name], rpc), request_deserializer=_parser(rpc.request, self.trimmer),
                response_serializer=rpc.response.SerializeToString)
        handlers[LEARN_STREAM.method] = grpc.stream_unary_rpc_method_handler(
            self._learn_stream, request_deserializer=_parser(LEARN_STREAM.request, self.trimmer),
            response_serializer=LEARN_STREAM.response.SerializeToString)
        # Registered methods: grpc core matches the method itself and hands over its handler.
        server.add_registered_method_handlers(SERVICE_NAME, handlers)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
        await self._set_health(False)

    def bind(self, host: str, port: int, tls: tuple[bytes, bytes] | None = None) -> int:
        """Listen on host:port (0: any free port); returns the bound port (0 when it cannot bind)."""
        addr = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

        async def add() -> int:
            if tls is not None:
                return self.server.add_secure_port(addr, grpc.ssl_server_credentials([(tls[1], tls[0])]))
            return self.server.add_insecure_port(addr)

        try:
            return self._doors.run(add())
        except RuntimeError:  # grpcio raises where it cannot bind (older versions return 0)
            return 0

    def start(self) -> None:
        self._doors.run(self.server.start())

    def set_serving(self, serving: bool) -> None:
        self._doors.run(self._set_health(serving))

    async def _set_health(self, serving: bool) -> None:
        """"" and SERVICE_NAME: serving (reads answered); WRITABLE_HEALTH_NAME: serving and writable."""
        self._serving = serving
        status = (health_pb2.HealthCheckResponse.SERVING if serving
                  else health_pb2.HealthCheckResponse.NOT_SERVING)
        for name in ("", SERVICE_NAME):
            await self.health.set(name, status)
        await self._set_writable()

    async def _set_writable(self) -> None:
        writable = self._serving and self.service.writable
        await self.health.set(WRITABLE_HEALTH_NAME, health_pb2.HealthCheckResponse.SERVING if writable
                              else health_pb2.HealthCheckResponse.NOT_SERVING)

    def _writable_changed(self, writable: bool) -> None:
        """The store turned read-only or resumed writing (called on the thread that noticed): flip the
        writable health name on the loop; it reads the state there, so the last change wins."""
        if writable:
            log.warning("the store accepts writes again: health %s is SERVING", WRITABLE_HEALTH_NAME)
        else:
            log.error("the store is READ-ONLY: health %s is NOT_SERVING; reads are still served",
                      WRITABLE_HEALTH_NAME)
        coro = self._set_writable()
        try:
            self._doors.submit(coro)
        except RuntimeError:  # the doors' loop has stopped: nobody is left to ask
            coro.close()

    def begin_stop(self, grace: float) -> concurrent.futures.Future[None]:
        """Refuse new calls now; calls in flight get `grace` seconds. The future is done when they are."""
        if self._stopping is None:
            self._stopping = self._doors.submit(self.server.stop(grace))
        return self._stopping

    def stop(self, grace: float) -> bool:
        """Stop accepting calls, let those in flight finish (up to `grace` seconds); False if some did not."""
        try:
            self.begin_stop(grace).result(grace + 1)
        except concurrent.futures.TimeoutError:
            return False
        return True

    # --- handlers --------------------------------------------------------------------------
    def _unary(self, op: Op, rpc: Rpc) -> Handler:
        service = self.service
        call = service.call
        respond = result_message
        to_pool = self._doors.to_pool

        def answer(request: Any) -> Any:
            if type(request) is _Malformed:
                raise InvalidArgument(request.reason, field="request")
            return respond(rpc, call(op, request_args(request), "grpc"))

        # The token, when one is required, was checked by _TokenCheck before the request was read.
        async def inline(request: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                return answer(request)
            except SutraError as e:
                await context.abort(_status(e), e.message)

        async def pooled(request: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                return await to_pool(answer, request)
            except SutraError as e:
                await context.abort(_status(e), e.message)

        handle = inline if op.inline else pooled
        handle.__name__ = rpc.method
        return handle

    async def _learn_stream(self, requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> Any:
        """Each streamed message is one batch, written (in the pool) as it arrives; returns every id in order."""
        service = self.service
        op = OPS["learn_batch"]
        ids: list[str] = []

        def write(i: int, request: Any) -> list[str]:
            if type(request) is _Malformed:
                raise InvalidArgument(f"LearnStream message {i}: {request.reason}", field="request")
            try:
                return list(service.call(op, request_args(request), "grpc"))
            except SutraError as e:
                e.message = f"LearnStream message {i} (after {len(ids)} concepts were stored): {e.message}"
                raise

        try:
            i = 0
            async for request in requests:
                ids.extend(await self._doors.to_pool(write, i, request))
                i += 1
            return result_message(LEARN_STREAM, ids)
        except SutraError as e:
            await context.abort(_status(e), e.message)
