"""ask on a real in-process engine: each kind of question, voting, determinism, round trips, bad input."""

from __future__ import annotations

import pytest

from sutra_stack.errors import InvalidArgument
from sutra_stack.limits import MAX_ASK_DEPTH, MAX_ASK_PATHS, MAX_QUERY_BYTES
from sutra_stack.reasoning import Reasoner
from sutra_stack.storage.engine.store import Engine
from sutra_stack.storage.model import content_id
from tests.reasoning.conftest import CountingStore

FACTS = [
    "Smoking causes lung damage.",
    "Lung damage leads to breathing problems.",
    "A penguin is a type of bird.",
    "Birds are vertebrates.",
    "The nucleus contains DNA.",
    "Kickoff is followed by the first half.",
    "RAM stands for random access memory.",
    "The team captain is Priya.",
    "The team captain is Daniel.",
    "The quarterly report is due next Friday.",
]


@pytest.fixture
def taught(reasoner: Reasoner) -> Reasoner:
    reasoner.learn_batch(FACTS)
    return reasoner


def on_paths(answer) -> set[str]:  # type: ignore[no-untyped-def]
    return {cid for p in answer.paths for cid in p.concept_ids}


@pytest.mark.parametrize(
    ("question", "expected", "fact"),
    [
        ("What does smoking cause?", "lung damage", "Smoking causes lung damage."),
        ("What causes breathing problems?", "Lung damage", "Lung damage leads to breathing problems."),
        ("What kind of animal is a penguin?", "bird", "A penguin is a type of bird."),
        ("What does the nucleus contain?", "DNA", "The nucleus contains DNA."),
        ("What happens after kickoff?", "first half", "Kickoff is followed by the first half."),
        ("What does RAM stand for?", "random access memory", "RAM stands for random access memory."),
    ],
)
def test_single_fact_questions_answer_through_a_path(taught: Reasoner, question: str, expected: str,
                                                     fact: str) -> None:
    a = taught.ask(question)
    assert a.kind == "path"
    assert a.answer == expected
    assert 0.0 < a.confidence <= 1.0
    assert content_id(fact) in on_paths(a)
    first = a.paths[0]
    assert first.steps[0].relation is None and all(s.relation for s in first.steps[1:])
    assert first.confidence == pytest.approx(
        __import__("math").prod(s.hop_confidence for s in first.steps[1:]))  # type: ignore[misc]
    assert fact in a.explanation


def test_two_facts_joined_for_an_open_chain(taught: Reasoner) -> None:
    a = taught.ask("What does smoking ultimately lead to?")
    assert a.kind == "path" and a.answer == "breathing problems"
    assert {content_id(FACTS[0]), content_id(FACTS[1])} <= on_paths(a)
    assert len(a.paths[0].steps) == 5  # entity → fact → entity → fact → entity


def test_two_facts_joined_for_a_yes_no_question(taught: Reasoner) -> None:
    a = taught.ask("Is a penguin a vertebrate?")
    assert a.kind == "path" and a.answer.startswith("Yes")
    assert {content_id(FACTS[2]), content_id(FACTS[3])} <= on_paths(a)


def test_the_latest_fact_wins_and_the_path_shows_why(taught: Reasoner) -> None:
    a = taught.ask("Who is the team captain now?")
    assert a.kind == "path" and a.answer == "Daniel"
    old, new = content_id("The team captain is Priya."), content_id("The team captain is Daniel.")
    first = a.paths[0].concept_ids
    assert old in first and new in first and first.index(old) < first.index(new)
    assert a.paths[0].steps[first.index(new)].relation == "temporal"
    assert "supersedes" in a.explanation and "Priya" in a.explanation


def test_the_latest_fact_wins_across_separate_learn_calls(reasoner: Reasoner) -> None:
    reasoner.learn("Alice lives in Paris.")
    reasoner.learn("Carol lives in Madrid.")
    reasoner.learn("Alice now lives in Berlin.")
    a = reasoner.ask("Where does Alice live?")
    assert a.kind == "path" and a.answer == "Berlin"
    paris, berlin = content_id("Alice lives in Paris."), content_id("Alice now lives in Berlin.")
    assert a.paths[0].concept_ids[1:3] == [paris, berlin]  # Alice → Paris fact → (later) Berlin fact → Berlin
    assert a.paths[0].steps[2].relation == "temporal"
    assert content_id("Carol lives in Madrid.") not in on_paths(a)
    reasoner.learn("Alice lives in Paris.")  # told again: Paris is the latest again
    again = reasoner.ask("Where does Alice live?")
    assert again.answer == "Paris" and again.paths[0].concept_ids[1:3] == [berlin, paris]


def test_no_path_falls_back_to_the_best_direct_match(taught: Reasoner) -> None:
    a = taught.ask("When is the quarterly report due?")
    assert a.kind == "direct"
    assert a.answer == "The quarterly report is due next Friday."
    assert a.paths == [] and "No reasoning path" in a.explanation or "names no relation" in a.explanation
    assert 0.0 < a.confidence <= 0.5


