"""Sentence and clause splitting, entity keys, and the association rules on single sentences."""

from __future__ import annotations

import pytest

from sutra_stack.reasoning.extract import relations_in_sentence
from sutra_stack.reasoning.text import entity_key, split_clauses, split_sentences


def test_sentences_split_on_ends_but_not_on_decimals_or_titles() -> None:
    text = "Dr. Smith measured 3.5 litres. Was it enough? Yes!\nA new line; and a clause"
    assert split_sentences(text) == [
        "Dr. Smith measured 3.5 litres.", "Was it enough?", "Yes!", "A new line;", "and a clause",
    ]


def test_clauses_split_at_sequence_markers() -> None:
    assert split_clauses("Water boils, then it turns into steam.") == ["Water boils", "it turns into steam"]
    assert split_clauses("Water boils at 100 degrees.") == ["Water boils at 100 degrees."]


def test_entity_keys_drop_determiners_case_and_plural() -> None:
    assert entity_key("The Lungs") == "lung"
    assert entity_key("berries") == entity_key("a berry") == "berry"
    assert entity_key("the glass") == "glass"
    assert entity_key("the") == ""


def rel(sentence: str) -> list[tuple[str, str, str, str, float]]:
    return [(r.subject.key, r.family, r.object.key, r.type, r.confidence) for r in relations_in_sentence(sentence)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Smoking causes lung damage.", ("smoking", "cause", "lung damage", "causal", 0.9)),
        ("Lung damage leads to breathing problems.", ("lung damage", "cause", "breathing problem", "causal", 0.9)),
        ("Flooding results in crop loss.", ("flooding", "cause", "crop loss", "causal", 0.9)),
        ("Influenza is caused by a virus.", ("virus", "cause", "influenza", "causal", 0.9)),
        ("Fever can lead to dehydration.", ("fever", "cause", "dehydration", "causal", 0.75)),
        ("A dolphin is a mammal.", ("dolphin", "isa", "mammal", "hierarchical", 0.85)),
        ("A whale is a kind of mammal.", ("whale", "isa", "mammal", "hierarchical", 0.95)),
        ("Mammals are animals.", ("mammal", "isa", "animal", "hierarchical", 0.75)),
        ("The nucleus contains DNA.", ("nucleus", "part", "dna", "compositional", 0.9)),
        ("DNA consists of nucleotides.", ("dna", "part", "nucleotide", "compositional", 0.9)),
        ("The heart is part of the circulatory system.",
         ("circulatory system", "part", "heart", "compositional", 0.85)),
        ("Breakfast comes before lunch.", ("breakfast", "then", "lunch", "temporal", 0.9)),
        ("Dinner happens after lunch.", ("lunch", "then", "dinner", "temporal", 0.9)),
        ("Kickoff is followed by the first half.", ("kickoff", "then", "first half", "temporal", 0.9)),
        ("CPU means central processing unit.", ("cpu", "means", "central processing unit", "semantic", 0.9)),
        ("HTTP refers to the hypertext transfer protocol.",
         ("http", "means", "hypertext transfer protocol", "semantic", 0.9)),
        ("A sofa is similar to a couch.", ("sofa", "means", "couch", "semantic", 0.7)),
    ],
)
def test_each_rule_finds_its_relation_with_its_confidence(sentence: str, expected: tuple) -> None:
    assert rel(sentence) == [expected]


def test_lists_state_one_relation_per_item() -> None:
    got = rel("A cell contains a nucleus, ribosomes and mitochondria.")
    assert [g[2] for g in got] == ["nucleus", "ribosome", "mitochondria"]


def test_then_clauses_state_a_temporal_relation() -> None:
    got = rel("The alarm rings, then Tom wakes up.")
    assert ("alarm ring", "then", "tom wakes up", "temporal", 0.8) in got


def test_a_sentence_without_a_rule_states_nothing() -> None:
    assert rel("Honey never spoils when it is sealed.") == []


def test_each_relation_family_maps_to_the_type_its_rules_write() -> None:
    from sutra_stack.reasoning.extract import RULES, family_type

    assert all(family_type(r.family) == r.type for r in RULES)
