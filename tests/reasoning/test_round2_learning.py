"""Ordinary text the learner had no shape for, learned through a real in-process engine.

What a user relies on: a fact told after a fronted adverbial ("Before 2015, …", "Since 2012, …")
is learned with its time; leaving a job ends it (no current employer, the old one still answered
as of before); a successor named without the role takes the role of the one they followed; a list
of children or siblings is a relation for each; a place that is part of another leads on to it;
names in any script are keys of their own.
"""

from __future__ import annotations

import pytest

from sutra_stack.reasoning import Reasoner
from sutra_stack.reasoning.extract import relations_in_sentence
from sutra_stack.reasoning.paragraph import resolve
from sutra_stack.reasoning.text import split_sentences
from sutra_stack.reasoning.timeline import parse_as_of


def told(text: str) -> set[tuple[str, str, str]]:
    return {(r.subject.key, r.family, r.object.key) for s in resolve(split_sentences(text))
            for r in relations_in_sentence(s)}


def nothing_now(r: Reasoner, question: str) -> bool:
    a = r.ask(question)
    return a.kind == "none" or a.confidence < 0.5


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Before 2016, Marit Solberg lived in Kvaløya.", "In 2016, Marit Solberg moved to Hamar."),
        ("Until 2016, Marit Solberg lived in Kvaløya.", "Marit Solberg moved to Hamar in 2016."),
        ("Since 2009, Marit Solberg has lived in Kvaløya.", "In 2016, Marit Solberg moved to Hamar."),
    ],
)
def test_a_fronted_adverbial_with_a_comma_keeps_the_fact_and_its_time(
        reasoner: Reasoner, before: str, after: str) -> None:
    reasoner.learn_batch([before, after])
    assert reasoner.ask("Where does Marit Solberg live?").answer == "Hamar"
    assert reasoner.ask("Where did Marit Solberg live?", as_of=parse_as_of("2012-03-01")).answer == "Kvaløya"


def test_a_relative_time_lead_does_not_lose_the_sentence() -> None:
    got = told("Dario Conti grew up in Lecce. Two years later, he moved to Bari.")
    assert ("dario conti", "live", "bari") in got


@pytest.mark.parametrize(
    "leaving",
    [
        "In 2021, Eamon Roche left Quayside Freight and started working at Harbour Bank.",
        "Eamon Roche left Quayside Freight in 2021 and took a job at Harbour Bank.",
        "Eamon Roche quit Quayside Freight in 2021 to join Harbour Bank.",
    ],
)
def test_leaving_a_job_for_another_moves_the_employer(reasoner: Reasoner, leaving: str) -> None:
    reasoner.learn("Eamon Roche works at Quayside Freight.")
    reasoner.learn(leaving)
    assert reasoner.ask("Where does Eamon Roche work?").answer == "Harbour Bank"
    assert reasoner.ask("Where did Eamon Roche work?", as_of=parse_as_of("2019-06-01")).answer == "Quayside Freight"


@pytest.mark.parametrize(
    "leaving",
    [
        "Greta Falk left Birchwood Press in 2022 to open her own bookshop.",
        "Greta Falk quit Birchwood Press in 2022.",
        "In 2022, Greta Falk was fired from Birchwood Press.",
    ],
)
def test_leaving_a_job_with_no_successor_ends_it(reasoner: Reasoner, leaving: str) -> None:
    reasoner.learn("Greta Falk has worked at Birchwood Press since 2015.")
    reasoner.learn(leaving)
    assert nothing_now(reasoner, "Where does Greta Falk work?")
    assert reasoner.ask("Where did Greta Falk work?", as_of=parse_as_of("2018-06-01")).answer == "Birchwood Press"


