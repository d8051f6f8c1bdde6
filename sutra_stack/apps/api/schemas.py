"""Request and response models of sutra-api, with every field's limit taken from `limits.py`.

Text limits are in UTF-8 bytes (what the storage server counts), checked by validators that
name the field and the limit; texts must be valid Unicode (no lone surrogates). The models of
storage records (`ConceptOut`, `NeighborOut`, `SearchResult`) are built from the records'
fields in `storage.model`, so a field added there appears here too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from sutra_stack.limits import (
    CONCEPT_ID_HEX_CHARS,
    MAX_ASK_DEPTH,
    MAX_ASK_PATHS,
    MAX_LEARN_BATCH_TEXTS,
    MAX_LEARN_TEXT_BYTES,
    MAX_METADATA_BYTES,
    MAX_NEIGHBORS,
    MAX_QUERY_BYTES,
    MAX_SEARCH_K,
    MAX_SOURCE_BYTES,
)
from sutra_stack.storage.model import Concept, Neighbor, SearchHit, record_fields

ID_PATTERN = rf"^[0-9a-f]{{{CONCEPT_ID_HEX_CHARS}}}$"


def check_text(value: str, limit: int, limit_name: str, *, allow_empty: bool = False) -> str:
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it contains a lone surrogate)") from None
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if not allow_empty and not value.strip():
        raise ValueError("must not be empty or only whitespace")
    if size > limit:
        raise ValueError(f"is {size} bytes; the limit is {limit} bytes ({limit_name})")
    return value


INT64_MIN, UINT64_MAX = -(2**63), 2**64 - 1


def _check_json_strings(node: Any) -> None:
    """Strings must be valid Unicode and integers must fit in 64 bits (what every storage door carries)."""
    if isinstance(node, bool):
        return
    if isinstance(node, int) and not INT64_MIN <= node <= UINT64_MAX:
        raise ValueError(f"integers must fit in 64 bits, got one with {node.bit_length()} bits")
    if isinstance(node, str):
        check_text(node, MAX_METADATA_BYTES, "MAX_METADATA_BYTES", allow_empty=True)
    elif isinstance(node, dict):
        for k, v in node.items():
            _check_json_strings(k)
            _check_json_strings(v)
    elif isinstance(node, list):
        for v in node:
            _check_json_strings(v)


_STRICT = ConfigDict(extra="forbid")


class LearnRequest(BaseModel):
    model_config = _STRICT

    content: str = Field(min_length=1, description=f"Text to learn, up to {MAX_LEARN_TEXT_BYTES} UTF-8 bytes.",
                         examples=["Smoking causes lung cancer."])
    source: str | None = Field(default=None, description=f"Where the text came from, up to {MAX_SOURCE_BYTES} bytes.")
    metadata: dict[str, Any] | None = Field(
        default=None, description=f"Free-form JSON object, up to {MAX_METADATA_BYTES} bytes encoded."
    )

    @field_validator("content")
    @classmethod
    def _content(cls, v: str) -> str:
        return check_text(v, MAX_LEARN_TEXT_BYTES, "MAX_LEARN_TEXT_BYTES")

    @field_validator("source")
    @classmethod
    def _source(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None  # an empty label is no label
        return check_text(v, MAX_SOURCE_BYTES, "MAX_SOURCE_BYTES")

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is None:
            return None
        _check_json_strings(v)
        try:
            size = len(json.dumps(v, ensure_ascii=False, allow_nan=False).encode("utf-8"))
        except ValueError:
            raise ValueError("must be plain JSON (no NaN or Infinity)") from None
        if size > MAX_METADATA_BYTES:
            raise ValueError(f"is {size} bytes as JSON; the limit is {MAX_METADATA_BYTES} bytes (MAX_METADATA_BYTES)")
        return v


class LearnResponse(BaseModel):
    concept_id: str = Field(description="The concept of the whole text.")
    concept_ids: list[str] = Field(description="Every concept created or reinforced.")
    concepts_created: int
    associations_created: int


class LearnBatchRequest(BaseModel):
    model_config = _STRICT

    items: list[LearnRequest] = Field(min_length=1, max_length=MAX_LEARN_BATCH_TEXTS,
                                      description=f"1 to {MAX_LEARN_BATCH_TEXTS} texts (MAX_LEARN_BATCH_TEXTS).")

    @field_validator("items", mode="before")
    @classmethod
    def _count(cls, v: Any) -> Any:
        # before the items are validated one by one: an oversized batch is refused at once, by name
        if isinstance(v, list) and len(v) > MAX_LEARN_BATCH_TEXTS:
            raise ValueError(f"has {len(v)} items; the limit is {MAX_LEARN_BATCH_TEXTS} (MAX_LEARN_BATCH_TEXTS)")
        return v


class LearnBatchResponse(BaseModel):
    results: list[LearnResponse]
    concepts_created: int
    associations_created: int


class AskRequest(BaseModel):
    model_config = _STRICT

    question: str = Field(min_length=1, description=f"The question, up to {MAX_QUERY_BYTES} UTF-8 bytes.",
                          examples=["What causes lung cancer?"])
    max_paths: int = Field(default=5, ge=1, le=MAX_ASK_PATHS, description="Reasoning paths to return (MAX_ASK_PATHS).")
    max_depth: int = Field(default=4, ge=1, le=MAX_ASK_DEPTH, description="Hops per path (MAX_ASK_DEPTH).")
    as_of: dt.date | None = Field(default=None, description="ISO date (YYYY-MM-DD): answer as the knowledge stood "
                                  "at the end of that day (UTC); none: as it stands now.", examples=["2019-06-30"])

    @field_validator("question")
    @classmethod
    def _question(cls, v: str) -> str:
        return check_text(v, MAX_QUERY_BYTES, "MAX_QUERY_BYTES")


class PathStep(BaseModel):
    concept_id: str
    content: str
    relation: str | None = Field(default=None, description="Type of the hop that reached this concept (None first).")
    hop_confidence: float | None = None
    predicate: str | None = Field(default=None, description="The hop's relation as the text states it "
                                  "(\"moved to\"); empty when none (None first).")
    valid_from: float | None = Field(default=None, description="Unix seconds when the hop's fact became true.")
    valid_to: float | None = Field(default=None, description="Unix seconds when it stopped being true; 0: "
                                   "still true.")
    superseded_by: str | None = Field(default=None, description="Id of the fact that ended it; empty when none.")


class ReasoningPath(BaseModel):
    steps: list[PathStep] = Field(description="The concepts in order, from the question to the answer.")
    confidence: float = Field(description="Product of the hops' confidences.")


class AskResponse(BaseModel):
    question: str
    answer: str = Field(description="The answer; when nothing relevant is known, a sentence saying so.")
    confidence: float = Field(ge=0.0, le=1.0)
    kind: Literal["path", "direct", "none"] = Field(
        description="path: supported by reasoning paths; direct: no path, best direct match; none: nothing known."
    )
    paths: list[ReasoningPath]
    explanation: str
    answer_concept_id: str | None = None
    supporting_facts: list[str] = Field(default_factory=list, description="Ids of the facts the paths go through.")


class SearchRequest(BaseModel):
    model_config = _STRICT

    query: str = Field(min_length=1, description=f"Search text, up to {MAX_QUERY_BYTES} UTF-8 bytes.")
    top_k: int = Field(default=10, ge=1, le=MAX_SEARCH_K, description="Results to return (MAX_SEARCH_K).")
    mode: Literal["vector", "text", "both"] = Field(default="vector", description=(
        "vector: concepts whose embedding is nearest the query's (`similarity` is the cosine similarity); text: "
        "concepts sharing its words (`similarity` is the BM25 score); both: top_k of each, every concept once, "
        "vector hits first, each with `match` saying how it was found."))

    @field_validator("query")
    @classmethod
    def _query(cls, v: str) -> str:
        return check_text(v, MAX_QUERY_BYTES, "MAX_QUERY_BYTES")


def record_model(record: type, name: str, doc: str, *, rename: Mapping[str, str] | None = None,
                 extra: Mapping[str, Any] | None = None) -> type[BaseModel]:
    """A response model with every field of `record` (a `storage.model` dataclass), each required and of
    the field's type, named as `rename` says; then the `extra` fields (name → (type, FieldInfo))."""
    rename = rename or {}
    spec: dict[str, Any] = {rename.get(f.name, f.name): (f.type, ...) for f in record_fields(record)}
    return create_model(name, __doc__=doc, **spec, **(extra or {}))


