"""Succession without the role: "Simon Achebe replaced Leona Platt.", "Yara Fell took over from
Gunnar Moe in 2022." after the role of the one replaced was told in another text.

Within one text the paragraph gives such a sentence the post last named for the one replaced;
across the texts of a batch, and from the store, this module does: a succession fact whose
relation names no role is restated with the role last told for the person it names ("Simon
Achebe replaced Leona Platt as chair of Harbour Guild."), the sentence the learner then plans
beside the one told (so the successor holds the post, and the holder's time in it ends).
The store is read only for texts with such a fact: one neighbours read per person replaced, one
read of those facts' contents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sutra_stack.errors import NotFound
from sutra_stack.limits import MAX_QUERY_IDS
from sutra_stack.reasoning.extract import relations_in_sentence
from sutra_stack.reasoning.predicates import PLACE_CLASSES, Relation, is_kin, is_role
from sutra_stack.storage.store_protocol import KnowledgeStore

SUCCESSION_FAMILIES = frozenset({"verb:succeed", "verb:replace"})
MAX_HOLDER_FACTS = 200  # stored facts about one person read for the role they held


@dataclass(frozen=True, slots=True)
class Succession:
    sentence: str  # the fact as the learner read it
    successor: str  # display names
    holder: str
    holder_key: str
    holder_id: str


Role = tuple[str, str]  # (noun, what it is of)
# "X is a N of Y" nouns that are no post one succeeds to
_NOT_POSTS = frozenset({"friend", "neighbour", "neighbor", "colleague", "classmate", "fan", "enemy", "rival",
                        "acquaintance", "part", "kind", "type"})


def is_post(family: str) -> bool:
    """A post one holds and can be succeeded in: a one-holder role ("treasurer of Y") or one of
    several holders ("goalkeeper of Y"); not kinship, a place's kind, nor a tie between people."""
    if is_role(family):
        return True
    noun = family[3:] if family.startswith("of:") else ""
    return bool(noun) and not is_kin(family) and noun not in PLACE_CLASSES and noun.split()[-1] not in _NOT_POSTS


def role_of(rel: Relation) -> tuple[str, Role] | None:
    """(holder key, role) when the relation names someone's post."""
    if is_post(rel.family) and rel.object.display[:1].isupper():
        return rel.subject.key, (rel.family[3:], rel.object.display)
    return None


def succession_of(sentence: str, rel: Relation) -> Succession | None:
    """A succession that names no role ("replaced Leona Platt", not "replaced her as chair")."""
    if rel.family not in SUCCESSION_FAMILIES or " as " in sentence or not rel.object.display[:1].isupper():
        return None
    return Succession(sentence, rel.subject.display, rel.object.display, rel.object.key, rel.object.id)


def with_role(s: Succession, role: Role) -> str:
    """The succession sentence with the holder's role after the holder's name."""
    m = re.search(re.escape(s.holder), s.sentence)
    if m is None:
        return ""
    return s.sentence[: m.end()] + f" as {role[0]} of {role[1]}" + s.sentence[m.end() :]


def stored_roles(store: KnowledgeStore, holders: dict[str, str]) -> dict[str, Role]:
    """The role last stored for each person (key → entity id) that a succession names."""
    facts: list[str] = []
    for hid in holders.values():
        try:
            facts += [n.concept_id for n in store.get_neighbors(hid, direction="out", limit=MAX_HOLDER_FACTS)]
        except NotFound:
            continue
    out: dict[str, Role] = {}
    if not facts:
        return out
    for c in sorted((c for c in store.query_concepts(facts[:MAX_QUERY_IDS]) if c is not None), key=lambda c: c.created):
        for rel in relations_in_sentence(c.content):
            held = role_of(rel)
            if held and held[0] in holders:
                out[held[0]] = held[1]
    return out
