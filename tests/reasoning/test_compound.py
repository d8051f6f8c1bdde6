"""Compound sentences and the ends of facts, learned through a real in-process engine.

What a user relies on: a sentence that states two facts (a move from one place to another, a
role passing from one holder to the next, a relative clause, "where" and "there" pointing back
to a place) teaches both, each with its time; a holder who stepped down, resigned or retired is
no current answer but still answers as things stood before; facts told out of order within one
text ("who had been curator since 2004") are ordered by the dates they state.
"""

from __future__ import annotations

import pytest

from sutra_stack.reasoning import Reasoner
from sutra_stack.reasoning.extract import relations_in_sentence
from sutra_stack.reasoning.paragraph import resolve
from sutra_stack.reasoning.text import split_sentences
from sutra_stack.reasoning.timeline import parse_as_of


def told(text: str) -> set[tuple[str, str, str]]:
    """The relations a text teaches, sentence by sentence as the learner reads it."""
    return {(r.subject.key, r.family, r.object.key) for s in resolve(split_sentences(text))
            for r in relations_in_sentence(s)}


def nothing_now(r: Reasoner, question: str) -> bool:
    a = r.ask(question)
    return a.kind == "none" or a.confidence < 0.5


def test_a_move_from_one_place_to_another_teaches_both_with_a_fronted_year(reasoner: Reasoner) -> None:
    reasoner.learn("In 2012 Ilse Brandt moved from Kovno to Marrick, where she opened a bookshop.")
    assert reasoner.ask("Where does Ilse Brandt live?").answer == "Marrick"
    assert reasoner.ask("Where does Ilse Brandt live?", as_of=parse_as_of("2009-05-01")).answer == "Kovno"
    assert reasoner.ask("Where does Ilse Brandt live?", as_of=parse_as_of("2014-05-01")).answer == "Marrick"


def test_leaving_one_place_for_another_is_a_move() -> None:
    got = told("Anton Reil grew up in Dorsby. In 2008 he left Dorsby for Vantry.")
    assert ("anton reil", "live", "dorsby") in got and ("anton reil", "live", "vantry") in got


def test_where_and_there_point_back_to_the_place_named_before() -> None:
    assert ("ilse brandt", "verb:open in", "marrick") in told(
        "Ilse Brandt moved to Marrick, where she opened a bookshop.")
    assert ("oskar lind", "verb:train in", "brenmoor") in told("Oskar Lind grew up in Brenmoor and trained there.")


def test_a_role_passed_on_in_the_passive_supersedes_its_holder(reasoner: Reasoner) -> None:
    reasoner.learn("Pia Lund was replaced as bursar of the Hollin Trust by Omar Reyes in 2021.")
    assert reasoner.ask("Who is the bursar of the Hollin Trust?").answer == "Omar Reyes"
    then = reasoner.ask("Who is the bursar of the Hollin Trust?", as_of=parse_as_of("2019-01-01"))
    assert then.answer == "Pia Lund"


def test_a_successor_named_first_ends_the_predecessor(reasoner: Reasoner) -> None:
    reasoner.learn("Ivo Brandt is the warden of the Fell Hostel.")
    reasoner.learn("Greta Moss succeeded Ivo Brandt as warden of the Fell Hostel in 2017.")
    assert reasoner.ask("Who is the warden of the Fell Hostel?").answer == "Greta Moss"
    assert reasoner.ask("Who is the warden of the Fell Hostel?", as_of=parse_as_of("2015-01-01")).answer == "Ivo Brandt"


@pytest.mark.parametrize(
    "ending",
    [
        "Luca Bellini stepped down as coach of the Harlow Hawks in 2020.",
        "Luca Bellini resigned as coach of the Harlow Hawks.",
        "In 2020 Luca Bellini retired as coach of the Harlow Hawks.",
    ],
)
def test_a_holder_who_stepped_down_is_no_current_answer(reasoner: Reasoner, ending: str) -> None:
    reasoner.learn("Luca Bellini is the coach of the Harlow Hawks.")
    assert reasoner.ask("Who is the coach of the Harlow Hawks?").answer == "Luca Bellini"
    reasoner.learn(ending)
    assert nothing_now(reasoner, "Who is the coach of the Harlow Hawks?")


