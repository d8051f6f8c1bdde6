"""The official `openai` SDK, unchanged, against a real sutra-hybrid: sync and async clients with strict
response validation, plain and streamed completions, the stream helper, embeddings, models, and each
error class with its code and param."""

from __future__ import annotations

import asyncio
import base64
import struct

import openai
import pytest

from tests.hybrid.conftest import Hybrid

QUESTION = [{"role": "user", "content": "What does smoking cause?"}]


def test_plain_completion_strict(hybrid: Hybrid) -> None:
    r = hybrid.openai().chat.completions.create(model="sutra", messages=QUESTION)  # type: ignore[arg-type]
    assert r.object == "chat.completion" and r.model == "sutra" and r.id.startswith("chatcmpl-")
    choice = r.choices[0]
    assert choice.message.role == "assistant" and choice.message.content == "lung cancer"
    assert choice.finish_reason == "stop"
    assert r.usage is not None and r.usage.completion_tokens == 2 and r.usage.prompt_tokens == 5
    assert r.usage.total_tokens == 7
    sutra = r.model_extra["sutra"]  # type: ignore[index]
    assert sutra["kind"] == "path" and sutra["confidence"] > 0.5 and sutra["paths"]
    assert "Smoking causes lung cancer." in sutra["explanation"]


def test_streamed_completion_strict(hybrid: Hybrid) -> None:
    chunks = list(hybrid.openai().chat.completions.create(
        model="sutra", messages=QUESTION, stream=True, stream_options={"include_usage": True}))  # type: ignore[arg-type]
    assert {c.id for c in chunks} == {chunks[0].id} and {c.created for c in chunks} == {chunks[0].created}
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "lung cancer"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 2
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_helper(hybrid: Hybrid) -> None:
    """`client.chat.completions.stream()` asserts every chunk's object and needs choices on the usage chunk."""
    with hybrid.openai().chat.completions.stream(model="sutra", messages=QUESTION,  # type: ignore[arg-type]
                                                 stream_options={"include_usage": True}) as stream:
        deltas = [e.delta for e in stream if e.type == "content.delta"]
        final = stream.get_final_completion()
    assert "".join(deltas) == "lung cancer"
    assert final.choices[0].message.content == "lung cancer" and final.choices[0].finish_reason == "stop"
    assert final.usage is not None and final.usage.total_tokens == 7


def test_async_client_plain_and_streamed(hybrid: Hybrid) -> None:
    async def run() -> tuple[str | None, str]:
        async with hybrid.async_openai() as client:
            plain = await client.chat.completions.create(model="sutra", messages=QUESTION)  # type: ignore[arg-type]
            stream = await client.chat.completions.create(model="sutra", messages=QUESTION,  # type: ignore[arg-type]
                                                          stream=True)
            text = "".join([c.choices[0].delta.content or "" async for c in stream])
            return plain.choices[0].message.content, text

    assert asyncio.run(run()) == ("lung cancer", "lung cancer")


def test_models_strict(hybrid: Hybrid) -> None:
    client = hybrid.openai()
    ids = [m.id for m in client.models.list()]
    assert ids == ["sutra", "hash-384"]
    m = client.models.retrieve("hash-384")
    assert m.object == "model" and m.owned_by == "sutra" and m.created > 0
    with pytest.raises(openai.NotFoundError) as e:
        client.models.retrieve("gpt-4o")
    assert e.value.code == "model_not_found"


def test_embeddings_default_base64_is_float32(hybrid: Hybrid) -> None:
    """The SDK asks for base64 when no format is given and decodes it as float32: the numbers must be the
    float format's. (Strict validation checks the body before the SDK decodes it, against OpenAI too, so the
    default-format call uses a client without it.)"""
    loose = openai.OpenAI(base_url=f"{hybrid.url}/v1", api_key="k", max_retries=0)
    got = loose.embeddings.create(model="hash-384", input=["Smoking causes lung cancer.", "Rain makes roads wet."])
    floats = hybrid.openai().embeddings.create(model="hash-384", input=["Smoking causes lung cancer.",
                                                                       "Rain makes roads wet."],
                                               encoding_format="float")
    assert [d.index for d in got.data] == [0, 1] and len(got.data[0].embedding) == 384
    for a, b in zip(got.data, floats.data, strict=True):
        assert a.embedding == pytest.approx(b.embedding, abs=1e-7)
    assert sum(x * x for x in floats.data[0].embedding) == pytest.approx(1.0, abs=1e-5)  # unit vectors
    assert floats.usage.prompt_tokens == 10 and floats.model == "hash-384"


def test_embeddings_explicit_base64_is_little_endian_float32(hybrid: Hybrid) -> None:
    loose = openai.OpenAI(base_url=f"{hybrid.url}/v1", api_key="k", max_retries=0)
    raw = loose.embeddings.create(model="hash-384", input="Rain makes roads wet.", encoding_format="base64")
    encoded = raw.data[0].embedding
    assert isinstance(encoded, str)
    packed = base64.b64decode(encoded)
    assert len(packed) == 384 * 4
    floats = hybrid.openai().embeddings.create(model="hash-384", input="Rain makes roads wet.",
                                               encoding_format="float").data[0].embedding
    assert list(struct.unpack("<384f", packed)) == pytest.approx(floats, abs=1e-7)


def test_error_classes_carry_code_and_param(hybrid: Hybrid) -> None:
    client = hybrid.openai()
    with pytest.raises(openai.NotFoundError) as nf:
        client.chat.completions.create(model="gpt-4o", messages=QUESTION)  # type: ignore[arg-type]
    assert (nf.value.code, nf.value.param, nf.value.type) == ("model_not_found", "model", "invalid_request_error")
    with pytest.raises(openai.BadRequestError) as br:
        client.chat.completions.create(model="sutra", messages=QUESTION, n=2)  # type: ignore[arg-type]
    assert (br.value.code, br.value.param) == ("unsupported_value", "n")
    with pytest.raises(openai.BadRequestError) as tools:
        client.chat.completions.create(model="sutra", messages=QUESTION,  # type: ignore[arg-type]
                                       tools=[{"type": "function", "function": {"name": "f"}}])
    assert tools.value.param == "tools"
    with pytest.raises(openai.BadRequestError) as dims:
        client.embeddings.create(model="hash-384", input="x", dimensions=256, encoding_format="float")
    assert (dims.value.code, dims.value.param) == ("unsupported_value", "dimensions")
    with pytest.raises(openai.BadRequestError) as tokens:
        client.embeddings.create(model="hash-384", input=[[1, 2, 3]], encoding_format="float")
    assert tokens.value.param == "input" and "token ids" in tokens.value.message
