"""One error shape for every REST app: `{"error": {"code", "message", "field"?, "fields"?}}`.

Maps the stack's `SutraError` family to HTTP statuses (422 bad input, 404, 401, 503 while a
dependency is unreachable, ...), turns request validation failures into field-level 422s, and
makes sure an unexpected exception becomes a short JSON 500 — never a traceback on the wire.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sutra_stack.apps.common.jsonerror import json_error
from sutra_stack.errors import SutraError

log = logging.getLogger("sutra.apps")

HTTP_STATUS: dict[str, int] = {
    "INVALID_ARGUMENT": 422,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    # raised by the storage server about the app's own credentials: the app's caller can do nothing
    "UNAUTHENTICATED": 503,
    "PERMISSION_DENIED": 503,
    "RESOURCE_EXHAUSTED": 507,
    "FAILED_PRECONDITION": 409,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
    "INTERNAL": 500,
}

_LOC_SOURCES = {"body", "query", "path", "header", "cookie"}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    err.update({k: v for k, v in extra.items() if v is not None})
    return {"error": err}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(code, message, **extra), status_code=status, headers=headers)


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in _LOC_SOURCES:
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "body"


def validation_fields(errors: list[dict[str, Any]] | Any, body: Any = None) -> list[dict[str, str]]:
    out = []
    for e in errors:
        loc = e.get("loc", ())
        if e.get("type") == "json_invalid" and len(loc) == 2 and isinstance(loc[1], int):
            # FastAPI puts the decoder's character offset where the field goes: say where it is instead
            out.append(json_error(body, loc[1], str(e.get("ctx", {}).get("error", "")) or "JSON decode error"))
            continue
        msg = str(e.get("msg", "invalid"))
        msg = msg.removeprefix("Value error, ")
        out.append({"field": field_name(e.get("loc", ())), "message": msg})
    return out


def sutra_error_response(exc: SutraError) -> JSONResponse:
    status = HTTP_STATUS.get(exc.code, 500)
    message = exc.message
    if exc.code == "UNAVAILABLE":
        message = f"storage is unreachable: {exc.message}"
    elif exc.code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        message = f"storage refused this service's credentials (check SUTRA_STORAGE_TOKEN): {exc.message}"
    headers = {"Retry-After": "1"} if status == 503 else None
    return error_response(status, exc.code, message, headers=headers, field=exc.field)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every failure the one error shape."""

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = validation_fields(exc.errors(), exc.body)
        message = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or "invalid request"
        return error_response(422, "INVALID_ARGUMENT", message, fields=fields)

    @app.exception_handler(SutraError)
    async def _sutra(_: Request, exc: SutraError) -> JSONResponse:
        if HTTP_STATUS.get(exc.code, 500) >= 500 and exc.code != "UNAVAILABLE":
            log.error("request failed: %s: %s", exc.code, exc.message)
        return sutra_error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # a body that is not JSON text at all (e.g. not UTF-8): bad input like any other
            return error_response(422, "INVALID_ARGUMENT", f"body: {exc.detail} (send a UTF-8 JSON object)",
                                  field="body")
        code = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                405: "INVALID_ARGUMENT"}.get(exc.status_code, "INVALID_ARGUMENT")
        return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(ConnectionError)
    async def _conn(_: Request, exc: ConnectionError) -> JSONResponse:
        return error_response(503, "UNAVAILABLE", f"storage is unreachable: {exc}", headers={"Retry-After": "1"})



class CatchAll:
    """ASGI middleware: an unexpected exception is logged once and answered with a short JSON 500
    (`respond(message)` makes it; default: the REST apps' error shape)."""

    def __init__(self, app: ASGIApp, respond: Callable[[str], Response] | None = None) -> None:
        self.app = app
        self.respond = respond or (lambda message: error_response(500, "INTERNAL", message))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            response = self.respond(f"internal error ({type(exc).__name__}); see the server log")
            await response(scope, receive, send)