def test_a_dated_end_still_answers_as_things_stood_before(reasoner: Reasoner) -> None:
    reasoner.learn("Bram Osei has worked at Calloway Mills since 2001.")
    reasoner.learn("Bram Osei retired from Calloway Mills in 2016.")
    assert nothing_now(reasoner, "Where does Bram Osei work?")
    assert reasoner.ask("Where does Bram Osei work?", as_of=parse_as_of("2010-01-01")).answer == "Calloway Mills"
    assert nothing_now(reasoner, "Where did Bram Osei work in 1995?")


def test_a_relative_clause_about_a_person_is_learned_as_a_fact_of_its_own(reasoner: Reasoner) -> None:
    reasoner.learn("Ines Varga, who had been curator of the Thorn Gallery since 2008, moved to Skelby in 2019.")
    assert reasoner.ask("Where does Ines Varga live?").answer == "Skelby"
    assert reasoner.ask("Who is the curator of the Thorn Gallery?").answer == "Ines Varga"


def test_facts_told_out_of_order_in_one_text_follow_their_dates(reasoner: Reasoner) -> None:
    reasoner.learn("Hanna Roth became chair of the Kell Society in 2021. She replaced Emil Sauer, "
                   "who had been chair since 2011.")
    assert reasoner.ask("Who is the chair of the Kell Society?").answer == "Hanna Roth"
    then = reasoner.ask("Who is the chair of the Kell Society?", as_of=parse_as_of("2015-01-01"))
    assert then.answer == "Emil Sauer"


def test_a_role_named_without_its_organisation_is_the_one_just_named(reasoner: Reasoner) -> None:
    reasoner.learn("Edda Norr became harbourmaster of Port Tally in 1999. Edda Norr retired in 2018. "
                   "Jonas Kell took over as harbourmaster that year.")
    assert reasoner.ask("Who is the harbourmaster of Port Tally?").answer == "Jonas Kell"
    then = reasoner.ask("Who is the harbourmaster of Port Tally?", as_of=parse_as_of("2005-01-01"))
    assert then.answer == "Edda Norr"


def test_they_after_a_marriage_is_both_of_them(reasoner: Reasoner) -> None:
    reasoner.learn("Ivo Sand married Lene Haug in 2012. In 2019 they moved to Orsk.")
    assert reasoner.ask("Where does Lene Haug live?").answer == "Orsk"
    assert reasoner.ask("Where does Ivo Sand live?").answer == "Orsk"


def test_perfect_forms_leading_adverbs_and_purposes_leave_the_relation_as_it_is() -> None:
    assert ("orm vidal", "work", "kestrel pottery") in told("Orm Vidal has worked at Kestrel Pottery since 2012.")
    assert ("orm vidal", "live", "saltby") in told("Orm Vidal will move to Tarn next year. For now he lives in Saltby.")
    assert ("orm vidal", "live", "brinmoor") in told("In 2009 Orm Vidal moved to Brinmoor to train as a baker.")


def test_a_street_in_a_town_places_a_thing_in_the_town(reasoner: Reasoner) -> None:
    reasoner.learn("The Ashcombe Lyceum stands on Quarry Lane in Ashcombe. Ashcombe lies in the county of Dremshire.")
    assert reasoner.ask("In which county is the Ashcombe Lyceum?").answer == "Dremshire"



def test_a_second_verb_phrase_after_and_has_the_same_subject() -> None:
    got = told("Linnea Dahl trained in Askby and later worked there as a nurse.")
    assert ("linnea dahl", "work", "askby") in got
    assert ("linnea dahl", "live", "vesterholm") in told("Linnea Dahl grew up in Vesterholm and still lives there.")


