"""Who has a thing beside who owns it, learned through a real in-process engine.

What a user relies on: a thing lent or borrowed is had by the borrower while its owner stays
the owner; given back, it is had by its owner again; a gift or a sale changes the owner.
"""

from __future__ import annotations

from sutra_stack.reasoning import Reasoner
from sutra_stack.reasoning.extract import relations_in_sentence


def triples(sentence: str) -> set[tuple[str, str, str]]:
    return {(r.subject.key, r.family, r.object.key) for r in relations_in_sentence(sentence)}


def test_a_loan_is_held_by_the_borrower_and_owned_by_the_lender() -> None:
    got = triples("Sander Holt lent his telescope to Mirja Laine.")
    assert ("mirja laine", "hold", "telescope") in got and ("sander holt", "own", "telescope") in got
    assert ("mirja laine", "own", "telescope") not in got
    got = triples("Mirja Laine borrowed a sledge from Sander Holt.")
    assert ("mirja laine", "hold", "sledge") in got and ("sander holt", "own", "sledge") in got


def test_a_thing_given_back_is_held_again_and_no_owner_changes() -> None:
    for sentence in ("Mirja Laine gave the telescope back to Sander Holt.",
                     "Mirja Laine returned the telescope to Sander Holt."):
        got = triples(sentence)
        assert ("sander holt", "hold", "telescope") in got
        assert not any(fam == "own" for _s, fam, _o in got)


def test_who_has_a_lent_thing_and_who_owns_it(reasoner: Reasoner) -> None:
    reasoner.learn("Sander Holt owns a brass telescope.")
    reasoner.learn("In 2023 Sander Holt lent the brass telescope to Mirja Laine for the winter.")
    assert reasoner.ask("Who has the brass telescope?").answer == "Mirja Laine"
    assert reasoner.ask("Who owns the brass telescope?").answer == "Sander Holt"
    reasoner.learn("Mirja Laine gave the brass telescope back to Sander Holt.")
    assert reasoner.ask("Who has the brass telescope?").answer == "Sander Holt"


def test_the_receiver_named_before_the_thing(reasoner: Reasoner) -> None:
    assert ("mirja laine", "hold", "sledge") in triples("Sander Holt lent Mirja Laine his sledge.")
    reasoner.learn("Sander Holt owns a sea kayak.")
    reasoner.learn("Sander Holt gave Ivo Lind the sea kayak.")
    assert reasoner.ask("Who owns the sea kayak?").answer == "Ivo Lind"


def test_returned_with_no_one_named_goes_back_to_the_lender(reasoner: Reasoner) -> None:
    reasoner.learn("Vera Loft lent her tent to her cousin Aki Moor in May 2022. He returned it in June.")
    assert reasoner.ask("Who has the tent?").answer == "Vera Loft"


def test_a_thing_that_passed_to_someone_is_theirs(reasoner: Reasoner) -> None:
    reasoner.learn("Ulla Dahl owned the Dahl orchard. The orchard passed to her son Erik Dahl in 2015.")
    assert reasoner.ask("Who owns the Dahl orchard?").answer == "Erik Dahl"
