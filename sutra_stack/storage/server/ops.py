"""The table of storage operations both doors expose, with their arguments and defaults.

Each `Op` names its arguments (unknown or missing fields are refused here; the engine checks
every value, type and limit, and names the field), turns batch items into model inputs, and
says whether it writes (refused when read-only) and whether it is cheap enough to run on the
fast door's event loop. An operation exists on both doors or on neither: the gRPC door
maps every name here to an RPC, and a test checks the two sets are equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sutra_stack.errors import InvalidArgument
from sutra_stack.storage.model import AssociationInput, ConceptInput
from sutra_stack.storage.wire import F32LE

Checker = Callable[[Any, str], Any]
_MISSING = object()


def _same(v: Any, name: str) -> Any:
    return v  # the engine checks the value (type, range, limit) and names the field


def _vector(v: Any, name: str) -> Any:
    """A vector as sent: a list of numbers, or (fast door) bytes of little-endian float32."""
    if isinstance(v, (bytes, bytearray, memoryview)):
        if len(v) % 4:
            raise InvalidArgument(f"{name} as bytes must be little-endian float32 (a multiple of 4 bytes), "
                                  f"got {len(v)} bytes", field=name)
        return np.frombuffer(v, dtype=F32LE)
    return v  # the engine checks numbers, dimension and finiteness


def bind(params: dict[str, tuple[Checker, Any]], args: Any, where: str = "") -> dict[str, Any]:
    """Check `args` (a map from the wire) against `params`; returns complete keyword arguments."""
    if not isinstance(args, dict):
        raise InvalidArgument(f"{where or 'args'} must be a map, got {type(args).__name__}", field=where or "args")
    for key in args:
        if key not in params:
            name = f"{where}.{key}" if where else str(key)
            raise InvalidArgument(
                f"unknown field {name!s:.60} (expected one of: {', '.join(params)})", field=name
            )
    out: dict[str, Any] = {}
    for key, (check, default) in params.items():
        value = args.get(key, _MISSING)
        name = f"{where}.{key}" if where else key
        if value is _MISSING:
            if default is _MISSING:
                raise InvalidArgument(f"{name} is required", field=name)
            out[key] = default
        else:
            out[key] = check(value, name)
    return out


CONCEPT_PARAMS: dict[str, tuple[Checker, Any]] = {
    "content": (_same, _MISSING),
    "concept_id": (_same, None),
    "embedding": (_vector, None),
    "strength": (_same, 1.0),
    "confidence": (_same, 1.0),
    "metadata": (_same, None),
}
ASSOCIATION_PARAMS: dict[str, tuple[Checker, Any]] = {
    "source": (_same, _MISSING),
    "target": (_same, _MISSING),
    "type": (_same, "semantic"),
    "confidence": (_same, 1.0),
    "weight": (_same, 1.0),
    "predicate": (_same, ""),
    "valid_from": (_same, 0.0),
    "valid_to": (_same, 0.0),
    "superseded_by": (_same, ""),
}


def _items(make: Callable[..., Any], params: dict[str, tuple[Checker, Any]]) -> Checker:
    def check(v: Any, name: str) -> list[Any]:
        if not isinstance(v, (list, tuple)):
            raise InvalidArgument(f"{name} must be a list, got {type(v).__name__}", field=name)
        return [make(**bind(params, item, f"{name}[{i}]")) for i, item in enumerate(v)]

    return check


@dataclass(frozen=True, slots=True)
class Op:
    name: str  # fast-door op name = StorageClient method name
    rpc: str  # gRPC method name
    params: dict[str, tuple[Checker, Any]] = field(default_factory=dict)
    write: bool = False  # refused when the server is read-only
    inline: bool = False  # runs on the fast door's event loop (cheap, never waits on disk)
    needs_engine: bool = True  # False: answers while the store is still loading
    # Derived from `params` (for `args`): the fields whose values are checked here, the defaults, the required names.
    checked: tuple[tuple[str, Checker], ...] = field(init=False, default=())
    defaults: dict[str, Any] = field(init=False, default_factory=dict)
    required: frozenset[str] = field(init=False, default=frozenset())

    def __post_init__(self) -> None:
        object.__setattr__(self, "checked", tuple((k, c) for k, (c, _) in self.params.items() if c is not _same))
        object.__setattr__(self, "defaults", {k: d for k, (_, d) in self.params.items() if d is not _MISSING})
        object.__setattr__(self, "required", frozenset(k for k, (_, d) in self.params.items() if d is _MISSING))

    def args(self, args: Any) -> dict[str, Any]:
        """`bind(self.params, args)`, no arguments (None) being an empty map; a map of known fields
        with every required one is completed with the defaults directly, and only the fields that
        have a checker are checked (tests/server/test_ops_equivalence.py holds the two equal)."""
        if args is None:
            args = {}
        if type(args) is dict and args.keys() <= self.params.keys() and self.required <= args.keys():
            out = {**self.defaults, **args}
            for key, check in self.checked:
                if key in args:
                    out[key] = check(args[key], key)
            return out
        return bind(self.params, args)


FIND_PATHS_PARAMS: dict[str, tuple[Checker, Any]] = {
    "starts": (_same, _MISSING), "targets": (_same, _MISSING), "max_depth": (_same, 4),
    "k": (_same, 3), "min_confidence": (_same, 0.0), "types": (_same, None), "valid_at": (_same, None),
}

OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op("server_info", "ServerInfo", inline=True, needs_engine=False),
        Op("health", "HealthCheck", inline=True, needs_engine=False),
        Op("learn_concept", "LearnConcept", CONCEPT_PARAMS, write=True),
        Op("learn_batch", "LearnBatch", {"items": (_items(ConceptInput, CONCEPT_PARAMS), _MISSING)}, write=True),
        Op("learn_association", "LearnAssociation", ASSOCIATION_PARAMS, write=True),
        Op("learn_associations", "LearnAssociations",
           {"items": (_items(AssociationInput, ASSOCIATION_PARAMS), _MISSING)}, write=True),
        Op("query_concept", "QueryConcept", {"concept_id": (_same, _MISSING)}, inline=True),
        Op("query_concepts", "QueryConcepts", {"concept_ids": (_same, _MISSING)}, inline=True),
        Op("get_neighbors", "GetNeighbors", {
            "concept_id": (_same, _MISSING), "types": (_same, None), "min_confidence": (_same, 0.0),
            "direction": (_same, "both"), "limit": (_same, 1000), "valid_at": (_same, None),
        }, inline=True),
        # A path search never waits on disk and is bounded by MAX_PATH_DEPTH, MAX_PATHS and
        # MAX_PATH_ENDPOINTS; a question's search costs about what its text search does, so it
        # runs on the loop too (no hop to the pool and back).
        Op("find_paths", "FindPath", FIND_PATHS_PARAMS, inline=True),
        Op("find_paths_with_concepts", "FindPathsWithConcepts", FIND_PATHS_PARAMS, inline=True),
        Op("vector_search", "VectorSearch", {
            "vector": (_vector, None), "text": (_same, None), "k": (_same, 10), "ef": (_same, None),
        }, inline=True),
        Op("text_search", "TextSearch", {"query": (_same, _MISSING), "k": (_same, 10)}, inline=True),
        Op("search_candidates", "SearchCandidates", {"text": (_same, _MISSING), "k": (_same, 10)}, inline=True),
        Op("delete_concept", "DeleteConcept", {"concept_id": (_same, _MISSING)}, write=True),
        Op("delete_association", "DeleteAssociation", {
            "source": (_same, _MISSING), "target": (_same, _MISSING), "type": (_same, None),
        }, write=True),
        Op("stats", "GetStats", inline=True),
        Op("flush", "Flush", write=True),
        Op("backup", "Backup", {"path": (_same, _MISSING)}),
        # Returns a store whose WAL turned read-only after a disk failure to writing (not a `write`:
        # it is what a read-only store accepts); it waits on the disk, so it runs in the pool.
        Op("resume_writes", "ResumeWrites"),
    )
}
