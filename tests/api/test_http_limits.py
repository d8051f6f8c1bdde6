"""sutra-api closes requests that arrive too slowly (408) and refuses connections past its limit (503),
each with a JSON error naming the setting, and keeps serving everyone else."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from sutra_stack import limits
from tests.support.storage_server import StorageServerHandle

from .conftest import Api, start_api

TIMEOUT, MAX_CONNECTIONS = 1.0, 20


@pytest.fixture(scope="module")
def guarded(storage: StorageServerHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    env = {"SUTRA_API_REQUEST_TIMEOUT": str(TIMEOUT), "SUTRA_API_MAX_CONNECTIONS": str(MAX_CONNECTIONS)}
    with start_api(storage.address, tmp_path_factory.mktemp("api-guarded"), extra_env=env) as api:
        yield api


def _connect(api: Api) -> socket.socket:
    return socket.create_connection(("127.0.0.1", api.port), timeout=TIMEOUT + 15)


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return out
        if not chunk:
            return out
        out += chunk


def _read_response(sock: socket.socket) -> bytes:
    """One whole response (status line, headers and its content-length body) from a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _error(response: bytes) -> tuple[int, dict]:
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)["error"]


@pytest.mark.parametrize("sent", [
    b"",  # a connection that never sends a request
    b"GET /health HTTP/1.1\r\nHost: x\r\n",  # headers never finished
    b'POST /learn HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"con',
])
def test_a_request_that_does_not_arrive_in_time_gets_408_and_is_closed(guarded: Api, sent: bytes) -> None:
    sock = _connect(guarded)
    try:
        sock.sendall(sent)
        status, error = _error(_read_all(sock))
    finally:
        sock.close()
    assert status == 408, error
    assert "api.request_timeout=1s" in error["message"]
    with guarded.client() as c:
        assert c.get("/health").status_code == 200


def test_a_slow_but_timely_request_is_served(guarded: Api) -> None:
    sock = _connect(guarded)
    try:
        for part in (b"GET /health HTTP/1.1\r\n", b"Host: x\r\n", b"Connection: close\r\n\r\n"):
            sock.sendall(part)
            time.sleep(TIMEOUT / 5)
        response = _read_all(sock)
    finally:
        sock.close()
    assert response.startswith(b"HTTP/1.1 200"), response[:200]


def test_two_hundred_half_sent_requests_are_all_closed(guarded: Api) -> None:
    socks = [_connect(guarded) for _ in range(200)]
    try:
        for s in socks:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        statuses = [_error(_read_all(s))[0] for s in socks]  # each read ends when the server closes
    finally:
        for s in socks:
            s.close()
    # Those within the limit are timed out (408); the rest were refused as they came (503).
    assert set(statuses) <= {408, 503} and statuses.count(408) >= 1, statuses
    with guarded.client() as c:
        assert c.get("/health").status_code == 200


def test_the_connection_over_the_limit_gets_503(guarded: Api) -> None:
    socks = [_connect(guarded) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(TIMEOUT / 5)  # let the server take them all before the next one (they live TIMEOUT)
        extra = _connect(guarded)
        status, error = _error(_read_all(extra))
        extra.close()
    finally:
        for s in socks:
            s.close()
    assert status == 503, error
    assert f"api.max_connections={MAX_CONNECTIONS}" in error["message"]


def test_headers_past_their_limit_get_431(guarded: Api) -> None:
    sock = _connect(guarded)
    try:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: ")
        try:
            for _ in range(limits.MAX_HTTP_HEADER_BYTES // 4096 + 4):  # one header that never ends
                sock.sendall(b"a" * 4096)
        except OSError:
            pass  # closed by the server already
        status, error = _error(_read_all(sock))
    finally:
        sock.close()
    assert status == 431, error
    assert "MAX_HTTP_HEADER_BYTES" in error["message"]


def test_large_headers_within_the_limit_are_served(guarded: Api) -> None:
    with guarded.client() as c:
        r = c.get("/health", headers={"X-Pad": "a" * (limits.MAX_HTTP_HEADER_BYTES // 2)})
    assert r.status_code == 200


def test_a_keep_alive_connection_waiting_between_requests_is_not_timed_out(guarded: Api) -> None:
    """The request time-out runs while a request arrives, not while the connection waits for the next."""
    sock = _connect(guarded)
    try:
        for last in (False, True):
            close = b"Connection: close\r\n" if last else b""
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n" + close + b"\r\n")
            assert _read_response(sock).startswith(b"HTTP/1.1 200")
            if not last:
                time.sleep(TIMEOUT * 2)  # longer than the request time-out, shorter than keep-alive
    finally:
        sock.close()
