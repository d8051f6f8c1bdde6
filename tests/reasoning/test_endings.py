"""Explicit endings of a post held by several at once, through a real in-process engine.

What a user relies on: "X stepped down as goalkeeper of Y", "Z replaced X as goalkeeper of Y" or
"X retired and was succeeded by Z" ends X's fact even when the post has several holders (a
goalkeeper of a team, a trustee of a board, a teacher at a school): X is no current answer, the
other holders still are, and `as_of` a date before the end X still is. The store keeps X's fact,
ended at the stated date, naming the fact of the one who replaced X when the text names one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from sutra_stack.reasoning import Reasoner
from sutra_stack.reasoning.text import entity_id
from sutra_stack.reasoning.timeline import parse_as_of
from sutra_stack.storage.engine.store import Engine
from sutra_stack.storage.model import content_id

KEEPERS = ["Tomas Berg is a goalkeeper of Harwick Rovers.", "Ivo Lenk is a goalkeeper of Harwick Rovers."]
GOALKEEPER = "Who is the goalkeeper of Harwick Rovers?"
BEFORE = parse_as_of("2019-06-30")


@pytest.fixture
def r() -> Iterator[Reasoner]:
    engine = Engine.in_memory()
    try:
        yield Reasoner(engine)
    finally:
        engine.close()


def holders(answer: str | None) -> set[str]:
    return {n.strip() for n in (answer or "").replace(" and ", ", ").split(",") if n.strip()}


def learn(r: Reasoner, texts: list[str], *, batch: bool) -> None:
    if batch:
        r.learn_batch(texts)
    else:
        for t in texts:
            r.learn(t)


@pytest.mark.parametrize("batch", [False, True], ids=["one-by-one", "one-batch"])
@pytest.mark.parametrize(
    ("ending", "now"),
    [
        ("Tomas Berg stepped down as goalkeeper of Harwick Rovers in 2023.", {"Ivo Lenk"}),
        ("Tomas Berg stepped down as goalkeeper of Harwick Rovers.", {"Ivo Lenk"}),
        ("Carla Ruiz replaced Tomas Berg as goalkeeper of Harwick Rovers in 2023.", {"Ivo Lenk", "Carla Ruiz"}),
        ("Tomas Berg retired in 2023 and was succeeded by Carla Ruiz.", {"Ivo Lenk", "Carla Ruiz"}),
    ],
    ids=["stepped-down", "stepped-down-undated", "replaced", "retired-succeeded"],
)
def test_an_ending_ends_one_goalkeeper_and_leaves_the_other(r: Reasoner, ending: str, now: set[str],
                                                            batch: bool) -> None:
    learn(r, [*KEEPERS, ending], batch=batch)
    a = r.ask(GOALKEEPER)
    assert a.kind == "path" and holders(a.answer) == now
    then = r.ask(GOALKEEPER, as_of=BEFORE)  # before the end (and before the successor began)
    assert holders(then.answer) == {"Tomas Berg", "Ivo Lenk"}


@pytest.mark.parametrize("batch", [False, True], ids=["one-by-one", "one-batch"])
def test_the_store_keeps_the_ended_fact_naming_its_successor(r: Reasoner, batch: bool) -> None:
    replaced = "Carla Ruiz replaced Tomas Berg as goalkeeper of Harwick Rovers in 2023."
    learn(r, [*KEEPERS, replaced], batch=batch)
    out = {n.concept_id: n for n in r.store.get_neighbors(entity_id("tomas berg"), direction="out")}
    ended = out[content_id(KEEPERS[0])]
    assert ended.valid_to > 0 and ended.superseded_by == content_id(replaced)
    if batch:  # told together: the stated end (a stored fact is not ended before it was stored)
        assert dt.datetime.fromtimestamp(ended.valid_to, dt.UTC).year == 2023
    other = {n.concept_id: n for n in r.store.get_neighbors(entity_id("ivo lenk"), direction="out")}
    kept = other[content_id(KEEPERS[1])]
    assert kept.valid_to == 0 and kept.superseded_by == ""


def test_a_trustee_who_stepped_down_is_no_current_trustee(r: Reasoner) -> None:
    r.learn("Hanna Voss is a trustee of Oakfield Trust.")
    r.learn("Olav Brandt is a trustee of Oakfield Trust.")
    r.learn("Hanna Voss stepped down as trustee of Oakfield Trust in 2022.")
    assert holders(r.ask("Who are the trustees of Oakfield Trust?").answer) == {"Olav Brandt"}
    then = r.ask("Who are the trustees of Oakfield Trust?", as_of=parse_as_of("2021-03-01"))
    assert holders(then.answer) == {"Hanna Voss", "Olav Brandt"}


def test_a_teacher_who_left_the_school_is_no_current_teacher(r: Reasoner) -> None:
    r.learn("Jonas Lind is a teacher at Elmwood School.")
    r.learn("Mette Dahl is a teacher at Elmwood School.")
    r.learn("Jonas Lind stepped down as teacher at Elmwood School in 2021.")
    assert holders(r.ask("Who teaches at Elmwood School?").answer) == {"Mette Dahl"}
    assert "Jonas Lind" in holders(r.ask("Who teaches at Elmwood School?", as_of=BEFORE).answer)


def test_another_holder_alone_ends_no_one(r: Reasoner) -> None:
    learn(r, [*KEEPERS, "Sara Holm became goalkeeper of Harwick Rovers in 2024."], batch=False)
    assert holders(r.ask(GOALKEEPER).answer) == {"Tomas Berg", "Ivo Lenk", "Sara Holm"}


def test_a_holder_told_again_after_the_ending_holds_again(r: Reasoner) -> None:
    learn(r, [*KEEPERS, "Tomas Berg stepped down as goalkeeper of Harwick Rovers in 2021.",
              "Tomas Berg is a goalkeeper of Harwick Rovers since 2024."], batch=False)
    assert holders(r.ask(GOALKEEPER).answer) == {"Tomas Berg", "Ivo Lenk"}
