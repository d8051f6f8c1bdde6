"""Open relations: subject – verb phrase (+ preposition) – object clauses beyond the fixed rules.

Reads one clause (pronouns already resolved by the learner) and returns the relations it
states, each labelled by its canonical family (predicates.py): ownership and its transfers
("bought", "inherited", "sold X to Y", "belongs to"), roles and kinship ("X is the sister of Y",
"Y's older brother is X", "was appointed head chef of Y", "chairs Y"), places ("moved to",
"lies in the county of Y", "is a town in Y"), employers ("works at", "joined", "a pilot for"),
and the dates of events ("was born on 14 May 1961", "takes place every August"). A negated,
hedged, conditional or future clause states none.
"""

from __future__ import annotations

import re

from sutra_stack.reasoning.predicates import (
    BORN,
    GREW_UP,
    KIN_NOUNS,
    LOCATED,
    OWN,
    PLACE_CLASSES,
    WORK,
    Relation,
    event_family,
    noun_family,
    verb_family,
    verb_lemma,
)
from sutra_stack.reasoning.text import STOPWORDS, Entity, make_entity
from sutra_stack.reasoning.timeline import DATE, asserted, without_dates

OPEN_CONFIDENCE = 0.85  # a relation read from a clause's structure
LOOSE_CONFIDENCE = 0.75  # a transitive verb with whatever follows it as the object
MAX_SUBJECT_WORDS = 8

_LEAD = re.compile(
    r"^(?:then|later|afterwards|after\s+that|before\s+that|that\s+year|the\s+same\s+year|meanwhile|"
    r"eventually|finally|in\s+the\s+end|soon\s+after|since\s+then|now|today|also|still|by\s+then)"
    r"\s*,?\s+",
    re.I,
)
_FILLER = re.compile(
    r"\s*,?\s*\b(?:again|this\s+time|once\s+more|now|currently|still|also|already|recently|"
    r"finally|eventually|later|ever\s+since|since\s+then|today|nowadays)\b,?",
    re.I,
)
_SUBORDINATE = re.compile(r"\b(?:when|whenever|if|unless|because|while|although|though)\b", re.I)
_OBJECT_END = re.compile(
    r"\s+(?:for|because|after|before|when|while|with|as|and|but|since|where|which|who|whom|"
    r"that|from|there|until|by|to|at|in|on|during|every|each)\b.*$|,.*$",
    re.I,
)
_PLACE_OBJECT_END = re.compile(
    r"\s+(?:for|because|after|before|when|while|with|as|and|but|since|where|which|who|"
    r"that|from|there|until|during|every|each)\b.*$|,.*$",
    re.I,
)
_NEAR_NAME = re.compile(
    r"^(?:an?|the)\s+[a-z][\w\-]*(?:\s+[a-z][\w\-]*)?\s+(?:above|below|near|outside|overlooking|"
    r"beside|by|off)\s+(?P<p>[A-Z].*)$"
)
_NAMED = re.compile(
    r"^(?:(?:a|an|the|his|her|their|its|my|our)\s+)?(?P<n>.+?)\s+(?:called|named)\s+(?P<name>.+)$", re.I
)
_OF_PLACE = re.compile(
    rf"^(?:the\s+)?(?:(?:coast|shore|edge|outskirts|centre|center|heart|north|south|east|west|"
    rf"banks?)\s+of\s+(?:the\s+)?)?(?:(?P<c>{'|'.join(sorted(PLACE_CLASSES))})\s+of\s+)?(?P<p>.+)$",
    re.I,
)
_NOT_A_RELATION_NOUN = frozenset(
    [
        "kind",
        "type",
        "sort",
        "form",
        "class",
        "part",
        "member",
        "component",
        "example",
        "result",
        "cause",
        "effect",
        "consequence",
        "reason",
        "name",
        "word",
        "term",
        "short",
        "lot",
        "number",
        "couple",
        "pair",
        "piece",
        "bit",
        "most",
        "some",
        "all",
        "one",
        "none",
        "rest",
        "end",
        "beginning",
        "middle",
        "top",
        "bottom",
        "side",
        "front",
        "back",
    ]
)

