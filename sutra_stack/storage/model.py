"""The data model shared by the engine, both server doors, the client and the apps.

Plain dataclasses with `to_dict` / `from_dict`, so that the msgpack door, the gRPC door and
the REST apps move the same shapes. Ids are 32 lowercase hex characters everywhere.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

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
    """to_dict / from_dict for the dataclasses below (unknown keys are ignored on read)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]):  # type: ignore[no-untyped-def]
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})


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
    source: str
    target: str
    type: str = "semantic"
    confidence: float = 1.0
    weight: float = 1.0


@dataclass(slots=True)
class Association(_Wire):
    source: str
    target: str
    type: str
    confidence: float
    weight: float
    created: float


@dataclass(slots=True)
class Neighbor(_Wire):
    """An edge seen from one concept: `direction` is "out" (concept → id) or "in" (id → concept)."""

    concept_id: str
    type: str
    confidence: float
    weight: float
    direction: str


@dataclass(slots=True)
class Hop(_Wire):
    source: str
    target: str
    type: str
    confidence: float


@dataclass(slots=True)
class GraphPath(_Wire):
    """A chain of concepts; confidence is the product of the hops' confidences."""

    concepts: list[str]
    hops: list[Hop]
    confidence: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GraphPath:
        return cls(
            concepts=list(data["concepts"]),
            hops=[Hop.from_dict(h) for h in data["hops"]],
            confidence=data["confidence"],
        )


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
