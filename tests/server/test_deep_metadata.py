"""Deeply nested metadata is INVALID_ARGUMENT naming MAX_METADATA_DEPTH on both doors, whether just over the
limit or absurdly deep (past JSON's and MessagePack's own recursion bounds): nothing is stored, the server
logs no traceback and keeps serving. Raw gRPC calls and raw fast-door frames, so no client check helps."""

from __future__ import annotations

import json
import uuid
from typing import Any

import grpc
import msgpack
import pytest

from sutra_stack import limits
from sutra_stack.errors import InvalidArgument
from sutra_stack.storage import StorageClient
from sutra_stack.storage.model import ConceptInput
from sutra_stack.storage.proto import storage_pb2 as pb
from sutra_stack.storage.proto.convert import SERVICE_NAME
from tests.support.storage_server import StorageServerHandle

from .conftest import addresses
from .rawfast import RawFast

LIMIT = limits.MAX_METADATA_DEPTH
# Just over the limit; past Python's recursion limit (json); past MessagePack's own bound (1,024 levels).
TOO_DEEP = (LIMIT + 1, 1_500, 10_000)


def nested(levels: int) -> dict[str, Any]:
    """`levels` objects inside each other: {"k": {"k": ... {"k": 1}}}."""
    value: Any = 1
    for _ in range(levels):
        value = {"k": value}
    return value


def nested_json(levels: int) -> str:
    return '{"k":' * levels + "1" + "}" * levels


def nested_msgpack(levels: int) -> bytes:
    """The MessagePack of nested(levels), built by hand (a packer stops at its own recursion limit)."""
    return b"\x81\xa1k" * levels + b"\x01"


def learn_frame(rid: int, content: str, metadata: bytes) -> bytes:
    """A learn_concept request whose metadata is already MessagePack."""
    p = msgpack.packb
    return (b"\x83" + p("id") + p(rid) + p("op") + p("learn_concept") + p("args")
            + b"\x82" + p("content") + p(content) + p("metadata") + metadata)


def assert_depth_error(code: Any, message: str) -> None:
    assert code in ("INVALID_ARGUMENT", grpc.StatusCode.INVALID_ARGUMENT), (code, message)
    assert "MAX_METADATA_DEPTH" in message and str(LIMIT) in message, message


def test_grpc_door(server: StorageServerHandle) -> None:
    tag = uuid.uuid4().hex
    with grpc.insecure_channel(server.address) as ch:
        learn = ch.unary_unary(f"/{SERVICE_NAME}/LearnConcept",
                               request_serializer=pb.LearnConceptRequest.SerializeToString,
                               response_deserializer=pb.ConceptIdResponse.FromString)
        batch = ch.unary_unary(f"/{SERVICE_NAME}/LearnBatch",
                               request_serializer=pb.LearnBatchRequest.SerializeToString,
                               response_deserializer=pb.ConceptIdsResponse.FromString)
        with StorageClient(server.address) as c:
            before = c.stats().concepts
        for levels in TOO_DEEP:
            with pytest.raises(grpc.RpcError) as exc:
                learn(pb.LearnConceptRequest(content=f"deep {levels} {tag}", metadata_json=nested_json(levels)),
                      timeout=30)
            assert_depth_error(exc.value.code(), exc.value.details())
            items = [pb.LearnConceptRequest(content=f"ok {tag}"),
                     pb.LearnConceptRequest(content=f"deep item {levels} {tag}", metadata_json=nested_json(levels))]
            with pytest.raises(grpc.RpcError) as exc:
                batch(pb.LearnBatchRequest(items=items), timeout=30)
            assert_depth_error(exc.value.code(), exc.value.details())
        # At the limit, and brackets inside strings, are fine.
        brackets = json.dumps({"text": "[[[{{{" * 200, "inner": nested(LIMIT - 1)})
        cid = learn(pb.LearnConceptRequest(content=f"at the limit {tag}", metadata_json=brackets), timeout=30)
    with StorageClient(server.address) as c:
        assert c.query_concept(cid.concept_id).metadata == json.loads(brackets)  # type: ignore[union-attr]
        assert c.stats().concepts == before + 1
        assert c.health()["status"] == "SERVING"
    assert "Traceback" not in server.log_text()


def test_fast_door(server: StorageServerHandle) -> None:
    tag = uuid.uuid4().hex
    with StorageClient(server.fast_address) as c:
        before = c.stats().concepts
    conn = RawFast(server.fast_port)
    try:
        for rid, levels in enumerate((LIMIT + 1, 1_000), start=1):  # decodable: answered by id, connection kept
            conn.send_body(learn_frame(rid, f"deep {levels} {tag}", nested_msgpack(levels)))
            reply = conn.recv()
            assert reply["id"] == rid and reply["error"]["field"] == "metadata", reply
            assert_depth_error(reply["error"]["code"], reply["error"]["message"])
        reply = conn.call("learn_batch", {"items": [{"content": f"ok {tag}"},
                                                    {"content": f"deep item {tag}", "metadata": nested(LIMIT + 1)}]},
                          rid=9)
        assert_depth_error(reply["error"]["code"], reply["error"]["message"])
        cid = conn.call("learn_concept", {"content": f"at the limit {tag}", "metadata": nested(LIMIT)}, rid=10)
        assert "result" in cid, cid
    finally:
        conn.close()
    for levels in (1_500, 10_000):  # past MessagePack's own bound: the frame cannot be decoded, so no id to answer
        conn = RawFast(server.fast_port)
        try:
            conn.send_body(learn_frame(1, f"deep {levels} {tag}", nested_msgpack(levels)))
            reply = conn.recv()
            assert reply["error"]["field"] == "frame", reply
            assert_depth_error(reply["error"]["code"], reply["error"]["message"])
            assert conn.closed_by_server()
        finally:
            conn.close()
    with StorageClient(server.fast_address) as c:
        assert c.query_concept(cid["result"]).metadata == nested(LIMIT)  # type: ignore[union-attr]
        assert c.stats().concepts == before + 1
        assert c.health()["status"] == "SERVING"
    assert "Traceback" not in server.log_text()


