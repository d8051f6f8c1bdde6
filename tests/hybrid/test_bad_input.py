"""Bad input to sutra-hybrid: each a clear 400 (413 for a body over the limit) in OpenAI's envelope naming
the parameter and, where one applies, the limit; nothing is learned and the server keeps serving."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from sutra_stack.limits import (
    MAX_CHAT_MESSAGE_CHARS,
    MAX_CHAT_MESSAGES,
    MAX_EMBEDDING_INPUTS,
    MAX_REQUEST_BODY_BYTES,
    MAX_STOP_SEQUENCES,
)
from sutra_stack.storage import StorageClient
from tests.hybrid.conftest import Hybrid
from tests.support.storage_server import StorageServerHandle

Q = {"role": "user", "content": "What does smoking cause?"}

CHAT_CASES: list[tuple[str, dict[str, Any], str | None, str]] = [
    ("empty messages", {"messages": []}, "messages", "at least one message"),
    ("no user message", {"messages": [{"role": "system", "content": "hi"}]}, "messages", "no user message"),
    ("unknown role", {"messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role", "must be one of"),
    ("tool role", {"messages": [Q, {"role": "tool", "content": "x", "tool_call_id": "1"}]}, None, "tool"),
    ("content not text", {"messages": [{"role": "user", "content": 42}]}, "messages[0].content", "string"),
    ("image part", {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
     "messages[0].content[0]", "not supported"),
    ("message not object", {"messages": ["hello"]}, "messages[0]", "must be an object"),
    ("huge content", {"messages": [{"role": "user", "content": "a" * (MAX_CHAT_MESSAGE_CHARS + 1)}]},
     "messages[0].content", "MAX_CHAT_MESSAGE_CHARS"),
    ("question over MAX_QUERY_BYTES", {"messages": [{"role": "user", "content": "why " * 3000}]}, "messages",
     "MAX_QUERY_BYTES"),
    ("too many messages", {"messages": [Q] * (MAX_CHAT_MESSAGES + 1)}, "messages", "MAX_CHAT_MESSAGES"),
    ("messages wrong type", {"messages": "What does smoking cause?"}, "messages", "valid list"),
    ("missing messages", {}, "messages", "Missing required parameter"),
    ("stream not bool", {"messages": [Q], "stream": "yes"}, "stream", ""),
    ("garbage stream_options", {"messages": [Q], "stream": True, "stream_options": "usage please"},
     "stream_options", ""),
    ("unknown stream_options key", {"messages": [Q], "stream": True, "stream_options": {"include_usage": True,
                                                                                        "foo": 1}},
     "stream_options.foo", "Unrecognized"),
    ("stream_options without stream", {"messages": [Q], "stream_options": {"include_usage": True}},
     "stream_options", "only allowed"),
    ("n=3", {"messages": [Q], "n": 3}, "n", "n=1"),
    ("temperature out of range", {"messages": [Q], "temperature": 5}, "temperature", "less than or equal"),
    ("max_tokens zero", {"messages": [Q], "max_tokens": 0}, "max_tokens", "greater than or equal"),
    ("too many stops", {"messages": [Q], "stop": ["a"] * (MAX_STOP_SEQUENCES + 1)}, "stop", "MAX_STOP_SEQUENCES"),
    ("logprobs", {"messages": [Q], "logprobs": True}, "logprobs", "not supported"),
    ("json response_format", {"messages": [Q], "response_format": {"type": "json_object"}}, "response_format.type",
     "only 'text'"),
    ("penalty", {"messages": [Q], "presence_penalty": 1.0}, "presence_penalty", "not supported"),
    ("unknown field", {"messages": [Q], "frobnicate": True}, "frobnicate", "Unrecognized request argument"),
    ("sutra.explain not bool", {"messages": [Q], "sutra": {"explain": "yes"}}, "sutra.explain", ""),
]


def _assert_error(r: httpx.Response, status: int, param: str | None, words: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert err["type"] == "invalid_request_error" and err["code"]
    if param is not None:
        assert err["param"] == param, err
    assert words in err["message"], err
    return err


@pytest.mark.parametrize(("body", "param", "words"), [c[1:] for c in CHAT_CASES], ids=[c[0] for c in CHAT_CASES])
def test_bad_chat_requests(hybrid: Hybrid, storage: StorageServerHandle, body: dict[str, Any], param: str | None,
                           words: str) -> None:
    with StorageClient(storage.address) as sc, hybrid.client() as c:
        before = sc.stats().concepts
        _assert_error(c.post("/v1/chat/completions", json={"model": "sutra", **body}), 400, param, words)
        assert sc.stats().concepts == before
        ok = c.post("/v1/chat/completions", json={"model": "sutra", "messages": [Q]})
        assert ok.status_code == 200 and ok.json()["choices"][0]["message"]["content"] == "lung cancer"


EMBED_CASES: list[tuple[str, dict[str, Any], str | None, str]] = [
    ("empty list", {"input": []}, "input", "empty"),
    ("empty text", {"input": ["ok", " "]}, "input[1]", "empty"),
    ("not text", {"input": {"a": 1}}, "input", "string"),
    ("token arrays", {"input": [[1, 2], [3]]}, "input", "token ids"),
    ("one token array", {"input": [1, 2, 3]}, "input", "token ids"),
    ("too many", {"input": ["x"] * (MAX_EMBEDDING_INPUTS + 1)}, "input", "MAX_EMBEDDING_INPUTS"),
    ("bad format", {"input": "x", "encoding_format": "float64"}, "encoding_format", ""),
    ("dimensions", {"input": "x", "dimensions": 1536}, "dimensions", "384"),
]


@pytest.mark.parametrize(("body", "param", "words"), [c[1:] for c in EMBED_CASES], ids=[c[0] for c in EMBED_CASES])
def test_bad_embedding_requests(hybrid: Hybrid, body: dict[str, Any], param: str | None, words: str) -> None:
    with hybrid.client() as c:
        _assert_error(c.post("/v1/embeddings", json={"model": "hash-384", **body}), 400, param, words)
        assert c.post("/v1/embeddings", json={"model": "hash-384", "input": "ok"}).status_code == 200


def test_wrong_models(hybrid: Hybrid) -> None:
    with hybrid.client() as c:
        err = _assert_error(c.post("/v1/embeddings", json={"model": "text-embedding-3-small", "input": "x"}), 404,
                            "model", "does not exist")
        assert err["code"] == "model_not_found"
        _assert_error(c.post("/v1/embeddings", json={"model": "sutra", "input": "x"}), 400, "model", "reasoner")
        _assert_error(c.post("/v1/chat/completions", json={"model": "hash-384", "messages": [Q]}), 400, "model",
                      "embeddings model")


def test_invalid_json_and_non_objects(hybrid: Hybrid) -> None:
    with hybrid.client() as c:
        for raw in (b'{"model": "sutra", "messages": [', b"\xff\xfe", b"[1, 2]", b"null"):
            r = c.post("/v1/chat/completions", content=raw, headers={"content-type": "application/json"})
            assert r.status_code == 400, (raw, r.text)
            assert r.json()["error"]["type"] == "invalid_request_error"
        r = c.post("/v1/chat/completions", content=b'{"model": "sutra", "messages": [',
                   headers={"content-type": "application/json"})
        assert r.json()["error"]["code"] == "invalid_json" and "line 1" in r.json()["error"]["message"]
        assert c.get("/v1/models").status_code == 200


def test_a_10_mb_body_is_413(hybrid: Hybrid) -> None:
    big = b'{"model": "sutra", "messages": [{"role": "user", "content": "' + b"a" * (10 << 20) + b'"}]}'
    with hybrid.client() as c:
        r = c.post("/v1/chat/completions", content=big, headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["param"] == "messages[0].content"  # under the body limit
        over = b" " * (MAX_REQUEST_BODY_BYTES + 1)
        r = c.post("/v1/chat/completions", content=over, headers={"content-type": "application/json"})
    assert r.status_code == 413
    err = r.json()["error"]
    assert err["code"] == "request_too_large" and "MAX_REQUEST_BODY_BYTES" in err["message"]
    with hybrid.client() as c:
        assert c.get("/v1/models").status_code == 200


def test_unknown_route_and_method_in_the_envelope(hybrid: Hybrid) -> None:
    with hybrid.client() as c:
        r = c.get("/v1/completions")
        assert r.status_code in (404, 405) and r.json()["error"]["type"] == "invalid_request_error"
        r = c.get("/v1/nope")
        assert r.status_code == 404 and "message" in r.json()["error"]


def test_host_header_names_checked(hybrid: Hybrid) -> None:
    """DNS rebinding: a page at attacker.example resolving to 127.0.0.1 sends its own name as Host."""
    with hybrid.client() as c:
        r = c.get("/v1/models", headers={"host": "attacker.example"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "host_not_allowed"
        assert "SUTRA_HYBRID_ALLOWED_HOSTS" in r.json()["error"]["message"]
        for host in ("localhost:8001", "127.0.0.1", "[::1]:8001", "LOCALHOST"):
            assert c.get("/v1/models", headers={"host": host}).status_code == 200, host


def test_no_cors_headers_unless_configured(hybrid: Hybrid) -> None:
    with hybrid.client() as c:
        r = c.get("/v1/models", headers={"origin": "http://evil.example"})
        pre = c.options("/v1/chat/completions", headers={"origin": "http://evil.example",
                                                         "access-control-request-method": "POST"})
    assert not any(k.lower().startswith("access-control-") for k in r.headers)
    assert not any(k.lower().startswith("access-control-") for k in pre.headers)


def test_raw_garbage_keeps_the_server_serving(hybrid: Hybrid) -> None:
    with socket.create_connection(("127.0.0.1", hybrid.port), timeout=5) as s:
        s.sendall(b"\x16\x03\x01garbage that is not HTTP\r\n\r\n")
        s.recv(1024)
    with hybrid.client() as c:
        assert c.get("/v1/models").status_code == 200
