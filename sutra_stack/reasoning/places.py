"""Kinds of place: which answers to "in which country / county / city is X" are of the kind asked.

A place's kind comes from what the learned facts say about it: "the county of Ashdale" (a
county), "Fennick is a village in ..." (a village), "Velmora is the capital of Ostrelia" (a
city, and Ostrelia a country or the like), "the Isle of Tamsk" (an island), "Eskdale is a province
of Marrovia" (a province), "the Feldspar Highlands" (a mountain range).
"""

from __future__ import annotations

import re

from sutra_stack.reasoning.predicates import PLACE_CLASSES, Relation
from sutra_stack.storage.model import Concept

_SYNONYMS = {"isle": "island", "nation": "country", "kingdom": "country", "republic": "country"}
CAPITAL_OF = frozenset({"country", "state", "island", "region", "province", "territory", "county", "canton"})
CAPITAL = frozenset({"city", "town", "capital"})
# a place asked for by one of these kinds may be one not described ("in which town is the mill": the place it is in)
SMALL_PLACES = frozenset({"city", "town", "village", "place", "area", "island", "municipality"})
# the kinds of place that lie within a country: an answer described so is none to "in which country"
WITHIN_COUNTRY = frozenset({"county", "province", "region", "state", "district", "canton", "shire", "prefecture",
                            "territory", "parish", "borough", "municipality"})
# the places that lie within a county, province or region: the place beyond one on a chain is that region
_SETTLEMENTS = frozenset({"city", "town", "village", "capital"})
RANGE = "range"  # "in which mountain range": a place named as one ("the Feldspar Highlands", "the Tor Mountains")
_RANGE_NAME = re.compile(r"\b(?:highlands|mountains|range|hills|alps|fells|peaks)$", re.I)


def kind(word: str) -> str:
    w = word.lower()
    return _SYNONYMS.get(w, w)


def place_kinds(
    names: dict[str, str], concepts: dict[str, Concept], relations: dict[str, list[Relation]]
) -> dict[str, set[str]]:
    """The kinds each answer (id → as shown) is known to be, from the facts at hand."""
    out: dict[str, set[str]] = {a: set() for a in names}
    for rels in relations.values():
        for r in rels:
            if r.family == "of:capital":
                if r.subject.id in out:
                    out[r.subject.id] |= CAPITAL
                if r.object.id in out:
                    out[r.object.id] |= CAPITAL_OF
            elif r.family.startswith("of:") and r.subject.id in out and kind(r.family[3:]) in PLACE_CLASSES:
                out[r.subject.id].add(kind(r.family[3:]))  # "Eskdale is a province of Marrovia"
            elif r.family == "isa" and r.subject.id in out:
                head = re.split(r"\s+(?:of|in|on|near)\s+", r.object.key, maxsplit=1)[0].split()
                last = kind(head[-1]) if head else ""  # "county in velmora": a county
                if last in PLACE_CLASSES or last in _SYNONYMS.values():
                    out[r.subject.id].add(last)
    texts = [c.content for c in concepts.values()]
    for aid, shown in names.items():
        first = shown.split()[0] if shown.split() else ""
        if _RANGE_NAME.search(shown):
            out[aid].add(RANGE)
        if kind(first) in PLACE_CLASSES | {"island"} and " of " in shown:
            out[aid].add(kind(first))
        rx = re.compile(rf"\b(\w+)\s+of\s+(?:the\s+)?{re.escape(shown)}\b", re.I)
        for t in texts:
            for m in rx.finditer(t):
                if kind(m.group(1)) in PLACE_CLASSES | {"island"}:
                    out[aid].add(kind(m.group(1)))
    return out


def of_kind(
    wanted: str, names: dict[str, str], concepts: dict[str, Concept], relations: dict[str, list[Relation]]
) -> tuple[set[str], set[str], set[str]]:
    """(answers known to be of the kind asked, answers known to be of another kind only, those of
    them known to be smaller places inside the kind asked: for a country the parts of a country (a
    county, province, region ...), for a county or the like a city, town or village)."""
    want = kind(wanted)
    kinds = place_kinds(names, concepts, relations)
    match = {a for a, k in kinds.items() if want in k}
    other = {a for a, k in kinds.items() if k and want not in k}
    smaller = WITHIN_COUNTRY if want == "country" else _SETTLEMENTS if want in WITHIN_COUNTRY else frozenset()
    return match, other, {a for a in other if kinds[a] & smaller}
