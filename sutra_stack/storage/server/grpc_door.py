"""The gRPC door: `sutra.storage.StorageService`, grpc.health.v1 and server reflection.

A thin adapter on grpc.aio, served from the doors' event loop (`door_loop.py`): each RPC
turns its request message into operation arguments, calls the service layer, and turns the
result (or the SutraError) into a response (or a status). Cheap reads (`Op.inline`) run on
the loop itself, as on the fast door; writes and other slow operations run in the shared
pool. The token travels as `authorization: Bearer <token>` metadata; health and reflection
need none.
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
from sutra_stack.limits import MAX_MESSAGE_BYTES
from sutra_stack.storage.proto.convert import LEARN_STREAM, RPCS, SERVICE_NAME, Rpc, request_args, result_message
from sutra_stack.storage.server.door_loop import DoorLoop
from sutra_stack.storage.server.ops import OPS, Op
from sutra_stack.storage.server.service import StorageService

log = logging.getLogger("sutra.storage.server")

SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.so_reuseport", 0),  # a second server on the same port must fail, not share it
]


class _Malformed:
    """What the deserializer hands over when the bytes are not the request message."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _parser(cls: Any) -> Callable[[bytes], Any]:
    parse = cls.FromString

    def deserialize(data: bytes) -> Any:
        try:
            return parse(data)
        except Exception as e:  # noqa: BLE001 - DecodeError and friends
            return _Malformed(f"malformed {cls.DESCRIPTOR.name} message: {e}")

    return deserialize


def _status(err: SutraError) -> grpc.StatusCode:
    return getattr(grpc.StatusCode, err.code, grpc.StatusCode.UNKNOWN)


def _token(context: grpc.aio.ServicerContext) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization":
            scheme, _, token = str(value).partition(" ")
            return token.strip() if scheme.lower() == "bearer" else str(value)
    return None


Handler = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


class GrpcDoor:
    """Owns the grpc.aio server: StorageService + health + reflection on one port."""

    def __init__(self, service: StorageService, doors: DoorLoop) -> None:
        self.service = service
        self._doors = doors
        self._stopping: concurrent.futures.Future[None] | None = None
        self.server: grpc.aio.Server
        self.health: Any
        doors.run(self._make())

    async def _make(self) -> None:
        self.server = server = grpc.aio.server(options=SERVER_OPTIONS)
        handlers: dict[str, grpc.RpcMethodHandler] = {}
        for name, rpc in RPCS.items():
            handlers[rpc.method] = grpc.unary_unary_rpc_method_handler(
                self._unary(OPS[name], rpc), request_deserializer=_parser(rpc.request),
                response_serializer=rpc.response.SerializeToString)
        handlers[LEARN_STREAM.method] = grpc.stream_unary_rpc_method_handler(
            self._learn_stream, request_deserializer=_parser(LEARN_STREAM.request),
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
        status = (health_pb2.HealthCheckResponse.SERVING if serving
                  else health_pb2.HealthCheckResponse.NOT_SERVING)
        for name in ("", SERVICE_NAME):
            await self.health.set(name, status)

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
        needs_token = service.needs_token  # the token is fixed when the service is made
        to_pool = self._doors.to_pool

        def answer(request: Any) -> Any:
            if type(request) is _Malformed:
                raise InvalidArgument(request.reason, field="request")
            return respond(rpc, call(op, request_args(request), "grpc"))

        async def inline(request: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                if needs_token:
                    service.authenticate(_token(context))
                return answer(request)
            except SutraError as e:
                await context.abort(_status(e), e.message)

        async def pooled(request: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                if needs_token:
                    service.authenticate(_token(context))
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
            if service.needs_token:
                service.authenticate(_token(context))
            i = 0
            async for request in requests:
                ids.extend(await self._doors.to_pool(write, i, request))
                i += 1
            return result_message(LEARN_STREAM, ids)
        except SutraError as e:
            await context.abort(_status(e), e.message)
