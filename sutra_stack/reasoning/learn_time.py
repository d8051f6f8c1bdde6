"""Facts over time as the learner writes them: each relation's association carries its
predicate and when it held, and a fact that a later one replaces is rewritten as ended.

The relation's two associations (subject → fact, fact → object) get `predicate` (the family as
words: "lives in", "sister of"), `valid_from` (the date the sentence states, else 0: the time
of the write) and `valid_to` (the end it states, else 0). When a later fact fills the same slot
(predicates.slot_key), the earlier fact's two associations are written again with `valid_to` =
when the later one became true and `superseded_by` = the later fact's id; the store keeps both.
A fact of a family of several values (a goalkeeper of a team) is ended only by an explicit ending
of that same fact ("X was goalkeeper of Y until 2023"): `valid_to` = the end it states, else when
it was told, and `superseded_by` = the fact of the one who replaced X, when the text names one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sutra_stack.limits import MAX_PREDICATE_BYTES
from sutra_stack.reasoning.predicates import Relation
from sutra_stack.reasoning.supersede import fact_slot
from sutra_stack.reasoning.timeline import stated_time
from sutra_stack.storage.model import AssociationInput

EARLIEST = 1.0  # a stored valid_from for "before 1970" or "from an unknown start" (0 means "now" on input)
_LABELS = {"live": "lives in", "work": "works at", "own": "owns", "hold": "has", "located": "located in",
           "born": "born in", "grow up": "grew up in", "spouse": "married to", "isa": "is a", "is": "is",
           "cause": "causes",
           "part": "has part", "then": "happens before", "means": "means"}

EdgeKey = tuple[str, str, str]


def predicate_label(family: str) -> str:
    """The predicate an association carries: the relation in words, at most MAX_PREDICATE_BYTES."""
    if family.startswith("of:"):
        label = family[3:] + " of"
    elif family.startswith("when:"):
        label = family[5:] + " on"
    elif family.startswith("verb:"):
        label = family[5:]
    else:
        label = _LABELS.get(family, family)
    return label.encode("utf-8")[:MAX_PREDICATE_BYTES].decode("utf-8", errors="ignore")


def sentence_times(sentence: str) -> tuple[float, float]:
    """(valid_from, valid_to) for a sentence's associations: its stated period (0: not stated)."""
    st = stated_time(sentence)
    start = max(st.start, EARLIEST) if st.start else 0.0
    end = max(st.end, EARLIEST) if st.end else 0.0
    if end and not start:
        start = EARLIEST  # "until 2019": held from an unknown start
    if end and end < start:
        end = 0.0
    return start, end


@dataclass(slots=True)
class SlotFact:
    """A fact filling a slot (supersede.fact_slot), and the associations that state it."""

    slot: str
    fact: str
    held_by: str  # the entity whose stored facts it is compared with (subject, or the owned thing)
    type: str
    start: float  # the stated start, 0 when none
    edges: list[EdgeKey] = field(default_factory=list)
    end: float = 0.0  # the stated end, 0 when none
    several: bool = False  # a family of several values: only an ending of the same fact ends it
    triple: str = ""  # subject|family|object
    post: str = ""  # family|object: what another holder of the same post shares
    by: str = ""  # the fact that supersedes what this one ends, when not this one (a named successor)

    @property
    def ends(self) -> bool:
        """Whether it may end an earlier fact of its slot (for several values: only as an ending)."""
        return not self.several or self.end > 0


def slot_fact(rel: Relation, fact: str, held_by: str, period: tuple[float, float], several: bool) -> SlotFact:
    return SlotFact(fact_slot(rel), fact, held_by, rel.type, period[0], relation_edges(rel, fact), period[1],
                    several, f"{rel.subject.key}|{rel.family}|{rel.object.key}", f"{rel.family}|{rel.object.key}")


def end_of(earlier_triple: str, later: SlotFact, now: float) -> float:
    """When a fact that `later` replaces stopped: the end `later` states for that same fact, else
    when `later` became true (its stated start, else now)."""
    if later.end and later.triple == earlier_triple:
        return later.end
    return later.start or now


def relation_edges(rel: Relation, fact: str) -> list[EdgeKey]:
    return [(rel.subject.id, fact, rel.type), (fact, rel.object.id, rel.type)]


def end_in_batch(edges: dict[EdgeKey, AssociationInput], earlier: SlotFact, later: SlotFact, now: float) -> None:
    """Rewrite, in the batch about to be written, the earlier fact's associations as ended by the later."""
    end = end_of(earlier.triple, later, now)
    for key in earlier.edges:
        a = edges.get(key)
        if a is None:
            continue
        start = a.valid_from or now
        if start > end:
            start = EARLIEST  # undated, told before a dated successor: held from an unknown start
        edges[key] = replace(a, valid_from=start, valid_to=max(end, start), superseded_by=later.by or later.fact)


def end_stored(fact: str, slot: str, later: SlotFact, valid_from: float, now: float,
               relations: list[Relation]) -> list[AssociationInput]:
    """The rewrites that end a stored fact (its content's relation of `slot`) as superseded by `later`;
    `valid_from` is the stored one (so the rewrite adds no observation)."""
    out: list[AssociationInput] = []
    for rel in relations:
        if fact_slot(rel) != slot:
            continue
        end = max(end_of(f"{rel.subject.key}|{rel.family}|{rel.object.key}", later, now), valid_from)
        for src, dst, type_ in relation_edges(rel, fact):
            out.append(AssociationInput(src, dst, type_, rel.confidence, predicate=predicate_label(rel.family),
                                        valid_from=valid_from, valid_to=end, superseded_by=later.by or later.fact))
    return out
