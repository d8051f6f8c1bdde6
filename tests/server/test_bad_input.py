"""Bad input on both doors gets a clear error naming the field or limit, changes nothing, and the server
keeps serving everyone else: bad fields, oversized messages, malformed frames, unknown operations."""

from __future__ import annotations

import struct
import uuid

import grpc
import pytest

from sutra_stack import limits
from sutra_stack.errors import InvalidArgument, ResourceExhausted
from sutra_stack.storage import StorageClient
from sutra_stack.storage.model import ConceptInput
from sutra_stack.storage.proto import storage_pb2 as pb
from sutra_stack.storage.proto.convert import SERVICE_NAME
from tests.support.storage_server import StorageServerHandle

from .conftest import addresses
from .rawfast import RawFast, packb

DOORS = ("auto", "grpc", "tcp")

# (call, the field the error must name, a phrase of the message)
BAD_CALLS = [
    (lambda c: c.query_concept("XYZ"), "concept_id", "32 lowercase hex"),
    (lambda c: c.query_concept("A" * 32), "concept_id", "32 lowercase hex"),
    (lambda c: c.learn_concept(""), "content", ""),
    (lambda c: c.learn_concept("x" * (limits.MAX_CONTENT_BYTES + 1)), "content", "MAX_CONTENT_BYTES"),
    (lambda c: c.learn_concept("wrong dim", embedding=[0.1] * 63), "embedding", "dimension 64"),
    (lambda c: c.learn_concept("bad strength", strength=-5.0), "strength", "between"),
    (lambda c: c.learn_batch([ConceptInput("ok")] * (limits.MAX_BATCH_ITEMS + 1)), "items", "MAX_BATCH_ITEMS"),
    (lambda c: c.learn_association(uuid.uuid4().hex, uuid.uuid4().hex, "friendship"), "type", "causal"),
    (lambda c: c.vector_search(vector=[0.1] * 10), "vector", "dimension 64"),
    (lambda c: c.vector_search(text="q", k=limits.MAX_SEARCH_K + 1), "k", "MAX_SEARCH_K"),
    (lambda c: c.vector_search(text="q", ef=limits.MAX_EF + 1), "ef", ""),
    (lambda c: c.find_paths([uuid.uuid4().hex], [uuid.uuid4().hex], max_depth=limits.MAX_PATH_DEPTH + 1),
     "max_depth", "MAX_PATH_DEPTH"),
    (lambda c: c.get_neighbors(uuid.uuid4().hex, direction="sideways"), "direction", ""),
    (lambda c: c.text_search("q" * (limits.MAX_QUERY_BYTES + 1)), "query", "MAX_QUERY_BYTES"),
    (lambda c: c.search_candidates("q", k=limits.MAX_SEARCH_K + 1), "k", "MAX_SEARCH_K"),
    (lambda c: c.search_candidates("q" * (limits.MAX_QUERY_BYTES + 1)), "text", "MAX_QUERY_BYTES"),
    (lambda c: c.find_paths_with_concepts([uuid.uuid4().hex], [uuid.uuid4().hex],
                                          max_depth=limits.MAX_PATH_DEPTH + 1), "max_depth", "MAX_PATH_DEPTH"),
    (lambda c: c.find_paths_with_concepts(["XYZ"], [uuid.uuid4().hex]), "starts", "32 lowercase hex"),
]


@pytest.mark.parametrize("door", DOORS)
def test_bad_fields_name_the_field_and_change_nothing(server: StorageServerHandle, door: str) -> None:
    with StorageClient(addresses(server)[door]) as c:
        before = c.stats()
        for call, field, phrase in BAD_CALLS:
            with pytest.raises(InvalidArgument) as exc:
                call(c)
            assert field in str(exc.value), (field, str(exc.value))
            assert phrase in str(exc.value), (phrase, str(exc.value))
        after = c.stats()
        assert (after.concepts, after.associations) == (before.concepts, before.associations)
        assert c.health()["status"] == "SERVING"


def test_fast_door_type_and_field_errors(server: StorageServerHandle) -> None:
    conn = RawFast(server.fast_port)
    try:
        for args, field in [
            ({"concept_id": 12345}, "concept_id"),
            ({"concept_id": "0" * 32, "bogus": 1}, "bogus"),
            ({}, "concept_id"),
            ("not a map", "args"),
        ]:
            reply = conn.call("query_concept", args, rid=7)
            assert reply["id"] == 7 and reply["error"]["code"] == "INVALID_ARGUMENT", reply
            assert field in reply["error"]["message"]
        reply = conn.call("vector_search", {"text": "x", "k": "ten"}, rid=8)
        assert reply["error"]["code"] == "INVALID_ARGUMENT" and "k" in reply["error"]["message"]
        reply = conn.call("vector_search", {"vector": b"\x00" * 7, "k": 1}, rid=12)
        assert reply["error"]["code"] == "INVALID_ARGUMENT" and "float32" in reply["error"]["message"]
        reply = conn.call("vector_search", {"vector": b"\x00\x00\x80\x3f" * 64, "k": 1}, rid=13)  # 64 × 1.0f
        assert "result" in reply, reply
        reply = conn.call("learn_batch", {"items": [{"content": "ok"}, {"content": "x", "colour": "red"}]}, rid=9)
        assert reply["error"]["code"] == "INVALID_ARGUMENT" and "items[1].colour" in reply["error"]["message"]
        # An unknown operation is an error on that request only: the connection stays usable.
        reply = conn.call("drop_everything", {}, rid=10)
        assert reply["id"] == 10 and reply["error"]["code"] == "UNIMPLEMENTED"
        assert "query_concept" in reply["error"]["message"]  # it lists the known ones
        assert conn.call("health", None, rid=11)["result"]["status"] == "SERVING"
    finally:
        conn.close()