_BE = r"(?:is|are|was|were|has\s+been|have\s+been|had\s+been)"
_BECOME = (
    r"(?:(?:was|were|is|has\s+been|had\s+been)\s+(?:appointed|elected|named|made|promoted\s+to|chosen\s+as|"
    r"hired\s+as|installed\s+as|sworn\s+in\s+as)|is\s+now|served\s+as|serves\s+as|works\s+as|worked\s+as|"
    r"took\s+over\s+as|takes\s+over\s+as|is|are|was|were|has\s+been|have\s+been|had\s+been|became|becomes|"
    r"become|remains|remained)"
)
_NOUN = r"(?P<n>[a-z][a-z\-]*(?:\s+[a-z][a-z\-]*){0,3}?)"

_TRANSFER = re.compile(
    r"^(?P<x>.+?)\s+(?:has\s+|had\s+)?(?:sold|gave|handed\s+over|handed|donated|passed\s+on|"
    r"passed|bequeathed|transferred|sells|gives|donates)\s+(?P<y>.+?)\s+to\s+(?P<z>.+)$",
    re.I,
)
_OWNED_BY = re.compile(
    rf"^(?P<y>.+?)\s+{_BE}\s+(?:now\s+)?(?:owned|bought|purchased|inherited|acquired)\s+by\s+"
    rf"(?P<x>.+)$",
    re.I,
)
_BELONGS = re.compile(
    r"^(?P<y>.+?)(?:,?\s+(?:is|was)\s+(?:an?|the)\s+(?P<n>[a-z][a-z ]*?)\s+(?:that|which|who))?"
    r"\s+(?:belongs|belonged|belong)\s+to\s+(?P<x>.+)$",
    re.I,
)
_HAS_NAMED = re.compile(
    r"^(?P<x>.+?)\s+(?:has|have|had|keeps|kept)\s+(?:an?|one|two|three)\s+(?P<n>[a-z][a-z ]*?)"
    r"\s+(?:called|named)\s+(?P<y>.+)$",
    re.I,
)
_OWNS = re.compile(
    r"^(?P<x>.+?)\s+(?:has\s+|have\s+|had\s+)?(?P<v>owns|owned|own|bought|buys|purchased|acquired|"
    r"inherited|inherits|received|got|(?:was|were)\s+given)\s+(?P<y>.+)$",
    re.I,
)
_COPULA_OF = re.compile(
    rf"^(?P<x>.+?)\s+{_BECOME}\s+(?:the\s+|a\s+|an\s+|as\s+)?{_NOUN}\s+(?P<p>of|at|for)\s+"
    r"(?P<y>.+)$",
    re.I,
)
_OF_IS = re.compile(rf"^(?:the\s+)?{_NOUN}\s+of\s+(?P<y>.+?)\s+{_BE}\s+(?P<x>.+)$", re.I)
_POSS_IS = re.compile(rf"^(?P<y>.+?)['\u2019]s?\s+{_NOUN}\s+{_BE}\s+(?P<x>.+)$", re.I)
_IS_POSS = re.compile(rf"^(?P<x>.+?)\s+{_BE}\s+(?P<y>[A-Z][\w\- ]*?)['\u2019]s?\s+{_NOUN}$")
_CLASS_IN = re.compile(
    rf"^(?P<x>.+?)\s+{_BE}\s+(?:a|an|the)\s+{_NOUN}\s+(?P<p>in|on|near|at|outside|off)\s+"
    r"(?P<y>.+)$",
    re.I,
)
_TAKE_PLACE = r"(?:takes|took|take|taking)\s+place"
_PLACE_VERB = re.compile(
    rf"^(?P<x>.+?)\s+(?:(?:has|have|had)\s+(?:been\s+)?|(?:is|are|was|were)\s+)?(?P<v>{_TAKE_PLACE}|grew\s+up|"
    r"grows\s+up|moved\s+back|moves\s+back|[a-z]+)\s+(?P<p>in|to|at|into|near|inside|under|on|onto|beside|"
    r"behind|above|below|within)\s+(?P<y>.+)$",
    re.I,
)
_BE_IN = re.compile(
    r"^(?P<x>.+?)\s+(?:is|are|was|were)\s+(?P<p>in|at|on|under|inside|near|behind|beside|above|"
    r"below|next\s+to|outside)\s+(?P<y>.+)$",
    re.I,
)
_ROLE_VERB = re.compile(
    r"^(?P<x>.+?)\s+(?P<v>chairs|chaired|heads|headed|leads|led|manages|managed|directs|"
    r"directed|coaches|coached|captains|captained|edits|edited|conducts|conducted|"
    r"governs|governed|runs|ran)\s+(?!to\b|into\b|in\b|away\b|out\b)(?P<y>.+)$",
    re.I,
)
_ROLE_OF_VERB = {
    "chair": "chair",
    "head": "head",
    "lead": "head",
    "manage": "manager",
    "direct": "director",
    "coach": "coach",
    "captain": "captain",
    "edit": "editor",
    "conduct": "conductor",
    "govern": "governor",
}
_EVENT_VERB = (
    r"(?P<v>born|opened|opens|open|founded|established|set\s+up|built|constructed|held|"
    rf"{_TAKE_PLACE}|happens|happened|occurs|occurred|started|starts|began|begins|closed|closes|"
    r"died|released|came\s+out|comes\s+out|published|married|finished|completed)"
)
_WHEN = (
    rf"(?P<w>(?:(?:on|in|during)\s+)?(?:the\s+)?{DATE}|(?:every|each)\s+[a-z]+(?:\s+(?:morning|afternoon|evening|night))?"
    r"|on\s+the\s+(?:first|second|third|fourth|last)\s+[a-z]+\s+of\s+[a-z]+|on\s+[a-z]+days?)"
)
_EVENT_PASSIVE = re.compile(
    rf"^(?P<x>.+?)\s+(?:was\s+|were\s+|is\s+|are\s+|has\s+been\s+)?{_EVENT_VERB}\b.*?\s+{_WHEN}", re.I
)
_EVENT_ACTIVE = re.compile(
    rf"^(?P<s>.+?)\s+(?:co-)?(?P<v>founded|established|opened|built|set\s+up|started|began|"
    rf"published|released|constructed)\s+(?P<x>.+?)\s+{_WHEN}",
    re.I,
)
_TRANSITIVE = re.compile(
    r"^(?P<x>[A-Z][\w'\-]*(?:\s+[\w'\-]+){0,5}?)\s+(?:has\s+|had\s+)?(?P<v>[a-z]+(?:s|ed)|"
    r"wrote|built|led|ate|taught|ran|grew|sang|made|took|kept|won|met|became)\s+(?P<y>.+)$"
)
_RECURRING = re.compile(
    r"\s+(?:(?:every|each)\s+[a-z]+(?:\s+(?:morning|afternoon|evening|night))?"
    r"|on\s+the\s+(?:first|second|third|fourth|last)\s+[a-z]+\s+of\s+[a-z]+)\b",
    re.I,
)
_WORKS_AT = re.compile(
    r"^(?P<x>.+?)\s+(?:teaches|taught|cooks|cooked|works|worked|serves|served|lectures|"
    r"nurses|coaches|writes|wrote|flies|flew|drives|drove)\s+(?:[a-z]+\s+){0,3}?(?:at|for)\s+"
    r"(?P<y>[A-Z].+)$"
)
_VERB_OBJ_PLACE = re.compile(
    r"^(?P<x>[A-Z][\w'\-]*(?:\s+[A-Z][\w'\-]*){0,4})\s+(?P<v>[a-z]+(?:s|ed)|taught|"
    r"grew|ran|sang|wrote|built|made|met|won)\s+(?P<y>(?:the\s+|a\s+|an\s+)?[a-z][\w\-]*"
    r"(?:\s+[a-z][\w\-]*){0,2}?)\s+(?P<p>in|at)\s+(?P<z>[A-Z].*)$"
)
_PUT = re.compile(
    r"^(?P<s>.+?)\s+(?:has\s+|had\s+)?(?:put|puts|moved|moves|placed|places|took|takes|carried|"
    r"brought|hid|hides|hung|stored|parked|dropped|left|leaves|kept|keeps)\s+(?P<x>.+?)\s+(?:back\s+)?"
    r"(?P<p>in|into|to|on|onto|under|inside|behind|beside|near|next\s+to|at)\s+(?P<y>.+)$",
    re.I,
)
_ROLE_TRANSFER = re.compile(
    r"^(?P<s>.+?)\s+(?:has\s+|had\s+)?(?:handed|passed|gave|transferred)\s+(?:over\s+)?"
    r"(?:the\s+|his\s+|her\s+|their\s+)?(?P<n>[a-z]+(?:ship|cy|dom|ency|ancy))\s+of\s+"
    r"(?P<y>.+?)\s+to\s+(?P<x>.+)$",
    re.I,
)
_TAKE_OVER = re.compile(
    r"^(?P<x>.+?)\s+(?:has\s+|had\s+)?(?:taken\s+over|took\s+over|takes\s+over|succeeded|"
    r"succeeds|replaced|replaces|followed|follows)(?:\s+from)?(?:\s+(?P<o>.+?))?\s+as\s+"
    r"(?:the\s+)?(?P<n>[a-z][a-z\-]*(?:\s+[a-z][a-z\-]*){0,2}?)\s+(?:of|at)\s+(?P<y>.+)$",
    re.I,
)
_ABSTRACT_ROLES = {
    "captaincy": "captain",
    "chairmanship": "chair",
    "chairpersonship": "chair",
    "leadership": "head",
    "presidency": "president",
    "directorship": "director",
    "editorship": "editor",
    "management": "manager",
    "stewardship": "steward",
    "ownership": "owner",
}
_MARRIED = re.compile(
    r"^(?P<x>.+?)\s+(?:married|marries|wed|(?:is|was|got|has\s+been)\s+married\s+to)\s+(?P<y>.+)$", re.I
)
_NOT_VERBS = frozenset(
    [
        "is",
        "was",
        "has",
        "does",
        "its",
        "his",
        "this",
        "always",
        "sometimes",
        "perhaps",
        "as",
        "us",
        "plus",
        "thus",
        "yes",
        "less",
        "across",
        "unless",
        "whereas",
        "needs",
    ]
)