@pytest.mark.parametrize(
    "succession",
    [
        "Ines Varga retired in 2023 and was succeeded by Tomás Ibáñez.",
        "Tomás Ibáñez took over from Ines Varga in 2023.",
    ],
)
def test_a_successor_named_without_the_role_takes_it(reasoner: Reasoner, succession: str) -> None:
    reasoner.learn(f"Ines Varga was the curator of the Salt Museum. {succession}")
    assert reasoner.ask("Who is the curator of the Salt Museum?").answer == "Tomás Ibáñez"
    then = reasoner.ask("Who was the curator of the Salt Museum?", as_of=parse_as_of("2020-01-01"))
    assert then.answer == "Ines Varga"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hedda Lunde has two daughters, Ragna and Solvei.",
         {("ragna", "of:daughter", "hedda lunde"), ("solvei", "of:daughter", "hedda lunde")}),
        ("Piotr Nowak's children are Zofia, Marek and Łukasz.",
         {("zofia", "of:child", "piotr nowak"), ("marek", "of:child", "piotr nowak"),
          ("łukasz", "of:child", "piotr nowak")}),
        ("Carmen and Lucía are Joaquín Peña's sisters.",
         {("carmen", "of:sister", "joaquín peña"), ("lucía", "of:sister", "joaquín peña")}),
    ],
)
def test_a_list_of_kin_is_a_relation_for_each(text: str, expected: set[tuple[str, str, str]]) -> None:
    assert expected <= told(text)


def test_a_named_place_that_is_part_of_another_is_in_it() -> None:
    assert ("dunmoor", "located", "wessland") in told("Dunmoor is part of Wessland.")


def test_a_thing_turned_into_another_kind_becomes_it() -> None:
    got = told("The Old Tannery was built in 1820. It was converted into a hostel in 1996.")
    assert ("old tannery", "isa", "hostel") in got or ("old tannery", "is", "hostel") in got


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Salt Anchor is a pub in Ardvore.",
         {("salt anchor", "located", "ardvore"), ("salt anchor", "isa", "pub")}),
        ("Ardvore lies in the county of Bellmoor.",
         {("ardvore", "located", "bellmoor"), ("bellmoor", "isa", "county")}),
        ("Skellig Fort stands on the island of Inishval.",
         {("skellig fort", "located", "inishval"), ("inishval", "isa", "island")}),
    ],
)
def test_a_place_and_the_kind_of_its_container(text: str, expected: set[tuple[str, str, str]]) -> None:
    assert expected <= told(text)


@pytest.mark.parametrize(
    "succession",
    [
        ["Ruairí Quinn stepped down last year; Małgorzata Lis replaced him."],
        ["Małgorzata Lis took over from Ruairí Quinn in 2021."],
        ["Ruairí Quinn retired in 2021 and was succeeded by Małgorzata Lis."],
    ],
)
def test_a_successor_takes_the_post_told_in_another_text(reasoner: Reasoner, succession: list[str]) -> None:
    reasoner.learn("Ruairí Quinn is the treasurer of the Weir Rowing Club.")
    reasoner.learn_batch(succession)
    assert reasoner.ask("Who is the treasurer of the Weir Rowing Club?").answer == "Małgorzata Lis"


def test_a_successor_takes_the_post_told_earlier_in_the_batch(reasoner: Reasoner) -> None:
    reasoner.learn_batch(["Björk Håkansdóttir is the editor of the Fjord Courier.",
                          "Søren Dahl took over from Björk Håkansdóttir in 2020."])
    assert reasoner.ask("Who is the editor of the Fjord Courier?").answer == "Søren Dahl"
    then = reasoner.ask("Who is the editor of the Fjord Courier?", as_of=parse_as_of("2018-01-01"))
    assert then.answer == "Björk Håkansdóttir"


def test_a_post_taken_over_in_a_when_clause_passes_on(reasoner: Reasoner) -> None:
    reasoner.learn("Wiktor Żak was the conductor of the Grey Bay Orchestra until 2019, when Hélène Roux took over.")
    assert reasoner.ask("Who is the conductor of the Grey Bay Orchestra?").answer == "Hélène Roux"


def test_a_holder_who_stepped_down_and_was_replaced_after_a_comma(reasoner: Reasoner) -> None:
    reasoner.learn("Kasper Lind is the head of the Vell Foundation. "
                   "In 2021 he stepped down, and Ingrid Moen replaced him.")
    assert reasoner.ask("Who is the head of the Vell Foundation?").answer == "Ingrid Moen"