def test_holding_the_post_until_a_year_when_another_took_over(reasoner: Reasoner) -> None:
    reasoner.learn("Ansel Moe became conductor of the Brask Choir in 2003. He held the post until 2014, "
                   "when Dina Falk took over as conductor.")
    assert reasoner.ask("Who is the conductor of the Brask Choir?").answer == "Dina Falk"
    then = reasoner.ask("Who is the conductor of the Brask Choir?", as_of=parse_as_of("2010-01-01"))
    assert then.answer == "Ansel Moe"


def test_an_apposition_and_a_fronted_move_each_state_their_facts(reasoner: Reasoner) -> None:
    reasoner.learn("Ravi Sethi, a glassblower, lives in Pollock.")
    assert reasoner.ask("Where does Ravi Sethi live?").answer == "Pollock"
    reasoner.learn("Before moving to Quenby in 2016, Ilka Dorn lived in Sallow.")
    assert reasoner.ask("Where does Ilka Dorn live?").answer == "Quenby"
    assert reasoner.ask("Where does Ilka Dorn live?", as_of=parse_as_of("2012-01-01")).answer == "Sallow"


def test_there_opening_a_sentence_is_the_place_just_named() -> None:
    got = told("Zara Quill moved to Tenby in 2019. There she opened a bakery.")
    assert ("zara quill", "verb:open in", "tenby") in got


def test_a_thing_sold_in_the_passive_is_owned_by_its_buyer(reasoner: Reasoner) -> None:
    reasoner.learn("Pavla Krug owned the Ember Forge.")
    reasoner.learn("In May 2020 the Ember Forge was sold by Pavla Krug to Timo Rask.")
    assert reasoner.ask("Who owns the Ember Forge?").answer == "Timo Rask"
    assert reasoner.ask("Who sold the Ember Forge?").answer == "Pavla Krug"


def test_a_move_told_to_before_from_and_no_longer(reasoner: Reasoner) -> None:
    reasoner.learn("Paulo Reis moved to Faro from Braga in 2019.")
    assert reasoner.ask("Where does Paulo Reis live?").answer == "Faro"
    assert reasoner.ask("Where does Paulo Reis live?", as_of=parse_as_of("2017-01-01")).answer == "Braga"
    reasoner.learn("Paulo Reis no longer lives in Faro.")
    assert nothing_now(reasoner, "Where does Paulo Reis live?")
    reasoner.learn("Edith Lamb is the chair of the Wey Anglers.")
    reasoner.learn("Edith Lamb is no longer the chair of the Wey Anglers.")
    assert nothing_now(reasoner, "Who is the chair of the Wey Anglers?")


def test_two_people_named_together_each_did_it_and_a_founder_is_known(reasoner: Reasoner) -> None:
    got = told("Anton and Clara Weiss founded the Weiss Bakery in 1999.")
    assert ("anton weiss", "verb:found", "weiss bakery") in got and ("clara weiss", "verb:found", "weiss bakery") in got
    assert ("nadia pell", "spouse", "ilya sorin") in told("In 2010 Nadia Pell and Ilya Sorin got married.")
    reasoner.learn("Mirek Hala opened the Lantern Cinema in 1962.")
    assert reasoner.ask("Who opened the Lantern Cinema?").answer == "Mirek Hala"


def test_a_paragraph_about_a_career_ends_the_post_at_retirement(reasoner: Reasoner) -> None:
    reasoner.learn("In 1999 Greta Holm moved to Saltmere, where she became matron of the Quay Infirmary. "
                   "She retired in 2017.")
    assert reasoner.ask("Where does Greta Holm live?").answer == "Saltmere"
    assert nothing_now(reasoner, "Who is the matron of the Quay Infirmary?")
    then = reasoner.ask("Who is the matron of the Quay Infirmary?", as_of=parse_as_of("2010-01-01"))
    assert then.answer == "Greta Holm"


