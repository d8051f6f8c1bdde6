"""API keys (hybrid.token, and api.token for /sutra/learn), the seed's Multi-API Consistency example with
sutra-api and sutra-hybrid on one storage server, CORS when configured, and READY=1 / STOPPING=1 on a
handed socket."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.api.conftest import STORAGE_ENV, start_api
from tests.deploy.harness import NotifySocket
from tests.hybrid.conftest import Hybrid, start_hybrid
from tests.support.procs import PYTHON, ROOT, child_env, free_port
from tests.support.storage_server import StorageServerHandle, storage_server

KEY = "hybrid-key-for-tests"
Q = [{"role": "user", "content": "What does smoking cause?"}]


@pytest.fixture(scope="module")
def keyed(storage: StorageServerHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hybrid]:
    with start_hybrid(storage.address, tmp_path_factory.mktemp("keyed"), token=KEY) as h:
        yield h


def test_hybrid_token_is_required_and_checked(keyed: Hybrid) -> None:
    for key in (None, "wrong-key"):
        with keyed.client(key) as c:
            for method, path, body in (("GET", "/v1/models", None),
                                       ("POST", "/v1/chat/completions", {"model": "sutra", "messages": Q}),
                                       ("POST", "/v1/embeddings", {"model": "hash-384", "input": "x"}),
                                       ("POST", "/sutra/query", {"question": "What does smoking cause?"}),
                                       ("POST", "/sutra/learn", {"content": "Fire causes smoke."})):
                r = c.request(method, path, json=body)
                assert r.status_code == 401, (key, path, r.text)
                err = r.json()["error"]
                assert err["type"] == "authentication_error" and err["code"] == "invalid_api_key"
                assert "SUTRA_HYBRID_TOKEN" in err["message"]
            assert c.get("/health").status_code == 200 and c.get("/ready").status_code == 200
    with pytest.raises(openai.AuthenticationError) as e:
        keyed.openai("wrong-key").models.list()
    assert e.value.code == "invalid_api_key"
    assert [m.id for m in keyed.openai(KEY).models.list()] == ["sutra", "hash-384"]
    with keyed.client(KEY) as c:
        assert c.post("/sutra/learn", json={"content": "Fire causes smoke."}).status_code == 200


def test_without_a_token_any_key_reads_and_learn_follows_api_token(storage: StorageServerHandle,
                                                                    tmp_path: Path) -> None:
    with start_hybrid(storage.address, tmp_path, api_token="api-secret") as h:
        assert h.openai("sk-anything").models.list().data[0].id == "sutra"
        with h.client("sk-anything") as c:
            assert c.post("/v1/chat/completions", json={"model": "sutra", "messages": Q}).status_code == 200
            r = c.post("/sutra/learn", json={"content": "Wind moves clouds."})
            assert r.status_code == 401 and "SUTRA_API_TOKEN" in r.json()["error"]["message"]
        with h.client("api-secret") as c:
            assert c.post("/sutra/learn", json={"content": "Wind moves clouds."}).status_code == 200


def test_multi_api_consistency(tmp_path: Path) -> None:
    """The seed's example: a fact learned through one API is answered by the other at once, both ways."""
    with storage_server(tmp_path / "data", env=STORAGE_ENV) as srv, \
            start_api(srv.address, tmp_path) as api, start_hybrid(srv.address, tmp_path) as hybrid:
        with api.client() as a:
            assert a.post("/learn", json={"content": "Smoking causes lung cancer."}).status_code == 200
        reply = hybrid.openai().chat.completions.create(model="sutra", messages=Q)  # type: ignore[arg-type]
        assert reply.choices[0].message.content == "lung cancer"
        with hybrid.client() as h:
            assert h.post("/sutra/learn", json={"content": "Rain makes roads wet."}).status_code == 200
        with api.client() as a:
            assert a.post("/ask", json={"question": "What makes roads wet?"}).json()["answer"].lower() == "rain"


def test_cors_only_for_configured_origins(storage: StorageServerHandle, tmp_path: Path) -> None:
    with start_hybrid(storage.address, tmp_path,
                      extra_env={"SUTRA_HYBRID_CORS_ORIGINS": "http://app.example",
                                 "SUTRA_HYBRID_ALLOWED_HOSTS": "sutra.internal"}) as h, h.client() as c:
        ok = c.get("/v1/models", headers={"origin": "http://app.example", "host": "sutra.internal"})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "http://app.example"
        other = c.get("/v1/models", headers={"origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_streams_of_clients_that_went_away_are_closed(hybrid: Hybrid) -> None:
    """A client that reads the first chunk and hangs up leaves no stream open behind it."""
    import socket

    body = (b'{"model": "sutra", "stream": true, "sutra": {"explain": true}, '
            b'"messages": [{"role": "user", "content": "What does smoking cause?"}]}')
    request = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", hybrid.port), timeout=5) as s:
            s.sendall(request)
            assert s.recv(64).startswith(b"HTTP/1.1 200")
    from tests.support.procs import wait_until

    def open_streams() -> float:
        with hybrid.client() as c:
            line = next(li for li in c.get("/metrics").text.splitlines() if li.startswith("sutra_hybrid_streams_open"))
        return float(line.split()[-1])

    wait_until(lambda: open_streams() == 0.0, timeout=20, what="every stream closed")
    assert hybrid.openai().chat.completions.create(model="sutra", messages=Q).choices[0].message.content  # type: ignore[arg-type]


def test_ready_and_stopping_on_a_handed_socket(tmp_path: Path) -> None:
    """Like every app process: READY=1 once /ready answers through the socket it was handed, STOPPING=1."""
    import socket

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    launcher = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.environ.update(LISTEN_FDS='1', "
                "LISTEN_PID=str(os.getpid())); os.execv(sys.executable, [sys.executable, '-m', "
                "'sutra_stack.apps.hybrid'])")
    with storage_server(tmp_path / "data", env=STORAGE_ENV) as srv, NotifySocket() as ns:
        env = child_env({"SUTRA_HYBRID_PORT": str(free_port()), "SUTRA_STORAGE_SERVER": srv.address,
                         "SUTRA_LOG_LEVEL": "WARNING", **ns.env})
        with open(tmp_path / "hybrid.log", "wb") as log:
            proc = subprocess.Popen([PYTHON, "-c", launcher, str(sock.fileno())], env=env, cwd=ROOT,
                                    pass_fds=(sock.fileno(),), stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            sock.close()
            try:
                assert ns.wait_for("READY", 60).pid == proc.pid
                client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="k", max_retries=0)
                assert [m.id for m in client.models.list()] == ["sutra", "hash-384"]
                os.kill(proc.pid, signal.SIGTERM)
                assert ns.wait_for("STOPPING", 30).pid == proc.pid
                assert proc.wait(30) == 0
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
