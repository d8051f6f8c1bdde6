"""Argument checks of the engine: every bad input becomes InvalidArgument naming field and limit.

Checks run before anything is written, so a refused call (or a batch with one bad item)
changes nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from sutra_stack import limits
from sutra_stack.errors import InvalidArgument
from sutra_stack.storage import nesting
from sutra_stack.storage.model import ASSOCIATION_TYPES, AssociationInput, ConceptInput, check_id, check_type

TYPE_CODES: dict[str, int] = {t: i for i, t in enumerate(ASSOCIATION_TYPES)}
DIRECTIONS = ("out", "in", "both")


def number(value: object, field: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidArgument(f"{field} must be a number, got {type(value).__name__}", field=field)
    v = float(value)
    if not math.isfinite(v) or v < lo or v > hi:
        raise InvalidArgument(f"{field} must be between {lo:g} and {hi:g}, got {value!r:.40}", field=field)
    return v


def integer(value: object, field: str, lo: int, hi: int, limit_name: str = "") -> int:
    if type(value) is int and lo <= value <= hi:  # the common case, on every search: no further checks
        return value
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidArgument(f"{field} must be an integer, got {type(value).__name__}", field=field)
    if not lo <= int(value) <= hi:
        named = f" (limit {limit_name})" if limit_name else ""
        raise InvalidArgument(f"{field} must be between {lo} and {hi}{named}, got {value}", field=field)
    return int(value)


def text(value: object, field: str, max_bytes: int, limit_name: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(f"{field} must be a string, got {type(value).__name__}", field=field)
    if not value.strip():
        raise InvalidArgument(f"{field} must not be empty", field=field)
    try:
        n = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidArgument(f"{field} is not valid Unicode text (lone surrogate)", field=field) from None
    if n > max_bytes:
        raise InvalidArgument(f"{field} is {n} bytes, over the limit {limit_name} = {max_bytes}", field=field)
    return value


def vector(value: object, field: str, dim: int) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{field} must be a list of {dim} numbers", field=field) from None
    if arr.shape != (dim,):
        got = arr.shape[0] if arr.ndim == 1 else f"shape {arr.shape}"
        raise InvalidArgument(f"{field} must have dimension {dim} (the store's embedder.dimension), got {got}",
                              field=field)
    sq = float(np.dot(arr, arr))
    if not math.isfinite(sq):
        if not np.isfinite(arr).all():
            raise InvalidArgument(f"{field} contains NaN or infinity", field=field)
        arr = arr / np.abs(arr).max()  # finite but huge: scale before squaring
        sq = float(np.dot(arr, arr))
    if sq == 0.0:
        raise InvalidArgument(f"{field} must not be all zeros (cosine needs a direction)", field=field)
    return arr * np.float32(1.0 / math.sqrt(sq))


def metadata(value: object, field: str) -> bytes:
    if value is None:
        return b""
    if not isinstance(value, dict):
        raise InvalidArgument(f"{field} must be a JSON object, got {type(value).__name__}", field=field)
    nesting.check_value(value, field)  # before json.dumps, which recurses
    try:
        raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"{field} must be JSON-serialisable: {e}", field=field) from None
    if len(raw) > limits.MAX_METADATA_BYTES:
        raise InvalidArgument(
            f"{field} is {len(raw)} bytes as JSON, over the limit MAX_METADATA_BYTES = {limits.MAX_METADATA_BYTES}",
            field=field,
        )
    return b"" if raw == b"{}" else raw


def batch(items: object, field: str = "items") -> list[Any]:
    if isinstance(items, (str, bytes, dict)) or not isinstance(items, Sequence):
        raise InvalidArgument(f"{field} must be a list", field=field)
    if len(items) > limits.MAX_BATCH_ITEMS:
        raise InvalidArgument(
            f"{field} has {len(items)} items, over the limit MAX_BATCH_ITEMS = {limits.MAX_BATCH_ITEMS}", field=field
        )
    return list(items)


def concept_input(item: object, i: int | None) -> ConceptInput:
    if isinstance(item, dict):
        item = ConceptInput.from_dict(item)
    if not isinstance(item, ConceptInput):
        where = f"items[{i}]" if i is not None else "item"
        raise InvalidArgument(f"{where} must be a ConceptInput, got {type(item).__name__}", field=where)
    return item


def checked_concept(item: ConceptInput, prefix: str, dim: int) -> tuple[str, bytes | None, np.ndarray | None,
                                                                          float, float, bytes]:
    """(content, id bytes or None, unit vector or None, strength, confidence, metadata JSON)."""
    content = text(item.content, prefix + "content", limits.MAX_CONTENT_BYTES, "MAX_CONTENT_BYTES")
    key = bytes.fromhex(check_id(item.concept_id, prefix + "concept_id")) if item.concept_id is not None else None
    vec = vector(item.embedding, prefix + "embedding", dim) if item.embedding is not None else None
    strength = number(item.strength, prefix + "strength", 0.0, limits.MAX_STRENGTH)
    conf = number(item.confidence, prefix + "confidence", 0.0, 1.0)
    meta = metadata(item.metadata, prefix + "metadata")
    return content, key, vec, strength, conf, meta


def association_input(item: object, i: int) -> AssociationInput:
    if isinstance(item, dict):
        item = AssociationInput.from_dict(item)
    if not isinstance(item, AssociationInput):
        raise InvalidArgument(f"items[{i}] must be an AssociationInput, got {type(item).__name__}",
                              field=f"items[{i}]")
    return item


CheckedAssociation = tuple[bytes, bytes, int, float, float, str, float, float, bytes]


def checked_association(a: AssociationInput, prefix: str) -> CheckedAssociation:
    """(source, target, type code, confidence, weight, predicate, valid_from, valid_to, superseded_by
    id bytes or b""): the body of one item of an associate WAL record."""
    src = bytes.fromhex(check_id(a.source, prefix + "source"))
    dst = bytes.fromhex(check_id(a.target, prefix + "target"))
    if src == dst:
        raise InvalidArgument(f"{prefix}target must differ from {prefix}source", field=prefix + "target")
    code = TYPE_CODES[check_type(a.type, prefix + "type")]
    conf = number(a.confidence, prefix + "confidence", 0.0, 1.0)
    weight = number(a.weight, prefix + "weight", 0.0, limits.MAX_ASSOCIATION_WEIGHT)
    pred = predicate(a.predicate, prefix + "predicate")
    valid_from = time_value(a.valid_from, prefix + "valid_from")
    valid_to = time_value(a.valid_to, prefix + "valid_to")
    if valid_to and valid_from and valid_to < valid_from:
        raise InvalidArgument(f"{prefix}valid_to ({valid_to:g}) must be 0 (still true) or not before "
                              f"{prefix}valid_from ({valid_from:g})", field=prefix + "valid_to")
    sup = a.superseded_by
    sup_key = b"" if sup is None or sup == "" else bytes.fromhex(check_id(sup, prefix + "superseded_by"))
    return src, dst, code, conf, weight, pred, valid_from, valid_to, sup_key


def predicate(value: object, field: str) -> str:
    """An association's predicate: a string of at most MAX_PREDICATE_BYTES UTF-8 bytes ("" for none)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise InvalidArgument(f"{field} must be a string, got {type(value).__name__}", field=field)
    try:
        n = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidArgument(f"{field} is not valid Unicode text (lone surrogate)", field=field) from None
    if n > limits.MAX_PREDICATE_BYTES:
        raise InvalidArgument(f"{field} is {n} bytes, over the limit MAX_PREDICATE_BYTES = "
                              f"{limits.MAX_PREDICATE_BYTES}", field=field)
    return value