def test_the_short_name_of_a_thing_just_named_is_that_thing(reasoner: Reasoner) -> None:
    reasoner.learn("The Marten Press was founded by Iva Roos in 1971. Her nephew sold the press to Kell Books in 2015.")
    assert reasoner.ask("Who owns the Marten Press?").answer == "Kell Books"


def test_then_after_a_name_and_years_spent_somewhere_before_a_move(reasoner: Reasoner) -> None:
    assert ("sigrun vale", "of:head teacher", "pell grammar school") in told(
        "Sigrun Vale then became headmistress of Pell Grammar School.")
    reasoner.learn("After twelve years in Harwick, Ola Brun moved to Steyn in 2016.")
    assert reasoner.ask("Where does Ola Brun live?").answer == "Steyn"
    assert reasoner.ask("Where does Ola Brun live?", as_of=parse_as_of("2012-01-01")).answer == "Harwick"


def test_someone_named_by_their_tie_to_another_is_the_one_named() -> None:
    assert ("tom birch", "hold", "van") in told("Ines Quarles lent her van to her neighbour Tom Birch.")


def test_fronted_participles_and_an_inserted_kin_phrase(reasoner: Reasoner) -> None:
    reasoner.learn("Born in Askrigg in 1969, Wren Tolley studied music in Leeds.")
    assert reasoner.ask("Where was Wren Tolley born?").answer == "Askrigg"
    reasoner.learn("Now living in Marlow, Ciaran Voss works as a boatwright.")
    assert reasoner.ask("Where does Ciaran Voss live?").answer == "Marlow"
    assert ("dara voss", "of:sister", "ciaran voss") in told("Ciaran Voss's sister, Dara Voss, runs a forge in Marlow.")


def test_a_first_name_alone_is_the_person_named_before_and_last_year_leads_a_move() -> None:
    got = told("Ines Halloran owns a ferry. Ines's brother is Col Halloran. Last year she moved from Arklow to Wexby.")
    assert ("col halloran", "of:brother", "ines halloran") in got
    assert ("ines halloran", "live", "wexby") in got and ("ines halloran", "live", "arklow") in got


def test_a_post_held_since_a_year_in_the_perfect(reasoner: Reasoner) -> None:
    reasoner.learn("Since 2013 Oskar Brenner has chaired the Tull Heritage Trust.")
    assert reasoner.ask("Who chairs the Tull Heritage Trust?").answer == "Oskar Brenner"


def test_a_planned_or_conditional_compound_states_no_change(reasoner: Reasoner) -> None:
    reasoner.learn("Kalle Brun lives in Ostmark.")
    reasoner.learn("If Kalle Brun moves from Ostmark to Vidby, he will sell his boat.")
    reasoner.learn("Kalle Brun might move from Ostmark to Lisle in 2030.")
    assert reasoner.ask("Where does Kalle Brun live?").answer == "Ostmark"
    reasoner.learn("Kalle Brun, who plans to move to Tarn, chairs the Ostmark Sailing Club.")
    assert reasoner.ask("Where does Kalle Brun live?").answer == "Ostmark"
    assert reasoner.ask("Who chairs the Ostmark Sailing Club?").answer == "Kalle Brun"


def test_people_named_by_one_name_move_and_pass_on_roles(reasoner: Reasoner) -> None:
    reasoner.learn("In 2016 Maren moved from Ostrava to Lisbon, where she opened a bakery.")
    assert reasoner.ask("Where does Maren live?").answer == "Lisbon"
    assert reasoner.ask("Where does Maren live?", as_of=parse_as_of("2012-01-01")).answer == "Ostrava"
    reasoner.learn("Oren was replaced as treasurer of the Weir Club by Sunita in 2022.")
    assert reasoner.ask("Who is the treasurer of the Weir Club?").answer == "Sunita"
    assert reasoner.ask("Who is the treasurer of the Weir Club?", as_of=parse_as_of("2020-01-01")).answer == "Oren"


