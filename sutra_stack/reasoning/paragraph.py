"""Paragraphs: the sentences of one text with their pronouns and back-references resolved.

"Dario Venn grew up in Castelmoro. In 2016 he moved to Vellano." becomes two facts that each
name Dario Venn. he/she/his/her go to the last person named as a sentence's subject (else the
last person named), him/her as an object to the previous sentence's subject, it/its to the last
thing spoken of, "there" to the last place a relation named, and "that year" / "the following
year" / "two years later" to the year last stated. Pure and deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sutra_stack.reasoning.extract import relations_in_sentence
from sutra_stack.reasoning.predicates import LIVE, LOCATED, OWN, WORK

_NAME = re.compile(
    r"^(?P<n>(?:The\s+(?=[A-Z]))?[A-Z][\w'\-]*(?:\s+(?:(?:van|von|de|da|del|der|di|le|la|al|bin)\b|"
    r"[A-Z][\w'\-]*))*)"
)
_LEADING = re.compile(
    r"^(?:(?:in|on|by|since|during)\s+(?:[A-Z][a-z]+\s+)?(?:\d{1,2}\s+)?(?:[A-Z][a-z]+\s+)?\d{4}|"
    r"then|later|afterwards|after\s+that|before\s+that|that\s+year|meanwhile|eventually|"
    r"finally|soon\s+after)\s*,?\s+",
    re.I,
)
_NOT_NAMES = frozenset(
    [
        "The",
        "A",
        "An",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "Its",
        "He",
        "She",
        "His",
        "Her",
        "They",
        "Their",
        "There",
        "Then",
        "Later",
        "In",
        "On",
        "At",
        "By",
        "Since",
        "After",
        "Before",
        "During",
        "When",
        "While",
        "If",
        "Every",
        "Each",
        "Some",
        "Most",
        "All",
        "Many",
    ]
)
_THING_WORDS = frozenset(
    [
        "press",
        "museum",
        "club",
        "school",
        "robotics",
        "labs",
        "lab",
        "festival",
        "fair",
        "theatre",
        "theater",
        "park",
        "air",
        "market",
        "orchestra",
        "gazette",
        "observatory",
        "hall",
        "farm",
        "company",
        "café",
        "cafe",
        "kettle",
        "bakery",
        "press",
        "street",
        "road",
        "lane",
        "river",
        "lake",
        "cross",
        "city",
        "town",
        "village",
        "county",
        "province",
    ]
)
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_YEAR_REF = re.compile(
    r"\b(?:(?P<same>that\s+(?:same\s+)?year|the\s+same\s+year)|(?P<next>the\s+(?:following|next)"
    r"\s+year|a\s+year\s+later)|(?P<n>two|three|four|five|six|seven|eight|nine|ten|\d+)\s+years"
    r"\s+later)\b",
    re.I,
)
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_SUBJ_PRONOUN = re.compile(r"\b(?:he|she)\b", re.I)
_POSSESSIVE = re.compile(r"\b(?:his|her)\b(?=\s+[a-z])", re.I)
_OBJ_PRONOUN = re.compile(r"\b(?:him|her)\b", re.I)
_IT_SUBJECT = re.compile(r"^(?P<lead>(?:[^,]*?,\s+)?)(?P<it>It|it)\b(?!['\u2019]s\b)")
_IT = re.compile(r"\bit\b(?!['\u2019]s\b)", re.I)
_ITS = re.compile(r"\bits\b", re.I)
_THERE = re.compile(r"(?<!^)\bthere\b", re.I)


def _subject_name(sentence: str) -> str | None:
    rest = _LEADING.sub("", sentence.strip())
    m = _NAME.match(rest)
    if not m or (m["n"].split()[0] in _NOT_NAMES and not m["n"].startswith("The ")):
        return None
    return re.sub(r"['\u2019]s?$", "", m["n"])


def _is_person(name: str) -> bool:
    ws = name.split()
    return len(ws) >= 2 and ws[0] != "The" and not any(w.lower() in _THING_WORDS for w in ws)


def _years(sentence: str, last: int | None) -> tuple[str, int | None]:
    def repl(m: re.Match[str]) -> str:
        if last is None:
            return m.group(0)
        if m["same"]:
            return f"in {last}"
        if m["next"]:
            return f"in {last + 1}"
        n = int(m["n"]) if m["n"].isdigit() else _NUMBERS.get(m["n"].lower(), 0)
        return f"in {last + n}" if n else m.group(0)

    out = _YEAR_REF.sub(repl, sentence)
    found = _YEAR.findall(out)
    return out, (int(found[-1]) if found else last)


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _m: text


def resolve(sentences: list[str]) -> list[str]:
    """The sentences of one text, each naming what its pronouns and back-references refer to."""
    if len(sentences) < 2:
        return sentences
    person: str | None = None  # last person named as a subject (or resolved to)
    prev_subject: str | None = None
    thing: str | None = None  # last thing spoken of
    place: str | None = None
    year: int | None = None
    out: list[str] = []
    for sentence in sentences:
        s, year = _years(sentence, year)
        subject = _subject_name(s)
        if person is not None:
            who = person
            s = _POSSESSIVE.sub(_literal(who + "'s"), s)
            s = _SUBJ_PRONOUN.sub(_literal(who), s)
        obj_ref = prev_subject if prev_subject and prev_subject != (subject or person) else None
        if obj_ref is not None:
            s = _OBJ_PRONOUN.sub(obj_ref, s)
        if thing is not None or prev_subject is not None:
            m = _IT_SUBJECT.match(s)
            if m and prev_subject and not _is_person(prev_subject):
                named = prev_subject[0].lower() + prev_subject[1:] if prev_subject.startswith("The ") else prev_subject
                s = s[: m.start("it")] + (named if m.start("it") else prev_subject) + s[m.end("it") :]
            elif m and thing:
                s = s[: m.start("it")] + thing + s[m.end("it") :]
            if thing:
                s = _IT.sub(thing, s)
            its = prev_subject if prev_subject and not _is_person(prev_subject) else thing
            if its:
                s = _ITS.sub(its + "'s", s)
        if place is not None:
            s = _THERE.sub(f"in {place}", s)
        s = s[:1].upper() + s[1:]
        subject = _subject_name(s) or subject
        if subject and _is_person(subject):
            person = subject
        if subject:
            prev_subject = subject
        for r in relations_in_sentence(s):
            if r.family in (LIVE, LOCATED, WORK):
                place = r.object.display
            if r.family == OWN:
                thing = "the " + r.object.display if r.object.display[:1].islower() else r.object.display
        out.append(s)
    return out