def _clean(clause: str) -> str:
    t = clause.strip().rstrip(".!?;:")
    for _ in range(2):
        t = _LEAD.sub("", t)
    return _FILLER.sub("", t).strip(" ,")


def _subject(x: str) -> Entity | None:
    x = x.strip(" ,")
    if not x or _SUBORDINATE.search(x) or len(x.split()) > MAX_SUBJECT_WORDS:
        return None
    return make_entity(x)


def _place(y: str) -> Entity | None:
    """A place phrase: "the county of Ashdale" → Ashdale, "a hill above Kessmark" as written."""
    y = _PLACE_OBJECT_END.sub("", y.strip()).strip(" ,")
    near = _NEAR_NAME.match(y)
    if near:  # "a hill above Kessmark": the named place
        y = near["p"]
    m = _OF_PLACE.match(y)
    if m and m["p"] and (m["c"] or y.lower() != m["p"].lower()):
        y = m["p"]
    return make_entity(y) if y else None


def _thing(y: str, cut: bool = True) -> tuple[Entity | None, Relation | None]:
    """An object phrase (cut before a trailing prepositional phrase), and for "a cat called
    Pepper" the name as the thing with its is-a relation."""
    y = y.strip(" ,")
    m = _NAMED.match(y)
    if m and not re.search(r"\b(?:in|at|on|of|for|with|from|to)\b", m["n"], re.I):
        name = make_entity(_OBJECT_END.sub("", m["name"]).strip(" ,"))
        kind = make_entity(m["n"])
        if name is not None:
            isa = Relation(name, "isa", kind, "hierarchical", OPEN_CONFIDENCE, "named") if kind else None
            return name, isa
    if cut:
        y = _OBJECT_END.sub("", y).strip(" ,")
    return (make_entity(y) if y else None), None


