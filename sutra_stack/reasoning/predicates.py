"""Predicates: the canonical families open relations are typed by, and which hold one value at a time.

A clause's verb phrase ("moved to", "relocated to", "settled in") or relation noun ("chief
executive of", "older brother of") is normalised to one family ("live", "of:ceo", "of:brother")
so a question's wording meets a fact's wording. Families that hold one value at a time have a
slot: the (entity, family) pair whose latest fact replaces the earlier ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from sutra_stack.reasoning.text import Entity, singular, wordset


@dataclass(frozen=True, slots=True)
class Relation:
    """`subject` —family→ `object`, as stated by one clause, found by `rule`."""

    subject: Entity
    family: str
    object: Entity
    type: str
    confidence: float
    rule: str


_IRREGULAR = {
    "led": "lead",
    "wrote": "write",
    "ate": "eat",
    "taught": "teach",
    "built": "build",
    "bought": "buy",
    "sold": "sell",
    "gave": "give",
    "given": "give",
    "went": "go",
    "gone": "go",
    "ran": "run",
    "grew": "grow",
    "grown": "grow",
    "stood": "stand",
    "sat": "sit",
    "lay": "lie",
    "held": "hold",
    "flew": "fly",
    "drove": "drive",
    "made": "make",
    "took": "take",
    "taken": "take",
    "came": "come",
    "began": "begin",
    "begun": "begin",
    "born": "bear",
    "lent": "lend",
    "left": "leave",
    "met": "meet",
    "became": "become",
    "won": "win",
    "kept": "keep",
    "sang": "sing",
    "brought": "bring",
    "told": "tell",
    "said": "say",
    "saw": "see",
    "seen": "see",
    "knew": "know",
    "caught": "catch",
    "paid": "pay",
    "sent": "send",
    "spent": "spend",
    "heard": "hear",
    "found": "find",
    "is": "be",
    "are": "be",
    "was": "be",
    "were": "be",
    "has": "have",
    "had": "have",
    "does": "do",
    "did": "do",
    "goes": "go",
    "created": "create",
    "used": "use",
    "rang": "ring",
    "woke": "wake",
    "lies": "lie",
    "dies": "die",
}
# past forms a "who <verb> X" question may use ("who sold the canoe"), beside the regular -ed ones
IRREGULAR_PAST = frozenset(v for v, lemma in _IRREGULAR.items() if lemma not in ("be", "have", "do", "go")
                           and not v.endswith("s") and v != lemma) - wordset("found born begun given grown seen taken")
_E_ENDINGS = (
    "tl", "bl", "pl", "gl", "dl", "cl", "kl", "zl", "as", "is", "os", "us", "es", "ys", "rs", "ns", "id",
    "uir", "ir", "ur", "c", "rg", "dg", "ng", "v", "at", "iz", "ut", "ot", "ok", "ak", "ik", "ud", "ced",
    "ag"
)
_NO_E = wordset(
    "belong long sing bring ring hang wing string cook book look work park walk talk mark ask visit edit "
    "inherit limit profit exit credit deposit audit pass miss kiss dress press cross fix mix box tax wax chair repair"
)


def verb_lemma(verb: str) -> str:
    """A rough base form of a verb: lives → live, moved → move, studies → study, works → work."""
    v = verb.lower()
    if v in _IRREGULAR:
        return _IRREGULAR[v]
    if v.endswith("ies") and len(v) > 4:
        return v[:-3] + "y"
    if v.endswith("ied") and len(v) > 4:
        return v[:-3] + "y"
    if v.endswith(("sses", "shes", "ches", "xes")):
        return v[:-2]
    if v.endswith("eed"):
        return v  # need, breed, feed
    if v.endswith("ed") and len(v) > 4:
        base = v[:-2]
        if len(base) > 2 and base[-1] == base[-2] and base[-1] not in "lsz":
            return base[:-1]  # planned → plan
        if base in _NO_E or base.endswith(("ss", "eat", "oat", "ait", "eet", "ook", "eak", "oak", "uit", "ount")):
            return base
        return base + "e" if base.endswith(_E_ENDINGS) else base
    if v.endswith("s") and not v.endswith("ss") and len(v) > 3:
        return v[:-1]
    return v


# verb lemma (+ particle/preposition) → family; the preposition matters only where listed
LIVE, WORK, OWN, LOCATED, BORN, GREW_UP = "live", "work", "own", "located", "born", "grow up"
HOLD = "hold"  # who has a thing now (lent, borrowed, handed back): one holder at a time; its owner may differ
_VERB_FAMILY: dict[str, str] = {}
for _v in ("live", "reside", "move", "relocate", "settle", "emigrate", "immigrate", "move back", "return"):
    _VERB_FAMILY[_v] = LIVE
for _v in ("work", "join", "employ"):
    _VERB_FAMILY[_v] = WORK
for _v in ("own", "buy", "purchase", "acquire", "inherit", "belong"):
    _VERB_FAMILY[_v] = OWN
for _v in ("locate", "base", "situate", "headquarter", "lie", "stand", "sit", "hold", "take place", "find", "be"):
    _VERB_FAMILY[_v] = LOCATED
_MOTION = wordset(
    "go walk travel run drive fly head journey cycle sail ride swim come"
)
_WORK_PREPS = frozenset({"for"})  # "flies for Norveland Air", "plays for a club": who they work for
# verbs whose "at/for <place>" is read as the employer ("teaches history at Fennick School"): where one does them
WORKPLACE_VERBS = wordset("teach cook work serve lecture nurse coach write fly drive")
PLACE_PREPS = ("in", "at", "on", "near", "inside", "outside", "above", "below", "beside", "by")


def where_families(lemma: str) -> set[str]:
    """What "where does X <verb>" accepts: the verb with a preposition of place, never its direct object."""
    return {f"verb:{lemma} {p}" for p in PLACE_PREPS}


for _v in ("grow up", "be raise", "raise"):
    _VERB_FAMILY[_v] = GREW_UP

# verbs of events whose date a "when" question asks: lemma → the event family's name
_EVENT: dict[str, str] = {
    "buy": "buy",
    "purchase": "buy",
    "sell": "sell",
    "inherit": "inherit",
    "retire": "retire",
    "join": "join",
    "leave": "leave",
    "move": "move",
    "bear": "born",
    "born": "born",
    "open": "open",
    "found": "found",
    "establish": "found",
    "set up": "found",
    "build": "build",
    "construct": "build",
    "hold": "happen",
    "take place": "happen",
    "happen": "happen",
    "occur": "happen",
    "start": "start",
    "begin": "start",
    "close": "close",
    "die": "die",
    "release": "release",
    "come out": "release",
    "publish": "release",
    "marry": "marry",
    "finish": "finish",
    "complete": "finish",
}

# relation nouns: synonyms → one name; adjectives that do not change the relation are dropped
_NOUN_SYNONYMS = {
    "children": "child",
    "kids": "child",
    "kid": "child",
    "grandchildren": "grandchild",
    "chief executive": "ceo",
    "chief executive officer": "ceo",
    "managing director": "ceo",
    "headteacher": "head teacher",
    "headmaster": "head teacher",
    "headmistress": "head teacher",
    "principal": "head teacher",
    "chairman": "chair",
    "chairwoman": "chair",
    "chairperson": "chair",
    "boss": "head",
    "leader": "head",
    "skipper": "captain",
    "spouse": "husband or wife",
    "husband": "husband or wife",
    "wife": "husband or wife",
    "mum": "mother",
    "mom": "mother",
    "dad": "father",
    "owner": "owner",
}
_NOUN_ADJECTIVES = wordset(
    "older younger elder eldest oldest youngest big little baby half first current present new only late "
    "twin"
)
# relation nouns that name a role one holder has at a time (of the thing after "of")
ROLE_NOUNS = wordset(
    "ceo mayor captain head chair conductor president director manager coach editor principal chancellor "
    "governor owner prime minister premier king queen chief coordinator curator dean rector "
    "superintendent commissioner treasurer secretary minister chef keeper warden steward organiser "
    "organizer landlord landlady proprietor vicar bishop abbot abbess sheriff ambassador bursar provost "
    "harbourmaster harbormaster postmaster stationmaster matron chaplain organist choirmaster publican registrar"
)
KIN_NOUNS = wordset(
    "sister brother mother father son daughter aunt uncle niece nephew cousin grandmother grandfather "
    "grandson granddaughter grandparent grandchild husband wife spouse partner sibling parent child "
    "stepmother stepfather stepson stepdaughter fiancee fiance"
)
# what a place noun says about the place after "of" ("the county of X" → X is a county)
PLACE_CLASSES = wordset(
    "country county province canton state region district city town village capital kingdom republic "
    "island municipality parish borough shire prefecture territory"
)


def verb_family(lemma: str, prep: str | None = None) -> str:
    """The family of a verb (lemma, with its particle or preposition when it has one)."""
    if prep and f"{lemma} {prep}" in _VERB_FAMILY:
        return _VERB_FAMILY[f"{lemma} {prep}"]
    if lemma in _MOTION:  # "went to the library": where one is; "flies for X": whom one works for
        if prep in (None, "to", "into"):
            return LOCATED
        return WORK if prep in _WORK_PREPS else "verb:" + lemma + f" {prep}"
    if lemma in _VERB_FAMILY:
        return _VERB_FAMILY[lemma]
    return "verb:" + lemma + (f" {prep}" if prep else "")


def event_family(lemma: str, *, any_verb: bool = False) -> str | None:
    """The "when" family of an event verb ("when:open"), or None for another verb (with
    `any_verb`, the verb itself: "rehearses every Tuesday" → "when:rehearse")."""
    name = _EVENT.get(lemma) or (lemma if any_verb else None)
    return "when:" + name if name else None


def noun_family(noun: str) -> str:
    """The family of a relation noun phrase: "older brother" → "of:brother", "chief executive" → "of:ceo"."""
    ws = [w for w in noun.lower().split() if w not in ("the", "a", "an")]
    while len(ws) > 1 and ws[0] in _NOUN_ADJECTIVES:
        ws.pop(0)
    phrase = " ".join(ws)
    phrase = _NOUN_SYNONYMS.get(phrase, phrase)
    if " " not in phrase:
        phrase = singular(phrase)
    phrase = _NOUN_SYNONYMS.get(phrase, phrase)
    return "spouse" if phrase == "husband or wife" else "of:" + phrase  # spouses: one family, both ways


def is_role(family: str) -> bool:
    if not family.startswith("of:"):
        return False
    noun = family[3:]
    return any(w in ROLE_NOUNS for w in noun.split())


# Families where one subject rightly has several objects (the original rule families)
MULTI_VALUED = frozenset({"part", "cause", "isa", "then"})
_SUBJECT_SLOTS = frozenset({LIVE, WORK, LOCATED, BORN, GREW_UP})


def slot_key(subject_key: str, family: str, object_key: str) -> str | None:
    """The slot a fact of `family` fills, when the family holds one value at a time, else None:
    an owner or role holder is one per thing (keyed by the object), a residence, employer or
    place one per subject; kinship and the rule families are many."""
    if family in (OWN, HOLD) or is_role(family):
        return f"{object_key}|{family}"
    if family in _SUBJECT_SLOTS or family.startswith("when:"):
        return f"{subject_key}|{family}"
    if family in MULTI_VALUED or family.startswith("of:"):
        return None
    return f"{subject_key}|{family}"


def slot_by_object(family: str) -> bool:
    return family in (OWN, HOLD) or is_role(family)


SIBLING, PARENT, CHILD = "of:sibling", "of:parent", "of:child"
AUNCLE, NIBLING = "of:aunt or uncle", "of:niece or nephew"
GRANDPARENT, GRANDCHILD = "of:grandparent", "of:grandchild"
SIBLING_NOUNS = frozenset({"of:sister", "of:brother", SIBLING})
PARENT_NOUNS = frozenset({"of:mother", "of:father", PARENT})
CHILD_NOUNS = frozenset({"of:daughter", "of:son", CHILD})
_AUNCLE_NOUNS = frozenset({"of:aunt", "of:uncle", AUNCLE})
_NIBLING_NOUNS = frozenset({"of:niece", "of:nephew", NIBLING})
_GRANDPARENT_NOUNS = frozenset({"of:grandmother", "of:grandfather", GRANDPARENT})
_GRANDCHILD_NOUNS = frozenset({"of:granddaughter", "of:grandson", GRANDCHILD})
_SEX_NAMED = frozenset({"of:sister", "of:brother", "of:mother", "of:father", "of:daughter", "of:son", "of:aunt",
                        "of:uncle", "of:niece", "of:nephew", "of:grandmother", "of:grandfather", "of:granddaughter",
                        "of:grandson"})
KIN_GROUPS = ((SIBLING_NOUNS, SIBLING), (PARENT_NOUNS, PARENT), (CHILD_NOUNS, CHILD), (_AUNCLE_NOUNS, AUNCLE),
              (_NIBLING_NOUNS, NIBLING), (_GRANDPARENT_NOUNS, GRANDPARENT), (_GRANDCHILD_NOUNS, GRANDCHILD))
# the family a kinship question also accepts: whoever is that, whatever their sex ("Rosa's brother": her sibling)
GENERIC_KIN = {f: g for nouns, g in KIN_GROUPS for f in nouns}
_SYMMETRIC = {
    "of:cousin": "of:cousin",
    "of:sister": SIBLING,
    "of:brother": SIBLING,
    SIBLING: SIBLING,
    "spouse": "spouse",
    # "A is the daughter of K": K is A's parent; "K is the father of A": A is K's child
    "of:daughter": PARENT,
    "of:son": PARENT,
    CHILD: PARENT,
    "of:mother": CHILD,
    "of:father": CHILD,
    PARENT: CHILD,
    # "P is the uncle of A": A is P's niece or nephew; grandparents and grandchildren likewise
    **{f: NIBLING for f in _AUNCLE_NOUNS},
    **{f: AUNCLE for f in _NIBLING_NOUNS},
    **{f: GRANDCHILD for f in _GRANDPARENT_NOUNS},
    **{f: GRANDPARENT for f in _GRANDCHILD_NOUNS},
}


def kin_families(family: str) -> set[str]:
    """What a kinship question's family accepts: a sexed noun also its sexless family ("sister": a
    sibling); a sexless one every noun of its group ("child": a daughter or a son); else itself."""
    for group, _generic in KIN_GROUPS:
        if family in group:
            return set(group) if family not in _SEX_NAMED else {family, GENERIC_KIN[family]}
    return {family}


def is_kin(family: str) -> bool:
    """Kinship holds between two people, one fact each: it is not followed through a third person."""
    return family == "spouse" or family in GENERIC_KIN or (family.startswith("of:") and family[3:] in KIN_NOUNS)


def converse(r: Relation) -> Relation | None:
    """The same fact read from the other side, for the relations that hold both ways
    ("Z is the sister of O": O is Z's sibling) and between parent and child ("A is the daughter
    of K": K is A's parent), else None."""
    fam = _SYMMETRIC.get(r.family)
    return Relation(r.object, fam, r.subject, r.type, r.confidence, r.rule) if fam else None


_OPEN = frozenset({LIVE, WORK, OWN, HOLD, BORN, GREW_UP, "spouse", "job", "from"})


def is_open_family(family: str) -> bool:
    """Whether a family is read from clause structure (open relations), not by the fixed rules."""
    return family in _OPEN or family.startswith(("of:", "when:"))
