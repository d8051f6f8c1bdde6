"""Bad input on every route, 413 for oversized bodies, the token, and 503 while storage is unreachable.

Runs a real sutra-api process pointed at an address where no storage server listens: every
check here is decided by the API itself, before storage is reached.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sutra_stack.limits import (
    MAX_ASK_DEPTH,
    MAX_ASK_PATHS,
    MAX_LEARN_BATCH_TEXTS,
    MAX_LEARN_TEXT_BYTES,
    MAX_METADATA_BYTES,
    MAX_NEIGHBORS,
    MAX_QUERY_BYTES,
    MAX_REQUEST_BODY_BYTES,
    MAX_SEARCH_K,
    MAX_SOURCE_BYTES,
)
from tests.api.conftest import Api, start_api

GOOD_ID = "0" * 32


@pytest.fixture(scope="module")
def http(api_without_storage: Api) -> Iterator[httpx.Client]:
    with api_without_storage.client() as c:
        yield c


def fields_of(resp: httpx.Response) -> dict[str, str]:
    body = resp.json()
    assert body["error"]["code"] == "INVALID_ARGUMENT", body
    return {f["field"]: f["message"] for f in body["error"]["fields"]}


def assert_422(resp: httpx.Response, field: str, *words: str) -> None:
    assert resp.status_code == 422, resp.text
    fields = fields_of(resp)
    assert field in fields, fields
    for w in words:
        assert w in fields[field], (w, fields[field])
    assert "Traceback" not in resp.text


BAD_LEARN = [
    ({}, "content", ["required"]),
    ({"content": ""}, "content", ["at least 1 character"]),
    ({"content": "   \n\t"}, "content", ["empty"]),
    ({"content": 123}, "content", ["string"]),
    ({"content": "x" * (MAX_LEARN_TEXT_BYTES + 1)}, "content", ["MAX_LEARN_TEXT_BYTES", str(MAX_LEARN_TEXT_BYTES)]),
    # the limit is in UTF-8 bytes: 3 bytes per character here
    ({"content": "€" * (MAX_LEARN_TEXT_BYTES // 3 + 1)}, "content", ["MAX_LEARN_TEXT_BYTES"]),
    ({"content": "a\ud800b"}, "content", ["nicode"]),
    ({"content": "a\x00b"}, "content", ["NUL"]),
    ({"content": "fine", "source": "s" * (MAX_SOURCE_BYTES + 1)}, "source", ["MAX_SOURCE_BYTES"]),
    ({"content": "fine", "metadata": [1, 2]}, "metadata", ["dict"]),
    ({"content": "fine", "metadata": {"k": "v" * MAX_METADATA_BYTES}}, "metadata", ["MAX_METADATA_BYTES"]),
    ({"content": "fine", "surprise": 1}, "surprise", ["Extra"]),
    ({"content": "fine", "metadata": {"big": 2**64}}, "metadata", ["64 bits"]),
    ({"content": "fine", "metadata": {"deep": [{"s": "a\ud800"}]}}, "metadata", ["surrogate"]),
]


@pytest.mark.parametrize(("body", "field", "words"), BAD_LEARN)
def test_learn_rejects_bad_fields(http: httpx.Client, body: dict, field: str, words: list[str]) -> None:
    # ASCII JSON so that escapes such as a lone surrogate reach the server as the client wrote them
    raw = json.dumps(body).encode()
    assert_422(http.post("/learn", content=raw, headers={"content-type": "application/json"}), field, *words)


def test_learn_rejects_a_body_that_is_not_a_json_object(http: httpx.Client) -> None:
    r = http.post("/learn", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "INVALID_ARGUMENT"
    r = http.post("/learn", json=["content"])
    assert r.status_code == 422
    r = http.post("/learn", content=b"\xff\xfe\x00garbage", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "INVALID_ARGUMENT"


def test_learn_batch_rejects_bad_fields(http: httpx.Client) -> None:
    assert_422(http.post("/learn/batch", json={"items": []}), "items", "at least 1")
    assert_422(http.post("/learn/batch", json={}), "items", "required")
    too_many = {"items": [{"content": "a"}] * (MAX_LEARN_BATCH_TEXTS + 1)}
    assert_422(http.post("/learn/batch", json=too_many), "items", str(MAX_LEARN_BATCH_TEXTS), "MAX_LEARN_BATCH_TEXTS")
    one_bad = {"items": [{"content": "ok"}, {"content": "ok"}, {"content": " "}]}
    assert_422(http.post("/learn/batch", json=one_bad), "items.2.content", "empty")


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "question", ["required"]),
        ({"question": ""}, "question", ["at least 1 character"]),
        ({"question": " \t "}, "question", ["empty"]),
        ({"question": "q" * (MAX_QUERY_BYTES + 1)}, "question", ["MAX_QUERY_BYTES"]),
        ({"question": "why?", "max_paths": 0}, "max_paths", ["greater than or equal to 1"]),
        ({"question": "why?", "max_paths": MAX_ASK_PATHS + 1}, "max_paths", [str(MAX_ASK_PATHS)]),
        ({"question": "why?", "max_paths": "many"}, "max_paths", ["integer"]),
        ({"question": "why?", "max_depth": 0}, "max_depth", ["greater than or equal to 1"]),
        ({"question": "why?", "max_depth": MAX_ASK_DEPTH + 1}, "max_depth", [str(MAX_ASK_DEPTH)]),
    ],
)
def test_ask_rejects_bad_fields(http: httpx.Client, body: dict, field: str, words: list[str]) -> None:
    assert_422(http.post("/ask", json=body), field, *words)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "query", ["required"]),
        ({"query": ""}, "query", ["at least 1 character"]),
        ({"query": " "}, "query", ["empty"]),
        ({"query": "q" * (MAX_QUERY_BYTES + 1)}, "query", ["MAX_QUERY_BYTES"]),
        ({"query": "cats", "top_k": 0}, "top_k", ["greater than or equal to 1"]),
        ({"query": "cats", "top_k": MAX_SEARCH_K + 1}, "top_k", [str(MAX_SEARCH_K)]),
    ],
)
def test_search_rejects_bad_fields(http: httpx.Client, body: dict, field: str, words: list[str]) -> None:
    assert_422(http.post("/search", json=body), field, *words)


@pytest.mark.parametrize("bad_id", ["abc", "0" * 31, "0" * 33, "A" * 32, "g" * 32])
def test_concept_routes_reject_malformed_ids(http: httpx.Client, bad_id: str) -> None:
    assert_422(http.get(f"/concepts/{bad_id}"), "concept_id", "pattern")
    assert_422(http.get(f"/concepts/{bad_id}/neighbors"), "concept_id", "pattern")
    assert_422(http.delete(f"/concepts/{bad_id}"), "concept_id", "pattern")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"direction": "sideways"}, "direction"),
        ({"limit": 0}, "limit"),
        ({"limit": MAX_NEIGHBORS + 1}, "limit"),
        ({"min_confidence": 2}, "min_confidence"),
        ({"type": "friendship"}, "type"),
    ],
)
def test_neighbors_rejects_bad_parameters(http: httpx.Client, params: dict, field: str) -> None:
    r = http.get(f"/concepts/{GOOD_ID}/neighbors", params=params)
    assert r.status_code == 422, r.text
    assert any(f == field or f.startswith(f"{field}.") for f in fields_of(r)), r.text


def test_declared_oversized_body_is_refused_before_it_is_read(api_without_storage: Api) -> None:
    """Only the headers are sent: the 413 must arrive without the server waiting for the body."""
    head = (
        f"POST /learn HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {MAX_REQUEST_BODY_BYTES + 1}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", api_without_storage.port), timeout=5) as s:
        s.sendall(head + b'{"content": "')
        reply = b""
        while b"MAX_REQUEST_BODY_BYTES" not in reply:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        text = reply.decode()
    assert text.startswith("HTTP/1.1 413"), text
    assert "MAX_REQUEST_BODY_BYTES" in text


def test_oversized_body_is_413(http: httpx.Client) -> None:
    body = b'{"content": "' + b"x" * (MAX_REQUEST_BODY_BYTES + 10) + b'"}'
    r = http.post("/learn", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "RESOURCE_EXHAUSTED"
    assert str(MAX_REQUEST_BODY_BYTES) in r.json()["error"]["message"]


def test_oversized_chunked_body_is_413(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"content": "'
        for _ in range(MAX_REQUEST_BODY_BYTES // (1 << 20) + 2):
            yield b"x" * (1 << 20)
        yield b'"}'

    r = http.post("/learn", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "MAX_REQUEST_BODY_BYTES" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/learn", {"content": "Rain makes roads wet."}),
        ("POST", "/learn/batch", {"items": [{"content": "Rain makes roads wet."}]}),
        ("POST", "/ask", {"question": "What makes roads wet?"}),
        ("POST", "/search", {"query": "roads"}),
        ("GET", f"/concepts/{GOOD_ID}", None),
        ("GET", f"/concepts/{GOOD_ID}/neighbors", None),
        ("DELETE", f"/concepts/{GOOD_ID}", None),
        ("GET", "/stats", None),
    ],
)
def test_valid_requests_get_503_while_storage_is_unreachable(http: httpx.Client, method: str, path: str,
                                                             body: dict | None) -> None:
    r = http.request(method, path, json=body)
    assert r.status_code == 503, r.text
    err = r.json()["error"]
    assert err["code"] == "UNAVAILABLE"
    assert "storage" in err["message"] and "Traceback" not in r.text
    assert r.headers.get("retry-after") == "1"


def test_health_is_200_with_storage_down_inside_and_ready_is_503(http: httpx.Client) -> None:
    h = http.get("/health")
    assert h.status_code == 200
    assert h.json()["status"] == "ok" and h.json()["storage"]["status"] == "down"
    r = http.get("/ready")
    assert r.status_code == 503 and r.json()["ready"] is False


def test_metrics_docs_and_openapi(http: httpx.Client) -> None:
    http.post("/ask", json={"question": ""})
    m = http.get("/metrics")
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/plain")
    text = m.text
    assert 'sutra_api_requests_total{method="POST",route="/ask",status="422"}' in text
    assert "sutra_api_request_duration_seconds_bucket" in text
    assert "sutra_api_storage_up 0.0" in text
    assert http.get("/docs").status_code == 200
    paths = http.get("/openapi.json").json()["paths"]
    for p in ("/learn", "/learn/batch", "/ask", "/search", "/concepts/{concept_id}",
              "/concepts/{concept_id}/neighbors", "/health", "/ready", "/stats", "/metrics"):
        assert p in paths, p


def test_unknown_route_and_method(http: httpx.Client) -> None:
    r = http.get("/nowhere")
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
    r = http.put("/learn", json={})
    assert r.status_code == 405


def test_token_guards_mutating_routes_only(dead_storage: str, tmp_path: Path) -> None:
    token = "s3cret-token-value"
    with start_api(dead_storage, tmp_path, token=token, name="api-token") as api:
        with api.client() as anon, api.client("wrong") as wrong, api.client(token) as good:
            for method, path, body in (
                ("POST", "/learn", {"content": "x"}),
                ("POST", "/learn/batch", {"items": [{"content": "x"}]}),
                ("DELETE", f"/concepts/{GOOD_ID}", None),
            ):
                r = anon.request(method, path, json=body)
                assert r.status_code == 401, (path, r.text)
                assert r.headers["www-authenticate"] == "Bearer"
                assert "SUTRA_API_TOKEN" in r.json()["error"]["message"]
                assert wrong.request(method, path, json=body).status_code == 401
                assert good.request(method, path, json=body).status_code == 503  # past the token, storage down
            # reads need no token
            assert anon.post("/ask", json={"question": "why?"}).status_code == 503
            assert anon.get("/health").status_code == 200
        assert token not in api.log.read_text()
