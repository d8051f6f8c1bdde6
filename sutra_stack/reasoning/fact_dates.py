"""When a fact between two named things began: "When did the Old Mill become a museum?", "When did
X move to Y?", "When did X join Y?", "How long has X lived in Y?", "Since when has X worked at Y?".

The question names both ends; the path between them is the fact, and its answer is the date its
sentence states (for "how long" / "since when": "since" that date). A fact told without a date
answers nothing known, never the sentence as a lead.
"""

from __future__ import annotations

import re

from sutra_stack.reasoning.explain import to_reasoning_path
from sutra_stack.reasoning.models import Answer
from sutra_stack.reasoning.predicates import LIVE, OWN, WORK, verb_lemma
from sutra_stack.reasoning.questions import FORWARD, Frame
from sutra_stack.reasoning.text import make_entity
from sutra_stack.reasoning.timeline import first_date
from sutra_stack.storage.model import Concept, GraphPath

BECOME = frozenset({"is", "isa", "verb:become", "verb:turn into", "verb:convert into", "verb:make into"})
_FAMILY = {"become": BECOME, "move": {LIVE}, "relocate": {LIVE}, "settle": {LIVE}, "live": {LIVE}, "reside": {LIVE},
           "join": {WORK}, "work": {WORK}, "buy": {OWN}, "purchase": {OWN}, "acquire": {OWN}, "inherit": {OWN},
           "own": {OWN}, "turn": BECOME, "convert": BECOME, "make": BECOME}
_WHEN = r"(?:when|in\s+what\s+year|what\s+year|in\s+which\s+year)"
_THE = r"(?:(?:the|a|an)\s+)?"
_WHEN_DID = re.compile(rf"^(?i:{_WHEN}\s+did)\s+(?P<x>.+?)\s+(?P<v>become|move|relocate|settle|join|buy|purchase|"
                       rf"acquire|inherit|start\s+working)\s+(?:(?i:to|in|at|for|into)\s+)?{_THE}(?P<y>.+)$")
_WHEN_WAS = re.compile(rf"^(?i:{_WHEN}\s+was)\s+(?P<x>.+?)\s+(?P<v>turned|converted|made)\s+(?:into|in\s+to)\s+"
                       rf"{_THE}(?P<y>.+)$")
_HOW_LONG = re.compile(rf"^(?i:how\s+long|since\s+when)\s+(?i:has|have|does|do|did)\s+(?P<x>.+?)\s+(?:been\s+)?"
                       rf"(?P<v>lived|living|live|resided|residing|reside|worked|working|work|owned|own)\s+(?:(?i:in|at|for)\s+)?{_THE}(?P<y>.+)$")


def start_frame(question: str) -> Frame | None:
    """The frame of a question about when a fact began, or None."""
    for rx in (_WHEN_DID, _WHEN_WAS, _HOW_LONG):
        m = rx.match(question)
        if m is None:
            continue
        v = m["v"].lower().split()[-1]
        fams = _FAMILY.get(v) or _FAMILY.get(verb_lemma(v)) or ({WORK} if v == "working" else None)
        if m["v"].lower().startswith("start"):  # "started working at Y" may be read as the verb itself
            fams = {WORK, "verb:start at", "verb:start for"}
        x, y = make_entity(m["x"]), make_entity(m["y"])
        if fams and x and y:
            return Frame(frozenset(fams), FORWARD, x, y, start_of="since" if rx is _HOW_LONG else "when")
    return None


def _date_after(text: str, other: str) -> str | None:
    """The first date after the second thing is named ("became a school in 1890 and a hotel in 1985": the
    hotel's is 1985), else the text's first."""
    at = text.lower().find(other.lower()) if other else -1
    return (first_date(text[at:]) if at >= 0 else None) or first_date(text)


def dated_answer(question: str, frame: Frame, good: list[tuple[GraphPath, list[str], bool]],
                 concepts: dict[str, Concept]) -> Answer | None:
    """The date the fact reaching the second thing states, from the most confident path that has one."""
    for path, facts, _later in sorted(good, key=lambda v: -v[0].confidence):
        fact = concepts.get(facts[-1]) if facts else None
        date = _date_after(fact.content, frame.other.display if frame.other else "") if fact is not None else None
        if fact is None or date is None:
            continue
        text = f"since {date}" if frame.start_of == "since" else date
        why = (f"The fact joining \u201c{frame.known.display if frame.known else ''}\u201d to "
               f"\u201c{frame.other.display if frame.other else ''}\u201d states when it began: "
               f"\u201c{fact.content}\u201d.")
        return Answer(question, text, round(path.confidence, 4), "path", [to_reasoning_path(path, concepts)], why,
                      fact.id, facts)
    return None
