"""Request models of sutra-hybrid's OpenAI routes, with OpenAI's field names and this server's limits.

What a parameter changes and this server cannot do is refused by name (400, `unsupported_parameter`
or `unsupported_value`), never ignored: `n` other than 1, tools and functions, logprobs, a
`response_format` other than text, non-zero penalties, a non-empty `logit_bias`. Parameters that
change nothing here (`temperature`, `top_p`, `seed`, `user`, `store`, `metadata`, …) are accepted
and checked for their type and range. Unknown fields are refused, as OpenAI does.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from sutra_stack.apps.hybrid.errors import bad
from sutra_stack.limits import (
    MAX_CHAT_MESSAGE_CHARS,
    MAX_CHAT_MESSAGES,
    MAX_EMBEDDING_INPUT_CHARS,
    MAX_EMBEDDING_INPUTS,
    MAX_STOP_SEQUENCES,
)

_STRICT = ConfigDict(extra="forbid")
ROLES = ("system", "developer", "user", "assistant")


class StreamOptions(BaseModel):
    model_config = _STRICT
    include_usage: StrictBool = False
    include_obfuscation: StrictBool | None = None  # accepted: nothing is obfuscated here


class SutraOptions(BaseModel):
    model_config = _STRICT
    explain: StrictBool = Field(default=False, description="Append a 'Because: …' paragraph to the content.")


class ChatRequest(BaseModel):
    model_config = _STRICT

    model: str = Field(min_length=1)
    messages: list[Any] = Field(description=f"1 to {MAX_CHAT_MESSAGES} messages (MAX_CHAT_MESSAGES).")
    stream: StrictBool | None = False
    stream_options: StreamOptions | None = None
    n: int | None = Field(default=None)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    user: str | None = None
    seed: int | None = None
    store: StrictBool | None = None
    metadata: dict[str, str] | None = None
    service_tier: str | None = None
    parallel_tool_calls: StrictBool | None = None
    presence_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    frequency_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    logit_bias: dict[str, int] | None = None
    logprobs: StrictBool | None = None
    top_logprobs: int | None = None
    response_format: dict[str, Any] | None = None
    tools: list[Any] | None = None
    tool_choice: Any = None
    functions: list[Any] | None = None
    function_call: Any = None
    sutra: SutraOptions | None = None

    @field_validator("stop")
    @classmethod
    def _stop(cls, v: str | list[str] | None) -> list[str] | None:
        stops = [v] if isinstance(v, str) else v
        if stops is not None and len(stops) > MAX_STOP_SEQUENCES:
            raise ValueError(f"has {len(stops)} sequences; the limit is {MAX_STOP_SEQUENCES} (MAX_STOP_SEQUENCES)")
        if stops is not None and any(not s for s in stops):
            raise ValueError("a stop sequence must not be empty")
        return stops

    def refuse_unsupported(self) -> None:
        """Raise a 400 naming the first parameter that would change the result and is not supported here."""
        if self.n is not None and self.n != 1:
            raise bad(f"n={self.n} is not supported: this server gives one answer per question (n=1)", "n",
                      "unsupported_value")
        for name in ("tools", "functions"):
            if getattr(self, name):
                raise bad(f"'{name}' is not supported: the reasoner answers from its knowledge base and calls no "
                          "tools", name, "unsupported_parameter")
        for name in ("tool_choice", "function_call"):
            if getattr(self, name) not in (None, "none"):
                raise bad(f"'{name}' is not supported: no tools can be called here", name, "unsupported_parameter")
        if self.logprobs or self.top_logprobs:
            name = "logprobs" if self.logprobs else "top_logprobs"
            raise bad(f"'{name}' is not supported: answers are not sampled from token probabilities", name,
                      "unsupported_parameter")
        if self.logit_bias:
            raise bad("'logit_bias' is not supported: answers are not sampled from tokens", "logit_bias",
                      "unsupported_parameter")
        for name in ("presence_penalty", "frequency_penalty"):
            if getattr(self, name):
                raise bad(f"'{name}' other than 0 is not supported: answers are not sampled", name,
                          "unsupported_value")
        if self.response_format is not None and self.response_format.get("type") != "text":
            raise bad(f"response_format {self.response_format.get('type')!r} is not supported: only 'text'",
                      "response_format.type", "unsupported_value")
        if self.stream_options is not None and not self.stream:
            raise bad("'stream_options' is only allowed when 'stream' is true", "stream_options", "invalid_value")


def message_text(message: Any, i: int) -> tuple[str, str]:
    """(role, text) of `messages[i]`, or a 400 naming the field: a role of ROLES, content a string or a list
    of text parts, at most MAX_CHAT_MESSAGE_CHARS characters."""
    where = f"messages[{i}]"
    if not isinstance(message, dict):
        raise bad(f"{where} must be an object with 'role' and 'content', got {type(message).__name__}", where,
                  "invalid_type")
    role = message.get("role")
    if role not in ROLES:
        if role == "tool" or role == "function":
            raise bad(f"{where}.role {role!r} is not supported: no tools are called here", f"{where}.role",
                      "unsupported_value")
        raise bad(f"{where}.role must be one of {', '.join(ROLES)}, got {role!r:.40}", f"{where}.role")
    unknown = set(message) - {"role", "content", "name", "refusal", "tool_calls", "function_call"}
    if unknown:
        raise bad(f"Unrecognized field in {where}: {sorted(unknown)[0]!r}", f"{where}.{sorted(unknown)[0]}",
                  "unknown_parameter")
    if message.get("tool_calls") or message.get("function_call"):
        raise bad(f"{where} carries tool calls: not supported here", f"{where}.tool_calls", "unsupported_value")
    name = message.get("name")
    if name is not None and not isinstance(name, str):
        raise bad(f"{where}.name must be a string", f"{where}.name", "invalid_type")
    content = message.get("content")
    if content is None and role == "assistant":
        content = ""
    if isinstance(content, list):
        parts = []
        for j, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise bad(f"{where}.content[{j}] must be a text part {{'type': 'text', 'text': ...}}; {kind!r:.40} "
                          "parts (images, audio, files) are not supported", f"{where}.content[{j}]",
                          "unsupported_value")
            parts.append(part["text"])
        content = "\n".join(parts)
    if not isinstance(content, str):
        raise bad(f"{where}.content must be a string or a list of text parts, got {type(content).__name__}",
                  f"{where}.content", "invalid_type")
    if len(content) > MAX_CHAT_MESSAGE_CHARS:
        raise bad(f"{where}.content is {len(content)} characters; the limit is {MAX_CHAT_MESSAGE_CHARS} "
                  "(MAX_CHAT_MESSAGE_CHARS)", f"{where}.content", "string_above_max_length")
    if "\x00" in content:
        raise bad(f"{where}.content must not contain NUL characters", f"{where}.content")
    return role, content


def conversation(messages: list[Any]) -> list[tuple[str, str]]:
    """Every message as (role, text), checked; a 400 when there are none, too many, or no user message."""
    if not messages:
        raise bad("'messages' must hold at least one message (the last user message is the question)", "messages",
                  "empty_array")
    if len(messages) > MAX_CHAT_MESSAGES:
        raise bad(f"'messages' has {len(messages)} messages; the limit is {MAX_CHAT_MESSAGES} (MAX_CHAT_MESSAGES)",
                  "messages", "array_above_max_length")
    turns = [message_text(m, i) for i, m in enumerate(messages)]
    if not any(role == "user" for role, _ in turns):
        raise bad("'messages' has no user message: the last user message is the question", "messages",
                  "missing_user_message")
    return turns


class EmbeddingsRequest(BaseModel):
    model_config = _STRICT

    model: str = Field(min_length=1)
    input: Any
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(default=None, ge=1)
    user: str | None = None


def embedding_inputs(value: Any) -> list[str]:
    """The texts of an `input`: a string or a list of strings; token arrays are refused by name."""
    if isinstance(value, str):
        texts = [value]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        texts = list(value)
    elif isinstance(value, list) and value and all(
            isinstance(v, int) or (isinstance(v, list) and all(isinstance(t, int) for t in v)) for v in value):
        raise bad("'input' holds token ids: this server embeds text only, send strings (LangChain's "
                  "OpenAIEmbeddings: check_embedding_ctx_length=False)", "input", "unsupported_value")
    else:
        raise bad("'input' must be a string or a list of strings", "input", "invalid_type")
    if not texts:
        raise bad("'input' must not be an empty list", "input", "empty_array")
    if len(texts) > MAX_EMBEDDING_INPUTS:
        raise bad(f"'input' has {len(texts)} texts; the limit is {MAX_EMBEDDING_INPUTS} (MAX_EMBEDDING_INPUTS)",
                  "input", "array_above_max_length")
    for i, t in enumerate(texts):
        if not t.strip():
            raise bad(f"input[{i}] must not be empty", f"input[{i}]")
        if len(t) > MAX_EMBEDDING_INPUT_CHARS:
            raise bad(f"input[{i}] is {len(t)} characters; the limit is {MAX_EMBEDDING_INPUT_CHARS} "
                      "(MAX_EMBEDDING_INPUT_CHARS)", f"input[{i}]", "string_above_max_length")
    return texts
