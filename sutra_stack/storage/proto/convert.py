"""Protobuf ↔ the fast door's wire shapes, for the gRPC door and StorageClient's gRPC transport.

Request fields are named exactly like the operation's arguments (see `server/ops.py`), so one
generic conversion serves every RPC; the one quirk is `metadata`, a JSON object carried in
`metadata_json`. `RPCS` says, per operation, which messages it uses and under which response
field its result travels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from google.protobuf.message import Message

from sutra_stack.errors import InvalidArgument
from sutra_stack.storage import nesting
from sutra_stack.storage.proto import storage_pb2 as pb
from sutra_stack.storage.wire import encode_default

SERVICE_NAME = "sutra.storage.StorageService"
# The grpc.health.v1 service name that is SERVING only while the store accepts writes ("" and
# SERVICE_NAME stay SERVING while reads are served, also when the store is read-only).
WRITABLE_HEALTH_NAME = "sutra.storage.writable"


@dataclass(frozen=True, slots=True)
class Rpc:
    method: str  # gRPC method name
    request: type[Message]
    response: type[Message]
    key: str | None  # response field that holds the result; None: the whole message is the result
    stream: bool = False  # client-streaming (LearnStream)


RPCS: dict[str, Rpc] = {
    "server_info": Rpc("ServerInfo", pb.Empty, pb.ServerInfoResponse, None),
    "health": Rpc("HealthCheck", pb.Empty, pb.HealthCheckResponse, None),
    "learn_concept": Rpc("LearnConcept", pb.LearnConceptRequest, pb.ConceptIdResponse, "concept_id"),
    "learn_batch": Rpc("LearnBatch", pb.LearnBatchRequest, pb.ConceptIdsResponse, "concept_ids"),
    "learn_association": Rpc("LearnAssociation", pb.LearnAssociationRequest, pb.Empty, ""),
    "learn_associations": Rpc("LearnAssociations", pb.LearnAssociationsRequest, pb.CountResponse, "count"),
    "query_concept": Rpc("QueryConcept", pb.ConceptIdRequest, pb.Concept, None),
    "query_concepts": Rpc("QueryConcepts", pb.ConceptIdsRequest, pb.ConceptSlots, "items"),
    "get_neighbors": Rpc("GetNeighbors", pb.GetNeighborsRequest, pb.NeighborsResponse, "neighbors"),
    "find_paths": Rpc("FindPath", pb.FindPathRequest, pb.PathsResponse, "paths"),
    "vector_search": Rpc("VectorSearch", pb.VectorSearchRequest, pb.SearchResponse, "hits"),
    "text_search": Rpc("TextSearch", pb.TextSearchRequest, pb.SearchResponse, "hits"),
    "search_candidates": Rpc("SearchCandidates", pb.SearchCandidatesRequest, pb.CandidatesResponse, None),
    "find_paths_with_concepts": Rpc("FindPathsWithConcepts", pb.FindPathRequest, pb.PathsWithConceptsResponse,
                                    None),
    "delete_concept": Rpc("DeleteConcept", pb.ConceptIdRequest, pb.DeletedResponse, "deleted"),
    "delete_association": Rpc("DeleteAssociation", pb.DeleteAssociationRequest, pb.DeletedResponse, "deleted"),
    "stats": Rpc("GetStats", pb.Empty, pb.StatsResponse, None),
    "flush": Rpc("Flush", pb.Empty, pb.Empty, ""),
    "backup": Rpc("Backup", pb.BackupRequest, pb.BackupResponse, None),
    "resume_writes": Rpc("ResumeWrites", pb.Empty, pb.ResumeWritesResponse, None),
}
LEARN_STREAM = Rpc("LearnStream", pb.LearnBatchRequest, pb.ConceptIdsResponse, "concept_ids", stream=True)


def _metadata_in(text: str, field: str = "metadata_json") -> dict[str, Any]:
    if not text:
        return {}
    nesting.check_json(text, field)  # before json.loads, which recurses
    try:
        value = json.loads(text)
    except ValueError as e:
        raise InvalidArgument(f"{field} is not valid JSON: {e}", field=field) from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"{field} must be a JSON object", field=field)
    return value


def _flat(desc: Any) -> bool:
    """True when every field of a message is a plain scalar (not repeated, not a message, not metadata)."""
    return all(fd.message_type is None and not fd.is_repeated and fd.name != "metadata_json" for fd in desc.fields)


# Per request message: None when it has messages, lists or metadata; else its fields as
# (name, has presence). A scalar field without presence counts as set when it is not its
# default (falsy) value — exactly what `ListFields` reports, without building its list.
_PLANS: dict[Any, tuple[tuple[str, bool], ...] | None] = {}


def _plan(desc: Any) -> tuple[tuple[str, bool], ...] | None:
    plan = _PLANS.get(desc, ())
    if plan == ():
        plan = _PLANS[desc] = tuple((fd.name, fd.has_presence) for fd in desc.fields) if _flat(desc) else None
    return plan


def request_args(msg: Message, where: str = "") -> dict[str, Any]:
    """The fields a caller set in a request message, as operation arguments (`where`: the prefix errors name)."""
    plan = _plan(msg.DESCRIPTOR)
    if plan is not None:  # the common case (ids, queries, numbers): the set fields as they are
        out: dict[str, Any] = {}
        for name, presence in plan:
            if presence:
                if msg.HasField(name):
                    out[name] = getattr(msg, name)
            else:
                value = getattr(msg, name)
                if value:
                    out[name] = value
        return out
    out = {}
    for fd, value in msg.ListFields():
        name = fd.name
        if fd.message_type is not None:
            value = ([request_args(v, f"{where}{name}[{i}].") for i, v in enumerate(value)] if fd.is_repeated
                     else request_args(value, f"{where}{name}."))
        elif fd.is_repeated:
            value = list(value)
        if name == "metadata_json":
            name, value = "metadata", _metadata_in(value, where + name)
        out[name] = value
    return out


def message_wire(msg: Message) -> dict[str, Any]:
    """Every field of a response message as a wire map (unset optional fields as None)."""
    out: dict[str, Any] = {}
    for fd in msg.DESCRIPTOR.fields:
        name = fd.name
        value = getattr(msg, name)
        if fd.is_repeated:
            value = [message_wire(v) for v in value] if fd.message_type is not None else list(value)
        elif fd.has_presence and not msg.HasField(name):
            value = None
        elif fd.message_type is not None:
            value = message_wire(value)
        if name == "metadata_json":
            name, value = "metadata", (json.loads(value) if value else {})
        out[name] = value
    return out


def _plain(value: Any) -> Any:
    """Model objects → maps with `metadata_json`, None dropped: what message constructors take."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if not isinstance(value, (dict, str, int, float, bool)) and value is not None:
        value = encode_default(value)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if v is None:
                continue
            if k == "metadata":
                out["metadata_json"] = json.dumps(v, separators=(",", ":")) if v else ""
            else:
                out[k] = _plain(v)
        return out
    return value