_AND = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+", re.I)


def _names(y: str) -> list[str]:
    """ "Zofia and Olek Marek" → ["Zofia Marek", "Olek Marek"]: a shared surname goes to each first name."""
    parts = [p.strip(" .") for p in _AND.split(y.strip()) if p.strip(" .")]
    last = parts[-1].split() if parts else []
    if len(last) >= 2:
        parts = [p + " " + last[-1] if len(p.split()) == 1 and p[:1].isupper() else p for p in parts]
    return parts


def _rel(subj: Entity | None, family: str, obj: Entity | None, conf: float, rule: str) -> list[Relation]:
    if subj is None or obj is None or subj.key == obj.key:
        return []
    return [Relation(subj, family, obj, "semantic", conf, rule)]


def _noun_ok(noun: str) -> bool:
    ws = noun.lower().split()
    return (bool(ws) and ws[-1] not in _NOT_A_RELATION_NOUN and ws[0] not in _NOT_A_RELATION_NOUN
            and not any(w.endswith("ed") and len(w) > 4 and w not in ("head", "bred") for w in ws)
            and not any(w in STOPWORDS for w in ws))


def _event_relations(t: str) -> list[Relation]:
    out: list[Relation] = []
    m = _EVENT_ACTIVE.match(t)
    if m:
        fam = event_family(verb_lemma(m["v"].split()[0]) if " " not in m["v"] else m["v"].lower())
        thing, _ = _thing(m["x"])
        when = make_entity(re.sub(r"^(?:on|in|during)\s+", "", m["w"], flags=re.I))
        if fam:
            out += _rel(thing, fam, when, OPEN_CONFIDENCE, "event")
    m = _EVENT_PASSIVE.match(t)
    if m and not out:
        v = m["v"].lower()
        lemma = (
            "take place"
            if "place" in v
            else (
                "come out" if v.startswith("c") and "out" in v else "set up" if v.startswith("set") else verb_lemma(v)
            )
        )
        fam = event_family(lemma)
        when = make_entity(re.sub(r"^(?:on|in|during)\s+", "", m["w"], flags=re.I))
        if fam:
            out += _rel(_subject(m["x"]), fam, when, OPEN_CONFIDENCE, "event")
    return out


