"""Yes or no about a value that changes over time: "Does X live in V?", "Did X work at A?", "Does X own the T?".

A path from X to V says X lived (worked, owned) there at some time; whether it is so now is the
current value of the slot ("Where does X live?", asked as the asker answers it). A present-tense
question is yes only when the current value is V; no, with the current value, when it is another
(or when the fact has ended). A past-tense one is yes on any path. Without either, a sentence of
the search hits naming both that asserts nothing ("X never lived in V", "X is thinking about
moving to V") answers no; otherwise the asker goes on as for any question.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sutra_stack.reasoning.models import Answer
from sutra_stack.reasoning.predicates import LIVE, OWN, WORK, is_role
from sutra_stack.reasoning.questions import Frame
from sutra_stack.reasoning.text import make_entity
from sutra_stack.reasoning.timeline import asserted
from sutra_stack.storage.model import SearchHit

SLOT_YES_NO = frozenset({LIVE, WORK, OWN})  # the families a yes/no question is settled by their current value
NO_FROM_PATH = 0.9  # a "no" from another current value: this share of that value's confidence
NO_FROM_END = 0.6  # a "no" to "now" for a value once held, since replaced or ended
NO_FROM_NEGATION = 0.6  # "X never lived in V", "X did not move to V"
NO_FROM_PLAN = 0.55  # "X plans to move to V": not there (yet)
_PAST = re.compile(r"^(?:did|was|were|had|has|have)\b", re.I)
_NEGATION = re.compile(r"\b(?:not|never|n't|no\s+longer)\b", re.I)
_OPEN_QUESTION = {LIVE: "Where does {x} live?", WORK: "Where does {x} work?", OWN: "Who owns {y}?"}
_VERB = {LIVE: ("lives in", "lived in"), WORK: ("works at", "worked at"), OWN: ("owns", "owned")}


def settles(frame: Frame) -> bool:
    return frame.yes_no and frame.families is not None and len(frame.families) == 1 \
        and ((f := next(iter(frame.families))) in SLOT_YES_NO or is_role(f))


def _same(shown: str, key: str) -> bool:
    e = make_entity(shown)
    return e is not None and (e.key == key or e.key.endswith(" " + key) or key.endswith(" " + e.key))


def _not_asserted_about(hits: list[SearchHit], x: str, y: str) -> SearchHit | None:
    for h in hits:
        low = h.content.lower()
        if x in low and y in low and not asserted(h.content):
            return h
    return None


def _holds_places(hits: list[SearchHit], place: str, person: str) -> bool:
    """Whether a hit not about `person` puts something in `place` ("a town in Norway")."""
    rx = re.compile(rf"\b(?:(?:is|are|was|lies|lie|located|situated|stands|sits|city|town|village|hamlet|port|suburb|"
                    rf"district|county|province|region|state)\s+in|(?:part|capital|county|province|region|state)\s+of)"
                    rf"\s+(?:the\s+)?{re.escape(place)}\b", re.I)
    return any(person not in h.content and rx.search(h.content) for h in hits)


def answer(question: str, frame: Frame, ever: Answer | None, hits: list[SearchHit],
           ask: Callable[[str], Answer]) -> Answer | None:
    """The yes or no, or None when neither is known (`ever`: the answer of the paths from X to V, if any)."""
    assert frame.known is not None and frame.other is not None and frame.families is not None
    fam = next(iter(frame.families))
    x, y = frame.known, frame.other
    past = bool(_PAST.match(question))
    role = fam[3:] if is_role(fam) else None  # "Is X still the chair of Y?": who holds it now
    now_verb, past_verb = _VERB[fam] if role is None else (f"is the {role} of", f"was the {role} of")
    plan = _not_asserted_about(hits, x.display.lower(), y.display.lower())
    if not past:
        asked = f"Who is the {role} of {y.display}?" if role else _OPEN_QUESTION[fam].format(x=x.display, y=y.display)
        current = ask(asked)
        value = current.answer if current.kind == "path" and current.confidence >= 0.5 else None
        by_thing = fam == OWN or role is not None  # the value asked is the holder: compared with X
        if value is not None:
            who_has = value if by_thing else None
            if _same(value, x.key if by_thing else y.key):
                text = f"Yes: {x.display} {now_verb} {y.display}."
                return Answer(question, text, current.confidence, "path", current.paths, text + " "
                              + current.explanation, current.answer_concept_id, current.supporting_facts)
            if re.search(rf"\b(?:a|an|any|some)\s+{re.escape(y.display)}\b", question, re.I):
                return None  # "Does X own a boat?": another's boat being someone's says nothing of X
            if not by_thing:  # "Does X live in Norway?" after "X lives in Bergen", "Bergen is a city in Norway"
                within = ask(f"Where is {value} located ultimately?")
                if within.kind == "path" and any(_same(st.content, y.key) for p in within.paths for st in p.steps):
                    text = f"Yes: {x.display} {now_verb} {value}, which is in {y.display}."
                    conf = round(min(current.confidence, within.confidence), 4)
                    return Answer(question, text, conf, "path", current.paths + within.paths, text + " "
                                  + current.explanation, current.answer_concept_id,
                                  current.supporting_facts + within.supporting_facts)
                if _holds_places(hits, y.display, x.display):
                    return None  # a place others are in: the current value may lie in it without a fact saying so
            now = (f"{who_has} is the {role} of {y.display}" if role and who_has else f"{who_has} owns {y.display}"
                   if who_has else f"{x.display} {now_verb} {value}")
            note = f" ({plan.content})" if plan is not None else ""
            text = f"No: {now}{note}."
            return Answer(question, text, round(current.confidence * NO_FROM_PATH, 4), "path", current.paths,
                          f"{text} The current value of the slot is another one: " + current.explanation,
                          current.answer_concept_id, current.supporting_facts)
        if ever is not None and ever.kind == "path":
            text = f"No: {x.display} {past_verb} {y.display}, but no longer {'is' if role else 'does'}."
            return Answer(question, text, NO_FROM_END, "path", ever.paths,
                          f"{text} The fact is over or replaced by a later one.", ever.answer_concept_id,
                          ever.supporting_facts)
    elif ever is not None and ever.kind == "path":
        text = f"Yes: {x.display} {past_verb} {y.display}."
        return Answer(question, text, ever.confidence, "path", ever.paths, text + " " + ever.explanation,
                      ever.answer_concept_id, ever.supporting_facts)
    if plan is not None:
        negated = bool(_NEGATION.search(plan.content))
        text = f"No: \u201c{plan.content}\u201d"
        why = ("The text says it was not so" if negated else "The text tells it only as planned, hoped or "
               "considered, which states no fact")
        return Answer(question, text, NO_FROM_NEGATION if negated else NO_FROM_PLAN, "direct", [],
                      f"{why}: \u201c{plan.content}\u201d.", plan.concept_id, [plan.concept_id])
    return None
