"""Reading questions: relation, direction and the thing asked about, across phrasings."""

from __future__ import annotations

import pytest

from sutra_stack.reasoning.questions import BACKWARD, FORWARD, parse_question


@pytest.mark.parametrize(
    ("question", "family", "direction", "known", "other"),
    [
        ("What does smoking cause?", "cause", FORWARD, "smoking", None),
        ("What are the consequences of deforestation?", "cause", FORWARD, "deforestation", None),
        ("What causes lung cancer?", "cause", BACKWARD, "lung cancer", None),
        ("Which factors cause soil erosion?", "cause", BACKWARD, "soil erosion", None),
        ("Why does acid rain happen?", "cause", BACKWARD, "acid rain", None),
        ("What's a dolphin?", "isa", FORWARD, "dolphin", None),
        ("What kind of animal is a whale?", "isa", FORWARD, "whale", None),
        ("Name a kind of flower.", "isa", BACKWARD, "flower", None),
        ("What does a cell contain?", "part", FORWARD, "cell", None),
        ("What is the heart part of?", "part", BACKWARD, "heart", None),
        ("What does CPU mean?", "means", FORWARD, "cpu", None),
        ("Which word means as soon as possible?", "means", BACKWARD, "as soon as possible", None),
        ("What happens after lunch?", "then", FORWARD, "lunch", None),
        ("What precedes the testing phase?", "then", BACKWARD, "testing phase", None),
        ("Who's the CEO of Acme now?", "of:ceo", BACKWARD, "acme", None),
        ("Which city is the capital of France?", "of:capital", BACKWARD, "france", None),
        ("Where is the office located?", "located", FORWARD, "office", None),
        ("Where does Alice live?", "live", FORWARD, "alice", None),
        ("Where did Alice move to?", "live", FORWARD, "alice", None),
        ("Who lives in Paris?", "live", BACKWARD, "paris", None),
        ("Who is Olek Marek's sister?", "of:sister", BACKWARD, "olek marek", None),
        ("Who is the older brother of Ann?", "of:brother", BACKWARD, "ann", None),
        ("Who is the chief executive of Acme?", "of:ceo", BACKWARD, "acme", None),
        ("Who owns the green canoe?", "own", BACKWARD, "green canoe", None),
        ("To whom does the farm belong?", "own", BACKWARD, "farm", None),
        ("What does Gerrit own?", "own", FORWARD, "gerrit", None),
        ("Where does Ines work?", "work", FORWARD, "ine", None),
        ("Who does Chidi fly for?", "work", FORWARD, "chidi", None),
        ("When was Halina Marek born?", "when:born", FORWARD, "halina marek", None),
        ("When did the museum open?", "when:open", FORWARD, "museum", None),
        ("When does the festival take place?", "when:happen", FORWARD, "festival", None),
        ("In which country is the museum?", "located", FORWARD, "museum", None),
        ("Who is Olek married to?", "spouse", FORWARD, "olek", None),
        ("Who discovered radium?", "verb:discover", BACKWARD, "radium", None),
        ("Is a dolphin an animal?", "isa", FORWARD, "dolphin", "animal"),
        ("Is the heart part of the circulatory system?", "part", FORWARD, "circulatory system", "heart"),
        ("Does spring come before autumn?", "then", FORWARD, "spring", "autumn"),
    ],
)
def test_questions_are_read_into_frames(question: str, family: str, direction: str, known: str,
                                        other: str | None) -> None:
    f = parse_question(question)
    assert f.accepts(family) and f.direction == direction
    assert f.known is not None and f.known.key == known
    assert (f.other.key if f.other else None) == other


def test_chain_words_ask_to_follow_the_relation() -> None:
    assert parse_question("What does smoking ultimately lead to?").chain
    assert not parse_question("What does smoking lead to?").chain


def test_questions_without_a_relation_have_no_frame() -> None:
    for q in ("When is the quarterly report due?", "Tell me about the hiking trail.",
              "What does Grandma put in the soup?"):
        assert parse_question(q).families is None