def open_relations(clause: str) -> list[Relation]:
    """The open relations one clause states (none for a clause that asserts nothing)."""
    t = _clean(clause)
    bare = without_dates(t)
    if not asserted(bare):
        return []
    out = _event_relations(t)
    t = _RECURRING.sub("", bare)
    return out + _structural(t)


def _structural(t: str) -> list[Relation]:
    m = _ROLE_TRANSFER.match(t)
    if m and m["n"].lower() in _ABSTRACT_ROLES:
        fam = noun_family(_ABSTRACT_ROLES[m["n"].lower()])
        fam = OWN if fam == "of:owner" else fam
        return _rel(_subject(_OBJECT_END.sub("", m["x"])), fam, _subject(m["y"]), OPEN_CONFIDENCE, "role-transfer")
    m = _TAKE_OVER.match(t)
    if m:
        return _rel(
            _subject(m["x"]),
            noun_family(m["n"]),
            _subject(_PLACE_OBJECT_END.sub("", m["y"])),
            OPEN_CONFIDENCE,
            "take-over",
        )
    m = _PUT.match(t)
    if m and not re.match(r"^(?:to|into|in|on)\b", m["x"], re.I):
        thing, _ = _thing(m["x"], cut=False)
        return _rel(thing, LOCATED, _place(m["y"]), OPEN_CONFIDENCE, "put")
    m = _TRANSFER.match(t)
    if m:
        thing, _ = _thing(m["y"], cut=False)
        return _rel(_subject(m["z"].split(",")[0]), OWN, thing, OPEN_CONFIDENCE, "transfer")
    m = _MARRIED.match(t)
    if m:
        a, b = _subject(m["x"]), _subject(_OBJECT_END.sub("", m["y"]))
        return _rel(a, "spouse", b, OPEN_CONFIDENCE, "married") + _rel(b, "spouse", a, OPEN_CONFIDENCE, "married")
    m = _OWNED_BY.match(t)
    if m:
        thing, isa = _thing(m["y"], cut=False)
        return _rel(_subject(_OBJECT_END.sub("", m["x"])), OWN, thing, OPEN_CONFIDENCE, "owned-by")
    m = _BELONGS.match(t)
    if m:
        thing = _subject(m["y"])
        out = _rel(_subject(_OBJECT_END.sub("", m["x"])), OWN, thing, OPEN_CONFIDENCE, "belongs")
        if m["n"] and thing is not None:
            out += _rel(thing, "isa", make_entity(m["n"]), OPEN_CONFIDENCE, "belongs")
        return out
    m = _HAS_NAMED.match(t)
    if m:
        name = make_entity(_OBJECT_END.sub("", m["y"]))
        out = _rel(_subject(m["x"]), OWN, name, OPEN_CONFIDENCE, "has-named")
        if name is not None:
            out += [
                Relation(name, "isa", e, "hierarchical", OPEN_CONFIDENCE, "has-named")
                for e in [make_entity(m["n"])]
                if e
            ]
        return out
    m = _OWNS.match(t)
    if m:
        thing, isa = _thing(m["y"])
        return _rel(_subject(m["x"]), OWN, thing, OPEN_CONFIDENCE, "owns") + ([isa] if isa else [])
    m = _POSS_IS.match(t)
    if m and _noun_ok(m["n"]):
        return _rel(
            _subject(_OBJECT_END.sub("", m["x"])), noun_family(m["n"]), _subject(m["y"]), OPEN_CONFIDENCE, "possessive"
        )
    m = _IS_POSS.match(t)
    if m and _noun_ok(m["n"]):
        return _rel(_subject(m["x"]), noun_family(m["n"]), _subject(m["y"]), OPEN_CONFIDENCE, "possessive")
    m = _OF_IS.match(t)
    if m and _noun_ok(m["n"]):
        return _rel(
            _subject(_OBJECT_END.sub("", m["x"])), noun_family(m["n"]), _subject(m["y"]), OPEN_CONFIDENCE, "of-is"
        )
    m = _COPULA_OF.match(t)
    if m and _noun_ok(m["n"]) and noun_family(m["n"])[3:] in KIN_NOUNS and _AND.search(m["y"]):
        fam, subj = noun_family(m["n"]), _subject(m["x"])
        return [r for name in _names(m["y"]) for r in _rel(subj, fam, _subject(name), OPEN_CONFIDENCE, "copula-of")]
    if m and _noun_ok(m["n"]):
        fam = noun_family(m["n"])
        if m["p"].lower() != "of" and fam[3:] not in ("ceo", "head", "captain", "chair", "manager", "director"):
            fam = WORK  # "a pilot for Tamsk Air", "a teacher at the school"
        obj = _place(m["y"]) if fam == WORK else _subject(_PLACE_OBJECT_END.sub("", m["y"]))
        return _rel(_subject(m["x"]), fam, obj, OPEN_CONFIDENCE, "copula-of")
    m = _CLASS_IN.match(t)
    if (
        m
        and _noun_ok(m["n"])
        and m["n"].split()[-1].lower()
        in PLACE_CLASSES | {"place", "suburb", "port", "hamlet", "settlement", "area", "capital"}
    ):
        x = _subject(m["x"])
        out = _rel(x, LOCATED, _place(m["y"]), OPEN_CONFIDENCE, "class-in")
        return out + _rel(x, "isa", make_entity(m["n"]), OPEN_CONFIDENCE, "class-in")
    m = _WORKS_AT.match(t)
    if m:
        return _rel(_subject(m["x"]), WORK, _place(m["y"]), OPEN_CONFIDENCE, "works-at")
    m = _BE_IN.match(t)
    if m:
        return _rel(_subject(m["x"]), LOCATED, _place(m["y"]), OPEN_CONFIDENCE, "be-in")
    m = _PLACE_VERB.match(t)
    if m and m["v"].lower() not in _NOT_VERBS:
        v = m["v"].lower()
        lemma = (
            "take place"
            if "place" in v
            else "grow up"
            if v.startswith("gr") and "up" in v
            else "move back"
            if "back" in v
            else verb_lemma(v)
        )
        prep = m["p"].lower()
        fam = BORN if lemma == "bear" else verb_family(lemma, prep)
        if fam == "verb:" + lemma + " " + prep and lemma in ("teach", "cook", "study"):
            fam = WORK if lemma != "study" else fam
        if fam in (LOCATED, BORN, GREW_UP, WORK) or fam.startswith("live"):
            return _rel(_subject(m["x"]), fam, _place(m["y"]), OPEN_CONFIDENCE, "verb-prep")
    m = _VERB_OBJ_PLACE.match(t)
    if m and m["v"].lower() not in _NOT_VERBS:  # "studied music in Velmora": what, and where
        lemma = verb_lemma(m["v"])
        subj = _subject(m["x"])
        thing, _ = _thing(m["y"])
        return _rel(subj, f"verb:{lemma} {m['p'].lower()}", _place(m["z"]), OPEN_CONFIDENCE, "verb-obj-place") + _rel(
            subj, verb_family(lemma), thing, LOOSE_CONFIDENCE, "verb-obj-place"
        )
    m = _ROLE_VERB.match(t)
    if m:
        lemma = verb_lemma(m["v"])
        noun = _ROLE_OF_VERB.get(lemma)
        thing, _ = _thing(m["y"])
        if noun:
            return _rel(_subject(m["x"]), "of:" + noun, thing, OPEN_CONFIDENCE, "role-verb")
        return _rel(_subject(m["x"]), "verb:" + lemma, thing, LOOSE_CONFIDENCE, "verb")
    m = _TRANSITIVE.match(t)
    if m and m["v"].lower() not in _NOT_VERBS:
        lemma = verb_lemma(m["v"])
        fam = verb_family(lemma)
        thing, isa = _thing(m["y"], cut=fam != WORK)
        if fam == WORK:
            thing = _place(m["y"])
        return _rel(_subject(m["x"]), fam, thing, LOOSE_CONFIDENCE, "verb") + ([isa] if isa else [])
    return []
