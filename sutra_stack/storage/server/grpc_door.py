"""The gRPC door: `sutra.storage.StorageService`, grpc.health.v1 and server reflection.

A thin adapter: each RPC turns its request message into operation arguments, calls the
service layer, and turns the result (or the SutraError) into a response (or a status). The
token travels as `authorization: Bearer <token>` metadata; health and reflection need none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from sutra_stack.errors import InvalidArgument, SutraError
from sutra_stack.limits import MAX_MESSAGE_BYTES
from sutra_stack.storage.proto.convert import LEARN_STREAM, RPCS, SERVICE_NAME, Rpc, request_args, result_message
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


def _token(context: grpc.ServicerContext) -> str | None:
    for key, value in context.invocation_metadata():
        if key == "authorization":
            scheme, _, token = str(value).partition(" ")
            return token.strip() if scheme.lower() == "bearer" else str(value)
    return None


class GrpcDoor:
    """Owns the grpc.Server: StorageService + health + reflection on one port."""

    def __init__(self, service: StorageService, *, workers: int = 32) -> None:
        self.service = service
        self.health = health.HealthServicer()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc"),
                                  options=SERVER_OPTIONS)
        handlers: dict[str, grpc.RpcMethodHandler] = {}
        for name, rpc in RPCS.items():
            handlers[rpc.method] = grpc.unary_unary_rpc_method_handler(
                self._unary(OPS[name], rpc), request_deserializer=_parser(rpc.request),
                response_serializer=rpc.response.SerializeToString)
        handlers[LEARN_STREAM.method] = grpc.stream_unary_rpc_method_handler(
            self._learn_stream, request_deserializer=_parser(LEARN_STREAM.request),
            response_serializer=LEARN_STREAM.response.SerializeToString)
        # Registered methods: grpc core matches the method itself and hands over its handler,
        # without the per-call generic lookup (a HandlerCallDetails and a walk over handlers).
        self.server.add_registered_method_handlers(SERVICE_NAME, handlers)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), self.server)
        self.set_serving(False)

    def bind(self, host: str, port: int, tls: tuple[bytes, bytes] | None = None) -> int:
        """Listen on host:port (0: any free port); returns the bound port."""
        addr = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        if tls is not None:
            bound = self.server.add_secure_port(addr, grpc.ssl_server_credentials([(tls[1], tls[0])]))
        else:
            bound = self.server.add_insecure_port(addr)
        return bound

    def start(self) -> None:
        self.server.start()

    def set_serving(self, serving: bool) -> None:
        status = (health_pb2.HealthCheckResponse.SERVING if serving
                  else health_pb2.HealthCheckResponse.NOT_SERVING)
        for name in ("", SERVICE_NAME):
            self.health.set(name, status)

    def stop(self, grace: float) -> None:
        """Stop accepting calls, let those in flight finish (up to `grace` seconds)."""
        self.server.stop(grace).wait(grace + 1)

    # --- handlers --------------------------------------------------------------------------
    def _unary(self, op: Op, rpc: Rpc) -> Callable[[Any, grpc.ServicerContext], Any]:
        service = self.service
        call = service.call
        respond = result_message
        needs_token = service.needs_token  # the token is fixed when the service is made

        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            try:
                if needs_token:
                    service.authenticate(_token(context))
                if type(request) is _Malformed:
                    raise InvalidArgument(request.reason, field="request")
                return respond(rpc, call(op, request_args(request), "grpc"))
            except SutraError as e:
                context.abort(_status(e), e.message)

        handle.__name__ = rpc.method
        return handle

    def _learn_stream(self, requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
        """Each streamed message is one batch, written as it arrives; returns every id in order."""
        service = self.service
        op = OPS["learn_batch"]
        ids: list[str] = []
        try:
            if service.needs_token:
                service.authenticate(_token(context))
            for i, request in enumerate(requests):
                if type(request) is _Malformed:
                    raise InvalidArgument(f"LearnStream message {i}: {request.reason}", field="request")
                try:
                    ids.extend(service.call(op, request_args(request), "grpc"))
                except SutraError as e:
                    e.message = f"LearnStream message {i} (after {len(ids)} concepts were stored): {e.message}"
                    raise
            return result_message(LEARN_STREAM, ids)
        except SutraError as e:
            context.abort(_status(e), e.message)
