"""storage.model is the one source of each record's fields: every field reaches the msgpack door's
encoding, the gRPC door's message, the REST schema and the JSONL export, a field added to the model
and forgotten in storage.proto is named, and each fast path written beside a general one (compiled
codecs, the gRPC concept codec, request plans, `build`'s shortcut, the engine's concept read) gives
what the general path gives, for generated records."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sutra_stack import limits
from sutra_stack.apps.api import schemas
from sutra_stack.storage.client import codec as client_codec
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.engine.graph import CONCEPT_SCHEMA, as_float
from sutra_stack.storage.engine.maintenance import iter_records
from sutra_stack.storage.model import (
    ASSOCIATION_TYPES,
    CODECS,
    RECORDS,
    Association,
    AssociationInput,
    Concept,
    ConceptInput,
    GraphPath,
    Hop,
    Neighbor,
    SearchHit,
    StoreStats,
    codec,
    make_codec,
    record_fields,
)
from sutra_stack.storage.proto import convert
from sutra_stack.storage.proto import storage_pb2 as pb
from sutra_stack.storage.wire import pack, unpack

HEX_ID = st.text("0123456789abcdef", min_size=32, max_size=32)
NAME = st.text(max_size=20)
NUMBER = st.floats(allow_nan=False, allow_infinity=False)
FLOAT32 = st.floats(allow_nan=False, allow_infinity=False, width=32)  # what an embedding holds
COUNT = st.integers(0, 2**64 - 1)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | NUMBER | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
METADATA = st.dictionaries(st.text(max_size=8), JSON, max_size=4)
TYPE = st.sampled_from(ASSOCIATION_TYPES)

RECORD_STRATEGIES: dict[type, st.SearchStrategy[Any]] = {
    ConceptInput: st.builds(ConceptInput, NAME, st.none() | HEX_ID, st.none() | st.lists(FLOAT32, max_size=8),
                            NUMBER, NUMBER, st.none() | METADATA),
    Concept: st.builds(Concept, HEX_ID, NAME, NUMBER, NUMBER, NUMBER, NUMBER, COUNT, METADATA),
    AssociationInput: st.builds(AssociationInput, HEX_ID, HEX_ID, TYPE, NUMBER, NUMBER),
    Association: st.builds(Association, HEX_ID, HEX_ID, TYPE, NUMBER, NUMBER, NUMBER),
    Neighbor: st.builds(Neighbor, HEX_ID, TYPE, NUMBER, NUMBER, st.sampled_from(("out", "in"))),
    Hop: st.builds(Hop, HEX_ID, HEX_ID, TYPE, NUMBER),
    GraphPath: st.builds(GraphPath, st.lists(HEX_ID, max_size=5),
                         st.lists(st.builds(Hop, HEX_ID, HEX_ID, TYPE, NUMBER), max_size=4), NUMBER),
    SearchHit: st.builds(SearchHit, HEX_ID, NUMBER, NAME),
    StoreStats: st.builds(StoreStats, COUNT, COUNT, COUNT, NAME, st.integers(0, 2**32 - 1),
                          st.integers(0, 2**32 - 1), COUNT, COUNT, st.none() | NUMBER, COUNT, st.booleans(), NAME,
                          COUNT, COUNT, st.lists(NUMBER, max_size=4), st.lists(COUNT, max_size=4)),
}
ANY_RECORD = st.one_of(*RECORD_STRATEGIES.values())
# The REST models built from records: (model, record, REST name of each field that has another one, extra fields).
REST_MODELS = [
    (schemas.ConceptOut, Concept, {}, set()),
    (schemas.NeighborOut, Neighbor, {}, {"content"}),
    (schemas.SearchResult, SearchHit, schemas.SEARCH_RESULT_NAMES, {"match"}),  # how /search found it (mode text|both)
]


def names(record: type) -> list[str]:
    return [f.name for f in record_fields(record)]


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    eng = Engine.in_memory()
    yield eng
    eng.close()


# --- every field reaches every encoding -------------------------------------------------------------
def test_every_record_has_a_strategy_and_every_door_record_a_message() -> None:
    assert set(RECORD_STRATEGIES) == set(RECORDS) == set(CODECS)
    # Association travels on no door (JSONL export only, checked below); every other record does.
    assert set(convert.RECORD_MESSAGES) == set(RECORDS) - {Association}


@pytest.mark.parametrize("record", list(convert.RECORD_MESSAGES), ids=lambda r: r.__name__)
def test_every_field_of_a_record_is_in_its_proto_message_and_back(record: type) -> None:
    message = convert.RECORD_MESSAGES[record]
    assert convert.message_mismatches(record, message) == []
    in_message = {fd.name for fd in message.DESCRIPTOR.fields}
    assert in_message == {convert.proto_name(f) for f in record_fields(record)}


@settings(max_examples=60, deadline=None)
@given(ANY_RECORD)
def test_every_field_is_in_the_msgpack_encoding_and_decodes_back(record: Any) -> None:
    sent = unpack(pack(record)[4:])
    assert list(sent) == names(type(record))
    assert type(record).from_dict(sent) == record
    assert codec(type(record)).decode(sent) == record


@pytest.mark.parametrize(("model", "record", "renamed", "extra"), REST_MODELS,
                         ids=[m.__name__ for m, *_ in REST_MODELS])
def test_every_field_is_in_the_rest_schema(model: Any, record: type, renamed: dict[str, str], extra: set[str]) -> None:
    expected = [renamed.get(n, n) for n in names(record)]
    assert [n for n in model.model_fields if n not in extra] == expected
    assert all(model.model_fields[n].is_required() for n in expected)


def test_every_field_is_in_the_jsonl_export(engine: Engine) -> None:
    a = engine.learn_concept("export me", metadata={"k": [1, 2]})
    b = engine.learn_concept("and me")
    engine.learn_association(a, b, "causal", 0.5)
    records = list(iter_records(engine))
    concept = next(r for r in records if r["kind"] == "concept" and r["id"] == a)
    assert list(concept) == ["kind", *names(Concept)]
    assert Concept.from_dict(concept) == engine.query_concept(a)
    association = next(r for r in records if r["kind"] == "association")
    assert list(association) == ["kind", *names(Association)]


# --- a field added in one place and forgotten in another is named -----------------------------------
def variant(record: type, *, add: tuple[str, Any, Any] | None = None, drop: str = "",
            retype: tuple[str, Any] | None = None) -> type:
    """`record` with a field added (name, type, default), dropped or of another type."""
    specs: list[Any] = []
    for f in dataclasses.fields(record):
        if f.name == drop:
            continue
        kind = retype[1] if retype and retype[0] == f.name else f.type
        specs.append((f.name, kind) if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                     else (f.name, kind, dataclasses.field(default=f.default, default_factory=f.default_factory)))
    if add:
        specs.append((add[0], add[1], dataclasses.field(default=add[2])))
    return dataclasses.make_dataclass(record.__name__, specs, namespace={"__module__": record.__module__})


def test_a_field_added_to_the_model_reaches_every_encoder_and_the_proto_check_names_it() -> None:
    wider = variant(Concept, add=("updated", float, 0.0))
    c: Any = make_codec(wider)
    obj = wider("a" * 32, "text", 1.0, 0.5, 10.0, 11.0, 2, {"k": 1}, 12.5)
    assert c.wire(obj)["updated"] == 12.5
    assert c.decode(c.wire(obj)) == obj
    assert c.decode({k: v for k, v in c.wire(obj).items() if k != "updated"}).updated == 0.0  # a default is a default
    assert "updated" in schemas.record_model(wider, "Wider", "").model_fields
    assert convert.message_mismatches(wider, pb.Concept) == [
        "Concept.updated has no field updated in message Concept in storage.proto"]


@dataclasses.dataclass
class Route:
    """Record lists that may be missing or None (no record has one yet; a codec must still decode them)."""

    hops: list[Hop] = dataclasses.field(default_factory=list)
    detour: list[Hop] | None = None


def test_record_lists_with_a_default_decode_their_records_and_one_nested_record_is_refused() -> None:
    c: Any = make_codec(Route)
    hop = Hop("a" * 32, "b" * 32, "causal", 0.5)
    assert c.decode({}) == Route()
    assert c.decode({"hops": [hop.to_dict()], "detour": [hop.to_dict()]}) == Route([hop], [hop])
    assert c.to_dict(Route([hop])) == {"hops": [hop.to_dict()], "detour": None}
    with pytest.raises(TypeError, match="only as a list of them"):
        make_codec(dataclasses.make_dataclass("Leg", [("hop", Hop)]))


def test_a_proto_field_missing_from_the_model_or_of_another_kind_is_named() -> None:
    assert convert.message_mismatches(variant(Concept, drop="access_count"), pb.Concept) == [
        "field access_count of message Concept in storage.proto has no field in Concept (storage.model)"]
    assert convert.message_mismatches(variant(Concept, retype=("strength", str)), pb.Concept) == [
        "Concept.strength is str but field strength of message Concept in storage.proto is double: "
        "it must be string"]
    # None and 0 would arrive alike: a field that may be None needs `optional` in the proto
    (problem,) = convert.message_mismatches(variant(StoreStats, retype=("memory_bytes", "int | None")),
                                            pb.StatsResponse)
    assert problem.startswith("StoreStats.memory_bytes is int | None but field memory_bytes of message "
                              "StatsResponse in storage.proto is uint64: it must be optional ")
    (problem,) = convert.message_mismatches(variant(GraphPath, retype=("hops", "list[Neighbor]")), pb.Path)
    assert problem.endswith("is repeated Hop: it must be repeated Neighbor")


def test_the_import_time_check_refuses_a_mismatch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(convert.RECORD_MESSAGES, variant(Hop, add=("weight", float, 1.0)), pb.Hop)
    with pytest.raises(TypeError, match=r"make proto.*: Hop\.weight has no field weight in message Hop"):
        convert.check_record_messages()


# --- fast paths give what the general paths give --------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(ANY_RECORD)
def test_compiled_codecs_equal_dataclasses_asdict(record: Any) -> None:
    assert record.to_dict() == dataclasses.asdict(record)
    assert msgpack.unpackb(msgpack.packb(dataclasses.asdict(record))) == unpack(pack(record)[4:])
    assert type(record).from_dict(dataclasses.asdict(record)) == record


@settings(max_examples=100, deadline=None)
@given(RECORD_STRATEGIES[Concept])
def test_concept_message_codec_equals_the_generic_build_and_read(concept: Concept) -> None:
    fast = convert._concept_message(concept)
    assert fast == convert.build(pb.Concept, concept)
    assert fast == convert.build(pb.Concept, concept.to_dict())  # a map takes the generic path too
    assert convert._concept_wire(fast) == convert.message_wire(fast) == concept.to_dict()
    slots = convert.result_message(convert.RPCS["query_concepts"], [concept, None])
    assert convert.message_result(convert.RPCS["query_concepts"], slots) == [concept.to_dict(), None]


@settings(max_examples=100, deadline=None)
@given(RECORD_STRATEGIES[ConceptInput] | RECORD_STRATEGIES[AssociationInput])
def test_request_item_maps_equal_the_records_fields_less_the_unset_ones(item: Any) -> None:
    """Left out: a field whose default is None when None, one whose default is "" or 0 when empty."""
    flds = record_fields(type(item))
    unset_if_none = {f.name for f in flds if f.default is None}
    unset_if_empty = {f.name for f in flds if f.default in ("", 0) and not f.required and f.factory is None}
    general = {k: (client_codec._vec(v) if k == "embedding" else v) for k, v in dataclasses.asdict(item).items()
               if (v is not None or k not in unset_if_none) and (v or k not in unset_if_empty)}
    fast = client_codec.concept_item(item) if isinstance(item, ConceptInput) else client_codec.association_item(item)
    assert unpack(pack(fast)[4:]) == unpack(pack(general)[4:])  # the same map (an embedding as float32 bytes)


FD = type(pb.Concept.DESCRIPTOR.fields[0])
SCALARS: dict[int, st.SearchStrategy[Any]] = {
    FD.CPPTYPE_STRING: st.text(max_size=20),
    FD.CPPTYPE_DOUBLE: NUMBER,
    FD.CPPTYPE_FLOAT: FLOAT32,
    FD.CPPTYPE_UINT32: st.integers(0, 2**32 - 1),
    FD.CPPTYPE_UINT64: COUNT,
    FD.CPPTYPE_BOOL: st.booleans(),
}
FLAT = sorted({m for rpc in (*convert.RPCS.values(), convert.LEARN_STREAM) for m in (rpc.request, rpc.response)
               if convert._plan(m.DESCRIPTOR) is not None}, key=lambda m: m.DESCRIPTOR.name)


def flat_fields(message: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Maps of some of a flat message's fields, unset ones as None."""
    return st.fixed_dictionaries({}, optional={
        fd.name: st.none() | SCALARS[fd.cpp_type] for fd in message.DESCRIPTOR.fields})


