from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ServerInfoResponse(_message.Message):
    __slots__ = ("server_version", "protocol_version", "fast_port", "embedder", "dimension", "format_version", "read_only", "tls", "state")
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    FAST_PORT_FIELD_NUMBER: _ClassVar[int]
    EMBEDDER_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    FORMAT_VERSION_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    TLS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    server_version: str
    protocol_version: int
    fast_port: int
    embedder: str
    dimension: int
    format_version: int
    read_only: bool
    tls: bool
    state: str
    def __init__(self, server_version: _Optional[str] = ..., protocol_version: _Optional[int] = ..., fast_port: _Optional[int] = ..., embedder: _Optional[str] = ..., dimension: _Optional[int] = ..., format_version: _Optional[int] = ..., read_only: _Optional[bool] = ..., tls: _Optional[bool] = ..., state: _Optional[str] = ...) -> None: ...

class HealthCheckResponse(_message.Message):
    __slots__ = ("status", "state", "read_only", "concepts")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    CONCEPTS_FIELD_NUMBER: _ClassVar[int]
    status: str
    state: str
    read_only: bool
    concepts: int
    def __init__(self, status: _Optional[str] = ..., state: _Optional[str] = ..., read_only: _Optional[bool] = ..., concepts: _Optional[int] = ...) -> None: ...

class LearnConceptRequest(_message.Message):
    __slots__ = ("content", "concept_id", "embedding", "strength", "confidence", "metadata_json")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONCEPT_ID_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    content: str
    concept_id: str
    embedding: _containers.RepeatedScalarFieldContainer[float]
    strength: float
    confidence: float
    metadata_json: str
    def __init__(self, content: _Optional[str] = ..., concept_id: _Optional[str] = ..., embedding: _Optional[_Iterable[float]] = ..., strength: _Optional[float] = ..., confidence: _Optional[float] = ..., metadata_json: _Optional[str] = ...) -> None: ...

class LearnBatchRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[LearnConceptRequest]
    def __init__(self, items: _Optional[_Iterable[_Union[LearnConceptRequest, _Mapping]]] = ...) -> None: ...

class ConceptIdResponse(_message.Message):
    __slots__ = ("concept_id",)
    CONCEPT_ID_FIELD_NUMBER: _ClassVar[int]
    concept_id: str
    def __init__(self, concept_id: _Optional[str] = ...) -> None: ...

class ConceptIdsResponse(_message.Message):
    __slots__ = ("concept_ids",)
    CONCEPT_IDS_FIELD_NUMBER: _ClassVar[int]
    concept_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, concept_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class LearnAssociationRequest(_message.Message):
    __slots__ = ("source", "target", "type", "confidence", "weight", "predicate", "valid_from", "valid_to", "superseded_by")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    PREDICATE_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_BY_FIELD_NUMBER: _ClassVar[int]
    source: str
    target: str
    type: str
    confidence: float
    weight: float
    predicate: str
    valid_from: float
    valid_to: float
    superseded_by: str
    def __init__(self, source: _Optional[str] = ..., target: _Optional[str] = ..., type: _Optional[str] = ..., confidence: _Optional[float] = ..., weight: _Optional[float] = ..., predicate: _Optional[str] = ..., valid_from: _Optional[float] = ..., valid_to: _Optional[float] = ..., superseded_by: _Optional[str] = ...) -> None: ...

class LearnAssociationsRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[LearnAssociationRequest]
    def __init__(self, items: _Optional[_Iterable[_Union[LearnAssociationRequest, _Mapping]]] = ...) -> None: ...

