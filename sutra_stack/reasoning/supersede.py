"""Facts over time at answer time: which of the facts filling one slot holds now, or held `as_of`.

Facts about a slot that holds one value at a time (a person's residence, a thing's owner, a
role's holder; predicates.slot_key) are ordered by when they were learned (the learn call, then
the text's order in its batch, then the sentence's place in its text). The last one holds now;
negated, hedged or planned statements state no relation, so they never take part. A fact became
true at the date its sentence states, else when it was learned, and stopped at the end its
sentence states, else when the next fact of its slot became true (a fact learned before a
dated successor but undated itself held from an unknown start until then). Nothing is deleted:
an earlier fact stays in the graph and answers questions `as_of` its time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sutra_stack.reasoning.predicates import Relation, slot_key
from sutra_stack.reasoning.timeline import stated_time
from sutra_stack.storage.model import Concept

LearnKey = tuple[float, int, int, str]


def learned_key(concepts: dict[str, Concept], cid: str) -> LearnKey:
    """The order facts were told in: learn time, the text's order in its batch, the sentence's place."""
    c = concepts.get(cid)
    md = (c.metadata or {}) if c else {}
    return (
        float(md.get("learned_at", c.created if c else 0.0)),
        int(md.get("order", 0)),
        int(md.get("position", 0)),
        cid,
    )


@dataclass(slots=True)
class Entry:
    answer: str  # answer concept id
    fact: str  # the fact that states it
    key: LearnKey
    valid_from: float = 0.0
    valid_to: float = 0.0  # 0: still true


@dataclass(slots=True)
class Outcome:
    dropped: dict[str, tuple[str, str | None]]  # answer id → (its fact, the fact that superseded it or None)


def when(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d")


def timeline(entries: list[Entry], concepts: dict[str, Concept]) -> list[Entry]:
    """The entries of one slot in learn order, with their validity filled in."""
    ordered = sorted({e.fact: e for e in entries}.values(), key=lambda e: e.key)
    for e in ordered:
        c = concepts.get(e.fact)
        stated = stated_time(c.content) if c else None
        e.valid_from = stated.start if stated and stated.start else e.key[0]
        e.valid_to = stated.end if stated else 0.0
    for e, nxt in zip(ordered, ordered[1:], strict=False):
        if not e.valid_to:
            e.valid_to = max(nxt.valid_from, e.valid_from)
        if e.valid_from >= e.valid_to > 0:
            e.valid_from = 0.0  # undated, learned before a dated successor: held from an unknown start
    return ordered


def settle(slots: dict[str, list[Entry]], concepts: dict[str, Concept], as_of: float | None) -> Outcome:
    """Which answers of each slot give way: all but the last learned (now), or all but the ones
    true at `as_of` (the last learned of those)."""
    dropped: dict[str, tuple[str, str | None]] = {}
    for entries in slots.values():
        ordered = timeline(entries, concepts)
        keep: Entry | None
        if as_of is None:
            keep = ordered[-1]
        else:
            valid = [e for e in ordered if e.valid_from <= as_of and (not e.valid_to or as_of < e.valid_to)]
            keep = valid[-1] if valid else None
        keep_answers = {keep.answer} if keep else set()
        limit = ordered.index(keep) if keep else len(ordered)
        for i, e in enumerate(ordered):
            if e.answer in keep_answers:
                continue
            if i > limit or (as_of is not None and e.valid_from > as_of):
                dropped.setdefault(e.answer, (e.fact, None))  # not yet true then
                continue
            later = next((n.fact for n in ordered[i + 1 :] if n.answer != e.answer), None)
            dropped.setdefault(e.answer, (e.fact, later))
    return Outcome(dropped)


def slot_of(relation: Relation) -> str | None:
    return slot_key(relation.subject.key, relation.family, relation.object.key)