@st.composite
def flat_messages(draw: st.DrawFn) -> tuple[Any, dict[str, Any]]:
    message = draw(st.sampled_from(FLAT))
    return message, draw(flat_fields(message))


def test_flat_messages_cover_requests_and_responses() -> None:
    # The plan is what most requests take: ids, queries, numbers (and the answers of flat shape).
    assert {pb.ConceptIdRequest, pb.TextSearchRequest, pb.LearnAssociationRequest, pb.HealthCheckResponse} <= set(FLAT)
    assert not {f.cpp_type for m in FLAT for f in m.DESCRIPTOR.fields} - set(SCALARS)


@settings(max_examples=200, deadline=None)
@given(flat_messages())
def test_request_plans_and_builds_shortcut_equal_the_general_paths(case: tuple[Any, dict[str, Any]]) -> None:
    message, fields = case
    built = convert.build(message, fields)  # the shortcut: a flat map of scalars straight into the constructor
    assert built == message(**convert._plain(fields))  # the general path
    plan = convert._plan(message.DESCRIPTOR)
    assert plan is not None
    assert convert._planned_args(built, plan) == convert._listed_args(built, "")
    assert convert.request_args(built) == convert._listed_args(built, "")


def concept_from_columns(engine: Engine, row: int) -> Concept:
    """The general path: each Concept field from the concept column of its name (float32 ones
    through as_float), the id, content and metadata from the graph's own readers."""
    g = engine._state.graph
    values: dict[str, Any] = {}
    for f in record_fields(Concept):
        if f.name == "id":
            values[f.name] = g.id_hex(row)
        elif f.name == "content":
            values[f.name] = g.content_of(row)
        elif f.name == "metadata":
            meta = g.meta_of(row)
            values[f.name] = json.loads(meta) if meta else {}
        else:
            assert f.name in CONCEPT_SCHEMA, f"Concept.{f.name} has no column in the concept table"
            column = g.concepts[f.name]
            values[f.name] = as_float(column[row]) if column.dtype.itemsize == 4 and column.dtype.kind == "f" \
                else column[row].item()
    return Concept(**values)


LEARNED = st.builds(
    ConceptInput,
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).map(lambda s: "c " + s),
    strength=st.floats(0.0, limits.MAX_STRENGTH), confidence=st.floats(0.0, 1.0),
    metadata=st.none() | st.dictionaries(st.text(max_size=8), st.integers(-5, 5) | st.text(max_size=8), max_size=3),
)


@settings(max_examples=50, deadline=None)
@given(st.lists(LEARNED, min_size=1, max_size=6))
def test_the_engines_concept_read_equals_reading_each_field_from_its_column(engine: Engine,
                                                                         items: list[ConceptInput]) -> None:
    ids = engine.learn_batch(items)
    g = engine._state.graph
    for cid in ids:
        row = g.row_of(bytes.fromhex(cid))
        assert engine.concept_at(row) == concept_from_columns(engine, row) == engine.query_concept(cid)
