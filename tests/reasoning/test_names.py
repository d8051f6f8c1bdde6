"""Names with an abbreviation inside ("St. Alden Hospital", "Mt. Hood", "Dr. Ana Ruiz") and names with
accented capitals read as one name, learned and asked through a real in-process engine."""

from __future__ import annotations

import re

from sutra_stack.reasoning import Reasoner
from sutra_stack.reasoning.names import NAME, WORD
from sutra_stack.reasoning.text import split_sentences


def _answers(reasoner: Reasoner, question: str, expected: str) -> None:
    a = reasoner.ask(question)
    assert a.kind in ("path", "direct"), (question, a.answer, a.kind)
    assert a.answer == expected, (question, a.answer)


def _nothing(reasoner: Reasoner, question: str) -> None:
    a = reasoner.ask(question)
    assert a.kind == "none", (question, a.answer, a.kind, a.confidence)


def test_a_name_holds_its_abbreviation_and_any_latin_capital() -> None:
    for text in ("St. Alden Hospital", "Mt. Hood", "Dr. Ana Ruiz", "Ft. William", "Mrs. Łucja Żak",
                 "St. John's College", "Óscar Ibáñez"):
        m = re.fullmatch(NAME, text)
        assert m is not None, text
    assert re.match(WORD, "St. Alden")[0] == "St."  # type: ignore[index]
    assert re.match(WORD, "Stanley")[0] == "Stanley"  # type: ignore[index]
    assert re.match(WORD, "St. in 2019") is not None and re.match(WORD, "St. in")[0] == "St"  # type: ignore[index]
    # the abbreviation is no sentence end, but a sentence still ends after a name
    assert split_sentences("Dr. Ana Ruiz moved to Mt. Hood in 2020. She lives at Ft. William.") == [
        "Dr. Ana Ruiz moved to Mt. Hood in 2020.", "She lives at Ft. William."]


def test_leaving_a_job_at_a_saint_named_hospital_ends_it(reasoner: Reasoner) -> None:
    reasoner.learn("Farah Haddad works at St. Alden Hospital.")
    _answers(reasoner, "Where does Farah Haddad work?", "St. Alden Hospital")
    reasoner.learn("Farah Haddad left St. Alden Hospital in 2019.")
    _nothing(reasoner, "Where does Farah Haddad work?")


def test_leaving_told_with_a_pronoun_in_the_same_text(reasoner: Reasoner) -> None:
    reasoner.learn("Farah Haddad works at St. Alden Hospital. She left St. Alden Hospital in 2019.")
    _nothing(reasoner, "Where does Farah Haddad work?")


def test_leaving_for_another_job_names_the_new_one_whole(reasoner: Reasoner) -> None:
    reasoner.learn("Łukasz Żak works at St. Alden Hospital.")
    reasoner.learn("Łukasz Żak left St. Alden Hospital and started working at Mt. Sinai Clinic.")
    _answers(reasoner, "Where does Łukasz Żak work?", "Mt. Sinai Clinic")


def test_moving_to_a_mountain_and_a_fort(reasoner: Reasoner) -> None:
    reasoner.learn("Dr. Ana Ruiz lives in Oslo.")
    reasoner.learn("Dr. Ana Ruiz moved to Mt. Hood in 2020.")
    _answers(reasoner, "Where does Dr. Ana Ruiz live?", "Mt. Hood")
    reasoner.learn("Élodie Brunet moved to Ft. William in 2018.")
    _answers(reasoner, "Where does Élodie Brunet live?", "Ft. William")


def test_owning_passes_to_a_doctor_with_an_accented_seller(reasoner: Reasoner) -> None:
    reasoner.learn("Tomás Ibáñez owns the Old Mill.")
    reasoner.learn("Tomás Ibáñez sold the Old Mill to Dr. Ana Ruiz in 2020.")
    _answers(reasoner, "Who owns the Old Mill?", "Dr. Ana Ruiz")


def test_kinship_with_titled_and_accented_names(reasoner: Reasoner) -> None:
    reasoner.learn("Dr. Ana Ruiz is the sister of Óscar Ruiz.")
    _answers(reasoner, "Who is Óscar Ruiz's sister?", "Dr. Ana Ruiz")
    reasoner.learn("Mrs. Greta Holm's son Örjan Holm lives in Mt. Vernon.")
    _answers(reasoner, "Who is Mrs. Greta Holm's son?", "Örjan Holm")
    _answers(reasoner, "Where does Örjan Holm live?", "Mt. Vernon")


def test_a_college_with_a_saint_and_an_apostrophe(reasoner: Reasoner) -> None:
    reasoner.learn("Maja Lind studies at St. John's College.")
    a = reasoner.ask("Where does Maja Lind study?")
    assert a.answer == "St. John's College", (a.answer, a.kind)


def test_a_name_with_particles_is_one_person_through_compound_sentences(reasoner: Reasoner) -> None:
    reasoner.learn_batch(["Ana de la Cruz worked at Vela Press."])
    reasoner.learn_batch(["In 2019, Ana de la Cruz left Vela Press and started working at Orca Books."])
    assert reasoner.ask("Where does Ana de la Cruz work?").answer == "Orca Books"
    reasoner.learn_batch(["In 2017, Bram de Vries moved from Utrecht to Ghent, where he opened a cafe."])
    assert reasoner.ask("Where does Bram de Vries live?").answer == "Ghent"
    reasoner.learn_batch(["Piet van der Berg lived in Delft. In 2020 Piet moved to Leiden."])
    assert reasoner.ask("Where does Piet van der Berg live?").answer == "Leiden"


def test_a_titled_name_replaced_in_a_later_text_hands_the_post_on(reasoner: Reasoner) -> None:
    reasoner.learn_batch(["Dr. Nadia Osman is the director of the Linden Institute."])
    reasoner.learn_batch(["Dr. Nadia Osman stepped down as director of the Linden Institute in 2023, "
                          "and Paulo Reis replaced her."])
    assert reasoner.ask("Who is the director of the Linden Institute?").answer == "Paulo Reis"
    assert re.match(WORD, "Main St. in 2019")[0] == "Main"  # type: ignore[index]
    assert re.match(NAME, "Main St. in 2019")[0] == "Main St"  # type: ignore[index]  # no name after the dot
