"""Facts over time at answer time: which of the facts filling one slot holds now, or held `as_of`.

Facts about a slot that holds one value at a time (a person's residence, a thing's owner, a
role's holder; predicates.slot_key) are ordered by when they were learned (the learn call, then
the text's order in its batch, then the sentence's place in its text). The last one holds now;
negated, hedged or planned statements state no relation, so they never take part. A fact became
true at the date its sentence states, else when it was learned, and stopped at the end its
sentence states, else when the next fact of its slot became true (a fact learned before a
dated successor but undated itself held from an unknown start until then). Nothing is deleted:
an earlier fact stays in the graph and answers questions `as_of` its time.

Facts of a family that holds several values at once (a goalkeeper of a team, a member of a
board) are settled per (subject, family, object) (`fact_slot`): another holder never ends one,
but an explicit ending of that same fact does ("X was goalkeeper of Y until 2023").
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass

from sutra_stack.reasoning.predicates import Relation, slot_key
from sutra_stack.reasoning.timeline import Stated, stated_time
from sutra_stack.storage.model import Concept

LearnKey = tuple[float, int, int, str]
FACT_SLOT = "="  # the prefix of a slot that is one fact of a family of several values (fact_slot)


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
    closed: bool = False  # its sentence says it ended ("until 2019", "was formerly")


@dataclass(slots=True)
class Outcome:
    dropped: dict[str, tuple[str, str | None]]  # answer id → (its fact, the fact that superseded it or None)


def when(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d")


# a fact told as over, with no date: it had ended by the time it was told
_FORMERLY = re.compile(r"\b(?:formerly|previously|used\s+to|until\s+recently)\b", re.I)


def told_as_over(sentence: str) -> bool:
    """Whether a sentence tells its fact as over without a date ("was chair of Y until recently")."""
    return _FORMERLY.search(sentence) is not None


def _in_told_order(entries: list[Entry], starts: dict[str, float]) -> list[Entry]:
    """Learn order, except that within one learn call (a text, or the texts of a batch) a fact
    whose sentence states an earlier start than a fact told before it goes first ("She replaced
    Jan Ruys, who had been curator since 2004": Jan Ruys's curatorship, then hers). An undated
    fact keeps to the start last stated before it in its call."""
    ordered = sorted(entries, key=lambda e: e.key)
    running: dict[float, float] = {}
    at: dict[str, float] = {}
    for e in ordered:  # the texts of one learn call were told together: their stated starts order them
        call = e.key[0]
        at[e.fact] = starts.get(e.fact) or running.get(call, float("-inf"))
        running[call] = at[e.fact]
    return sorted(ordered, key=lambda e: (e.key[0], at[e.fact], e.key[1], e.key[2], e.key[3]))


def timeline(entries: list[Entry], concepts: dict[str, Concept]) -> list[Entry]:
    """The entries of one slot in told order, with their validity filled in."""
    unique = list({e.fact: e for e in entries}.values())
    stated: dict[str, Stated] = {}
    for e in unique:
        c = concepts.get(e.fact)
        st = stated_time(c.content) if c else Stated()
        if not st.end and c is not None and told_as_over(c.content):
            st = Stated(st.start, e.key[0])  # "was formerly": over by the time it was told
        stated[e.fact] = st
    ordered = _in_told_order(unique, {f: st.start for f, st in stated.items() if st.start})
    previous: Entry | None = None
    for e in ordered:
        st = stated[e.fact]
        e.valid_from = st.start or e.key[0]
        e.valid_to = st.end
        e.closed = st.end > 0
        if e.closed and not st.start and previous is not None and previous.answer == e.answer:
            e.valid_from = previous.valid_from  # "… until 2022" of a holder told before: held since then
        previous = e
    for e, nxt in zip(ordered, ordered[1:], strict=False):
        if nxt.answer == e.answer and nxt.closed and nxt.valid_from == e.valid_from:
            e.valid_to = e.valid_to or nxt.valid_to  # the same holding, told again with its end
        if not e.valid_to:
            e.valid_to = max(nxt.valid_from, e.valid_from)
    before: Entry | None = None
    told: dict[str, Entry] = {}  # each answer's last entry so far
    for e in ordered:
        if e.valid_from >= e.valid_to > 0 and not stated[e.fact].start:
            # undated, learned before a dated successor or end: held from an unknown start. An end
            # told of a holder told before keeps to that holding's start (its successor told first:
            # "Y succeeded X in 2022", "X was head until 2022"); else not before the end of the other
            # holder told before it ("A was mayor until 2019", then "B was mayor until 2023": B from 2019)
            earlier = told.get(e.answer)
            gone = before.valid_to if before is not None and before.answer != e.answer else 0.0
            if e.closed and earlier is not None and 0 < earlier.valid_from < e.valid_to:
                e.valid_from = earlier.valid_from
            else:
                e.valid_from = gone if 0 < gone < e.valid_to else 0.0
        before = told[e.answer] = e
    return ordered


def settle(slots: dict[str, list[Entry]], concepts: dict[str, Concept], as_of: float | None) -> Outcome:
    """Which answers of each slot give way: all but the last learned (now; none when its latest
    fact says it has ended), or all but the ones true at `as_of` (the last learned of those)."""
    dropped: dict[str, tuple[str, str | None]] = {}
    now = time.time()
    for slot, entries in slots.items():
        ordered = timeline(entries, concepts)
        if slot.startswith(FACT_SLOT):  # one fact of several values: out once its stated end has passed,
            first, last = ordered[0], ordered[-1]  # or, `as_of`, before the start its first telling states
            if last.closed and last.valid_to <= (now if as_of is None else as_of):
                dropped.setdefault(last.answer, (last.fact, None))
            elif as_of is not None and as_of < first.valid_from != first.key[0]:
                dropped.setdefault(first.answer, (first.fact, None))
            continue
        keep: Entry | None
        if as_of is None:
            latest = {e.answer: e for e in ordered}  # each answer's latest fact
            ended = {a for a, e in latest.items() if e.closed and e.valid_to <= now}
            current = [e for e in ordered if e.answer not in ended]
            keep = current[-1] if current else None
            place: dict[str, int] = {}  # each answer's first place in told order
            for i, e in enumerate(ordered):
                place.setdefault(e.answer, i)
            if keep is not None and any(a in ended and i > place[keep.answer]
                                        and ordered[i].valid_from > keep.valid_from for a, i in place.items()):
                keep = None  # a successor told after it came after it and has since gone: no holder told now
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


def fact_slot(relation: Relation) -> str:
    """The slot whose facts decide whether a relation still holds: its one-value slot, else the
    relation itself (subject, family, object), which only an explicit ending of it closes."""
    return slot_of(relation) or f"{FACT_SLOT}{relation.subject.key}|{relation.family}|{relation.object.key}"
