"""When a fact between two named things began: "When did the Old Mill become a museum?", "When did
X move to Y?", "When did X join Y?", "When did X sell Y?", "How long has X lived in Y?", "Since when
has X worked at Y?".

The question names both ends; the path between them is the fact, and its answer is the date its
sentence states (for "how long" / "since when": "since" that date). A fact told without a date
answers nothing known, never the sentence as a lead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sutra_stack.reasoning.explain import to_reasoning_path
from sutra_stack.reasoning.models import Answer
from sutra_stack.reasoning.predicates import LIVE, OWN, WORK, is_role, noun_family, verb_lemma
from sutra_stack.reasoning.questions import FORWARD, Frame
from sutra_stack.reasoning.text import make_entity
from sutra_stack.reasoning.timeline import DATE
from sutra_stack.storage.model import Concept, GraphPath

_DATE = re.compile(rf"\b{DATE}\b", re.I)
_ENDING = frozenset({"until", "till", "to", "before", "through", "by"})
BECOME = frozenset({"is", "isa", "verb:become", "verb:turn into", "verb:convert into", "verb:make into"})
_FAMILY = {"become": BECOME, "move": {LIVE}, "relocate": {LIVE}, "settle": {LIVE}, "live": {LIVE}, "reside": {LIVE},
           "join": {WORK}, "work": {WORK}, "buy": {OWN}, "purchase": {OWN}, "acquire": {OWN}, "inherit": {OWN},
           "own": {OWN}, "turn": BECOME, "convert": BECOME, "make": BECOME, "sell": {"verb:sell"}}
_WHEN = r"(?:when|in\s+what\s+year|what\s+year|in\s+which\s+year)"
_THE = r"(?:(?:the|a|an)\s+)?"
_WHEN_DID = re.compile(rf"^(?i:{_WHEN}\s+did)\s+(?P<x>.+?)\s+(?P<v>become|move|relocate|settle|join|buy|purchase|"
                       rf"acquire|inherit|sell|start\s+working)\s+(?:(?i:to|in|at|for|into)\s+)?{_THE}(?P<y>.+)$")
_WHEN_WAS = re.compile(rf"^(?i:{_WHEN}\s+was)\s+(?P<x>.+?)\s+(?P<v>turned|converted|made)\s+(?:into|in\s+to)\s+"
                       rf"{_THE}(?P<y>.+)$")
_HOW_LONG = re.compile(rf"^(?i:how\s+long|since\s+when)\s+(?i:has|have|does|do|did)\s+(?P<x>.+?)\s+(?:been\s+)?"
                       rf"(?P<v>lived|living|live|resided|residing|reside|worked|working|work|owned|own)\s+(?:(?i:in|at|for)\s+)?{_THE}(?P<y>.+)$")


_ROLE_SINCE = re.compile(r"^(?i:how\s+long|since\s+when)\s+(?i:has|have)\s+(?P<x>.+?)\s+(?i:been)\s+(?i:the\s+)?"
                         r"(?P<n>[a-z]+(?:\s+[a-z]+)?)\s+(?i:of|at)\s+(?P<y>.+)$")
_WHEN_ROLE = re.compile(rf"^(?i:{_WHEN}\s+did)\s+(?P<x>.+?)\s+(?i:become|take\s+over\s+as)\s+(?i:the\s+)?"
                        r"(?P<n>[a-z]+(?:\s+[a-z]+)?)\s+(?i:of|at)\s+(?P<y>.+)$")


def start_frame(question: str) -> Frame | None:
    """The frame of a question about when a fact began, or None."""
    for rx in (_ROLE_SINCE, _WHEN_ROLE):  # "since when has X been the chair of Y": the holder's fact
        m = rx.match(question)
        if m and is_role(fam := noun_family(m["n"])) and (x := make_entity(m["x"])) and (y := make_entity(m["y"])):
            return Frame(frozenset({fam}), FORWARD, x, y, start_of="since" if rx is _ROLE_SINCE else "when")
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


def _date_after(text: str, other: str, start: float) -> str | None:
    """The date of the fact's start as its sentence writes it: of the dates in the year the fact starts
    (`start`, from the stored association), the first after the second thing is named ("became a school
    in 1890 and a hotel in 1985": the hotel's is 1985), else the first; None when its sentence writes no
    date of that year. With no start stored, the first date after the second thing unless it is an end."""
    at = max(0, text.lower().find(other.lower())) if other else 0
    if start <= 1.0:  # no start stored: a date after the thing named, unless it ends the fact ("until 2021")
        m = _DATE.search(text, at)
        before = text[max(0, (m.start() if m else 0) - 8):m.start() if m else 0].lower().split()
        return m.group(0) if m and (not before or before[-1] not in _ENDING) else None
    year = str(datetime.fromtimestamp(start, tz=UTC).year)
    dates = [m.group(0) for m in _DATE.finditer(text[at:])] + [m.group(0) for m in _DATE.finditer(text)]
    return next((d for d in dates if year in d), None)


def dated_answer(question: str, frame: Frame, good: list[tuple[GraphPath, list[str], bool]],
                 concepts: dict[str, Concept]) -> Answer | None:
    """The date the fact reaching the second thing states, from the most confident path that has one."""
    for path, facts, _later in sorted(good, key=lambda v: -v[0].confidence):
        fact = concepts.get(facts[-1]) if facts else None
        hop = path.hops[-1] if path.hops else None
        if fact is None or hop is None or (frame.start_of == "since" and (hop.valid_to or 0.0) > 0.0):
            continue  # "how long has X been ...": not a fact that has ended
        date = _date_after(fact.content, frame.other.display if frame.other else "", hop.valid_from or 0.0)
        if fact is None or date is None:
            continue
        text = f"since {date}" if frame.start_of == "since" else date
        why = (f"The fact joining \u201c{frame.known.display if frame.known else ''}\u201d to "
               f"\u201c{frame.other.display if frame.other else ''}\u201d states when it began: "
               f"\u201c{fact.content}\u201d.")
        return Answer(question, text, round(path.confidence, 4), "path", [to_reasoning_path(path, concepts)], why,
                      fact.id, facts)
    return None