# A search hit's `score` is `similarity` in the REST API (cosine for vector hits, BM25 for text ones: `match`).
SEARCH_RESULT_NAMES = {"score": "similarity"}


def search_result(hit: SearchHit) -> dict[str, Any]:
    """A search hit as a `SearchResult` body."""
    return {SEARCH_RESULT_NAMES.get(k, k): v for k, v in hit.to_dict().items()}


def neighbor_out(neighbor: Neighbor, content: str | None) -> dict[str, Any]:
    """A neighbor and its concept's content (None when it was deleted meanwhile) as a `NeighborOut` body."""
    return {**neighbor.to_dict(), "content": content}


if TYPE_CHECKING:  # to mypy, plain models; at run time each has its record's fields
    ConceptOut = BaseModel
    NeighborOut = BaseModel
    SearchResult = BaseModel
else:
    ConceptOut = record_model(Concept, "ConceptOut", "One concept.")
    NeighborOut = record_model(Neighbor, "NeighborOut", "A concept linked to the one asked about, and the link.",
                               extra={"content": (str | None, Field(description="The linked concept's text."))})
    SearchResult = record_model(SearchHit, "SearchResult", "One hit, best first.", rename=SEARCH_RESULT_NAMES,
                                extra={"match": (Literal["vector", "text", "both"] | None, Field(
                                    default=None, description="How the hit was found (modes text and both): "
                                    "vector, text (words only: similarity is its BM25 score) or both."))})


class SearchResponse(BaseModel):
    results: list[SearchResult]


class NeighborsResponse(BaseModel):
    concept_id: str
    neighbors: list[NeighborOut]


class DeleteResponse(BaseModel):
    concept_id: str
    deleted: bool


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="gRPC-style status name: INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE, ...")
    message: str = Field(description="What went wrong and what to do, naming the field and the limit.")
    field: str | None = None
    fields: list[FieldError] | None = Field(default=None, description="Every bad field (422 only).")


class ErrorResponse(BaseModel):
    """The one error shape of every route."""

    error: ErrorBody


NEIGHBOR_LIMIT_MAX = MAX_NEIGHBORS
