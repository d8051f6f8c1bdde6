"""POST /v1/chat/completions: the question of a conversation answered by the reasoner, plain or streamed.

A plain reply is one `chat.completion`. A streamed one is Server-Sent Events: a first chunk with
`delta.role`, one chunk per token of the content (`tokens.pieces`), one chunk with `finish_reason`
(and the `sutra` reasoning), with `stream_options.include_usage` a chunk with `choices: []` and
`usage`, then `data: [DONE]`. Every chunk has the same `id` and `created`, `object`
`chat.completion.chunk`, and `finish_reason` null until the last (never left out). The response
starts (200, headers) before the reasoner runs; a failure then is the role chunk and an `error` event
(the SDKs raise APIError). The reasoner's answer is whole at once, so its events leave in one write.
At most MAX_CHAT_STREAMS streams per worker are open at once; a stream's place is freed when its
response ends, whether the client read it all or went away.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncGenerator
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.types import Receive, Scope, Send

from sutra_stack.apps.api.deps import StoreHandle
from sutra_stack.apps.common.blocking import blocking
from sutra_stack.apps.hybrid.answer import Question, cut, question_of, reasoning, reply_text
from sutra_stack.apps.hybrid.errors import TooManyStreams, bad, model_not_found, stream_error
from sutra_stack.apps.hybrid.models import REASONER_MODEL, offered
from sutra_stack.apps.hybrid.schemas import ChatRequest, conversation
from sutra_stack.apps.hybrid.security import require_key
from sutra_stack.apps.hybrid.tokens import count_tokens, pieces, truncate
from sutra_stack.errors import InvalidArgument, SutraError
from sutra_stack.limits import MAX_CHAT_STREAMS
from sutra_stack.reasoning import Answer

router = APIRouter()
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering (nginx)


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _event(data: Any) -> bytes:
    return b"data: " + _json(data) + b"\n\n"


class Completion:
    """One request's question, limits and, once asked, its reply text and finish reason."""

    def __init__(self, body: ChatRequest, request: Request) -> None:
        body.refuse_unsupported()
        if body.model != REASONER_MODEL:
            settings = request.app.state.settings
            if body.model in offered(settings):
                raise bad(f"{body.model!r} is an embeddings model: use '{REASONER_MODEL}' for chat completions",
                          "model", "model_not_supported")
            raise model_not_found(body.model, offered(settings))
        turns = conversation(body.messages)
        self.body = body
        self.question: Question = question_of(turns)
        self.prompt_tokens = sum(count_tokens(text) for _, text in turns)
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.store: StoreHandle = request.app.state.store
        limits = [m for m in (body.max_tokens, body.max_completion_tokens) if m is not None]
        self.max_tokens = min(limits) if limits else None
        self.explain = bool(body.sutra and body.sutra.explain)

    async def ask(self) -> tuple[Answer, str, str]:
        """The answer, the reply's content and its finish reason."""
        q = self.question.text
        try:
            answer = await blocking(lambda: self.store.reasoner().ask(q))
        except InvalidArgument as e:
            if e.field == "question":  # over MAX_QUERY_BYTES, or empty once trimmed: the user message's fault
                raise bad(f"the last user message: {e.message}", "messages", "invalid_value") from None
            raise
        text, stopped = cut(reply_text(answer, self.explain), self.body.stop)  # type: ignore[arg-type]
        finish = "stop"
        if self.max_tokens is not None:
            text, cut_short = truncate(text, self.max_tokens)
            if cut_short:
                finish = "length"
        return answer, text, finish

    def usage(self, text: str) -> dict[str, int]:
        completion = count_tokens(text)
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": completion,
                "total_tokens": self.prompt_tokens + completion}

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.body.model,
                "system_fingerprint": None,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], **extra}


@router.post("/v1/chat/completions", dependencies=[Depends(require_key)], tags=["openai"])
async def chat_completions(body: ChatRequest, request: Request) -> Response:
    """Answer the last user message from the knowledge base (OpenAI's chat completion, plain or streamed)."""
    c = Completion(body, request)
    if body.stream:
        return await _stream(c, request)
    answer, text, finish = await c.ask()
    return Response(_json({
        "id": c.id, "object": "chat.completion", "created": c.created, "model": body.model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                     "logprobs": None, "finish_reason": finish}],
        "usage": c.usage(text),
        "sutra": reasoning(answer, c.question),
    }), media_type="application/json")


async def _stream(c: Completion, request: Request) -> Response:
    state = request.app.state
    if state.streams_open >= MAX_CHAT_STREAMS:
        raise TooManyStreams(f"{state.streams_open} streamed completions are open on this worker, the most "
                             f"MAX_CHAT_STREAMS={MAX_CHAT_STREAMS} allows; retry shortly", field="stream")
    include_usage = bool(c.body.stream_options and c.body.stream_options.include_usage)
    usage_null = {"usage": None} if include_usage else {}
    state.streams_open += 1
    state.metrics.streams_open.inc()

    async def events() -> AsyncGenerator[bytes, None]:
        role = _event(c.chunk({"role": "assistant", "content": ""}, **usage_null))
        try:
            try:
                answer, text, finish = await c.ask()
            except (SutraError, ConnectionError) as e:
                err = e if isinstance(e, SutraError) else SutraError.from_code("UNAVAILABLE", str(e))
                yield role + stream_error(err)
                return
            # The whole answer is known at once: its events leave in one write, not one send each.
            out = [role, *(_event(c.chunk({"content": piece}, **usage_null)) for piece in pieces(text)),
                   _event(c.chunk({}, finish, sutra=reasoning(answer, c.question), **usage_null))]
            if include_usage:
                out.append(_event({**c.chunk({}), "choices": [], "usage": c.usage(text)}))
            out.append(b"data: [DONE]\n\n")
            yield b"".join(out)
        except Exception as e:  # noqa: BLE001 - the stream has begun: the failure goes to the client as an event
            yield stream_error(e)
        finally:
            state.streams_open -= 1
            state.metrics.streams_open.dec()

    return EventStream(events())


class EventStream(Response):
    """Server-Sent Events from an async iterator of byte blocks, each sent as it comes (chunked).

    Starlette's StreamingResponse, under uvicorn's ASGI 2.3, runs a task group with a second task
    listening for the client to go away, for every stream (runs on the 100K store on a loaded 2-core
    machine: first token at 1.2x the non-streamed p50 with it, 1.04x and 0.97x with this class,
    bench/bench_hybrid.py). Here a send to a client that
    went away is dropped by the server, and the iterator is closed when the response ends either way,
    so its `finally` runs."""

    media_type = "text/event-stream"

    def __init__(self, blocks: AsyncGenerator[bytes, None]) -> None:
        super().__init__(headers=SSE_HEADERS, media_type=self.media_type)
        del self.headers["content-length"]  # chunked: the length is not known when the headers leave
        self.blocks = blocks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        try:
            async for block in self.blocks:
                await send({"type": "http.response.body", "body": block, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await self.blocks.aclose()
