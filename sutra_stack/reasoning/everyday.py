"""Everyday paragraph prose restated as the simple sentences the clause readers know.

Owns the shapes of ordinary prose about people and places that restate.py hands over:

- "X moved back to D in 2022" (also "returned to D", "went back to D") → "X moved to D in 2022";
  "X is back in D" → "X lives in D";
- "stands just outside D" → "stands on the outskirts of D" (placed in D, as "in the centre of D");
- "After university she moved to B" (a stage of life fronted without its comma) → "She moved to B";
- "Samir Haddad and his wife Leila live in Corvin" → "Leila Haddad is Samir Haddad's wife." and
  where each of them lives (a first name alone takes the family name of the one named with it);
  "Hugo Brandt and his wife Ella run a bakery" → the marriage, then "Hugo Brandt and Ella Brandt run …";
- "Their son Karim studies medicine in Ostend" after such a couple (or after "A married B") → Karim
  Haddad is the son of each of them, then "Karim Haddad studies medicine in Ostend.".

Pure and deterministic; each shape is tried only when its words are in the sentence.
"""

from __future__ import annotations

import re

from sutra_stack.reasoning.backrefs import cap
from sutra_stack.reasoning.names import name, person
from sutra_stack.reasoning.timeline import DATE

_PERSON = person("Their", "His", "Her")
_LEAD = rf"(?P<lead>(?:(?i:in|on|by|during)\s+(?i:{DATE})\s*,?\s+)?)"

_BACK = re.compile(
    r"\b(?:(?P<move>moved\s+back|went\s+back|came\s+back|returned|has\s+returned|has\s+moved\s+back)\s+(?:home\s+)?to"
    r"|(?P<be>is|are)\s+(?:now\s+)?back\s+in)\s+(?=[A-Z])"
)
_STAGE = re.compile(
    r"^(?:After|Before)\s+(?:university|college|school|graduating|graduation|the\s+war|her\s+studies|his\s+studies)"
    r"\s+(?=(?:[Hh]e|[Ss]he|[Tt]hey|[A-Z][\w'\-]+)\s+[a-z])"
)
_JUST_OUTSIDE = re.compile(r"\b(?P<v>stands|lies|sits|is)\s+(?:just|right)\s+outside\s+(?=[A-Z])")

_AND_SPOUSE = re.compile(
    rf"^{_LEAD}(?P<x>{_PERSON})\s+and\s+(?:his|her)\s+(?P<k>wife|husband|partner)\s+(?P<y>{_PERSON})\s+"
    r"(?P<v>live|lived|have\s+lived|moved|settled|emigrated)\s+(?P<rest>(?:in|to|at|near)\s+.+?)\s*[.!?]?$"
)
# "Hugo Brandt and his wife Ella run a bakery": the marriage, then both of them as one subject
_AND_SPOUSE_ANY = re.compile(
    rf"^{_LEAD}(?P<x>{_PERSON})\s+and\s+(?:his|her)\s+(?P<k>wife|husband|partner)\s+(?P<y>{_PERSON})\s+"
    r"(?P<rest>[a-z].+?)\s*[.!?]?$"
)
# "Erik Holm married Sara Lind in 2001": the couple a later "Their son …" is a child of
# "sold it to his neighbour, Rui Costa": the person named after a comma, as "his neighbour Rui Costa" reads
_KIN_COMMA_NAME = re.compile(
    rf"\b(?P<k>(?:his|her|their)\s+[a-z]+(?:\s+[a-z]+)?),\s+(?P<n>{name(more='+')}),?(?=\s*(?:[.!?]|$|\s+in\s))"
)
_MARRIED = re.compile(rf"^{_LEAD}(?P<x>{_PERSON})\s+(?:married|wed)\s+(?P<y>{_PERSON})\b")
_SINGULAR = {"live": "lives", "have lived": "has lived"}
_THEIR_CHILD = re.compile(
    rf"^{_LEAD}Their\s+(?:eldest\s+|youngest\s+|only\s+)?(?P<k>son|daughter|child)"
    rf",?\s+(?P<c>{_PERSON}),?\s+(?P<rest>[a-z].*?)\s*[.!?]?$"
)


def normalised(s: str) -> str:
    """The sentence with a move back, 'just outside', a comma-less fronted stage and a person named
    after a comma ('to his neighbour, Rui Costa') read as plain words."""
    if ("his " in s or "her " in s or "their " in s) and ", " in s:
        s = _KIN_COMMA_NAME.sub(lambda m: f"{m['k']} {m['n']}", s)
    if not (" back " in s or "returned " in s or " outside " in s or s.startswith(("After ", "Before "))):
        return s
    s = _STAGE.sub("", s)
    s = _JUST_OUTSIDE.sub(lambda m: m["v"] + " on the outskirts of ", s)
    return _BACK.sub(lambda m: "moved to " if m["move"] else ("live" if m["be"] == "are" else "lives") + " in ", s)


def _full(first: str, beside: str) -> str:
    """ "Leila" beside "Samir Haddad" → "Leila Haddad" (a full name, or one beside a one-word name, stays)."""
    return first if " " in first or " " not in beside else f"{first} {beside.split()[-1]}"


Couple = tuple[str, str]


def couple_told(s: str, couple: Couple | None) -> tuple[list[str] | None, Couple | None]:
    """A couple named with their home, or a child of the couple named before: the simple sentences it
    states (None when neither shape fits) and the couple the next sentence's 'Their' refers to."""
    if (" and his " in s or " and her " in s) and (m := _AND_SPOUSE.match(s)):
        x, y = m["x"], _full(m["y"], m["x"])
        v = _SINGULAR.get(m["v"], m["v"])
        return [f"{y} is {x}'s {m['k']}.", cap(f"{m['lead']}{x} {v} {m['rest']}."),
                cap(f"{m['lead']}{y} {v} {m['rest']}.")], (x, y)
    if (" and his " in s or " and her " in s) and (m := _AND_SPOUSE_ANY.match(s)):
        x, y = m["x"], _full(m["y"], m["x"])
        return [f"{y} is {x}'s {m['k']}.", cap(f"{m['lead']}{x} and {y} {m['rest']}.")], (x, y)
    if (" married " in s or " wed " in s) and (m := _MARRIED.match(s)):
        return None, (m["x"], m["y"])
    if couple and "Their " in s and (m := _THEIR_CHILD.match(s)):
        c = _full(m["c"], couple[0])
        return [f"{c} is the {m['k']} of {couple[0]}.", f"{c} is the {m['k']} of {couple[1]}.",
                cap(f"{m['lead']}{c} {m['rest']}.")], couple
    return None, couple
