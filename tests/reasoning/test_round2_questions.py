"""Questions of the kinds a held-out set asks, on sentences no other test uses.

What a user relies on: a question about a kind of place answers the container described as
that kind (a province is no country); an earlier value asked for without a date is the one
before the current one; a yes/no question about where someone lives or works says no when the
text says never, only plans it, or the fact has ended; dates of changes of kind; lists and
counts of children; and "nothing known" rather than a loose sentence when no fact says.
"""

from __future__ import annotations

from sutra_stack.reasoning import Reasoner


def nothing(r: Reasoner, question: str) -> bool:
    a = r.ask(question)
    return a.kind == "none" or a.confidence < 0.5


def test_a_province_is_no_country(reasoner: Reasoner) -> None:
    reasoner.learn_batch(["Harlow Cross is a town in Dunreth.", "Dunreth is a province of Caldmoor."])
    assert nothing(reasoner, "In which country is Harlow Cross?")
    assert reasoner.ask("Which province is Harlow Cross in?").answer == "Dunreth"


def test_the_container_of_the_kind_asked_along_the_chain(reasoner: Reasoner) -> None:
    reasoner.learn_batch(["Eltby is a hamlet in Wessmoor.", "Wessmoor is a county in Ardentia.",
                          "Ardentia is a region of Pellmark."])
    assert reasoner.ask("In which county is Eltby?").answer == "Wessmoor"
    assert reasoner.ask("In which region is Eltby?").answer == "Ardentia"


def test_a_mountain_range_is_the_range_a_peak_stands_in(reasoner: Reasoner) -> None:
    reasoner.learn_batch(["The Hermit's Cell stands on Mount Garro.", "Mount Garro is in the Sable Mountains."])
    assert reasoner.ask("In which mountain range is the Hermit's Cell?").answer == "Sable Mountains"
