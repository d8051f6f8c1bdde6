"""Kinship answers that depend on sex: whether a parent, child or sibling is the father, the daughter, ...

A kinship question names a sexed noun ("Who is Amara's father?") and also accepts the family
that holds whatever the sex (of:parent, learned from "Amara is the daughter of Kwame"). Such an
answer stands unless what was learned about the person shows the other sex: a sexed kinship noun
said of them ("Kwame is the brother of ...", "her sister Signe") or a pronoun that refers back to
them ("Amara became editor. She ..."). Unknown sex keeps the answer.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from sutra_stack.reasoning.candidates import SEARCH_K
from sutra_stack.reasoning.names import name as name_pattern
from sutra_stack.reasoning.predicates import GENERIC_KIN, Relation
from sutra_stack.reasoning.questions import Frame
from sutra_stack.reasoning.text import split_sentences, wordset
from sutra_stack.storage.model import GraphPath
from sutra_stack.storage.store_protocol import KnowledgeStore

FEMALE_NOUNS = wordset(
    "mother daughter sister wife aunt niece grandmother granddaughter godmother stepmother stepdaughter "
    "girlfriend fiancee widow mum mom"
)
MALE_NOUNS = wordset(
    "father son brother husband uncle nephew grandfather grandson godfather stepfather stepson boyfriend "
    "fiance widower dad"
)
SEX_UNKNOWN = 0.65  # a path's confidence factor when it reaches a parent, child or sibling of unknown sex
_SEX_OF_FAMILY = {f"of:{n}": "f" for n in FEMALE_NOUNS} | {f"of:{n}": "m" for n in MALE_NOUNS}
_NOUNS = "|".join(sorted(FEMALE_NOUNS | MALE_NOUNS))
_PRONOUN_SEX = {"she": "f", "her": "f", "he": "m", "his": "m"}
_LEAD = re.compile(r"^(?:(?:in|on|by|from|since|until|after)\s+[\w ,]*?\d{4},?\s+)?", re.I)


def asked_sex(families: frozenset[str] | None) -> str | None:
    """"f" or "m" when a kinship question's noun is sexed and it also accepts the sexless family."""
    sexes = {sex for f in families or () if (sex := _SEX_OF_FAMILY.get(f)) and f in GENERIC_KIN}
    return sexes.pop() if len(sexes) == 1 else None  # "children": sons and daughters, no sex asked


def sex_of(family: str) -> str | None:
    """The sex a kinship family says its subject is ("of:daughter": "f"), or None."""
    return _SEX_OF_FAMILY.get(family)


def is_sexless(family: str) -> bool:
    return family in GENERIC_KIN.values()


_NAME = re.compile(r"\b" + name_pattern(r"[\w\-]+", more="+", particles=True))
_WHO = name_pattern(r"[\w\-]+", more="+")  # a person of two or more words
_OWNER = name_pattern(r"[\w\-]*") + "['\u2019]s"  # "Ruth Dale's"


@lru_cache(maxsize=256)
def _patterns(name: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    n = re.escape(name) if name else rf"(?P<who>{_WHO})"
    said = re.compile(rf"\b{n}\s+(?:is|was)\s+(?:the|a|an|his|her|their|{_OWNER})"
                      rf"\s+(?:[a-z]+\s+)?(?P<n>{_NOUNS})\b")  # "X is Ruth Dale's daughter" too
    named = re.compile(rf"\b(?:[Hh]is|[Hh]er|[Tt]heir|{_OWNER})\s+(?:[a-z]+\s+)?"
                       rf"(?P<n>{_NOUNS}),?\s+{n}\b")
    return said, named


def _sex_said(content: str, name: str = "") -> dict[str, set[str]]:
    """Who a text calls by a sexed kinship noun ("X is the son of", "her sister X"): name → sexes."""
    said, named = _patterns(name)
    out: dict[str, set[str]] = {}
    for m in (*said.finditer(content), *named.finditer(content)):
        who = name or m["who"]
        out.setdefault(who, set()).add("f" if m["n"].lower() in FEMALE_NOUNS else "m")
    return out


def sex_in(name: str, contents: list[str]) -> str | None:
    """The sex the texts show `name` to be ("f", "m"), or None when they show neither or both.

    A pronoun opening a sentence refers to the first person the sentence before names (its
    subject) unless that one is called by a noun of the other sex ("Viggo is the son of Elke.
    She ...": Elke)."""
    seen: set[str] = set()
    for content in contents:
        if name not in content:
            continue
        seen |= _sex_said(content, name).get(name, set())
        sentences = split_sentences(content)
        for first, nxt in zip(sentences, sentences[1:], strict=False):
            word = nxt.split(maxsplit=1)[0].lower() if nxt.strip() else ""
            if name not in first or word not in _PRONOUN_SEX:
                continue
            sex = _PRONOUN_SEX[word]
            called = _sex_said(first)
            people = [m.group(0) for m in _NAME.finditer(_LEAD.sub("", first))]
            pick = next((p for p in people if called.get(p, {sex}) == {sex} or sex in called.get(p, set())), None)
            if pick == name:
                seen.add(sex)
    return seen.pop() if len(seen) == 1 else None


def of_sex(store: KnowledgeStore, frame: Frame, good: list[tuple[GraphPath, list[str], bool]],
           relations: dict[str, list[Relation]], sex: str) -> list[tuple[GraphPath, list[str], bool]]:
    """The paths whose answer is stated with the asked sexed noun, or through the sexless family
    (parent, child, sibling) about someone not known to be of the other sex (one text search each),
    at a lower confidence when their sex is not known at all."""
    known: dict[str, str | None] = {}
    kept = []
    for p, facts, later in good:
        answer = p.concepts[0]
        stated = [r for r in relations.get(facts[0], []) if r.subject.id == answer and frame.accepts(r.family)]
        if stated and all(is_sexless(r.family) for r in stated):
            name = stated[0].subject.display
            if name not in known:
                known[name] = sex_in(name, [h.content for h in store.text_search(name, k=SEARCH_K)])
            if known[name] not in (None, sex):
                continue
            if known[name] is None:  # "Kwame" for "Amara's father": a parent, the sex asked for not known
                p = replace(p, confidence=p.confidence * SEX_UNKNOWN)
        kept.append((p, facts, later))
    return kept
