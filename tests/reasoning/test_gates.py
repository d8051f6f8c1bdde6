"""The shortcuts of clause reading change no reading. The pattern gates (sutra_stack/reasoning/gate.py):
every sentence of both evaluation sets, the bAbI-style stories (with their own and with other
words) and the benchmark's template facts gives the same relations with the gates on as with every
pattern run, and no gated pattern matches a text its gate would have skipped it on. The loose verb
readings a fixed rule replaces, left unbuilt: the other relations of each clause are the same."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from sutra_stack.reasoning import gate
from sutra_stack.reasoning.extract import coordinated, relations_in_sentence
from sutra_stack.reasoning.gate import EVERY, GATED, mask_of, ungated
from sutra_stack.reasoning.open_relations import open_relations
from sutra_stack.reasoning.paragraph import resolve
from sutra_stack.reasoning.text import split_clauses, split_sentences, strip_end
from sutra_stack.reasoning.timeline import without_dates
from tests.reasoning import babi_vocab
from tests.reasoning.babi_gen import generate
from tests.reasoning.test_babi import OTHER_WORDS, PER_TASK, SEED

DATA = Path(__file__).resolve().parents[1] / "data"

# one sentence for each shape the evaluation sets may not show, and the edges of the gates' words
SHAPES = [
    "Ada Holm handed over the captaincy of the Ravens to Bo Lind in 2019.",
    "Bo Lind took over as head of the archive in 2020.",
    "Cy Rand put the ledger back in the drawer.",
    "Dag Roe has donated the painting to the Ashby Gallery.",
    "Eli Moss married Fay Dunn in 2001.",
    "The mill was bought by Gil Tarn in 2011.",
    "Hana Ives is originally from Tessin.",
    "The bridge was designed by Ivo Lark.",
    "The boat, is a dinghy that belongs to Jon Pell.",
    "Kai Orr has a dog called Pepper.",
    "Kai Orr lent his canoe to Lia Berg.",
    "Lia Berg borrowed a ladder from Kai Orr.",
    "Lia Berg gave the canoe back to Kai Orr.",
    "The mill was sold by Jo Park to Ann Lee in 2019.",
    "Jo Park lent Ann Lee his ladder.",
    "The mill passed to Ann Lee in 2020.",
    "Lea Sund's older brother is Max Sund.",
    "The head of the guild is Nils Ohm.",
    "Ola Pike is Pia Quist's cousin.",
    "Quin Rask became the conductor of the Ostby Choir.",
    "Rosby is a fishing village on the coast of Wendmoor.",
    "Sten Tov teaches history at Fennick School.",
    "The parcel is next to the door.",
    "Tor Ulf grew up in Marsby.",
    "Una Vik studied music in Velmora.",
    "Vera Wik chairs the Harbour Trust.",
    "The band rehearses every Tuesday.",
    "The market takes place on the first Sunday of May.",
    "Wim Yde co-founded Brightwave in 2004.",
    "The theatre opened in March 1998.",
    "Sven Lindqvist's daughter Karin has inherited the farm.",
    "Paul Ode left Brightwave in 2022 and joined Northlight.",
    "Later, Xan Yul moved to Oslo.",
    "Yrsa Zell now currently still lives in Tromby.",
    "Tilda Kerr borrowed the bicycle from Hugo Marsh.",
    "Tilda Kerr gave the bicycle back to Hugo Marsh.",
    "Hugo Marsh lent his bicycle to Tilda Kerr.",
    "Smoking causes a disease called emphysema.",
    "A dog is akind of animal.",
    "A cat is a sort of animal.",
    "Mammals are animals.",
    "Rust is caused by water.",
    "Dawn comes before morning.",
    "Summer is followed by autumn.",
    "Rain may cause floods.",
    "Gift means present.",
    "A kilo is similar to a pound.",
    "The engine is made up of pistons and valves.",
    "Bees produce honey.",
    "Floods happen because of rain.",
    "Zed is located in Ashby.",
    "The capital of Ostrelia is Velmora.",
    "In 2019-05-04, Bo Lind moved to Oslo.",
    "Ana Ruiz moved to Oslo in 20199.",
    "Cara Moe moved to Bergen in Sept. and sold her flat in jan.",
    "The Zoë café is owned by Ana Ruiz.",  # not ASCII: every gate passes
    "Ann Lee ſold the boat to Bo Ek.",  # IGNORECASE folds the long s onto "s"
]


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)


def _template_facts(groups: int = 60) -> list[str]:
    """The sentences bench/gen_store.py learns (its template groups and the moves)."""
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return [f for i in range(groups) for f in (
        f"Compound {i} causes reaction {i}.", f"Reaction {i} leads to outcome {i}.",
        f"Device {i} is a kind of machine {i % 500}.", f"Assembly {i} contains part {i} and seal {i}.",
        f"Sensor {i} is located in room {i}.", f"Mixing {i} happens before curing {i}.",
        f"Batch {i} was inspected on {days[i % 7]}.", f"Sensor {i} is located in room {i + 100_000}.")]


def _sentences(per_task: int, other_per_task: int) -> list[str]:
    """The sentences of both evaluation sets, of bAbI-style stories (`per_task` of each task, and
    `other_per_task` with other words), of the template facts and of SHAPES."""
    texts: list[str] = []
    for name in ("reasoning_text_eval.json", "reasoning_eval.json"):
        data = json.loads((DATA / name).read_text())
        texts += list(_texts(data["batches"])) + [q["question"] for q in data["questions"]]
        texts += [s for q in data["questions"] for s in q.get("support", [])]
    texts += [s.text for s in generate(SEED, per_task)]
    with pytest.MonkeyPatch.context() as mp:
        for name, words in OTHER_WORDS.items():
            mp.setattr(babi_vocab, name, words)
        texts += [s.text for s in generate(SEED + 1, other_per_task)]
    texts += _template_facts() + SHAPES
    out: dict[str, None] = {}
    for t in texts:
        for s in split_sentences(t):  # as written, and as the learner and the asker read it
            out[s] = None
        for s in resolve(split_sentences(t)):
            out[s] = None
    return list(out)


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    """Every sentence the accuracy gates learn (test_babi's stories in full)."""
    return _sentences(PER_TASK, 15)


def _gated_texts(sentence: str) -> Iterator[str]:
    """Texts a gated pattern may be given for a sentence: its clauses as written, without their
    end, their dates or a leading adverb."""
    for clause in [sentence, *split_clauses(sentence)]:
        for t in (clause, strip_end(clause), without_dates(clause), without_dates(strip_end(clause))):
            yield t
            yield t.split(" ", 1)[-1]


def test_every_sentence_reads_the_same_relations_with_the_gates_as_without(sentences: list[str]) -> None:
    assert len(sentences) > 2_000
    with ungated():
        every = [relations_in_sentence(s) for s in sentences]
    gated = [relations_in_sentence(s) for s in sentences]
    differ = [(s, a, b) for s, a, b in zip(sentences, every, gated, strict=True) if a != b]
    assert not differ, f"{len(differ)} sentences read otherwise with the gates, first: {differ[0]}"
    assert sum(map(bool, gated)) > len(sentences) // 2  # most state something: the comparison means something


def test_a_clause_read_without_its_loose_verb_readings_states_the_rest_unchanged(sentences: list[str]) -> None:
    """relations_in_clause skips building the verb readings a fixed rule's relation replaces."""
    clauses = {p for s in sentences for c in split_clauses(s) for p in coordinated(c)}
    differ, dropped = [], 0
    for c in clauses:
        every = open_relations(c)
        kept = [r for r in every if r.rule not in ("verb", "role-verb")]
        dropped += len(every) - len(kept)
        if open_relations(c, loose=False) != kept:
            differ.append(c)
    assert not differ, f"{len(differ)} clauses read otherwise without the loose readings, first: {differ[0]!r}"
    assert dropped > 100


def test_no_gated_pattern_matches_a_text_without_the_words_its_gate_needs() -> None:
    texts = {t for s in _sentences(10, 5) for t in _gated_texts(s)}  # every pattern on every text: fewer stories
    matched, skipped = Counter[int](), Counter[int]()
    for text in texts:
        mask = mask_of(text)
        for i, g in enumerate(GATED):
            if not g.fits(mask):
                skipped[i] += 1
                assert not g.pattern.search(text), f"{g.pattern.pattern[:60]!r} matches {text!r} but its gate skips it"
            elif g.pattern.search(text):
                matched[i] += 1
    unexercised = [g.pattern.pattern[:60] for i, g in enumerate(GATED) if not matched[i]]
    assert not unexercised, f"gated patterns no text matched (add a sentence of their shape): {unexercised}"
    assert sum(skipped.values()) > sum(matched.values())  # the gates do skip most patterns


def test_text_beyond_ascii_and_the_gates_turned_off_run_every_pattern() -> None:
    transfer = next(g for g in GATED if "bequeathed" in g.pattern.pattern)
    assert transfer.fits(mask_of("Ann sold the boat to Bo."))
    assert not transfer.fits(mask_of("Ann sold the boat."))  # no "to"
    assert mask_of("Zoë sold the boat.") == EVERY
    with ungated():
        assert mask_of("Ann sold the boat.") == EVERY
    assert gate._enabled