def test_nothing_known_says_so(taught: Reasoner) -> None:
    for q in ("What does zorblax cause?", "Who is the mayor of Atlantis?"):
        a = taught.ask(q)
        assert a.kind == "none" and a.confidence == 0.0 and a.paths == []
        assert "Nothing relevant is known" in a.answer


def test_an_empty_store_knows_nothing(reasoner: Reasoner) -> None:
    assert reasoner.ask("What does smoking cause?").kind == "none"


def test_independent_paths_gain_and_lone_outliers_lose(reasoner: Reasoner) -> None:
    reasoner.learn_batch(["Smoking causes cancer.", "Smoking leads to cancer.", "Smoking causes coughing."])
    voted = reasoner.ask("What does smoking cause?")
    assert voted.answer.startswith("cancer")
    assert "2 independent path(s)" in voted.explanation
    single = Reasoner(Engine.in_memory())
    single.learn("Smoking causes cancer.")
    assert voted.confidence > single.ask("What does smoking cause?").confidence


def test_answers_are_deterministic(taught: Reasoner) -> None:
    other = Reasoner(Engine.in_memory())
    other.learn_batch(FACTS)
    for q in ("What does smoking cause?", "Who is the team captain?", "Is a penguin a vertebrate?",
              "When is the quarterly report due?"):
        a, b, c = taught.ask(q), taught.ask(q), other.ask(q)
        assert a.to_dict() == b.to_dict()
        assert (a.answer, a.kind, a.confidence, [p.concept_ids for p in a.paths]) == (
            c.answer, c.kind, c.confidence, [p.concept_ids for p in c.paths])


def test_a_question_takes_four_store_calls(taught: Reasoner, store: CountingStore) -> None:
    store.calls.clear()
    taught.ask("What does smoking cause?")
    assert sorted(store.calls) == ["find_paths", "query_concepts", "text_search", "vector_search"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"question": ""}, "must not be empty"),
        ({"question": "   "}, "must not be empty"),
        ({"question": "why " * (MAX_QUERY_BYTES // 4 + 1)}, "MAX_QUERY_BYTES"),
        ({"question": "What?", "max_paths": 0}, "MAX_ASK_PATHS"),
        ({"question": "What?", "max_paths": MAX_ASK_PATHS + 1}, "MAX_ASK_PATHS"),
        ({"question": "What?", "max_depth": MAX_ASK_DEPTH + 1}, "MAX_ASK_DEPTH"),
        ({"question": "What?", "max_depth": 0}, "MAX_ASK_DEPTH"),
    ],
)
def test_bad_questions_name_the_limit(taught: Reasoner, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        taught.ask(**kwargs)
    assert message in str(err.value)


def test_a_later_batch_links_the_facts_it_replaces(reasoner: Reasoner, store: CountingStore) -> None:
    reasoner.learn_batch(["Maria works at Globex.", "Omar works at Hooli."])
    store.calls.clear()
    reasoner.learn_batch(["Priya works at Umbrella.", "Maria now works at Initech."])
    # one neighbours read for the one subject already known (Maria), one read of what it found
    assert store.calls.count("get_neighbors") == 1 and store.calls.count("query_concepts") == 2
    a = reasoner.ask("Where does Maria work?")
    assert a.answer == "Initech"
    old, new = content_id("Maria works at Globex."), content_id("Maria now works at Initech.")
    assert a.paths[0].concept_ids[1:3] == [old, new] and a.paths[0].steps[2].relation == "temporal"
    assert content_id("Omar works at Hooli.") not in on_paths(a)


def test_a_yes_no_question_without_a_path_is_not_answered_no(taught: Reasoner) -> None:
    a = taught.ask("Is a penguin a fish?")
    assert a.kind == "direct" and not a.answer.lower().startswith(("yes", "no"))
    assert "No reasoning path from \u201cpenguin\u201d to \u201cfish\u201d" in a.explanation


def test_the_depth_limit_bounds_how_many_facts_are_joined(taught: Reasoner) -> None:
    assert taught.ask("Is a penguin a vertebrate?", max_depth=4).kind == "path"
    shallow = taught.ask("Is a penguin a vertebrate?", max_depth=2)
    assert shallow.kind != "path"


def test_searches_leave_out_the_question_words_but_keep_a_question_made_only_of_them() -> None:
    from sutra_stack.reasoning.asker import search_query

    assert search_query("Where is the sensor 12 located now?") == "sensor 12 located"
    assert search_query("What is it?") == "What is it?"  # nothing but stopwords: search as asked


def test_a_fact_mentioning_a_relation_word_does_not_link_it_as_an_entity(reasoner: Reasoner) -> None:
    """'kind' in 'X is a kind of Y' names the relation: no entity concept for it, so facts of
    that shape are not all linked to one hub."""
    reasoner.learn_batch(["A sparrow is a kind of bird.", "A trout is a kind of fish."])
    from sutra_stack.reasoning.text import entity_id

    store = reasoner.store
    assert store.query_concept(entity_id("kind")) is None
    assert store.query_concept(entity_id("bird")) is not None
