"""Embedders: the hash embedder is deterministic across processes; the http embedder speaks the
OpenAI-compatible /v1/embeddings protocol (against a small real HTTP server); read-only stores."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from sutra_stack.errors import FailedPrecondition, InvalidArgument, Unavailable
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.engine.embedders import HashEmbedder, HttpEmbedder, make_embedder
from tests.support.procs import ROOT, child_env

TEXTS = ["The cat sat on the mat.", "Ünïcödé text — with dashes", "x", "a b c d e f g h"]


def test_hash_embedder_is_deterministic_across_processes_and_normalised() -> None:
    here = HashEmbedder(64).embed(TEXTS)
    code = ("import json,sys; from sutra_stack.storage.engine.embedders import HashEmbedder; "
            f"print(json.dumps(HashEmbedder(64).embed({TEXTS!r}).tolist()))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=child_env({"PYTHONHASHSEED": "123"}),
                         capture_output=True, text=True, timeout=60, check=True)
    there = np.asarray(json.loads(out.stdout), dtype=np.float32)
    assert np.allclose(here, there)
    assert np.allclose(np.linalg.norm(here, axis=1), 1.0)
    one_by_one = np.concatenate([HashEmbedder(64).embed([t]) for t in TEXTS])
    assert np.allclose(here, one_by_one)  # batching does not change a vector


def test_hash_embedder_puts_shared_words_close() -> None:
    a, b, c = HashEmbedder(384).embed(["solar panels make electricity", "electricity from solar panels",
                                       "medieval castle architecture"])
    assert a @ b > 0.4 > a @ c


class _Handler(BaseHTTPRequestHandler):
    dim = 8

    def do_POST(self) -> None:  # http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/v1/embeddings" or self.headers.get("Authorization") != "Bearer k":
            self.send_response(401)
            self.end_headers()
            return
        data = [{"index": i, "embedding": [float(len(t) + j) for j in range(self.dim)]}
                for i, t in enumerate(body["input"])]
        raw = json.dumps({"data": data[::-1], "model": body["model"]}).encode()  # out of order on purpose
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def endpoint() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def test_http_embedder_against_an_openai_compatible_endpoint(endpoint: str) -> None:
    emb = HttpEmbedder(endpoint + "/v1", "m", 8, api_key="k")
    got = emb.embed(["ab", "abcd"])
    want = np.asarray([[2 + j for j in range(8)], [4 + j for j in range(8)]], dtype=np.float32)
    assert np.allclose(got, want / np.linalg.norm(want, axis=1, keepdims=True))
    with pytest.raises(InvalidArgument, match="shape"):
        HttpEmbedder(endpoint, "m", 16, api_key="k").embed(["x"])
    with pytest.raises(Unavailable, match="401"):
        HttpEmbedder(endpoint, "m", 8, api_key="wrong").embed(["x"])
    eng = Engine.in_memory({"embedder.kind": "http", "embedder.url": endpoint, "embedder.api_key": "k",
                            "embedder.dimension": 8, "embedder.model": "m"})
    cid = eng.learn_concept("hello")
    assert eng.vector_search(text="hello", k=1)[0].concept_id == cid
    assert eng.stats().embedder == "http"


def test_http_embedder_unreachable_and_misconfigured() -> None:
    with pytest.raises(FailedPrecondition, match="embedder.url"):
        make_embedder({"embedder.kind": "http", "embedder.url": "", "embedder.dimension": 8})
    with pytest.raises(Unavailable, match="unreachable"):
        HttpEmbedder("http://127.0.0.1:9", "m", 8, timeout=2).embed(["x"])


def test_read_only_store_refuses_writes_but_answers_reads(tmp_path) -> None:
    with Engine.open(tmp_path, {"storage.fsync": "off"}) as eng:
        cid = eng.learn_concept("kept")
    with Engine.open(tmp_path, {"storage.fsync": "off", "storage.read_only": True}) as eng:
        assert eng.query_concept(cid).content == "kept"
        with pytest.raises(FailedPrecondition, match="read-only"):
            eng.learn_concept("refused")
        with pytest.raises(FailedPrecondition, match="read-only"):
            eng.delete_concept(cid)
        assert eng.stats().read_only is True
