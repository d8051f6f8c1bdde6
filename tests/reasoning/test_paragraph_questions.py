"""Questions about facts told in paragraphs of ordinary prose, through a real in-process engine.

What a user relies on: a place told only as "a market town in Y" leads "in which county is X"
to Y (and not to a place told to be a country); a post whose last holder has stepped down is
held by no one told, not again by the holder that one succeeded, while `as_of` each tenure still
answers its holder.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sutra_stack.reasoning import Reasoner
from sutra_stack.reasoning.timeline import parse_as_of
from sutra_stack.storage.engine.store import Engine


@pytest.fixture
def r() -> Iterator[Reasoner]:
    engine = Engine.in_memory()
    try:
        yield Reasoner(engine)
    finally:
        engine.close()


def test_county_through_a_market_town(r: Reasoner) -> None:
    r.learn("The Glass Pavilion stands in the centre of Brackley. Brackley is a market town in Northamptonshire. "
            "The pavilion was opened in 1902.")
    a = r.ask("In which county is the Glass Pavilion?")
    assert a.kind == "path" and "Northamptonshire" in (a.answer or "")


def test_county_through_a_village_that_lies_near_a_town(r: Reasoner) -> None:
    r.learn("The Weir House lies near Hartfield, a village in East Sussex. It was built in 1820.")
    a = r.ask("In which county is the Weir House?")
    assert a.kind == "path" and "East Sussex" in (a.answer or "")


def test_county_is_not_a_place_told_to_be_a_country(r: Reasoner) -> None:
    r.learn("The Signal Tower stands in Corvale. Corvale is a town in Estmark. Estmark is a country in the north.")
    a = r.ask("In which county is the Signal Tower?")
    assert a.kind == "none" or a.confidence < 0.5, a.answer


POST = "Who is the captain of the Orwell Sailing Club?"


def _captains(r: Reasoner) -> None:
    r.learn("Lena Voss was the captain of the Orwell Sailing Club from 2008. In 2016 she retired and was "
            "succeeded by Piet Haas. Piet had sailed with the club since 2001.")
    r.learn("Piet Haas stepped down as captain of the Orwell Sailing Club in 2023.")


def test_a_post_whose_last_holder_stepped_down_is_not_given_back_to_the_one_before(r: Reasoner) -> None:
    _captains(r)
    a = r.ask(POST)
    assert "Lena" not in (a.answer or "") or a.kind == "none"
    assert a.kind == "none" or a.confidence < 0.5, a.answer


def test_each_tenure_still_answers_as_of_its_time(r: Reasoner) -> None:
    _captains(r)
    assert "Lena Voss" in (r.ask(POST, as_of=parse_as_of("2012-03-01")).answer or "")
    assert "Piet Haas" in (r.ask(POST, as_of=parse_as_of("2019-03-01")).answer or "")


def test_a_holder_still_in_post_is_the_answer(r: Reasoner) -> None:
    r.learn("Lena Voss was the captain of the Orwell Sailing Club from 2008. In 2016 she retired and was "
            "succeeded by Piet Haas.")
    assert "Piet Haas" in (r.ask(POST).answer or "")


CHAIR = "Who was the chair of the Elm Trust?"


def test_an_undated_holder_told_after_a_dated_tenure_held_the_post_only_after_it(r: Reasoner) -> None:
    r.learn("Hana Ruiz became chair of the Elm Trust in 2010. She was chair of the Elm Trust until 2017.")
    r.learn("Tobias Kern resigned as chair of the Elm Trust in 2022.")
    assert "Hana Ruiz" in (r.ask(CHAIR, as_of=parse_as_of("2014-05-01")).answer or "")
    assert "Tobias Kern" in (r.ask(CHAIR, as_of=parse_as_of("2019-05-01")).answer or "")


HOSTEL = "Who was the warden of the Fenby Hostel?"


def test_an_ending_told_after_the_successor_keeps_to_the_start_of_that_holder(r: Reasoner) -> None:
    r.learn("Nils Ek was appointed warden of the Fenby Hostel in 2002. In 2013 Rut Lind succeeded Nils Ek as "
            "warden of the Fenby Hostel. Rut had worked there since 2000.")
    r.learn("Rut Lind retired in 2021 and was succeeded by Jonas Wiik.")
    assert "Nils Ek" in (r.ask(HOSTEL, as_of=parse_as_of("2007-05-01")).answer or "")
    assert "Rut Lind" in (r.ask(HOSTEL, as_of=parse_as_of("2016-05-01")).answer or "")
    assert "Jonas Wiik" in (r.ask("Who is the warden of the Fenby Hostel?").answer or "")


def test_when_a_sale_a_paragraph_dates_at_its_start_was_made(r: Reasoner) -> None:
    r.learn("Maud Eyre bought the Blue Anchor in 2004. In 2016 she sold it to Tom Pike. Tom still keeps the inn.")
    a = r.ask("When did Maud Eyre sell the Blue Anchor?")
    assert a.kind == "path" and "2016" in (a.answer or "")


def test_an_undated_sale_has_no_date(r: Reasoner) -> None:
    r.learn("Ned Voss sold the Grey Barn to Ali Roe.")
    a = r.ask("When did Ned Voss sell the Grey Barn?")
    assert a.kind == "none" or a.confidence < 0.5, a.answer