@pytest.mark.parametrize("frame, code, phrase", [
    (struct.pack(">I", 0xFFFFFFF0), "RESOURCE_EXHAUSTED", "MAX_MESSAGE_BYTES"),
    (struct.pack(">I", limits.MAX_MESSAGE_BYTES + 1) + b"\x00" * 10, "RESOURCE_EXHAUSTED", "MAX_MESSAGE_BYTES"),
    (struct.pack(">I", 5) + b"\xc1\xc1\xc1\xc1\xc1", "INVALID_ARGUMENT", "not MessagePack"),
    (struct.pack(">I", len(packb([1, 2, 3]))) + packb([1, 2, 3]), "INVALID_ARGUMENT", "expected a map"),
])
@pytest.mark.parametrize("after_hello", [False, True])
def test_malformed_frames_close_that_connection_only(server: StorageServerHandle, frame: bytes, code: str,
                                                     phrase: str, after_hello: bool) -> None:
    bystander = RawFast(server.fast_port)
    conn = RawFast(server.fast_port, hello=after_hello)
    try:
        conn.send_raw(frame)
        reply = conn.recv()
        assert reply["error"]["code"] == code and phrase in reply["error"]["message"], reply
        assert conn.closed_by_server()
        assert bystander.call("health", None)["result"]["status"] == "SERVING"
    finally:
        conn.close()
        bystander.close()
    with StorageClient(server.fast_address) as c:
        assert c.health()["status"] == "SERVING"


def test_hello_is_required_and_versioned(server: StorageServerHandle) -> None:
    conn = RawFast(server.fast_port, hello=False)
    conn.send({"id": 1, "op": "stats", "args": None})
    reply = conn.recv()
    assert reply["error"]["code"] == "INVALID_ARGUMENT" and "hello" in reply["error"]["message"]
    assert conn.closed_by_server()
    conn.close()
    conn = RawFast(server.fast_port, hello=False)
    conn.send({"hello": {"version": 99, "token": ""}})
    reply = conn.recv()
    assert reply["error"]["code"] == "FAILED_PRECONDITION" and "speaks version 1" in reply["error"]["message"]
    assert conn.closed_by_server()
    conn.close()


def test_pipelined_requests_are_answered_by_id(server: StorageServerHandle) -> None:
    conn = RawFast(server.fast_port)
    try:
        tag = uuid.uuid4().hex[:8]
        frames = b""
        for i in range(60):  # writes (thread pool) and reads (event loop) mixed on one connection
            if i % 3 == 0:
                frames += _frame({"id": i, "op": "learn_concept", "args": {"content": f"pipe {tag} {i}"}})
            else:
                frames += _frame({"id": i, "op": "stats", "args": None})
        conn.send_raw(frames)
        replies = {r["id"]: r for r in (conn.recv() for _ in range(60))}
        assert sorted(replies) == list(range(60))
        assert all("result" in r for r in replies.values())
        assert replies[0]["result"] != replies[3]["result"]  # two distinct concept ids
    finally:
        conn.close()


def _frame(obj: dict) -> bytes:
    body = packb(obj)
    return struct.pack(">I", len(body)) + body


def _raw_grpc(server: StorageServerHandle, method: str) -> grpc.UnaryUnaryMultiCallable:
    ch = grpc.insecure_channel(server.address, options=[("grpc.max_send_message_length", -1)])
    return ch.unary_unary(f"/{SERVICE_NAME}/{method}")


def test_grpc_status_codes(server: StorageServerHandle) -> None:
    call = _raw_grpc(server, "QueryConcept")
    with pytest.raises(grpc.RpcError) as exc:
        call(pb.ConceptIdRequest(concept_id="nope").SerializeToString(), timeout=10)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "concept_id" in exc.value.details()
    with pytest.raises(grpc.RpcError) as exc:
        call(pb.ConceptIdRequest(concept_id=uuid.uuid4().hex).SerializeToString(), timeout=10)
    assert exc.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as exc:  # bytes that are not a ConceptIdRequest
        call(b"\xff\xff\xff\xff", timeout=10)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "malformed" in exc.value.details()
    with pytest.raises(grpc.RpcError) as exc:
        _raw_grpc(server, "DropEverything")(b"", timeout=10)
    assert exc.value.code() == grpc.StatusCode.UNIMPLEMENTED
    with pytest.raises(grpc.RpcError) as exc:
        _raw_grpc(server, "LearnConcept")(pb.LearnConceptRequest(content="x", metadata_json="[1]")
                                          .SerializeToString(), timeout=10)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "metadata_json" in exc.value.details()


def test_oversized_messages_on_both_doors(server: StorageServerHandle) -> None:
    big = "x" * (limits.MAX_MESSAGE_BYTES + 1024)
    with pytest.raises(grpc.RpcError) as exc:
        _raw_grpc(server, "LearnConcept")(pb.LearnConceptRequest(content=big).SerializeToString(), timeout=60)
    assert exc.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    with StorageClient(server.fast_address) as c, pytest.raises(ResourceExhausted, match="MAX_MESSAGE_BYTES"):
        c.learn_concept(big)
    with StorageClient(server.address) as c:
        assert c.health()["status"] == "SERVING"


def test_a_connection_that_never_says_hello_is_closed(server: StorageServerHandle) -> None:
    conn = RawFast(server.fast_port, hello=False)
    conn.send_raw(struct.pack(">I", 100))  # half a frame, then silence
    conn.sock.settimeout(limits.HELLO_TIMEOUT_SECONDS + 10)
    reply = conn.recv()
    assert reply["error"]["code"] == "INVALID_ARGUMENT" and "HELLO_TIMEOUT_SECONDS" in reply["error"]["message"]
    assert conn.closed_by_server()
    conn.close()
