"""Paragraphs: the sentences of one text with their pronouns and back-references resolved.

"Dario Venn grew up in Castelmoro. In 2016 he moved to Vellano." becomes two facts that each
name Dario Venn. he/she/his/her go to the last person named as a sentence's subject (else the
last person named), him/her as an object to the previous sentence's subject, it/its to the last
thing spoken of, "there" to the last place a relation named, and "that year" / "the following
year" / "two years later" to the year last stated; the other back-references are backrefs.py's,
and compound sentences are first restated as simple ones (restate.py). Pure and deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sutra_stack.reasoning.backrefs import (
    DATE_IN,
    NAMED_THING,
    RETIRED,
    THERE_FIRST,
    THEY,
    TOOK_OVER,
    bare_role,
    cap,
    full_names,
    returned_to,
    the_named,
)
from sutra_stack.reasoning.extract import relations_in_sentence
from sutra_stack.reasoning.names import CAPITAL, PARTICLES, WORD
from sutra_stack.reasoning.names import name as name_pattern
from sutra_stack.reasoning.predicates import (
    BORN,
    GREW_UP,
    HOLD,
    KIN_NOUNS,
    LIVE,
    LOCATED,
    OWN,
    ROLE_NOUNS,
    WORK,
    is_role,
)
from sutra_stack.reasoning.restate import restate
from sutra_stack.reasoning.text import singular, wordset

_NAME = re.compile(
    rf"^(?P<n>(?:[Tt]he\s+(?={CAPITAL}))?{WORD}(?:\s+(?:(?:{PARTICLES})\b|{WORD}))*)"
)
_LEADING = re.compile(
    rf"^(?:from\s+\d{{4}}\s+(?:to|until)\s+\d{{4}}|(?:in|on|by|since|during)\s+(?:{CAPITAL}[a-z]+\s+)?(?:\d{{1,2}}\s+)?(?:{CAPITAL}[a-z]+\s+)?\d{{4}}|"
    r"then|later|afterwards|after\s+that|before\s+that|that\s+year|meanwhile|eventually|"
    r"finally|soon\s+after|for\s+now)\s*,?\s+",
    re.I,
)
_NOT_NAMES = wordset(
    "The A An This That These Those It Its He She His Her They Their There Then Later In On At By Since "
    "After Before During When While If Every Each Some Most All Many"
)
_THING_WORDS = wordset(
    "press museum club school robotics labs lab festival fair theatre theater park air market orchestra "
    "gazette observatory hall farm company café cafe kettle bakery press street road lane river lake "
    "cross city town village county province"
)
_ROLE_PHRASE = re.compile(
    r"\b(?:as|appointed|became|elected|named|become)\s+(?P<r>(?:the\s+)?[a-z]+(?:\s+[a-z]+)?\s+of\s+(?:the\s+)?"
    rf"{name_pattern()})"
)
_SUCCEEDED = re.compile(
    rf"\b(?:succeeded|replaced|succeeds|replaces)\s+{name_pattern()}"
    r"(?=(?:\s+(?:in|on|during)\s+[^.;,]*?|\s+(?:last|this)\s+year)?\s*(?:[.;]|$))"
)
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_ROLE_END = re.compile(r"\b(?:to|until|till)\s+(1[0-9]{3}|20[0-9]{2})\b")
_YEAR_REF = re.compile(
    r"\b(?:(?P<same>that\s+(?:same\s+)?year|the\s+same\s+year)|(?P<next>the\s+(?:following|next)"
    r"\s+year|a\s+year\s+later)|(?P<n>two|three|four|five|six|seven|eight|nine|ten|\d+)\s+years"
    r"\s+later)\b",
    re.I,
)
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_PRONOUN = re.compile(r"\b(?P<p>he|she|his|her|him)\b(?=(?P<next>\s+[a-z]+)?(?P<after>\s+[a-z]+)?)", re.I)
_NOT_NOUNS = wordset(
    "in on at to for from with by and or but as a an the"
)
_POSSESSIVE_ONLY = re.compile(r"\b(?:his|her)\s+[a-z]", re.I)
_GENDER = {"he": "m", "his": "m", "him": "m", "she": "f", "her": "f"}
_THE_NP = re.compile(
    r"^(?P<n>[Tt]he\s+(?:(?!(?:is|was|are|were|has|have|had|will|can|may|might|would|does|did)\b)"
    rf"{CAPITAL}?[\w'\-]+\s+){{0,4}}?(?:{CAPITAL}[\w'\-]*|[a-z][\w\-]*))\s+(?=(?:is|was|are|were|has|have|had|will|can|may|"
    r"might|would|does|did)\b|[a-z]+(?:s|ed)\b)"
)
_IT_SUBJECT = re.compile(
    r"^(?P<lead>(?:[^,]*?,\s+|(?i:in|on|since|from|by|until|after)\s+[\w ]*?\d{4}\s+)?)"
    r"(?P<it>It|it)\b(?!['\u2019]s\b)"
)
_IT = re.compile(r"\bit\b(?!['\u2019]s\b)", re.I)
_ITS = re.compile(r"\bits\b", re.I)
_THERE = re.compile(r"(?<!^)\bthere\b", re.I)



def _subject_name(sentence: str) -> str | None:
    rest = _LEADING.sub("", sentence.strip())
    t = _THE_NP.match(rest)
    if t:  # "the Tarrowby folk week was held ...": the noun phrase before its verb
        return t["n"]
    m = _NAME.match(rest)
    if not m or (m["n"].split()[0] in _NOT_NAMES and not m["n"].startswith(("The ", "the "))):
        return None
    return re.sub(r"['\u2019]s?$", "", m["n"])


# what only a person does, right after a name ("Gideon Park grew up in Wexley": no park)
_ACTS = re.compile(
    r"^\s*(?:has\s+|had\s+|was\s+|is\s+)?(?:grew\s+up|born|lives|lived|moved|married|studied|works|worked|"
    r"retired|died|joined|became|teaches|taught|owns|owned|bought|sold|inherited|resigned|settled)\b"
)


# what a company or a town does not do either (for a name of one word: "Brightwave moved to Oslo" may be a firm)
_PERSON_DOES = frozenset({HOLD, OWN, LIVE, WORK, BORN, GREW_UP})  # families whose subject may be a person
_ONE_NAME = re.compile(rf"(?!(?:The|This|That|It|There)\b){CAPITAL}[a-z]+")
_ONLY_PEOPLE = re.compile(
    r"^\s*(?:has\s+|had\s+|was\s+|is\s+)?(?:grew\s+up|born|lives|lived|married|studied|works|worked|retired|died|"
    r"joined|teaches|taught|resigned|inherited)\b"
)


def _acts_as_person(sentence: str, name: str) -> bool:
    at = sentence.find(name)
    acts = _ACTS if " " in name else _ONLY_PEOPLE
    return at >= 0 and acts.match(sentence[at + len(name) :]) is not None


def _is_person(name: str, persons: frozenset[str] | set[str] = frozenset()) -> bool:
    if name in persons:
        return True
    ws = name.split()
    return len(ws) >= 2 and ws[0].lower() != "the" and not any(w.lower() in _THING_WORDS for w in ws)


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


def _definite(s: str, thing: str) -> str:
    words = thing.split()
    if len(words) < 2:
        return s
    head = re.split(r"\s+(?:in|of)\s+", thing)[0].split()[-1]
    full = thing if thing.lower().startswith("the ") else "the " + re.sub(r"^(?:a|an|his|her|their)\s+", "", thing)
    return re.sub(rf"\bthe\s+{re.escape(head)}\b(?!\s+(?:in|of)\b)", full, s)


def _literal_after(text: str) -> Callable[[re.Match[str]], str]:
    return lambda m: m.group(0) + text


_PEOPLE_NOUNS = KIN_NOUNS | ROLE_NOUNS | wordset("deputy friend colleague boss assistant neighbour neighbor teacher "
                                               "student pupil godmother godfather mentor successor predecessor")


def _names_a_person(word: str, after: str | None) -> bool:
    """Whether "her <word> [<after>]" names a person ("her nephew", "her older sister", "his deputy")."""
    w, a = word.strip().lower(), (after or "").strip().lower()
    return singular(w) in _PEOPLE_NOUNS or (w in _ADJECTIVES and singular(a) in _PEOPLE_NOUNS)


_ADJECTIVES = wordset("older younger elder eldest oldest youngest big little late former first new")


def _pronouns(s: str, subject: str | None, people: list[str], gender: dict[str, str], prev: str | None,
              persons: set[str], others: list[str]) -> str:
    """he/she/his/her/him resolved: to the most recent person of the pronoun's gender (as far as
    earlier pronouns showed it); an object pronoun to someone other than the sentence's subject."""
    if not people and not others and prev is None:
        return s
    out: list[str] = []
    last = 0
    current = subject if subject and _is_person(subject, persons) else None
    for m in _PRONOUN.finditer(s):
        p = m["p"].lower()
        g = _GENDER[p]
        possessive = p in ("his", "her") and m["next"] is not None and m["next"].strip() not in _NOT_NOUNS
        opening = not s[: m.start("p")].strip() or _LEADING.fullmatch(s[: m.start("p")]) is not None
        if possessive and not opening and not _names_a_person(m["next"], m["after"]):
            continue  # "her flower shop" stays a flower shop (the pronoun is no part of the thing's name)
        subject_position = p in ("he", "she")
        ruled_out = current if not (subject_position or possessive) else None
        pick = None
        pool = list(reversed(people)) + [o for o in reversed(others) if o not in people]  # subjects first
        if not (subject_position or possessive) and prev and prev not in people:
            pool.insert(0, prev)  # "inherited him": the one just spoken of (a pet named Moss)
        for name in pool:
            if name == ruled_out or gender.get(name, g) != g:
                continue
            pick = name
            break
        if pick is None and subject_position and not people and prev and _ONE_NAME.fullmatch(prev):
            pick = prev  # "Maren moved to Lisbon. She …": a name of one word, said to be someone
        if pick is None:
            continue
        gender.setdefault(pick, g)
        if subject_position and current is None:
            current = pick
        text = pick + "'s" if possessive else pick
        out.append(s[last : m.start("p")] + text)
        last = m.end("p")
    out.append(s[last:])
    return "".join(out)


