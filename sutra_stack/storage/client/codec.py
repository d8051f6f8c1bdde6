"""What the sync and async clients share: building operation arguments and decoding results.

Arguments are the wire maps of `server/ops.py`; results arrive as the wire maps of
`storage.model`'s records (from either door) and leave as the records, through the decoders
derived from the model (`model.codec`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from sutra_stack.errors import FailedPrecondition, InvalidArgument
from sutra_stack.storage.model import (
    AssociationInput,
    Concept,
    ConceptInput,
    GraphPath,
    Neighbor,
    SearchHit,
    StoreStats,
    codec,
    compile_function,
    record_fields,
)
from sutra_stack.storage.wire import PROTOCOL_VERSION

DEFAULT_TIMEOUT = 120.0  # seconds one call may take before the client gives up


def parse_address(address: str) -> tuple[str, str, int]:
    """("auto" | "tcp" | "grpc", host, port) from host:port, tcp://host:port or grpc://host:port."""
    text = address.strip()
    scheme = "auto"
    if "://" in text:
        scheme, _, text = text.partition("://")
        scheme = scheme.lower()
        if scheme not in ("tcp", "grpc"):
            raise InvalidArgument(
                f"storage address {address!r}: scheme must be tcp:// (fast door) or grpc://, or none "
                "(host:port of the gRPC door; the fast port is asked for)", field="storage.server")
    parts = urlsplit("//" + text.rstrip("/"))
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None:
        raise InvalidArgument(f"storage address {address!r} must look like host:port, e.g. localhost:50051",
                              field="storage.server")
    return scheme, host, port


def check_protocol(info: dict[str, Any], where: str) -> dict[str, Any]:
    version = info.get("protocol_version", info.get("version"))
    if version != PROTOCOL_VERSION:
        raise FailedPrecondition(
            f"the storage server at {where} speaks protocol version {version}, this client speaks "
            f"{PROTOCOL_VERSION}: install matching versions of sutra-stack on both sides")
    return info


def _vec(v: Any) -> Any:
    """A vector as float32 (sent as raw bytes on the fast door); left as given when it is not numbers."""
    if v is None:
        return None
    try:
        arr = np.asarray(v, dtype=np.float32)
    except (TypeError, ValueError):
        return v if isinstance(v, list) else list(v)  # the server names what is wrong with it
    return arr if arr.ndim == 1 else v


def _item_map(record: type, convert: dict[str, Any]) -> Any:
    """`item_map(o)`: a request item (a ConceptInput, an AssociationInput) as its wire map, compiled from the
    record's fields: a field whose default is None left out when None, one whose default is "" or 0 left out
    when it has that value (the server applies its default; a server of the release before the field
    accepts the item as long as it is not used), `convert[name](value)` for a field that has one (the
    embedding as float32)."""
    lines, always = [], []
    for f in record_fields(record):
        value = f"convert_{f.name}(o.{f.name})" if f.name in convert else f"o.{f.name}"
        if f.optional and f.default is None:
            lines.append(f"if o.{f.name} is not None: out[{f.name!r}] = {value}")
        elif f.default in ("", 0) and not f.required and f.factory is None:
            lines.append(f"if o.{f.name}: out[{f.name!r}] = {value}")
        else:
            always.append(f"{f.name!r}: {value}")
    env = {f"convert_{name}": fn for name, fn in convert.items()}
    return compile_function("item_map(o)", ["out = {" + ", ".join(always) + "}", *lines, "return out"], env)


def concept_args(content: Any, concept_id: Any = None, embedding: Any = None, strength: Any = 1.0,
                 confidence: Any = 1.0, metadata: Any = None) -> dict[str, Any]:
    return concept_item(ConceptInput(content, concept_id, embedding, strength, confidence, metadata))


def concept_item(item: Any) -> dict[str, Any]:
    """A concept to learn (a ConceptInput or a map of its fields) as a wire map, the embedding as
    float32: fields left out when None (a ConceptInput's only when None is their default)."""
    if isinstance(item, ConceptInput):
        return _concept_input_map(item)
    if isinstance(item, dict):
        return {k: (_vec(v) if k == "embedding" else v) for k, v in item.items() if v is not None}
    return item  # the server names what is wrong with it


def association_item(item: Any) -> dict[str, Any]:
    if isinstance(item, AssociationInput):
        return _association_input_map(item)
    return item


_concept_input_map = _item_map(ConceptInput, {"embedding": _vec})
_association_input_map = _item_map(AssociationInput, {})


def batch_args(items: Sequence[Any], make: Any) -> dict[str, Any]:
    if isinstance(items, (str, bytes, dict)) or not isinstance(items, Sequence):
        raise InvalidArgument(f"items must be a list, got {type(items).__name__}", field="items")
    return {"items": [make(i) for i in items]}


def stream_items(batch: Sequence[Any]) -> list[dict[str, Any]]:
    """One LearnStream message's concept maps."""
    return batch_args(batch, concept_item)["items"]


def neighbors_args(concept_id: str, types: Sequence[str] | None, min_confidence: float, direction: str,
                   limit: int, valid_at: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"concept_id": concept_id, "min_confidence": min_confidence, "direction": direction,
                           "limit": limit}
    if types is not None:
        out["types"] = list(types)
    if valid_at is not None:
        out["valid_at"] = valid_at
    return out


def paths_args(starts: Sequence[str], targets: Sequence[str], max_depth: int, k: int, min_confidence: float,
               types: Sequence[str] | None, valid_at: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"starts": list(starts), "targets": list(targets), "max_depth": max_depth, "k": k,
                           "min_confidence": min_confidence}
    if types is not None:
        out["types"] = list(types)
    if valid_at is not None:
        out["valid_at"] = valid_at
    return out


def search_args(vector: Any, text: str | None, k: int, ef: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"k": k}
    if vector is not None:
        out["vector"] = _vec(vector)
    if text is not None:
        out["text"] = text
    if ef is not None:
        out["ef"] = ef
    return out


def delete_association_args(source: str, target: str, type: str | None) -> dict[str, Any]:
    out = {"source": source, "target": target}
    if type is not None:
        out["type"] = type
    return out


# --- results ---------------------------------------------------------------------------------
concept = codec(Concept).decode
_neighbor = codec(Neighbor).decode
_path = codec(GraphPath).decode
_hit = codec(SearchHit).decode


def concepts(items: list[Any]) -> list[Concept | None]:
    return [None if d is None else concept(d) for d in items]


def neighbors(items: list[dict[str, Any]]) -> list[Neighbor]:
    return [_neighbor(d) for d in items]


def paths(items: list[dict[str, Any]]) -> list[GraphPath]:
    return [_path(d) for d in items]


def hits(items: list[dict[str, Any]]) -> list[SearchHit]:
    return [_hit(d) for d in items]


def candidates(d: dict[str, Any]) -> tuple[list[SearchHit], list[SearchHit]]:
    return hits(d["vector_hits"]), hits(d["text_hits"])


def paths_with_concepts(d: dict[str, Any]) -> tuple[list[GraphPath], list[Concept]]:
    return paths(d["paths"]), [concept(c) for c in d["concepts"]]


def stats(d: dict[str, Any]) -> StoreStats:
    return codec(StoreStats).decode(d)