class CountResponse(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class ConceptIdRequest(_message.Message):
    __slots__ = ("concept_id",)
    CONCEPT_ID_FIELD_NUMBER: _ClassVar[int]
    concept_id: str
    def __init__(self, concept_id: _Optional[str] = ...) -> None: ...

class ConceptIdsRequest(_message.Message):
    __slots__ = ("concept_ids",)
    CONCEPT_IDS_FIELD_NUMBER: _ClassVar[int]
    concept_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, concept_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Concept(_message.Message):
    __slots__ = ("id", "content", "strength", "confidence", "created", "last_accessed", "access_count", "metadata_json")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    LAST_ACCESSED_FIELD_NUMBER: _ClassVar[int]
    ACCESS_COUNT_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    id: str
    content: str
    strength: float
    confidence: float
    created: float
    last_accessed: float
    access_count: int
    metadata_json: str
    def __init__(self, id: _Optional[str] = ..., content: _Optional[str] = ..., strength: _Optional[float] = ..., confidence: _Optional[float] = ..., created: _Optional[float] = ..., last_accessed: _Optional[float] = ..., access_count: _Optional[int] = ..., metadata_json: _Optional[str] = ...) -> None: ...

class ConceptSlot(_message.Message):
    __slots__ = ("concept",)
    CONCEPT_FIELD_NUMBER: _ClassVar[int]
    concept: Concept
    def __init__(self, concept: _Optional[_Union[Concept, _Mapping]] = ...) -> None: ...

class ConceptSlots(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ConceptSlot]
    def __init__(self, items: _Optional[_Iterable[_Union[ConceptSlot, _Mapping]]] = ...) -> None: ...

class GetNeighborsRequest(_message.Message):
    __slots__ = ("concept_id", "types", "min_confidence", "direction", "limit", "valid_at")
    CONCEPT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    MIN_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    VALID_AT_FIELD_NUMBER: _ClassVar[int]
    concept_id: str
    types: _containers.RepeatedScalarFieldContainer[str]
    min_confidence: float
    direction: str
    limit: int
    valid_at: float
    def __init__(self, concept_id: _Optional[str] = ..., types: _Optional[_Iterable[str]] = ..., min_confidence: _Optional[float] = ..., direction: _Optional[str] = ..., limit: _Optional[int] = ..., valid_at: _Optional[float] = ...) -> None: ...

class Neighbor(_message.Message):
    __slots__ = ("concept_id", "type", "confidence", "weight", "direction", "predicate", "valid_from", "valid_to", "superseded_by", "observed")
    CONCEPT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    PREDICATE_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_BY_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_FIELD_NUMBER: _ClassVar[int]
    concept_id: str
    type: str
    confidence: float
    weight: float
    direction: str
    predicate: str
    valid_from: float
    valid_to: float
    superseded_by: str
    observed: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, concept_id: _Optional[str] = ..., type: _Optional[str] = ..., confidence: _Optional[float] = ..., weight: _Optional[float] = ..., direction: _Optional[str] = ..., predicate: _Optional[str] = ..., valid_from: _Optional[float] = ..., valid_to: _Optional[float] = ..., superseded_by: _Optional[str] = ..., observed: _Optional[_Iterable[float]] = ...) -> None: ...

class NeighborsResponse(_message.Message):
    __slots__ = ("neighbors",)
    NEIGHBORS_FIELD_NUMBER: _ClassVar[int]
    neighbors: _containers.RepeatedCompositeFieldContainer[Neighbor]
    def __init__(self, neighbors: _Optional[_Iterable[_Union[Neighbor, _Mapping]]] = ...) -> None: ...

class FindPathRequest(_message.Message):
    __slots__ = ("starts", "targets", "max_depth", "k", "min_confidence", "types", "valid_at")
    STARTS_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    MAX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    MIN_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    VALID_AT_FIELD_NUMBER: _ClassVar[int]
    starts: _containers.RepeatedScalarFieldContainer[str]
    targets: _containers.RepeatedScalarFieldContainer[str]
    max_depth: int
    k: int
    min_confidence: float
    types: _containers.RepeatedScalarFieldContainer[str]
    valid_at: float
    def __init__(self, starts: _Optional[_Iterable[str]] = ..., targets: _Optional[_Iterable[str]] = ..., max_depth: _Optional[int] = ..., k: _Optional[int] = ..., min_confidence: _Optional[float] = ..., types: _Optional[_Iterable[str]] = ..., valid_at: _Optional[float] = ...) -> None: ...

class Hop(_message.Message):
    __slots__ = ("source", "target", "type", "confidence", "predicate", "valid_from", "valid_to", "superseded_by")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    PREDICATE_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_BY_FIELD_NUMBER: _ClassVar[int]
    source: str
    target: str
    type: str
    confidence: float
    predicate: str
    valid_from: float
    valid_to: float
    superseded_by: str
    def __init__(self, source: _Optional[str] = ..., target: _Optional[str] = ..., type: _Optional[str] = ..., confidence: _Optional[float] = ..., predicate: _Optional[str] = ..., valid_from: _Optional[float] = ..., valid_to: _Optional[float] = ..., superseded_by: _Optional[str] = ...) -> None: ...

class Path(_message.Message):
    __slots__ = ("concepts", "hops", "confidence")
    CONCEPTS_FIELD_NUMBER: _ClassVar[int]
    HOPS_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    concepts: _containers.RepeatedScalarFieldContainer[str]
    hops: _containers.RepeatedCompositeFieldContainer[Hop]
    confidence: float
    def __init__(self, concepts: _Optional[_Iterable[str]] = ..., hops: _Optional[_Iterable[_Union[Hop, _Mapping]]] = ..., confidence: _Optional[float] = ...) -> None: ...

class PathsResponse(_message.Message):
    __slots__ = ("paths",)
    PATHS_FIELD_NUMBER: _ClassVar[int]
    paths: _containers.RepeatedCompositeFieldContainer[Path]
    def __init__(self, paths: _Optional[_Iterable[_Union[Path, _Mapping]]] = ...) -> None: ...

class VectorSearchRequest(_message.Message):
    __slots__ = ("vector", "text", "k", "ef")
    VECTOR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    EF_FIELD_NUMBER: _ClassVar[int]
    vector: _containers.RepeatedScalarFieldContainer[float]
    text: str
    k: int
    ef: int
    def __init__(self, vector: _Optional[_Iterable[float]] = ..., text: _Optional[str] = ..., k: _Optional[int] = ..., ef: _Optional[int] = ...) -> None: ...

