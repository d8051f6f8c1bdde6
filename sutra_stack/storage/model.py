"""The data model shared by the engine, both server doors, the client and the apps.

The dataclasses below are the one source of each record's fields. Everything that moves a
record is derived from them once, at import: `codec(cls)` gives its wire map (what the msgpack
door sends; `storage.proto` has a message with the same fields, checked by `proto.convert`),
its `to_dict` and its decoder, and the REST schemas of `apps.api.schemas` are built from the
same fields. Adding a field means editing its dataclass here and its message in
`storage.proto`, nothing else. Ids are 32 lowercase hex characters everywhere.

Associations carry time: `predicate` (the relation as the text states it), `valid_from` and
`valid_to` (unix seconds; `valid_to` 0 while the fact holds), `superseded_by` (the fact that
ended it) and, on reads, `observed` (every distinct `valid_from` written). Reads given `valid_at`
use only the associations true then: `valid_from <= valid_at` and (`valid_to == 0` or
`valid_to > valid_at`).
"""

from __future__ import annotations

import hashlib
import re
import types
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Generic, Literal, Self, TypeVar, Union, get_args, get_origin, get_type_hints

from sutra_stack.errors import InvalidArgument, shown
from sutra_stack.limits import CONCEPT_ID_HEX_CHARS

ASSOCIATION_TYPES: tuple[str, ...] = ("semantic", "causal", "temporal", "hierarchical", "compositional")
Direction = Literal["out", "in", "both"]

_ID_RE = re.compile(rf"^[0-9a-f]{{{CONCEPT_ID_HEX_CHARS}}}$")