def test_fired_without_naming_the_employer_ends_the_job(reasoner: Reasoner) -> None:
    reasoner.learn("Aurelio Sanz worked at the Blue Heron. He was fired in 2022.")
    assert nothing_now(reasoner, "Where does Aurelio Sanz work?")


def test_after_a_decade_in_a_place_a_name_of_any_script_lived_there(reasoner: Reasoner) -> None:
    reasoner.learn("After a decade in Seville, Çağla Öztürk moved to Valencia in 2018.")
    assert reasoner.ask("Where does Çağla Öztürk live?").answer == "Valencia"
    assert reasoner.ask("Where did Çağla Öztürk live?", as_of=parse_as_of("2015-06-01")).answer == "Seville"


def test_a_thing_sold_with_no_buyer_named_is_no_longer_owned() -> None:
    got = told("Mirela Stan sold her old farmhouse in 2020.")
    assert ("mirela stan", "own", "old farmhouse") in got
    assert "Mirela Stan owned her old farmhouse until 2020." in resolve(split_sentences(
        "Mirela Stan sold her old farmhouse in 2020."))


def test_the_children_of_someone_listed_after_the_noun() -> None:
    got = told("The two daughters of Roald Amund are Liv and Tove.")
    assert {("liv", "of:daughter", "roald amund"), ("tove", "of:daughter", "roald amund")} <= got


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tamsin Hale bought an old lighthouse on Gull Point.",
         {("tamsin hale", "own", "old lighthouse"), ("old lighthouse", "located", "gull point")}),
        ("Ana Ruiz owns a bakery in Corran.", {("ana ruiz", "own", "bakery"), ("bakery", "located", "corran")}),
    ],
)
def test_a_thing_named_with_its_place_is_owned_and_placed(text: str, expected: set[tuple[str, str, str]]) -> None:
    assert expected <= told(text)


def test_a_paragraph_with_a_pronoun_retiring_and_its_kin_listed(reasoner: Reasoner) -> None:
    reasoner.learn("Rasmus Dahl is the director of the Kestrel Gallery. He retired in 2022 and was succeeded by "
                   "Ewa Nowicka. His daughters are Ingrid and Marte.")
    assert reasoner.ask("Who is the director of the Kestrel Gallery?").answer == "Ewa Nowicka"
    then = reasoner.ask("Who was the director of the Kestrel Gallery?", as_of=parse_as_of("2020-06-01"))
    assert then.answer == "Rasmus Dahl"
    assert ("marte", "of:daughter", "rasmus dahl") in told(
        "Rasmus Dahl is the director of the Kestrel Gallery. His daughters are Ingrid and Marte.")


def test_facts_of_one_batch_told_out_of_order_follow_their_dates(reasoner: Reasoner) -> None:
    reasoner.learn_batch(["In the summer of 2017, Mona Quist moved to Ravnsby.",
                          "Early in 2016, Mona Quist lived in Ulvik."])
    assert reasoner.ask("Where does Mona Quist live?").answer == "Ravnsby"
    assert reasoner.ask("Where did Mona Quist live?", as_of=parse_as_of("2016-09-01")).answer == "Ulvik"


@pytest.mark.parametrize(
    "leaving",
    [
        "After leaving Granite Labs in 2019, Tuva Lie joined Orca Systems.",
        "Tuva Lie stopped working at Granite Labs in 2019 and joined Orca Systems.",
    ],
)
def test_after_leaving_a_job_the_next_one(reasoner: Reasoner, leaving: str) -> None:
    reasoner.learn("Tuva Lie works at Granite Labs.")
    reasoner.learn(leaving)
    assert reasoner.ask("Where does Tuva Lie work?").answer == "Orca Systems"


def test_a_post_handed_over_to_someone(reasoner: Reasoner) -> None:
    reasoner.learn("Ansgar Wolff is the principal of Linden Academy. He handed over to Ida Kern in 2020.")
    assert reasoner.ask("Who is the principal of Linden Academy?").answer == "Ida Kern"