def test_a_person_of_one_name_is_she_and_retires_from_the_post(reasoner: Reasoner) -> None:
    reasoner.learn("Solveig moved to Arnhult in 2011. She became warden of the Arnhult Hostel in 2013. "
                   "She retired in 2021.")
    assert nothing_now(reasoner, "Who is the warden of the Arnhult Hostel?")
    then = reasoner.ask("Who is the warden of the Arnhult Hostel?", as_of=parse_as_of("2015-01-01"))
    assert then.answer == "Solveig"


def test_years_somewhere_before_moving_and_what_someone_used_to_own(reasoner: Reasoner) -> None:
    reasoner.learn("Jonas Vik lived in Tromby for ten years before moving to Alsted in 2012.")
    assert reasoner.ask("Where does Jonas Vik live?").answer == "Alsted"
    assert reasoner.ask("Where does Jonas Vik live?", as_of=parse_as_of("2008-01-01")).answer == "Tromby"
    reasoner.learn("Tilde Berg used to own the Old Mill.")
    assert nothing_now(reasoner, "Who owns the Old Mill?")


def test_a_body_run_by_someone_is_headed_by_them(reasoner: Reasoner) -> None:
    reasoner.learn("Since 2011 the Rift Gallery has been run by Mia Dunn.")
    assert reasoner.ask("Who runs the Rift Gallery?").answer == "Mia Dunn"
    reasoner.learn("Oda Lind runs the Pier Cafe.")
    assert reasoner.ask("Who runs the Pier Cafe?").answer == "Oda Lind"


def test_a_place_described_after_a_comma_leads_on_to_where_it_is(reasoner: Reasoner) -> None:
    reasoner.learn("The Moss Museum is in Kelby, a town in Dunmark.")
    assert reasoner.ask("In which country is the Moss Museum?").answer == "Dunmark"
    reasoner.learn("The Tern Inn stands in Ostvik, the capital of Rhenmark.")
    assert reasoner.ask("In which country is the Tern Inn?").answer == "Rhenmark"


def test_who_someone_is_after_a_comma_and_a_post_run_since_a_year(reasoner: Reasoner) -> None:
    reasoner.learn("In 2005 Lena Ruiz married Tomas Ferro, a fisherman from Vigo.")
    assert reasoner.ask("Who is Lena Ruiz married to?").answer == "Tomas Ferro"
    assert reasoner.ask("Where is Tomas Ferro from?").answer == "Vigo"
    reasoner.learn("Britt Sand has run the Ness Hotel since 2009.")
    assert reasoner.ask("Who runs the Ness Hotel?").answer == "Britt Sand"


def test_progressive_forms_and_what_had_held_when_something_happened(reasoner: Reasoner) -> None:
    reasoner.learn("Kira Holt has been living in Mossby since 2015.")
    assert reasoner.ask("Where does Kira Holt live?").answer == "Mossby"
    reasoner.learn("Nora Vale had been teaching at Fenn College for years when she moved to Arden in 2018.")
    assert reasoner.ask("Where does Nora Vale live?").answer == "Arden"
    assert reasoner.ask("Where does Nora Vale work?", as_of=parse_as_of("2015-01-01")).answer == "Fenn College"


def test_the_month_may_is_a_date_not_a_hedge(reasoner: Reasoner) -> None:
    reasoner.learn("The Gorse Kite Festival is held every May in Hallby.")
    assert reasoner.ask("When is the Gorse Kite Festival held?").answer == "May"
    reasoner.learn("Tove Aas lives in Hallby.")
    reasoner.learn("Tove Aas may move to Lund.")
    assert reasoner.ask("Where does Tove Aas live?").answer == "Hallby"


def test_bought_from_someone_who_owned_it_until_then(reasoner: Reasoner) -> None:
    reasoner.learn("Greta Lund has owned the Copper Pan since 2019, when she bought it from Pavel Dorn.")
    assert reasoner.ask("Who owns the Copper Pan?").answer == "Greta Lund"
    assert reasoner.ask("Who owns the Copper Pan?", as_of=parse_as_of("2015-01-01")).answer == "Pavel Dorn"