@pytest.mark.parametrize("door", ("grpc", "tcp"))
def test_storage_client_gets_the_limit_by_name(server: StorageServerHandle, door: str) -> None:
    with StorageClient(addresses(server)[door]) as c:
        with pytest.raises(InvalidArgument, match="MAX_METADATA_DEPTH"):
            c.learn_concept(f"deep {uuid.uuid4().hex}", metadata=nested(LIMIT + 1))
        with pytest.raises(InvalidArgument, match=r"items\[1\]\.metadata(_json)? .*MAX_METADATA_DEPTH"):
            c.learn_batch([ConceptInput(f"ok {uuid.uuid4().hex}"),
                           ConceptInput(f"deep {uuid.uuid4().hex}", metadata=nested(LIMIT + 1))])
        assert c.health()["status"] == "SERVING"


def nested_list_msgpack(levels: int) -> bytes:
    """[[...[1]...]] `levels` deep, under MessagePack's own bound but past Python's recursion limit."""
    return b"\x91" * levels + b"\x01"


def request_frame(rid: int, op: bytes, args: bytes) -> bytes:
    p = msgpack.packb
    return b"\x83" + p("id") + p(rid) + p("op") + op + p("args") + args


def test_deeply_nested_values_in_other_fields_are_answered_by_code(server: StorageServerHandle) -> None:
    """A list nested 1,000 levels where a string belongs: the error quotes its type, not its (recursive) repr."""
    p, deep = msgpack.packb, nested_list_msgpack(1_000)
    uid = uuid.uuid4().hex
    cases = [  # (op, args, code, a phrase of the message)
        (deep, p({}), "UNIMPLEMENTED", "unknown operation a list"),
        (p("query_concept"), b"\x81" + p("concept_id") + deep, "INVALID_ARGUMENT", "concept_id"),
        (p("get_neighbors"), b"\x82" + p("concept_id") + p(uid) + p("direction") + deep, "INVALID_ARGUMENT",
         "direction"),
        (p("delete_association"), b"\x83" + p("source") + p(uid) + p("target") + p(uuid.uuid4().hex) + p("type")
         + deep, "INVALID_ARGUMENT", "type"),
        (p("backup"), b"\x81" + p("path") + deep, "INVALID_ARGUMENT", "path must be a backup name"),
    ]
    conn = RawFast(server.fast_port)
    try:
        for rid, (op, args, code, phrase) in enumerate(cases, start=1):
            conn.send_body(request_frame(rid, op, args))
            reply = conn.recv()
            assert reply["id"] == rid and reply["error"]["code"] == code, reply
            assert phrase in reply["error"]["message"], reply
        assert conn.call("health", None, rid=99)["result"]["status"] == "SERVING"
    finally:
        conn.close()
    hello = RawFast(server.fast_port, hello=False)
    try:
        hello.send_body(b"\x81" + p("hello") + b"\x82" + p("version") + deep + p("token") + p(""))
        reply = hello.recv()
        assert reply["error"]["code"] == "FAILED_PRECONDITION" and "a list" in reply["error"]["message"], reply
    finally:
        hello.close()
    with StorageClient(server.fast_address) as c:
        assert c.health()["status"] == "SERVING"
    assert "Traceback" not in server.log_text()


def test_grpc_message_nested_past_protobufs_bound_is_an_invalid_argument(server: StorageServerHandle) -> None:
    """Unknown groups nested 10,000 deep in a LearnConcept message: protobuf's own bound (100) answers it."""
    with grpc.insecure_channel(server.address) as ch:
        raw = ch.unary_unary(f"/{SERVICE_NAME}/LearnConcept", request_serializer=lambda b: b,
                             response_deserializer=lambda b: b)
        content = f"nested groups {uuid.uuid4().hex}".encode()
        for levels in (101, 10_000):
            body = b"\x0a" + bytes([len(content)]) + content + b"\x7b" * levels + b"\x7c" * levels  # field 15 groups
            with pytest.raises(grpc.RpcError) as exc:
                raw(body, timeout=30)
            assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT, exc.value.details()
            assert "malformed LearnConceptRequest" in exc.value.details()
    with StorageClient(server.address) as c:
        assert c.health()["status"] == "SERVING"
    assert "Traceback" not in server.log_text()
