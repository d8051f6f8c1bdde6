"""sutra-hybrid as a service of the stack: the built-in stack runs it after storage, on a socket the
supervisor owns, reloaded on a code change unless hybrid.reload says none; and it keeps the HTTP doors'
time-outs (a request that does not arrive in time is answered 408, headers past their limit 431)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from sutra_stack.config import load_config
from sutra_stack.limits import MAX_HTTP_HEADER_BYTES
from sutra_stack.supervisor.spec import load_stack
from tests.hybrid.conftest import Hybrid, start_hybrid
from tests.support.storage_server import StorageServerHandle


def test_builtin_stack_runs_hybrid_after_storage(tmp_path: Path) -> None:
    stack = load_stack(load_config(cwd=tmp_path, environ={}))
    hybrid = stack.services["hybrid"]
    assert hybrid.command[1:] == ("-m", "sutra_stack.apps.hybrid")
    assert [(d.name, d.condition) for d in hybrid.depends_on] == [("storage", "healthy")]
    assert hybrid.listen == (("127.0.0.1", 8001),)
    assert hybrid.readiness is not None and (hybrid.readiness.port, hybrid.readiness.path) == (8001, "/ready")
    assert hybrid.reload == "restart" and hybrid.watch
    assert list(stack.services).index("hybrid") > list(stack.services).index("storage")
    off = load_stack(load_config(cwd=tmp_path, environ={"SUTRA_HYBRID_RELOAD": "none", "SUTRA_HYBRID_PORT": "9101"}))
    assert off.services["hybrid"].reload == "none" and off.services["hybrid"].watch == ()
    assert off.services["hybrid"].listen == (("127.0.0.1", 9101),)
    assert off.services["api"].reload == "restart"


def test_hybrid_port_clashing_with_api_is_a_config_error(tmp_path: Path) -> None:
    from sutra_stack.errors import ConfigError

    with pytest.raises(ConfigError, match="hybrid.port"):
        load_config(cwd=tmp_path, environ={"SUTRA_HYBRID_PORT": "8000"})


@pytest.fixture(scope="module")
def guarded(storage: StorageServerHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hybrid]:
    with start_hybrid(storage.address, tmp_path_factory.mktemp("guarded"),
                      extra_env={"SUTRA_API_REQUEST_TIMEOUT": "1"}) as h:
        yield h


def _answer(port: int, sent: bytes) -> tuple[int, dict[str, object]]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(sent)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)["error"]


def test_a_slow_request_gets_408(guarded: Hybrid) -> None:
    status, error = _answer(guarded.port, b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert status == 408 and "api.request_timeout=1s" in str(error["message"])
    with guarded.client() as c:
        assert c.get("/v1/models").status_code == 200


def test_headers_past_their_limit_get_431(guarded: Hybrid) -> None:
    with socket.create_connection(("127.0.0.1", guarded.port), timeout=10) as s:
        s.sendall(b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ")
        try:
            for _ in range(MAX_HTTP_HEADER_BYTES // 4096):  # one header that never ends, with the request line
                # just past the limit
                s.sendall(b"a" * 4096)  # (nothing more: bytes sent after the server closed would reset)
        except OSError:
            pass  # closed by the server already
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert int(head.split()[1]) == 431 and "MAX_HTTP_HEADER_BYTES" in json.loads(body)["error"]["message"]


def test_connections_past_the_limit_are_refused_by_name(storage: StorageServerHandle, tmp_path: Path) -> None:
    with start_hybrid(storage.address, tmp_path, extra_env={"SUTRA_API_MAX_CONNECTIONS": "2"}) as h:
        held = [socket.create_connection(("127.0.0.1", h.port), timeout=10) for _ in range(2)]
        try:
            status, error = _answer(h.port, b"")  # answered as it connects
        finally:
            for s in held:
                s.close()
        assert status == 503 and "sutra-hybrid already has 2 connections open" in str(error["message"])
        with h.client() as c:
            assert c.get("/v1/models").status_code == 200
