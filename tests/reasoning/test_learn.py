"""learn / learn_batch on a real in-process engine: concepts, typed associations, reinforcement, limits."""

from __future__ import annotations

import pytest

from sutra_stack.errors import InvalidArgument
from sutra_stack.limits import (
    MAX_CONTENT_BYTES,
    MAX_LEARN_BATCH_TEXTS,
    MAX_LEARN_TEXT_BYTES,
    MAX_METADATA_BYTES,
    MAX_SOURCE_BYTES,
)
from sutra_stack.reasoning import Reasoner
from sutra_stack.reasoning.text import entity_id
from sutra_stack.storage.engine.store import Engine
from sutra_stack.storage.model import content_id
from tests.reasoning.conftest import CountingStore


def edge(engine: Engine, source: str, target: str) -> tuple[str, float] | None:
    for n in engine.get_neighbors(source, direction="out"):
        if n.concept_id == target:
            return n.type, n.confidence
    return None


@pytest.mark.parametrize(
    ("sentence", "subject", "obj", "type_", "confidence"),
    [
        ("Smoking causes lung damage.", "smoking", "lung damage", "causal", 0.9),
        ("A whale is a kind of mammal.", "whale", "mammal", "hierarchical", 0.95),
        ("Bronze consists of copper and tin.", "bronze", "copper", "compositional", 0.9),
        ("Spring comes before summer.", "spring", "summer", "temporal", 0.9),
        ("Lexicon is another word for vocabulary.", "lexicon", "vocabulary", "semantic", 0.9),
    ],
)
def test_each_association_type_links_subject_fact_object(
    reasoner: Reasoner, engine: Engine, sentence: str, subject: str, obj: str, type_: str, confidence: float
) -> None:
    result = reasoner.learn(sentence)
    fact = content_id(sentence)
    assert result.concept_id == fact
    assert {fact, entity_id(subject), entity_id(obj)} <= set(result.concept_ids)
    got_in = edge(engine, entity_id(subject), fact)
    got_out = edge(engine, fact, entity_id(obj))
    assert got_in is not None and got_out is not None
    assert got_in[0] == got_out[0] == type_
    assert got_in[1] == pytest.approx(confidence) and got_out[1] == pytest.approx(confidence)
    assert engine.query_concept(entity_id(subject)).content == subject  # type: ignore[union-attr]


def test_sentences_sharing_an_entity_are_linked_semantically(reasoner: Reasoner, engine: Engine) -> None:
    reasoner.learn("Alice met Bob in Rome. Later Carol visited Rome too.")
    first, second = content_id("Alice met Bob in Rome."), content_id("Later Carol visited Rome too.")
    rome = entity_id("rome")
    assert edge(engine, first, rome) == ("semantic", pytest.approx(0.5))
    assert edge(engine, rome, second) == ("semantic", pytest.approx(0.5))
    assert edge(engine, first, second) == ("temporal", pytest.approx(0.6))  # the order it was told


def test_a_text_is_a_concept_holding_its_sentences(reasoner: Reasoner, engine: Engine) -> None:
    text = "Heavy rain causes flooding. Flooding results in crop loss."
    result = reasoner.learn(text, source="almanac", metadata={"page": 3})
    whole = engine.query_concept(result.concept_id)
    assert whole is not None and whole.content == text
    assert whole.metadata["source"] == "almanac" and whole.metadata["page"] == 3
    for sentence in ("Heavy rain causes flooding.", "Flooding results in crop loss."):
        assert edge(engine, result.concept_id, content_id(sentence)) == ("compositional", pytest.approx(0.95))
    # rain, flooding (shared by both sentences), crop loss; two facts; the text
    assert result.concepts_created == 6
    assert result.associations_created > 0


def test_relearning_reinforces_instead_of_creating(reasoner: Reasoner, engine: Engine) -> None:
    first = reasoner.learn("Friction produces heat.")
    before = engine.query_concept(first.concept_id)
    again = reasoner.learn("Friction produces heat.")
    after = engine.query_concept(first.concept_id)
    assert again.concept_id == first.concept_id and again.concepts_created == 0
    assert before is not None and after is not None
    assert after.strength > before.strength
    assert after.metadata["learned_at"] >= before.metadata["learned_at"]
    assert engine.stats().concepts == 3


def test_batch_uses_one_write_of_concepts_and_one_of_associations(reasoner: Reasoner, store: CountingStore) -> None:
    items = [f"Compound {i} causes reaction {i}." for i in range(50)] + [{"content": "A cell contains DNA.",
                                                                         "source": "bio"}]
    results = reasoner.learn_batch(items)
    assert len(results) == 51
    assert store.calls.count("learn_batch") == 1 and store.calls.count("learn_associations") == 1
    assert store.calls.count("query_concepts") == 1
    assert all(r.concepts_created == 3 for r in results)
    assert store.engine.stats().concepts == 153


def test_facts_about_the_same_slot_in_one_batch_are_ordered(reasoner: Reasoner, engine: Engine) -> None:
    reasoner.learn_batch(["The team captain is Priya.", "The team captain is Daniel."])
    assert edge(engine, content_id("The team captain is Priya."), content_id("The team captain is Daniel.")) == (
        "temporal", pytest.approx(0.7))


@pytest.mark.parametrize(
    ("call", "limit"),
    [
        (lambda r: r.learn(""), "must not be empty"),
        (lambda r: r.learn("   \n "), "must not be empty"),
        (lambda r: r.learn("x" * (MAX_LEARN_TEXT_BYTES + 1)), "MAX_LEARN_TEXT_BYTES"),
        (lambda r: r.learn("y" * (MAX_CONTENT_BYTES + 1)), "MAX_CONTENT_BYTES"),
        (lambda r: r.learn("Fine text.", source="s" * (MAX_SOURCE_BYTES + 1)), "MAX_SOURCE_BYTES"),
        (lambda r: r.learn("Fine text.", metadata={"k": "v" * MAX_METADATA_BYTES}), "MAX_METADATA_BYTES"),
        (lambda r: r.learn(42), "must be a string"),
        (lambda r: r.learn_batch(["ok."] * (MAX_LEARN_BATCH_TEXTS + 1)), "MAX_LEARN_BATCH_TEXTS"),
        (lambda r: r.learn_batch(["A fine fact.", ""]), "items[1].content must not be empty"),
        (lambda r: r.learn_batch([{"source": "x"}]), "items[0].content is required"),
    ],
)
def test_bad_input_names_the_limit_and_changes_nothing(reasoner: Reasoner, engine: Engine, call, limit: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        call(reasoner)
    assert limit in str(err.value)
    assert engine.stats().concepts == 0
