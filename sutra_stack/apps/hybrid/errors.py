"""OpenAI's error envelope for every sutra-hybrid failure: `{"error": {"message", "type", "param", "code"}}`.

Only that shape fills the SDKs' `APIStatusError.code/.param/.type`. The stack's `SutraError` family
maps to statuses as in the other REST apps, with these differences: bad input is 400 (OpenAI's
`invalid_request_error`), a missing or wrong API key 401 (`KeyRefused`), too many open streams 429
(`TooManyStreams`); an error raised by the storage server about this service's own credentials
stays 503. `openai_code` on an error says which `code` the envelope carries.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sutra_stack.apps.common.errors import HTTP_STATUS
from sutra_stack.apps.common.jsonerror import json_error
from sutra_stack.errors import InvalidArgument, NotFound, ResourceExhausted, SutraError, Unauthenticated

log = logging.getLogger("sutra.hybrid")


class KeyRefused(Unauthenticated):
    """The caller's own API key is missing or wrong (401), unlike storage refusing ours (503)."""


class TooManyStreams(ResourceExhausted):
    """More streamed completions at once than MAX_CHAT_STREAMS (429: retry shortly)."""


def bad(message: str, param: str | None, code: str = "invalid_value") -> InvalidArgument:
    """A 400 naming the parameter, with OpenAI's `code` (invalid_value, invalid_type, unsupported_parameter…)."""
    err = InvalidArgument(message, field=param)
    err.openai_code = code  # type: ignore[attr-defined]
    return err


def model_not_found(model: str, offered: list[str]) -> NotFound:
    err = NotFound(f"The model {model!r} does not exist on this server; models: {', '.join(offered)} "
                   "(GET /v1/models)", field="model")
    err.openai_code = "model_not_found"  # type: ignore[attr-defined]
    return err


def envelope(message: str, type_: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def openai_response(status: int, message: str, type_: str, param: str | None = None, code: str | None = None,
                    headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(envelope(message, type_, param, code), status_code=status, headers=headers)


def from_sutra(exc: SutraError) -> tuple[int, dict[str, Any], dict[str, str] | None]:
    """Status, envelope and headers of a SutraError."""
    code = getattr(exc, "openai_code", None)
    if isinstance(exc, KeyRefused):
        return 401, envelope(exc.message, "authentication_error", None, code or "invalid_api_key"), \
            {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, TooManyStreams):
        return 429, envelope(exc.message, "rate_limit_error", exc.field, code or "too_many_streams"), \
            {"Retry-After": "1"}
    if exc.code == "INVALID_ARGUMENT":
        return 400, envelope(exc.message, "invalid_request_error", exc.field, code or "invalid_value"), None
    if exc.code == "NOT_FOUND":
        return 404, envelope(exc.message, "invalid_request_error", exc.field, code or "not_found"), None
    status = HTTP_STATUS.get(exc.code, 500)
    message = exc.message
    if exc.code == "UNAVAILABLE":
        message = f"storage is unreachable: {exc.message}"
    elif exc.code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        message = f"storage refused this service's credentials (check SUTRA_STORAGE_TOKEN): {exc.message}"
    headers = {"Retry-After": "1"} if status == 503 else None
    type_ = "server_error" if status >= 500 else "invalid_request_error"
    return status, envelope(message, type_, exc.field, code or exc.code.lower()), headers


def stream_error(exc: BaseException) -> bytes:
    """An SSE `error` event for a failure once a stream has begun (the SDKs raise APIError on it)."""
    if isinstance(exc, SutraError):
        body = from_sutra(exc)[1]
    else:
        log.exception("unexpected error in a stream", exc_info=exc)
        body = envelope(f"internal error ({type(exc).__name__}); see the server log", "server_error", None,
                        "internal")
    return b"event: error\ndata: " + json.dumps(body).encode() + b"\n\n"


def too_large_body(limit: int, size: int | None) -> bytes:
    """The 413 of `BodySizeLimit`, in OpenAI's envelope."""
    told = f"{size} bytes" if size is not None else "more bytes than that"
    return json.dumps(envelope(f"request body is {told}; the limit is {limit} bytes (MAX_REQUEST_BODY_BYTES)",
                               "invalid_request_error", None, "request_too_large")).encode()


def _param(loc: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [p for p in loc if p not in ("body", "query", "path")]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or None


_CODES = {"missing": "missing_required_parameter", "extra_forbidden": "unknown_parameter",
          "json_invalid": "invalid_json"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        first = errors[0] if errors else {}
        kind = str(first.get("type", ""))
        loc = first.get("loc", ())
        if kind == "json_invalid" and len(loc) == 2 and isinstance(loc[1], int):
            where = json_error(exc.body, loc[1], str(first.get("ctx", {}).get("error", "")) or "JSON decode error")
            return openai_response(400, f"We could not parse the JSON body of your request: {where['message']}",
                                   "invalid_request_error", None, "invalid_json")
        if kind in ("model_attributes_type", "dict_type") and tuple(loc) == ("body",):
            return openai_response(400, "the body must be a JSON object (send it with Content-Type: "
                                   "application/json)", "invalid_request_error", None, "invalid_json")
        param = _param(loc)
        msg = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        if kind == "missing":
            message = f"Missing required parameter: {param!r}."
        elif kind == "extra_forbidden":
            message = f"Unrecognized request argument supplied: {param} (this server does not support it)"
        else:
            message = f"Invalid value for {param!r}: {msg}" if param else msg
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more problem(s))"
        code = _CODES.get(kind) or ("invalid_type" if kind.endswith("_type") else "invalid_value")
        return openai_response(400, message, "invalid_request_error", param, code)

    @app.exception_handler(SutraError)
    async def _sutra(_: Request, exc: SutraError) -> JSONResponse:
        status, body, headers = from_sutra(exc)
        if status >= 500 and exc.code != "UNAVAILABLE":
            log.error("request failed: %s: %s", exc.code, exc.message)
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code in (404, 405) and exc.detail in ("Not Found", "Method Not Allowed"):
            return openai_response(exc.status_code, f"{exc.detail}: {request.method} {request.url.path} (this server "
                                   "serves /v1/chat/completions, /v1/embeddings, /v1/models, /sutra/learn, "
                                   "/sutra/query)", "invalid_request_error", None,
                                   "not_found" if exc.status_code == 404 else "method_not_allowed",
                                   headers=getattr(exc, "headers", None))
        if exc.status_code == 400:
            return openai_response(400, f"body: {exc.detail} (send a UTF-8 JSON object)", "invalid_request_error",
                                   None, "invalid_json")
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        return openai_response(exc.status_code, str(exc.detail), "invalid_request_error", None, code,
                               headers=getattr(exc, "headers", None))

    @app.exception_handler(ConnectionError)
    async def _conn(_: Request, exc: ConnectionError) -> JSONResponse:
        return openai_response(503, f"storage is unreachable: {exc}", "server_error", None, "unavailable",
                               headers={"Retry-After": "1"})