class TextSearchRequest(_message.Message):
    __slots__ = ("query", "k")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    query: str
    k: int
    def __init__(self, query: _Optional[str] = ..., k: _Optional[int] = ...) -> None: ...

class SearchHit(_message.Message):
    __slots__ = ("concept_id", "score", "content")
    CONCEPT_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    concept_id: str
    score: float
    content: str
    def __init__(self, concept_id: _Optional[str] = ..., score: _Optional[float] = ..., content: _Optional[str] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("hits",)
    HITS_FIELD_NUMBER: _ClassVar[int]
    hits: _containers.RepeatedCompositeFieldContainer[SearchHit]
    def __init__(self, hits: _Optional[_Iterable[_Union[SearchHit, _Mapping]]] = ...) -> None: ...

class SearchCandidatesRequest(_message.Message):
    __slots__ = ("text", "k")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    text: str
    k: int
    def __init__(self, text: _Optional[str] = ..., k: _Optional[int] = ...) -> None: ...

class CandidatesResponse(_message.Message):
    __slots__ = ("vector_hits", "text_hits")
    VECTOR_HITS_FIELD_NUMBER: _ClassVar[int]
    TEXT_HITS_FIELD_NUMBER: _ClassVar[int]
    vector_hits: _containers.RepeatedCompositeFieldContainer[SearchHit]
    text_hits: _containers.RepeatedCompositeFieldContainer[SearchHit]
    def __init__(self, vector_hits: _Optional[_Iterable[_Union[SearchHit, _Mapping]]] = ..., text_hits: _Optional[_Iterable[_Union[SearchHit, _Mapping]]] = ...) -> None: ...

class PathsWithConceptsResponse(_message.Message):
    __slots__ = ("paths", "concepts")
    PATHS_FIELD_NUMBER: _ClassVar[int]
    CONCEPTS_FIELD_NUMBER: _ClassVar[int]
    paths: _containers.RepeatedCompositeFieldContainer[Path]
    concepts: _containers.RepeatedCompositeFieldContainer[Concept]
    def __init__(self, paths: _Optional[_Iterable[_Union[Path, _Mapping]]] = ..., concepts: _Optional[_Iterable[_Union[Concept, _Mapping]]] = ...) -> None: ...

class DeleteAssociationRequest(_message.Message):
    __slots__ = ("source", "target", "type")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    source: str
    target: str
    type: str
    def __init__(self, source: _Optional[str] = ..., target: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class DeletedResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...

class StatsResponse(_message.Message):
    __slots__ = ("concepts", "associations", "vectors", "embedder", "dimension", "format_version", "wal_bytes", "wal_segments", "last_snapshot", "memory_bytes", "read_only", "fsync_policy", "capacity", "calls", "call_seconds_le", "call_seconds_buckets")
    CONCEPTS_FIELD_NUMBER: _ClassVar[int]
    ASSOCIATIONS_FIELD_NUMBER: _ClassVar[int]
    VECTORS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDER_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    FORMAT_VERSION_FIELD_NUMBER: _ClassVar[int]
    WAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    WAL_SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    LAST_SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    FSYNC_POLICY_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    CALL_SECONDS_LE_FIELD_NUMBER: _ClassVar[int]
    CALL_SECONDS_BUCKETS_FIELD_NUMBER: _ClassVar[int]
    concepts: int
    associations: int
    vectors: int
    embedder: str
    dimension: int
    format_version: int
    wal_bytes: int
    wal_segments: int
    last_snapshot: float
    memory_bytes: int
    read_only: bool
    fsync_policy: str
    capacity: int
    calls: int
    call_seconds_le: _containers.RepeatedScalarFieldContainer[float]
    call_seconds_buckets: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, concepts: _Optional[int] = ..., associations: _Optional[int] = ..., vectors: _Optional[int] = ..., embedder: _Optional[str] = ..., dimension: _Optional[int] = ..., format_version: _Optional[int] = ..., wal_bytes: _Optional[int] = ..., wal_segments: _Optional[int] = ..., last_snapshot: _Optional[float] = ..., memory_bytes: _Optional[int] = ..., read_only: _Optional[bool] = ..., fsync_policy: _Optional[str] = ..., capacity: _Optional[int] = ..., calls: _Optional[int] = ..., call_seconds_le: _Optional[_Iterable[float]] = ..., call_seconds_buckets: _Optional[_Iterable[int]] = ...) -> None: ...

class BackupRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class BackupResponse(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class ResumeWritesResponse(_message.Message):
    __slots__ = ("resumed", "read_only", "message")
    RESUMED_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    resumed: bool
    read_only: bool
    message: str
    def __init__(self, resumed: _Optional[bool] = ..., read_only: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...
