"""Bad input gets InvalidArgument / NotFound / ResourceExhausted naming the field, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sutra_stack import limits
from sutra_stack.errors import AlreadyExists, InvalidArgument, NotFound, ResourceExhausted, SutraError
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.model import AssociationInput, ConceptInput

GOOD_ID = "0" * 32


@pytest.fixture()
def eng() -> Engine:
    e = Engine.in_memory({"storage.max_concepts": 50})
    a = e.learn_concept("alpha")
    b = e.learn_concept("beta")
    e.learn_association(a, b, "causal", 0.5)
    e.ids = (a, b)  # type: ignore[attr-defined]
    return e


def snapshot_of(eng: Engine) -> Any:
    s = eng.stats()
    a, b = eng.ids  # type: ignore[attr-defined]
    return (s.concepts, s.associations, s.vectors, eng.query_concepts([a, b]), eng.get_neighbors(a))


def refused(eng: Engine, call: Callable[[], Any], err: type[SutraError], field: str, *words: str) -> None:
    before = snapshot_of(eng)
    with pytest.raises(err) as info:
        call()
    assert info.value.field == field, info.value.message
    for w in words:
        assert w in info.value.message, info.value.message
    assert snapshot_of(eng) == before


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"content": ""}, "content", ["empty"]),
    ({"content": "   "}, "content", ["empty"]),
    ({"content": 5}, "content", ["string"]),
    ({"content": "x" * (limits.MAX_CONTENT_BYTES + 1)}, "content", ["MAX_CONTENT_BYTES"]),
    ({"content": "ok", "concept_id": "XYZ"}, "concept_id", ["32"]),
    ({"content": "ok", "concept_id": "A" * 32}, "concept_id", ["lowercase"]),
    ({"content": "ok", "embedding": [1.0] * 3}, "embedding", ["dimension 384", "got 3"]),
    ({"content": "ok", "embedding": [0.0] * 384}, "embedding", ["zeros"]),
    ({"content": "ok", "embedding": [float("nan")] * 384}, "embedding", ["NaN"]),
    ({"content": "ok", "embedding": "nope"}, "embedding", []),
    ({"content": "ok", "strength": -1}, "strength", []),
    ({"content": "ok", "strength": True}, "strength", ["number"]),
    ({"content": "ok", "confidence": 1.5}, "confidence", ["between 0 and 1"]),
    ({"content": "ok", "confidence": float("inf")}, "confidence", []),
    ({"content": "ok", "metadata": [1]}, "metadata", ["JSON object"]),
    ({"content": "ok", "metadata": {"x": object()}}, "metadata", ["JSON"]),
    ({"content": "ok", "metadata": {"x": "y" * limits.MAX_METADATA_BYTES}}, "metadata", ["MAX_METADATA_BYTES"]),
])
def test_learn_concept_bad_input(eng: Engine, kwargs: dict[str, Any], field: str, words: list[str]) -> None:
    content = kwargs.pop("content")
    refused(eng, lambda: eng.learn_concept(content, **kwargs), InvalidArgument, field, *words)


def test_same_id_with_other_content_is_refused(eng: Engine) -> None:
    a, _ = eng.ids  # type: ignore[attr-defined]
    refused(eng, lambda: eng.learn_concept("not alpha", concept_id=a), AlreadyExists, "concept_id", "different")


def test_batch_with_one_bad_item_changes_nothing(eng: Engine) -> None:
    items = [ConceptInput(content=f"fine {i}") for i in range(5)] + [ConceptInput(content="")]
    refused(eng, lambda: eng.learn_batch(items), InvalidArgument, "items[5].content")
    refused(eng, lambda: eng.learn_batch([ConceptInput("x"), "not an input"]), InvalidArgument, "items[1]")
    refused(eng, lambda: eng.learn_batch("abc"), InvalidArgument, "items")


def test_oversized_batch(eng: Engine) -> None:
    items = [ConceptInput(content="x")] * (limits.MAX_BATCH_ITEMS + 1)
    refused(eng, lambda: eng.learn_batch(items), InvalidArgument, "items", "MAX_BATCH_ITEMS")
    assocs = [AssociationInput(GOOD_ID, "1" * 32)] * (limits.MAX_BATCH_ITEMS + 1)
    refused(eng, lambda: eng.learn_associations(assocs), InvalidArgument, "items", "MAX_BATCH_ITEMS")


def test_capacity_cap(eng: Engine) -> None:
    eng.learn_batch([ConceptInput(content=f"fill {i}") for i in range(47)])
    items = [ConceptInput(content=f"over {i}") for i in range(2)]
    refused(eng, lambda: eng.learn_batch(items), ResourceExhausted, "storage.max_concepts", "50")
    eng.learn_concept("fill 3")  # reinforcing an existing concept is still fine at the cap
    eng.learn_concept("over 0")
    refused(eng, lambda: eng.learn_concept("over 1"), ResourceExhausted, "storage.max_concepts")


def test_association_bad_input(eng: Engine) -> None:
    a, b = eng.ids  # type: ignore[attr-defined]
    refused(eng, lambda: eng.learn_association("bad", b), InvalidArgument, "source")
    refused(eng, lambda: eng.learn_association(a, GOOD_ID), NotFound, "target", GOOD_ID)
    refused(eng, lambda: eng.learn_association(a, b, "friendship"), InvalidArgument, "type", "causal")
    refused(eng, lambda: eng.learn_association(a, b, confidence=2), InvalidArgument, "confidence")
    refused(eng, lambda: eng.learn_association(a, b, weight=-1), InvalidArgument, "weight")
    refused(eng, lambda: eng.learn_association(a, a), InvalidArgument, "target", "differ")
    batch = [AssociationInput(a, b, "temporal"), AssociationInput(b, a, "nope")]
    refused(eng, lambda: eng.learn_associations(batch), InvalidArgument, "items[1].type")
    batch = [AssociationInput(a, b, "temporal"), AssociationInput(b, GOOD_ID)]
    refused(eng, lambda: eng.learn_associations(batch), NotFound, "items[1].target")


def test_query_and_delete_bad_ids(eng: Engine) -> None:
    refused(eng, lambda: eng.query_concept("nothex"), InvalidArgument, "concept_id")
    refused(eng, lambda: eng.query_concepts(["0" * 31]), InvalidArgument, "concept_ids[0]")
    refused(eng, lambda: eng.query_concepts([GOOD_ID] * (limits.MAX_QUERY_IDS + 1)), InvalidArgument,
            "concept_ids", "MAX_QUERY_IDS")
    refused(eng, lambda: eng.delete_concept(123), InvalidArgument, "concept_id")  # type: ignore[arg-type]
    refused(eng, lambda: eng.delete_association("x", GOOD_ID), InvalidArgument, "source")
    a, b = eng.ids  # type: ignore[attr-defined]
    refused(eng, lambda: eng.delete_association(a, b, "bogus"), InvalidArgument, "type")


def test_neighbors_bad_input(eng: Engine) -> None:
    a, _ = eng.ids  # type: ignore[attr-defined]
    refused(eng, lambda: eng.get_neighbors(GOOD_ID), NotFound, "concept_id")
    refused(eng, lambda: eng.get_neighbors(a, direction="up"), InvalidArgument, "direction")
    refused(eng, lambda: eng.get_neighbors(a, types=["x"]), InvalidArgument, "types[0]")
    refused(eng, lambda: eng.get_neighbors(a, types="causal"), InvalidArgument, "types")
    refused(eng, lambda: eng.get_neighbors(a, min_confidence=-0.1), InvalidArgument, "min_confidence")
    refused(eng, lambda: eng.get_neighbors(a, limit=0), InvalidArgument, "limit", "MAX_NEIGHBORS")


def test_find_paths_bad_input(eng: Engine) -> None:
    a, b = eng.ids  # type: ignore[attr-defined]
    refused(eng, lambda: eng.find_paths([], [b]), InvalidArgument, "starts", "empty")
    refused(eng, lambda: eng.find_paths([a], [b], max_depth=0), InvalidArgument, "max_depth", "MAX_PATH_DEPTH")
    refused(eng, lambda: eng.find_paths([a], [b], max_depth=limits.MAX_PATH_DEPTH + 1), InvalidArgument,
            "max_depth")
    refused(eng, lambda: eng.find_paths([a], [b], k=0), InvalidArgument, "k", "MAX_PATHS")
    refused(eng, lambda: eng.find_paths([a], [b], k=limits.MAX_PATHS + 1), InvalidArgument, "k")
    refused(eng, lambda: eng.find_paths([a], ["zz"]), InvalidArgument, "targets[0]")
    refused(eng, lambda: eng.find_paths([a], [GOOD_ID]), NotFound, "targets[0]")
    refused(eng, lambda: eng.find_paths([a] * (limits.MAX_PATH_ENDPOINTS + 1), [b]), InvalidArgument, "starts",
            "MAX_PATH_ENDPOINTS")
    refused(eng, lambda: eng.find_paths([a], [b], types=["x"]), InvalidArgument, "types[0]")


def test_search_bad_input(eng: Engine) -> None:
    refused(eng, lambda: eng.vector_search(k=3), InvalidArgument, "vector", "exactly one")
    refused(eng, lambda: eng.vector_search(vector=[1.0] * 384, text="x"), InvalidArgument, "vector")
    refused(eng, lambda: eng.vector_search(vector=[1.0] * 10), InvalidArgument, "vector", "384")
    refused(eng, lambda: eng.vector_search(text="x", k=0), InvalidArgument, "k", "MAX_SEARCH_K")
    refused(eng, lambda: eng.vector_search(text="x", k=limits.MAX_SEARCH_K + 1), InvalidArgument, "k")
    refused(eng, lambda: eng.vector_search(text="x", ef=limits.MAX_EF + 1), InvalidArgument, "ef", "MAX_EF")
    refused(eng, lambda: eng.vector_search(text="x" * (limits.MAX_QUERY_BYTES + 1)), InvalidArgument, "text",
            "MAX_QUERY_BYTES")
    refused(eng, lambda: eng.text_search(""), InvalidArgument, "query")
    refused(eng, lambda: eng.text_search("x", k=-1), InvalidArgument, "k")