def content_id(content: str) -> str:
    """The id a concept gets from its content: the same text always gives the same id."""
    return hashlib.blake2b(content.encode("utf-8"), digest_size=CONCEPT_ID_HEX_CHARS // 2).hexdigest()


def check_id(value: object, field_name: str = "concept_id") -> str:
    """Return `value` if it is a well-formed concept id, else raise InvalidArgument naming the field."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise InvalidArgument(
            f"{field_name} must be {CONCEPT_ID_HEX_CHARS} lowercase hex characters, got {shown(value)}",
            field=field_name,
        )
    return value


def check_type(value: object, field_name: str = "type") -> str:
    if value not in ASSOCIATION_TYPES:
        raise InvalidArgument(
            f"{field_name} must be one of {', '.join(ASSOCIATION_TYPES)}, got {shown(value, 40)}",
            field=field_name,
        )
    return value


class _Wire:
    """to_dict / from_dict for the dataclasses below, through their derived `codec`."""

    def to_dict(self) -> dict[str, Any]:
        """The fields as a map, nested records as maps too (containers are shared, not copied)."""
        return CODECS[type(self)].to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The record from a map of its fields: a field with a default may be missing, unknown keys
        are ignored; a missing required field is InvalidArgument naming it."""
        try:
            return codec(cls).decode(data)
        except KeyError as e:
            raise InvalidArgument(f"{cls.__name__}: {e.args[0]} is required", field=str(e.args[0])) from None


@dataclass(slots=True)
class ConceptInput(_Wire):
    """One concept to learn. Without `concept_id` the id comes from the content."""

    content: str
    concept_id: str | None = None
    embedding: list[float] | None = None
    strength: float = 1.0
    confidence: float = 1.0
    metadata: dict[str, Any] | None = None


@dataclass(slots=True)
class Concept(_Wire):
    id: str
    content: str
    strength: float
    confidence: float
    created: float  # unix seconds
    last_accessed: float
    access_count: int
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class AssociationInput(_Wire):
    """One association to learn. Writing one that exists (same source, target and type) merges:
    confidence and weight are replaced; `valid_from` becomes the earliest of the two and the new
    one joins `observed` (a time already there changes nothing); `valid_to` and `superseded_by`
    are replaced (0 and "" make it current again); `predicate` is replaced when non-empty."""

    source: str
    target: str
    type: str = "semantic"
    confidence: float = 1.0
    weight: float = 1.0
    predicate: str = ""  # the relation as the text states it ("moved to"); "" for none
    valid_from: float = 0.0  # unix seconds it became true; 0: the time of this write
    valid_to: float = 0.0  # unix seconds it stopped being true; 0: still true
    superseded_by: str = ""  # id of the concept (the fact) that ended it, or ""


@dataclass(slots=True)
class Association(_Wire):
    source: str
    target: str
    type: str
    confidence: float
    weight: float
    created: float
    predicate: str = ""
    valid_from: float = 0.0
    valid_to: float = 0.0
    superseded_by: str = ""
    observed: list[float] = field(default_factory=list)  # every distinct valid_from written, ascending


@dataclass(slots=True)
class Neighbor(_Wire):
    """An edge seen from one concept: `direction` is "out" (concept → id) or "in" (id → concept)."""

    concept_id: str
    type: str
    confidence: float
    weight: float
    direction: str
    predicate: str = ""
    valid_from: float = 0.0
    valid_to: float = 0.0
    superseded_by: str = ""
    observed: list[float] = field(default_factory=list)  # every distinct valid_from written, ascending


@dataclass(slots=True)
class Hop(_Wire):
    source: str
    target: str
    type: str
    confidence: float
    predicate: str = ""
    valid_from: float = 0.0
    valid_to: float = 0.0
    superseded_by: str = ""


@dataclass(slots=True)
class GraphPath(_Wire):
    """A chain of concepts; confidence is the product of the hops' confidences."""

    concepts: list[str]
    hops: list[Hop]
    confidence: float


@dataclass(slots=True)
class SearchHit(_Wire):
    concept_id: str
    score: float  # cosine similarity for vector search, BM25 score for text search
    content: str


@dataclass(slots=True)
class StoreStats(_Wire):
    concepts: int
    associations: int
    vectors: int
    embedder: str
    dimension: int
    format_version: int
    wal_bytes: int
    wal_segments: int
    last_snapshot: float | None  # unix seconds of the newest snapshot, None before the first
    memory_bytes: int  # resident memory of the process
    read_only: bool = False
    fsync_policy: str = "always"
    capacity: int = 0  # the configured concept cap
    # Operations the storage server has served since it started, over both doors (its own probes,
    # health / stats / server_info, left out), and their latency as a histogram: `call_seconds_buckets[i]`
    # calls took at most `call_seconds_le[i]` seconds (cumulative, Prometheus' `le`); `calls` is the
    # +Inf bucket. 0 and empty from a store opened in-process (nothing counts its calls).
    calls: int = 0
    call_seconds_le: list[float] = field(default_factory=list)
    call_seconds_buckets: list[int] = field(default_factory=list)


# --- what is derived from the dataclasses above, once, at import ------------------------------
RECORDS: tuple[type, ...] = (
    ConceptInput, Concept, AssociationInput, Association, Neighbor, Hop, GraphPath, SearchHit, StoreStats,
)
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class RecordField:
    """One field of a record, as every encoder sees it."""

    name: str
    type: Any  # the resolved annotation, e.g. `str`, `float | None`, `list[Hop]`
    required: bool  # no default: a decoder reads it with `d[name]`
    default: Any  # the default value (MISSING when required or made by `factory`)
    factory: Callable[[], Any] | None  # the default factory (`metadata`: dict)
    record: type | None  # the field is a list of these records (`GraphPath.hops`)
    json: bool  # a JSON object (`metadata`): gRPC carries it as a JSON text in `<name>_json`
    optional: bool  # may be None


def _field_of(cls: type, f: Any, hint: Any) -> RecordField:
    args = get_args(hint)
    optional = (get_origin(hint) in (Union, types.UnionType)) and type(None) in args
    inner = next(a for a in args if a is not type(None)) if optional else hint
    record = None
    if get_origin(inner) is list and get_args(inner) and get_args(inner)[0] in RECORDS:
        record = get_args(inner)[0]
    elif inner in RECORDS or any(a in RECORDS for a in get_args(inner)):
        raise TypeError(f"{cls.__name__}.{f.name}: a record holds other records only as a list of them")
    factory = None if f.default_factory is MISSING else f.default_factory
    required = f.default is MISSING and factory is None
    if not f.init or f.kw_only:
        raise TypeError(f"{cls.__name__}.{f.name}: every record field is a positional __init__ argument")
    return RecordField(f.name, hint, required, f.default, factory, record, get_origin(inner) is dict, optional)


def record_fields(cls: type) -> tuple[RecordField, ...]:
    """The fields of a record dataclass (any dataclass of this shape), in order."""
    hints = get_type_hints(cls)
    return tuple(_field_of(cls, f, hints[f.name]) for f in fields(cls))


@dataclass(frozen=True, slots=True)
class RecordCodec(Generic[R]):
    """A record's encoders and decoder, compiled from its fields (as fast as written out by hand)."""

    cls: type[R]
    fields: tuple[RecordField, ...]
    wire: Callable[[R], dict[str, Any]]  # every field; nested records stay objects (msgpack's `default` maps them)
    to_dict: Callable[[R], dict[str, Any]]  # every field; nested records as maps too
    decode: Callable[[Mapping[str, Any]], R]  # from a wire map: `d[name]` or its default; unknown keys ignored
    wire_source: str  # the source of `wire`'s map of `o`, for code compiled elsewhere


def compile_function(signature: str, body: str | list[str], env: dict[str, Any]) -> Any:
    """`def <signature>: return <body>` (or the statements of a list), compiled in `env`: how the
    codecs here and elsewhere are derived from the fields, as fast as written out by hand."""
    lines = body if isinstance(body, list) else [f"return {body}"]
    namespace: dict[str, Any] = {}
    source = "".join(f"    {line}\n" for line in lines)
    exec(f"def {signature}:\n{source}", env, namespace)  # the source is built from field names only
    return namespace[signature.partition("(")[0]]


def make_codec(cls: type[R], nested: Mapping[type, RecordCodec[Any]] | None = None) -> RecordCodec[R]:
    """Compile `cls`'s codec; `nested`: the codecs of the records its fields hold (default: CODECS)."""
    nested = CODECS if nested is None else nested
    flds = record_fields(cls)
    env: dict[str, Any] = {"cls": cls}
    wire, deep, args = [], [], []
    for i, f in enumerate(flds):
        n = f.name
        wire.append(f"{n!r}: o.{n}")
        if f.required:
            value = f"d[{n!r}]"
        elif f.factory is not None:
            env[f"factory_{i}"] = f.factory
            value = f"(d.get({n!r}) or factory_{i}())"
        else:
            env[f"default_{i}"] = f.default
            value = f"d.get({n!r}, default_{i})"
        if f.record is None:
            deep.append(f"{n!r}: o.{n}")
        else:
            env[f"to_dict_{i}"], env[f"decode_{i}"] = nested[f.record].to_dict, nested[f.record].decode
            deep.append(f"{n!r}: [to_dict_{i}(x) for x in o.{n}]" if not f.optional
                        else f"{n!r}: (None if o.{n} is None else [to_dict_{i}(x) for x in o.{n}])")
            value = (f"[decode_{i}(x) for x in {value}]" if not f.optional
                     else f"(None if (v{i} := {value}) is None else [decode_{i}(x) for x in v{i}])")
        args.append(value)
    wire_source = "{" + ", ".join(wire) + "}"
    return RecordCodec(
        cls, flds,
        wire=compile_function("wire(o)", wire_source, env),
        to_dict=compile_function("to_dict(o)", "{" + ", ".join(deep) + "}", env),
        decode=compile_function("decode(d)", "cls(" + ", ".join(args) + ")", env),
        wire_source=wire_source,
    )


CODECS: dict[type, RecordCodec[Any]] = {}


def _register(cls: type) -> None:
    for f in record_fields(cls):
        if f.record is not None and f.record not in CODECS:
            _register(f.record)  # the records a field holds first: its codec calls theirs
    CODECS[cls] = make_codec(cls)


for _cls in RECORDS:
    if _cls not in CODECS:
        _register(_cls)
JSON_FIELDS: frozenset[str] = frozenset(f.name for c in CODECS.values() for f in c.fields if f.json)


def codec(cls: type[R]) -> RecordCodec[R]:
    """The codec of one record class."""
    return CODECS[cls]