def build(cls: type[Message], fields: Any) -> Message:
    """A message from a wire map (or a model object, as `encode_default` maps it)."""
    if type(fields) is dict and _plan(cls.DESCRIPTOR) is not None and all(type(v) in _SCALARS for v in fields.values()):
        return cls(**{k: v for k, v in fields.items() if v is not None})  # what `_plain` gives, directly
    return cls(**_plain(fields))


_SCALARS = frozenset((str, int, float, bool, bytes, type(None)))


def _concept_message(c: Any) -> pb.Concept:
    """A Concept (the model's) as its message, without the generic mapping (the hot path)."""
    if isinstance(c, dict):
        return build(pb.Concept, c)  # type: ignore[return-value]
    return pb.Concept(id=c.id, content=c.content, strength=c.strength, confidence=c.confidence, created=c.created,
                      last_accessed=c.last_accessed, access_count=c.access_count,
                      metadata_json=json.dumps(c.metadata, separators=(",", ":")) if c.metadata else "")


def _concept_wire(m: pb.Concept) -> dict[str, Any]:
    return {"id": m.id, "content": m.content, "strength": m.strength, "confidence": m.confidence,
            "created": m.created, "last_accessed": m.last_accessed, "access_count": m.access_count,
            "metadata": json.loads(m.metadata_json) if m.metadata_json else {}}


def result_message(rpc: Rpc, result: Any) -> Message:
    """The response message that carries an operation's result."""
    if rpc.response is pb.Concept:
        return _concept_message(result)
    if rpc.key is None:
        return build(rpc.response, result)
    if rpc.key == "":
        return rpc.response()
    if rpc.response is pb.ConceptSlots:
        return pb.ConceptSlots(items=[pb.ConceptSlot() if c is None else pb.ConceptSlot(concept=_concept_message(c))
                                      for c in result])
    return build(rpc.response, {rpc.key: result})


def message_result(rpc: Rpc, msg: Message) -> Any:
    """The wire-shaped result carried by a response message (inverse of `result_message`)."""
    if rpc.key == "":
        return None
    if rpc.response is pb.Concept:
        return _concept_wire(msg)  # type: ignore[arg-type]
    if rpc.key is None:
        return message_wire(msg)
    if rpc.response is pb.ConceptSlots:
        return [_concept_wire(s.concept) if s.HasField("concept") else None for s in msg.items]  # type: ignore[attr-defined]
    value = getattr(msg, rpc.key)
    if rpc.response.DESCRIPTOR.fields_by_name[rpc.key].message_type is not None:
        return [message_wire(v) for v in value]
    return list(value) if rpc.response.DESCRIPTOR.fields_by_name[rpc.key].is_repeated else value