def time_value(value: object, field: str) -> float:
    """Unix seconds: finite, >= 0 and at most MAX_TIME_SECONDS (year 9999)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidArgument(f"{field} must be a number (unix seconds), got {type(value).__name__}", field=field)
    v = float(value)
    if not math.isfinite(v) or v < 0.0 or v > limits.MAX_TIME_SECONDS:
        raise InvalidArgument(f"{field} must be unix seconds between 0 and MAX_TIME_SECONDS = "
                              f"{limits.MAX_TIME_SECONDS:.0f}, got {value!r:.40}", field=field)
    return v


def valid_at(value: object, field: str = "valid_at") -> float | None:
    """A read's moment (unix seconds), or None for every live association."""
    return None if value is None else time_value(value, field)


def id_list(values: object, field: str, max_items: int, limit_name: str, *, allow_empty: bool = False) -> list[str]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise InvalidArgument(f"{field} must be a list of concept ids", field=field)
    if not values and not allow_empty:
        raise InvalidArgument(f"{field} must not be empty", field=field)
    if len(values) > max_items:
        raise InvalidArgument(f"{field} has {len(values)} ids, over the limit {limit_name} = {max_items}",
                              field=field)
    return [check_id(v, f"{field}[{i}]") for i, v in enumerate(values)]


def type_filter(types: object, field: str = "types") -> set[int] | None:
    if types is None:
        return None
    if isinstance(types, str) or not isinstance(types, Sequence):
        raise InvalidArgument(f"{field} must be a list of association types", field=field)
    return {TYPE_CODES[check_type(t, f"{field}[{i}]")] for i, t in enumerate(types)}
