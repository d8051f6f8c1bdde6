"""Protobuf ↔ the fast door's wire shapes, for the gRPC door and StorageClient's gRPC transport.

Request fields are named exactly like the operation's arguments (see `server/ops.py`), so one
generic conversion serves every RPC; the one quirk is a JSON object field of the model
(`metadata`), carried as its JSON text in `<name>_json`. `RPCS` says, per operation, which
messages it uses and under which response field its result travels. `RECORD_MESSAGES` pairs each
record of `storage.model` with its message, checked field for field at import; the concept's
message is built and read by code compiled from those fields (the hot path of QueryConcept).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args, get_origin

import numpy as np
from google.protobuf.message import Message

from sutra_stack.errors import InvalidArgument
from sutra_stack.storage import nesting
from sutra_stack.storage.model import (
    JSON_FIELDS,
    AssociationInput,
    Concept,
    ConceptInput,
    GraphPath,
    Hop,
    Neighbor,
    RecordField,
    SearchHit,
    StoreStats,
    compile_function,
    record_fields,
)
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

# Each record of storage.model and its message in storage.proto: the same fields by name, a JSON
# object field as `<name>_json`, a list of records as a repeated field of their message.
RECORD_MESSAGES: dict[type, type[Message]] = {
    ConceptInput: pb.LearnConceptRequest, Concept: pb.Concept, AssociationInput: pb.LearnAssociationRequest,
    Neighbor: pb.Neighbor, Hop: pb.Hop, GraphPath: pb.Path, SearchHit: pb.SearchHit, StoreStats: pb.StatsResponse,
}
_JSON_WIRE = {f"{name}_json": name for name in JSON_FIELDS}  # message field → operation argument
_JSON_TEXT = json.JSONEncoder(separators=(",", ":")).encode  # made once (json.dumps makes one per call)
_FD = type(pb.Concept.DESCRIPTOR.fields[0])
_SCALAR_TYPES: dict[Any, frozenset[int]] = {
    str: frozenset((_FD.CPPTYPE_STRING,)),
    float: frozenset((_FD.CPPTYPE_DOUBLE, _FD.CPPTYPE_FLOAT)),
    int: frozenset((_FD.CPPTYPE_INT32, _FD.CPPTYPE_INT64, _FD.CPPTYPE_UINT32, _FD.CPPTYPE_UINT64)),
    bool: frozenset((_FD.CPPTYPE_BOOL,)),
}
_PROTO_SCALARS = {_FD.CPPTYPE_STRING: "string", _FD.CPPTYPE_DOUBLE: "double", _FD.CPPTYPE_FLOAT: "float",
                  _FD.CPPTYPE_INT32: "int32", _FD.CPPTYPE_INT64: "int64", _FD.CPPTYPE_UINT32: "uint32",
                  _FD.CPPTYPE_UINT64: "uint64", _FD.CPPTYPE_BOOL: "bool", _FD.CPPTYPE_ENUM: "enum"}


def _proto_kind(fd: Any) -> str:
    """How storage.proto declares a field, e.g. `optional double`, `repeated Hop`."""
    name = fd.message_type.name if fd.message_type is not None else _PROTO_SCALARS.get(fd.cpp_type, "?")
    label = "repeated " if fd.is_repeated else "optional " if fd.has_presence and fd.message_type is None else ""
    return label + name


def _type_name(t: Any) -> str:
    return t.__name__ if isinstance(t, type) else str(t)


def proto_name(f: RecordField) -> str:
    """The name of a record field in its message."""
    return f"{f.name}_json" if f.json else f.name


def message_mismatches(record: type, message: type[Message]) -> list[str]:
    """Where a record's fields (storage.model) and its message's (storage.proto) disagree: a field
    missing on either side, or carried as another kind of value. Empty when they match."""
    desc = message.DESCRIPTOR
    where = f"message {desc.name} in storage.proto"
    out = []
    for f in record_fields(record):
        name = proto_name(f)
        fd = desc.fields_by_name.get(name)
        if fd is None:
            out.append(f"{record.__name__}.{f.name} has no field {name} in {where}")
            continue
        inner = next((a for a in get_args(f.type) if a is not type(None)), f.type) if f.optional else f.type
        is_list = get_origin(inner) is list
        if f.record is not None:
            want = RECORD_MESSAGES.get(f.record)
            ok = fd.is_repeated and want is not None and fd.message_type is want.DESCRIPTOR
            kind = f"repeated {want.DESCRIPTOR.name if want else f.record.__name__}"
        elif f.json:
            ok, kind = fd.cpp_type == _FD.CPPTYPE_STRING and not fd.is_repeated, "a string (the JSON text)"
        else:
            scalar = get_args(inner)[0] if is_list else inner
            ok = fd.is_repeated == is_list and fd.cpp_type in _SCALAR_TYPES.get(scalar, ())
            if ok and f.optional and scalar is not str and not is_list and not fd.has_presence:
                ok = False  # None and 0 would arrive alike
            kind = ("repeated " if is_list else "optional " if f.optional and scalar is not str else "") + \
                ("/".join(sorted(_PROTO_SCALARS[t] for t in _SCALAR_TYPES[scalar])) if scalar in _SCALAR_TYPES
                 else f"a type for {_type_name(scalar)}")
        if not ok:
            out.append(f"{record.__name__}.{f.name} is {_type_name(f.type)} but field {name} of {where} is "
                       f"{_proto_kind(fd)}: it must be {kind}")
    names = {proto_name(f) for f in record_fields(record)}
    out += [f"field {fd.name} of {where} has no field in {record.__name__} (storage.model)"
            for fd in desc.fields if fd.name not in names]
    return out


def check_record_messages() -> None:
    """TypeError naming every field where storage.model and storage.proto disagree."""
    problems = [p for record, message in RECORD_MESSAGES.items() for p in message_mismatches(record, message)]
    if problems:
        raise TypeError("storage.model and storage.proto disagree (edit both, then run `make proto`): "
                        + "; ".join(problems))


check_record_messages()  # at import: the doors below would drop or refuse such a field


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
    return all(fd.message_type is None and not fd.is_repeated and fd.name not in _JSON_WIRE for fd in desc.fields)


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
        return _planned_args(msg, plan)
    return _listed_args(msg, where)


def _planned_args(msg: Message, plan: tuple[tuple[str, bool], ...]) -> dict[str, Any]:
    """`_listed_args` of a flat message, through its plan."""
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


def _listed_args(msg: Message, where: str) -> dict[str, Any]:
    """The general path: every field `ListFields` reports, nested messages and JSON texts converted."""
    out: dict[str, Any] = {}
    for fd, value in msg.ListFields():
        name = fd.name
        if fd.message_type is not None:
            value = ([request_args(v, f"{where}{name}[{i}].") for i, v in enumerate(value)] if fd.is_repeated
                     else request_args(value, f"{where}{name}."))
        elif fd.is_repeated:
            value = list(value)
        if name in _JSON_WIRE:
            name, value = _JSON_WIRE[name], _metadata_in(value, where + name)
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
        if name in _JSON_WIRE:
            name, value = _JSON_WIRE[name], (json.loads(value) if value else {})
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
            if k in JSON_FIELDS:
                out[f"{k}_json"] = _JSON_TEXT(v) if v else ""
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


def message_codec(record: type) -> tuple[Callable[[Any], Any], Callable[[Any], dict[str, Any]]]:
    """(record → its message, message → wire map) for a flat record (scalars and JSON objects, never
    None), compiled from its fields: what `build` and `message_wire` give, without their generic walk."""
    message = RECORD_MESSAGES[record]
    env: dict[str, Any] = {"message": message, "dumps": _JSON_TEXT, "loads": json.loads}
    to_message, to_wire = [], []
    for f in record_fields(record):
        if f.record is not None or (f.optional and not f.json):
            raise TypeError(f"{record.__name__}.{f.name}: only flat records get a compiled message codec")
        n, m = f.name, proto_name(f)
        if f.json:
            to_message.append(f"{m}=dumps(o.{n}) if o.{n} else ''")
            to_wire.append(f"{n!r}: loads(m.{m}) if m.{m} else {{}}")
        else:
            to_message.append(f"{m}=o.{n}")
            to_wire.append(f"{n!r}: m.{m}")
    return (compile_function("to_message(o)", f"message({', '.join(to_message)})", env),
            compile_function("to_wire(m)", "{" + ", ".join(to_wire) + "}", env))


_concept_fast, _concept_wire = message_codec(Concept)


def _concept_message(c: Any) -> pb.Concept:
    """A Concept (the model's) as its message, without the generic mapping (the hot path)."""
    if isinstance(c, dict):
        return build(pb.Concept, c)  # type: ignore[return-value]
    return _concept_fast(c)


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
        return _concept_wire(msg)
    if rpc.key is None:
        return message_wire(msg)
    if rpc.response is pb.ConceptSlots:
        return [_concept_wire(s.concept) if s.HasField("concept") else None for s in msg.items]  # type: ignore[attr-defined]
    value = getattr(msg, rpc.key)
    if rpc.response.DESCRIPTOR.fields_by_name[rpc.key].message_type is not None:
        return [message_wire(v) for v in value]
    return list(value) if rpc.response.DESCRIPTOR.fields_by_name[rpc.key].is_repeated else value
