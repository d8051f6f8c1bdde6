"""Associations that carry time through a real storage server: bad time fields are refused on both
doors with INVALID_ARGUMENT naming the field and nothing written, and the fields written before a
SIGKILL of the server come back after its restart (WAL replay) and after a snapshot."""

from __future__ import annotations

import math
import os
import signal
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import grpc
import pytest

from sutra_stack import limits
from sutra_stack.errors import InvalidArgument
from sutra_stack.storage import StorageClient
from sutra_stack.storage.model import AssociationInput, ConceptInput
from sutra_stack.storage.proto import storage_pb2 as pb
from sutra_stack.storage.proto.convert import SERVICE_NAME
from tests.support.storage_server import StorageServerHandle, storage_server

from .conftest import FAST_ENV, addresses
from .rawfast import RawFast

BAD = [
    (AssociationInput("", "", valid_from=math.nan), "valid_from", "MAX_TIME_SECONDS"),
    (AssociationInput("", "", valid_to=-5.0), "valid_to", "MAX_TIME_SECONDS"),
    (AssociationInput("", "", valid_from=20.0, valid_to=10.0), "valid_to", "not before"),
    (AssociationInput("", "", superseded_by="not-an-id"), "superseded_by", "32 lowercase hex"),
    (AssociationInput("", "", predicate="p" * (limits.MAX_PREDICATE_BYTES + 1)), "predicate", "MAX_PREDICATE_BYTES"),
]


@pytest.mark.parametrize("door", ["grpc", "tcp"])
def test_bad_time_fields_are_refused_on_both_doors(server: StorageServerHandle, door: str) -> None:
    with StorageClient(addresses(server)[door]) as c:
        a, b = c.learn_batch([ConceptInput(f"time door {door} {x}") for x in "ab"])
        c.learn_associations([AssociationInput(a, b, predicate="before", valid_from=5.0)])
        before, counts = c.get_neighbors(a), c.stats().associations
        for bad, name, phrase in BAD:
            with pytest.raises(InvalidArgument) as exc:
                c.learn_associations([AssociationInput(b, a), replace(bad, source=b, target=a)])
            assert f"items[1].{name}" in exc.value.message and phrase in exc.value.message, exc.value.message
        for at in (math.nan, -1.0):
            for call in (partial(c.get_neighbors, a, valid_at=at), partial(c.find_paths, [a], [b], valid_at=at),
                         partial(c.find_paths_with_concepts, [a], [b], valid_at=at)):
                with pytest.raises(InvalidArgument) as exc:
                    call()
                assert "valid_at" in exc.value.message
        assert c.get_neighbors(a) == before and c.get_neighbors(b, direction="out") == []
        assert c.stats().associations == counts


def test_time_fields_survive_sigkill_and_snapshot(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**FAST_ENV, "SUTRA_STORAGE_FSYNC": "always"}
    with storage_server(data, env=env) as srv, StorageClient(srv.address) as c:
        x, paris, lyon, fact = c.learn_batch([ConceptInput(t) for t in ("X", "Paris", "Lyon", "X moved.")])
        c.learn_associations([AssociationInput(x, paris, "semantic", 0.9, 1.0, "lives in", 1_000.0)])
        c.learn_associations([AssociationInput(x, paris, "semantic", 0.9, 1.0, "", 1_500.0, 2_000.0, fact),
                              AssociationInput(x, lyon, "semantic", 0.8, 1.0, "moved to", 2_000.0)])
        want = c.get_neighbors(x)
        paths_then = c.find_paths([x], [paris], valid_at=1_800.0)
        os.killpg(srv.proc.pid, signal.SIGKILL)
        srv.proc.wait(10)
    assert [(n.predicate, n.valid_to, n.superseded_by, n.observed) for n in want] == [
        ("lives in", 2_000.0, fact, [1_000.0, 1_500.0]), ("moved to", 0.0, "", [2_000.0])]
    for _ in range(2):  # after the kill (the WAL), then after the snapshot the clean stop took
        with storage_server(data, env=env) as srv, StorageClient(srv.address) as c:
            assert c.get_neighbors(x) == want
            assert c.find_paths([x], [paris], valid_at=1_800.0) == paths_then != []
            assert c.find_paths([x], [paris], valid_at=2_000.0) == []
            assert [n.concept_id for n in c.get_neighbors(x, valid_at=2_000.0)] == [lyon]


def test_a_client_of_the_previous_release_still_learns_and_reads(server: StorageServerHandle) -> None:
    """Its requests have no time fields (and its gRPC messages none of the new field numbers): the
    association is stored as current since the write, and reads answer it with the new fields."""
    with StorageClient(server.fast_address) as c:
        a, b, d = c.learn_batch([ConceptInput(f"previous release {x}") for x in "abd"])
    before = time.time()
    conn = RawFast(server.fast_port)
    try:
        reply = conn.call("learn_associations", {"items": [
            {"source": a, "target": b, "type": "causal", "confidence": 0.5, "weight": 1.0}]})
        assert reply["result"] == 1, reply
        reply = conn.call("learn_association", {"source": b, "target": d, "type": "semantic", "confidence": 0.5,
                                                "weight": 1.0})
        assert "error" not in reply, reply
        (got,) = conn.call("get_neighbors", {"concept_id": a, "direction": "out"})["result"]
    finally:
        conn.close()
    assert got["predicate"] == "" and got["valid_to"] == 0.0 and got["superseded_by"] == ""
    assert before <= got["valid_from"] <= time.time() and got["observed"] == [got["valid_from"]]
    with grpc.insecure_channel(server.address) as ch:  # a message built without fields 6-9
        stub = ch.unary_unary(f"/{SERVICE_NAME}/LearnAssociation", request_serializer=lambda m: m,
                              response_deserializer=pb.Empty.FromString)
        stub(pb.LearnAssociationRequest(source=d, target=a, type="temporal").SerializeToString(), timeout=10)
    with StorageClient(server.grpc_address) as c:
        (back,) = c.get_neighbors(d, direction="out", types=["temporal"])
    assert back.concept_id == a and back.valid_to == 0.0 and back.valid_from >= before
