"""Back-references across the sentences of one text beyond pronouns (paragraph.py applies them).

A first name alone is the one person of that first name named before ("Lotte's husband" after
"Lotte Maes"); "the press" is the press just named by its name ("The Corvid Press"); "There she
opened a bakery." is in the place just named; "He returned it." goes back to whoever lent it; a
role named without its "of …" ("took over as keeper", "held the post") is the role just named;
"They" after a marriage is each of the two; "She retired in 2019." ends her post. Pure.
"""

from __future__ import annotations

import re

from sutra_stack.reasoning.names import ABBREVIATIONS, CAPITAL, PARTICLE, UPPER, name
from sutra_stack.reasoning.text import make_entity
from sutra_stack.reasoning.timeline import DATE, MONTHS

THERE_FIRST = re.compile(  # "There she opened a bakery.": she opened a bakery in the place just named
    r"^There,?\s+(?!(?:is|are|was|were|has|have|had|will|would|used|seems?|remains?|lies|lay|stands?|stood)\b)"
    r"(?P<rest>.+?)\s*(?P<end>[.!?]?)$"
)

# a role named without its "of …" ("took over as keeper that year") after one named with it
_BARE_ROLE = re.compile(
    r"\b(?P<v>(?:became|become|becomes|took\s+over\s+as|takes\s+over\s+as|(?:was|were|is|has\s+been|had\s+been)"
    r"(?:\s+(?:appointed|elected|named|made|formerly))?|(?:stepped|stood)\s+down\s+as|resigned\s+as|retired\s+as|"
    rf"succeeded\s+{name()}\s+as|served\s+as)\s+(?:the\s+|its\s+|new\s+)?)"
    r"(?P<n>[a-z]+)\b(?!\s+(?:of|at|for)\b|['\u2019])"
)

RETIRED = re.compile(
    rf"^(?P<x>{name()})\s+(?:retired|resigned|stepped\s+down|stood\s+down|quit|was\s+(?:fired|dismissed|sacked|laid\s+off))"
    r"(?P<tail>(?:\s+(?:in|on)\s+[\w ]*?\d{4})?)\s*[.!?]?$"
)
DATE_IN = re.compile(rf"((?i:{DATE}))")
# "In 2019 Hélène Roux took over.": in the post last named (then "succeeded <its holder> as …")
TOOK_OVER = re.compile(
    r"^(?P<lead>(?:(?:In|On|By|During)\s+[\w ]*?\d{4}\s*,?\s+)?)"
    rf"(?P<y>{name()})"
    r"\s+(?:took|takes|has\s+taken)\s+over(?P<tail>(?:\s+(?:in|on)\s+[\w ]*?\d{4})?)\s*[.!?]?$"
)
# not "May 2019", "Dr.", nor the first name of a full name with a particle ("Ana de la Cruz")
_FIRST_NAME = re.compile(rf"(?<![\w'\-])(?P<f>{CAPITAL}[a-z]+)\b(?!\.|\s+(?:[{UPPER}]|\d|(?:{PARTICLE}\s+)+{CAPITAL}))")
_TITLES = frozenset(f"{a}." for a in ABBREVIATIONS)


def full_names(s: str, people: list[str]) -> str:
    """ "Lotte's husband" after "Lotte Maes" was named: Lotte Maes's (a first name one person has)."""
    firsts: dict[str, set[str]] = {}
    for p in people:
        ws = p.split()
        if ws and ws[0] in _TITLES:  # "Dr. Ana Ruiz": Ana
            ws = ws[1:]
        if len(ws) >= 2 and ws[0][:1].isupper():
            firsts.setdefault(ws[0], set()).add(p)

    def full(m: re.Match[str]) -> str:
        names = firsts.get(m["f"], set()) if m["f"].lower() not in MONTHS else set()
        before = s[: m.start()].rstrip()
        last = before.split()[-1] if before else ""
        if len(names) != 1 or (last[:1].isupper() and (last in _TITLES or not last.endswith((".", ",")))):
            return m.group(0)
        return next(iter(names))

    return _FIRST_NAME.sub(full, s) if firsts else s


_RETURNED = re.compile(
    r"^(?P<x>.+?)\s+(?:returned|gave\s+back|handed\s+back|brought\s+back)\s+(?P<y>.+?)"
    r"(?P<tail>(?:\s+back)?(?:\s+(?:in|on|at|after|before|during)\s+.*?)?)\s*(?P<end>[.!?]?)$"
)


def returned_to(s: str, lenders: dict[str, str]) -> str:
    """ "He returned it in August." after "Ines lent her van to Tom": returned it to Ines."""
    m = _RETURNED.match(s) if lenders and " to " not in s else None
    e = make_entity(m["y"]) if m else None
    if m is None or e is None or e.key not in lenders:
        return s
    return f"{m['x']} returned {m['y']} to {lenders[e.key]}{m['tail']}{m['end'] or '.'}"


NAMED_THING = re.compile(r"^(?:[Tt]he\s+)?" + name(more="+", joiner=r"(?:of\s+)?") + "$")


def the_named(s: str, name: str) -> str:
    """ "the press" after "The Corvid Press" was named: the same press."""
    head = name.split()[-1]
    core = name[4:] if name.lower().startswith("the ") else name
    return re.sub(rf"\b[Tt]he\s+{re.escape(head.lower())}\b(?!\s+(?:in|of)\b)", "the " + core, s)



THEY = re.compile(r"^(?P<lead>(?:(?:In|On|Since|By|in|on|since|by)\s+[\w ]*?\d{4}\s*,?\s+)?)(?:They|they)\s+"
                   r"(?P<rest>(?!are\b|were\b|have\b|had\b)[a-z].*)$")


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


_HELD_POST = re.compile(
    r"\b(?:held|kept|occupied|filled)\s+(?:the|that|this|his|her|their)\s+(?:post|position|role|office)\b"
)


def bare_role(s: str, role: tuple[str, str]) -> str:
    """ "Anneli Rask took over as keeper that year" after "keeper of the Salt Point lighthouse": of it;
    "he held the post until 2016": was keeper of it."""
    noun, of = role
    s = _HELD_POST.sub(f"was {noun} of {of}", s)
    m = _BARE_ROLE.search(s)
    if m is None or m["n"].lower() != noun.split()[-1]:
        return s
    return s[: m.end("n")] + " of " + of + s[m.end("n") :]