def resolve(sentences: list[str]) -> list[str]:
    """The sentences of one text, each naming what its pronouns and back-references refer to
    (compound sentences first restated as simple ones: restate.py)."""
    sentences = restate(sentences)
    if len(sentences) < 2 and not (sentences and _POSSESSIVE_ONLY.search(sentences[0])):
        return sentences
    people: list[str] = []  # persons named as subjects, most recent last
    persons: set[str] = set()  # names with a thing's word that act as a person ("Gideon Park grew up")
    gender: dict[str, str] = {}  # what the pronouns that referred to a person showed
    prev_subject: str | None = None
    thing: str | None = None  # last thing spoken of
    place: str | None = None
    role: str | None = None  # the last role named ("head chef of the Copper Kettle")
    held_role: tuple[str, str] | None = None  # the last role a relation named: (noun, what it is of)
    couple: tuple[str, str] | None = None  # the last two people a marriage named ("they")
    named: str | None = None  # the last thing named by its name ("The Corvid Press"), for "the press"
    roles: list[tuple[str, str, str]] = []  # the last role named: (holder, noun, what it is of)
    role_end: str | None = None  # the year the last role named ended ("mayor of X from 2010 to 2018")
    employers: list[tuple[str, str]] = []  # the last employer named: (employee, employer)
    lenders: dict[str, str] = {}  # a lent thing's key → who lent it (to whom it goes back)
    others: list[str] = []  # persons a relation named who were no sentence's subject, most recent last
    year: int | None = None
    out: list[str] = []
    for n, sentence in enumerate(sentences):
        s, year = _years(sentence, year)
        s = full_names(s, people)
        there = THERE_FIRST.match(s) if place is not None else None
        if there:
            s = cap(f"{there['rest']} in {place}{there['end'] or '.'}")
        subject = _subject_name(s)
        if subject and not subject.lower().startswith("the ") and _acts_as_person(s, subject):
            persons.add(subject)
        if subject and _is_person(subject, persons) and subject not in people:  # "X gave it to her nephew"
            people.append(subject)
        s = _pronouns(s, subject, people, gender, prev_subject, persons, others)
        if thing is not None or prev_subject is not None:
            m = _IT_SUBJECT.match(s)
            if m and prev_subject and not _is_person(prev_subject, persons):
                the = prev_subject.startswith(("The ", "the "))
                named = prev_subject[0].lower() + prev_subject[1:] if the else prev_subject
                s = s[: m.start("it")] + (named if m.start("it") else prev_subject) + s[m.end("it") :]
            elif m and thing:
                s = s[: m.start("it")] + thing + s[m.end("it") :]
            if thing:
                s = _IT.sub(thing, s)
            its = prev_subject if prev_subject and not _is_person(prev_subject, persons) else thing
            if its:
                s = _ITS.sub(its + "'s", s)
        if place is not None:
            s = _THERE.sub(f"in {place}", s)
        if thing is not None:  # "the shop" after "her flower shop in Easterby": the same shop
            s = _definite(s, thing)
        if named is not None and named != thing:
            s = the_named(s, named)
        s = returned_to(s, lenders)
        if role is not None:  # "Tobias Hale succeeded her.": in the role just named
            s = _SUCCEEDED.sub(_literal_after(" as " + role), s)
        elif roles and (m := TOOK_OVER.match(s)) and m["y"] != roles[-1][0]:  # "In 2019 Y took over."
            holder, noun, org = roles[-1]
            s = f"{m['lead']}{m['y']} succeeded {holder} as {noun} of {org}{m['tail']}."
        elif roles and (m := _SUCCEEDED.search(s)) and m.group(0).split(None, 1)[1] == roles[-1][0]:
            since = f" in {role_end}" if role_end and not _YEAR.search(s) else ""  # from when hers ended
            s = s[: m.end()] + f" as {roles[-1][1]} of {roles[-1][2]}{since}" + s[m.end() :]  # the post she held
        if held_role is not None:  # "Anneli Rask took over as keeper that year": of what was just named
            s = bare_role(s, held_role)
        m = _ROLE_PHRASE.search(s)
        if m:
            role = m["r"]
        s = s[:1].upper() + s[1:]
        subject = _subject_name(s) or subject
        if subject and _is_person(subject, persons):
            if subject in people:
                people.remove(subject)
            people.append(subject)
        if subject:
            prev_subject = subject
            if not _is_person(subject, persons) and NAMED_THING.match(subject):
                named = subject
        they = THEY.match(s) if couple is not None else None
        if they and couple is not None:  # "They live in Westbrook" after "A married B": each of them
            lead = they["lead"]
            out += [cap(f"{lead}{who} {they['rest']}") for who in couple]
            continue
        ended = RETIRED.match(s)
        if ended:  # "She retired in 2019.": the role or employer last named for her ends then
            until = DATE_IN.search(ended["tail"])
            when = until.group(1) if until else "recently"
            out.append(s)
            x = ended["x"]
            out += [f"{x} was {noun} of {org} until {when}." for holder, noun, org in roles if holder == x]
            out += [f"{x} worked at {org} until {when}." for holder, org in employers if holder == x]
            continue
        relations = relations_in_sentence(s) if n + 1 < len(sentences) else []
        married = next((r for r in relations if r.family == "spouse"), None)
        if married is not None:
            couple = (married.subject.display, married.object.display)
        for r in relations:
            kin = r.family == "spouse" or (r.family.startswith("of:") and r.family[3:] in KIN_NOUNS)
            for who in [r.subject.display] * (r.family in _PERSON_DOES or kin) + [r.object.display] * kin:
                if who not in people and _is_person(who, persons) and who[:1].isupper() and "'" not in who:
                    others = [o for o in others if o != who] + [who]
            done_at = r.family.startswith("verb:") and r.family.endswith((" in", " at"))
            if r.family in (LIVE, LOCATED, WORK) or done_at:
                place = r.object.display  # also "worked as a clerk in Ravenport. … was born there"
            if r.family == WORK:
                employers = [(r.subject.display, r.object.display)]
            if is_role(r.family):
                held_role = (r.family[3:], r.object.display)
            if r.family.startswith("of:") and r.family[3:] not in _PEOPLE_NOUNS - ROLE_NOUNS:  # a post ("matron of")
                roles = [(r.subject.display, r.family[3:], r.object.display)]
                end = _ROLE_END.search(s)
                role_end = end.group(1) if end else None
            if r.family == OWN and r.rule == "hold":  # lent: it goes back to its owner
                lenders[r.object.key] = r.subject.display
            if r.family == OWN:
                thing = "the " + r.object.display if r.object.display[:1].islower() else r.object.display
        out.append(s)
    return out
