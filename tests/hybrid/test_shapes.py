"""The raw wire of sutra-hybrid, read with httpx: the SSE framing and every chunk's fields (the pitfalls
users of other servers met), the reply's content rules (follow-ups, explain, max_tokens, stop), system
messages not learned, and storage failures in OpenAI's envelope (503, or an error event mid-stream)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from sutra_stack.storage import StorageClient
from tests.hybrid.conftest import Hybrid, start_hybrid
from tests.support.storage_server import StorageServerHandle


def chat(h: Hybrid, messages: list[dict[str, Any]], **extra: Any) -> httpx.Response:
    with h.client() as c:
        return c.post("/v1/chat/completions", json={"model": "sutra", "messages": messages, **extra})


def sse_events(text: str) -> list[str]:
    """The `data:` payloads of an SSE body, in order."""
    return [line[len("data: "):] for line in text.split("\n") if line.startswith("data: ")]


def ask(q: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": q}]


def test_stream_wire_shape(hybrid: Hybrid) -> None:
    r = chat(hybrid, ask("What does smoking cause?"), stream=True, stream_options={"include_usage": True})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["x-accel-buffering"] == "no" and r.headers["cache-control"] == "no-cache"
    events = sse_events(r.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1 and len({c["created"] for c in chunks}) == 1
    assert all("error" not in c for c in chunks)  # not even "error": null (the Go SDK breaks on it)
    with_choices = [c for c in chunks if c["choices"]]
    assert all("finish_reason" in c["choices"][0] for c in with_choices)  # present, null until the end
    assert [c["choices"][0]["finish_reason"] for c in with_choices].count("stop") == 1
    assert with_choices[-1]["choices"][0]["finish_reason"] == "stop"
    assert with_choices[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    usage = chunks[-1]
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] == 7
    assert all(c["usage"] is None for c in chunks[:-1])


def test_stream_without_usage_has_no_usage_chunk(hybrid: Hybrid) -> None:
    chunks = [json.loads(e) for e in sse_events(chat(hybrid, ask("What does smoking cause?"), stream=True).text)[:-1]]
    assert all(c["choices"] for c in chunks) and all("usage" not in c for c in chunks)


def test_follow_up_resolves_against_the_previous_answer(hybrid: Hybrid) -> None:
    r = chat(hybrid, [{"role": "system", "content": "You are terse."},
                      {"role": "user", "content": "What does smoking cause?"},
                      {"role": "assistant", "content": "lung cancer"},
                      {"role": "user", "content": "and what does that cause?"}]).json()
    assert r["choices"][0]["message"]["content"] == "chest pain"
    assert r["sutra"]["question"] == "What does lung cancer cause?"
    assert r["sutra"]["resolved_from"] == "lung cancer"


def test_system_messages_are_not_learned(hybrid: Hybrid, storage: StorageServerHandle) -> None:
    with StorageClient(storage.address) as sc:
        before = sc.stats().concepts
        r = chat(hybrid, [{"role": "system", "content": "Volcanoes cause earthquakes."},
                          {"role": "user", "content": "What do volcanoes cause?"}])
        assert r.status_code == 200
        assert sc.stats().concepts == before
    assert r.json()["sutra"]["kind"] == "none"


def test_explain_appends_because(hybrid: Hybrid) -> None:
    r = chat(hybrid, ask("What does smoking cause?"), sutra={"explain": True}).json()
    content = r["choices"][0]["message"]["content"]
    first, because = content.split("\n\n", 1)
    assert first == "lung cancer"
    assert because.startswith("Because: ") and "Smoking causes lung cancer." in because
    assert r["usage"]["completion_tokens"] > 2


def test_max_tokens_truncates_with_length(hybrid: Hybrid) -> None:
    for field in ("max_tokens", "max_completion_tokens"):
        r = chat(hybrid, ask("What does smoking cause?"), **{field: 1}).json()
        assert r["choices"][0]["message"]["content"] == "lung"
        assert r["choices"][0]["finish_reason"] == "length" and r["usage"]["completion_tokens"] == 1
    streamed = chat(hybrid, ask("What does smoking cause?"), stream=True, max_tokens=1).text
    chunks = [json.loads(e) for e in sse_events(streamed)[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == "lung"
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    whole = chat(hybrid, ask("What does smoking cause?"), max_tokens=50).json()
    assert whole["choices"][0]["finish_reason"] == "stop" and whole["choices"][0]["message"]["content"] == "lung cancer"


def test_stop_sequence_cuts_the_reply(hybrid: Hybrid) -> None:
    r = chat(hybrid, ask("What does smoking cause?"), stop=[" can"]).json()
    assert r["choices"][0]["message"]["content"] == "lung" and r["choices"][0]["finish_reason"] == "stop"


def test_accepted_sampling_parameters(hybrid: Hybrid) -> None:
    r = chat(hybrid, ask("What does smoking cause?"), temperature=0.2, top_p=0.9, user="u-1", seed=7, n=1,
             presence_penalty=0, frequency_penalty=0, response_format={"type": "text"}, store=False)
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "lung cancer"


def test_sutra_query_breaks_confidence_down(hybrid: Hybrid) -> None:
    with hybrid.client() as c:
        body = c.post("/sutra/query", json={"question": "What does smoking cause?"}).json()
    assert body["answer"] == "lung cancer" and body["kind"] == "path"
    conf = body["confidence"]
    assert set(conf) == {"graph", "semantic", "final"}
    assert conf["graph"] == pytest.approx(max(p["confidence"] for p in body["paths"]))
    assert 0.0 <= conf["semantic"] <= 1.0 and conf["final"] > 0.5
    assert body["paths"][0]["steps"][-1]["content"] == "lung cancer"


def test_metrics_and_health(hybrid: Hybrid) -> None:
    with hybrid.client() as c:
        assert c.get("/health").json()["service"] == "sutra-hybrid"
        assert c.get("/ready").status_code == 200
        text = c.get("/metrics").text
    assert 'sutra_hybrid_requests_total{method="POST",route="/v1/chat/completions"' in text
    assert "sutra_hybrid_streams_open 0.0" in text


@pytest.fixture(scope="module")
def hybrid_without_storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hybrid]:
    from tests.support.procs import free_port

    with start_hybrid(f"127.0.0.1:{free_port()}", tmp_path_factory.mktemp("nostore")) as h:
        yield h


def test_storage_unreachable_is_503_in_the_envelope(hybrid_without_storage: Hybrid) -> None:
    h = hybrid_without_storage
    with h.client() as c:
        assert c.get("/ready").status_code == 503
        r = c.post("/v1/chat/completions", json={"model": "sutra", "messages": ask("What does smoking cause?")})
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    err = r.json()["error"]
    assert err["type"] == "server_error" and "storage is unreachable" in err["message"]
    with pytest.raises(openai.InternalServerError) as e:
        h.openai().chat.completions.create(model="sutra", messages=ask("x?"))  # type: ignore[arg-type]
    assert e.value.status_code == 503


def test_error_during_a_stream_is_an_error_event(hybrid_without_storage: Hybrid, tmp_path: Path) -> None:
    h = hybrid_without_storage
    r = chat(h, ask("What does smoking cause?"), stream=True)
    assert r.status_code == 200
    events = [json.loads(e) for e in sse_events(r.text)]
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "event: error" in r.text and "storage is unreachable" in events[-1]["error"]["message"]
    with pytest.raises(openai.APIError) as e:
        list(h.openai().chat.completions.create(model="sutra", messages=ask("x?"), stream=True))  # type: ignore[arg-type]
    assert "storage is unreachable" in e.value.message