def test_kin_of_two_parents_and_kin_in_an_apposition() -> None:
    got = told("Elin and Tor Vik have three children: Mia, Sara and Ben.")
    assert {("ben", "of:child", "elin vik"), ("ben", "of:child", "tor vik")} <= got
    got = told("Runa Moe's brothers, Erik and Kjell, live in Bodø.")
    assert {("erik", "of:brother", "runa moe"), ("kjell", "live", "bodø")} <= got


def test_the_owner_of_a_thing_owns_it_and_a_later_owner_replaces_them(reasoner: Reasoner) -> None:
    reasoner.learn("Émile Çelik is the owner of the Café Ñandú.")
    assert reasoner.ask("Who owns the Café Ñandú?").answer == "Émile Çelik"
    reasoner.learn("In 2022 Émile Çelik sold the Café Ñandú to Joëlle Brønn.")
    assert reasoner.ask("Who is the owner of the Café Ñandú?").answer == "Joëlle Brønn"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("For twenty years, Arne Dahl lived in Moss.", ("arne dahl", "live", "moss")),
        ("As a young man, Olav Rønning worked at Sel Mills.", ("olav rønning", "work", "sel mill")),
        ("Shortly after the wedding, Olav Rønning moved to Voss.", ("olav rønning", "live", "voss")),
        ("In those days, the Lark Inn was owned by Jens Berg.", ("jens berg", "own", "lark inn")),
    ],
)
def test_a_fronted_phrase_that_states_nothing_keeps_the_fact(text: str, expected: tuple[str, str, str]) -> None:
    assert expected in told(text)


def test_a_fronted_phrase_with_a_year_keeps_the_year(reasoner: Reasoner) -> None:
    reasoner.learn_batch(["In March 2015, Oskar Brandt relocated to Tarvik.",
                          "Back in 2010, Oskar Brandt lived in Elmsby."])
    assert reasoner.ask("Where does Oskar Brandt live?").answer == "Tarvik"
    assert reasoner.ask("Where did Oskar Brandt live?", as_of=parse_as_of("2012-06-01")).answer == "Elmsby"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Calder is a region of Westmarch.", {("calder", "located", "westmarch"), ("calder", "isa", "region")}),
        ("Fenmark forms part of the Kingdom of Osric.", {("fenmark", "located", "osric")}),
    ],
)
def test_a_place_of_a_kind_of_another_is_in_it(text: str, expected: set[tuple[str, str, str]]) -> None:
    assert expected <= told(text)


@pytest.mark.parametrize("ending", [
    "Mirela Dobos stepped down as head librarian of the Kestrel Library in 2021, and Hugo Brandt replaced her.",
    "Mirela Dobos resigned as head librarian of the Kestrel Library in 2021 and was succeeded by Hugo Brandt.",
])
def test_an_ending_that_names_the_post_and_its_successor_in_one_sentence(reasoner: Reasoner, ending: str) -> None:
    reasoner.learn_batch(["Mirela Dobos is the head librarian of the Kestrel Library."])
    reasoner.learn_batch([ending])
    assert reasoner.ask("Who is the head librarian of the Kestrel Library?").answer == "Hugo Brandt"
    earlier = reasoner.ask("Who was the head librarian of the Kestrel Library?", as_of=parse_as_of("2019-05-01"))
    assert earlier.answer == "Mirela Dobos"


def test_leaving_a_firm_named_by_its_trade_or_its_partners_ends_a_job(reasoner: Reasoner) -> None:
    reasoner.learn_batch(["Mara Quist works for Solent Design.", "Teo Vance works for Hart & Vine."])
    reasoner.learn_batch(["In 2018 Mara Quist left Solent Design.", "Teo Vance left Hart & Vine in 2020."])
    assert nothing_now(reasoner, "Where does Mara Quist work?")
    assert nothing_now(reasoner, "Where does Teo Vance work?")
    assert nothing_now(reasoner, "Where does Mara Quist live?")  # a firm left is no home left
