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

from sutra_stack.reasoning import clause_shapes as S
from sutra_stack.reasoning.gate import mask_of
from sutra_stack.reasoning.names import CAPITAL, name
from sutra_stack.reasoning.possession import possession
from sutra_stack.reasoning.predicates import (
    BORN,
    GREW_UP,
    HOLD,
    KIN_NOUNS,
    LOCATED,
    OWN,
    PLACE_CLASSES,
    WORK,
    Relation,
    converse,
    event_family,
    noun_family,
    verb_family,
    verb_lemma,
)
from sutra_stack.reasoning.text import STOPWORDS, Entity, make_entity
from sutra_stack.reasoning.timeline import asserted, without_dates

OPEN_CONFIDENCE = 0.85  # a relation read from a clause's structure
LOOSE_CONFIDENCE = 0.75  # a transitive verb with whatever follows it as the object
MAX_SUBJECT_WORDS = 8
_WHOSE_NAMED = re.compile(
    name(r"[\w\-]*") + r"['\u2019]s\s+(?:[a-z]+\s+){1,2}(?P<x>" + name(r"[\w\-]*", more="+") + ")"
)
_OWNING_EVENTS = frozenset({"buy", "sell", "inherit"})  # their doer is read as an owner by the shapes
_CAPS = name()

def _clean(clause: str) -> str:
    t = clause.strip().rstrip(".!?;:")
    for _ in range(2):
        t = S.LEAD.sub("", t, mask_of(t))
    return S.FILLER.sub("", t, mask_of(t)).strip(" ,")


def _subject(x: str) -> Entity | None:
    x = x.strip(" ,")
    named = S.APPOSITIVE.pattern.fullmatch(x) or _WHOSE_NAMED.fullmatch(x)
    if named:  # "Sven Lindqvist's daughter Karin", "Ines Quarles's neighbour Tom Birch": the one named
        x = named["x"]
    if not x or S.SUBORDINATE.search(x) or len(x.split()) > MAX_SUBJECT_WORDS:
        return None
    return make_entity(x)


def _place(y: str) -> Entity | None:
    """A place phrase: "the county of Ashdale" → Ashdale, "a hill above Kessmark" as written."""
    y = S.PLACE_OBJECT_END.sub("", y.strip()).strip(" ,")
    near = S.NEAR_NAME.match(y)
    if near:  # "a hill above Kessmark": the named place
        y = near["p"]
    m = S.OF_PLACE.match(y)
    if m and m["p"] and (m["c"] or y.lower() != m["p"].lower()):
        y = m["p"]
    return make_entity(y) if y else None


def _thing(y: str, cut: bool = True) -> tuple[Entity | None, Relation | None]:
    """An object phrase (cut before a trailing prepositional phrase), and for "a cat called
    Pepper" the name as the thing with its is-a relation."""
    y = y.strip(" ,")
    m = S.NAMED.pattern.match(y)
    if m and not re.search(r"\b(?:in|at|on|of|for|with|from|to)\b", m["n"], re.I):
        name = make_entity(S.OBJECT_END.sub("", m["name"]).strip(" ,"))
        kind = make_entity(m["n"])
        if name is not None:
            isa = Relation(name, "isa", kind, "hierarchical", OPEN_CONFIDENCE, "named") if kind else None
            return name, isa
    if cut:
        y = S.OBJECT_END.sub("", y).strip(" ,")
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
    return (
        bool(ws)
        and ws[-1] not in S.NOT_A_RELATION_NOUN
        and ws[0] not in S.NOT_A_RELATION_NOUN
        and not any(w.endswith("ed") and len(w) > 4 and w not in ("head", "bred") for w in ws)
        and not any(w in STOPWORDS for w in ws)
    )


def _event_relations(t: str) -> list[Relation]:
    out: list[Relation] = []
    mask = mask_of(t)
    m = S.EVENT_ACTIVE.match(t, mask)
    if m:
        fam = event_family(verb_lemma(m["v"].split()[0]) if " " not in m["v"] else m["v"].lower())
        thing, _ = _thing(m["x"])
        when = make_entity(re.sub(r"^(?:on|in|during)\s+", "", m["w"], flags=re.I))
        if fam:
            out += _rel(thing, fam, when, OPEN_CONFIDENCE, "event")
        if fam and fam[5:] not in _OWNING_EVENTS:  # "Anton Weiss founded the bakery in 1999": and who did
            out += _rel(_subject(m["s"]), "verb:" + verb_lemma(m["v"].split()[0]), thing, LOOSE_CONFIDENCE, "event")
    m = S.EVENT_PASSIVE.match(t, mask)
    if m is None and not out and (r := S.RECURRING_ANY.match(t, mask)) and r["v"].lower() not in S.NOT_VERBS:
        fam = event_family(verb_lemma(r["v"]), any_verb=True)  # "the band rehearses every Tuesday"
        when = make_entity(re.sub(r"^(?:on|in|during)\s+", "", r["w"], flags=re.I))
        out += _rel(_subject(r["x"]), fam or "", when, OPEN_CONFIDENCE, "event")
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


def open_relations(clause: str, *, loose: bool = True) -> list[Relation]:
    """The open relations one clause states (none for a clause that asserts nothing)."""
    t = _clean(clause)
    bare = without_dates(t)
    if not asserted(bare):
        return []
    out = _event_relations(t)
    t = S.RECURRING.sub("", bare, mask_of(bare))
    out += [r for r in _structural(t, loose) if not (out and r.rule == "verb")]
    for m in S.APPOSITIVE.finditer(t, mask_of(t)):  # "Sven Lindqvist's daughter Karin has inherited the farm"
        out += _rel(_subject(m["x"]), noun_family(m["n"]), _subject(m["y"]), OPEN_CONFIDENCE, "appositive")
    seen: set[tuple[str, str, str]] = set()
    both: list[Relation] = []
    for r in out + [c for r in out if (c := converse(r)) is not None]:
        key = (r.subject.key, r.family, r.object.key)
        if key not in seen:
            seen.add(key)
            both.append(r)
    return both


_STREET_IN = re.compile(rf"^(?P<a>{_CAPS})\s+(?:in|near)\s+(?P<b>(?:the\s+)?{CAPITAL}.*)$")


def _placed(subj: Entity | None, family: str, y: str, rule: str) -> list[Relation]:
    """`subj` in a place; "on Market Street in Wrenfield": in Wrenfield (the street stays a mention,
    and the town leads on to its county)."""
    y = S.PLACE_OBJECT_END.sub("", y.strip()).strip(" ,")
    m = _STREET_IN.match(re.sub(r"^the\s+", "", y))
    out = _rel(subj, family, _place(m["b"] if m else y), OPEN_CONFIDENCE, rule)
    kind = S.OF_PLACE.match(y)
    if out and kind and kind["c"]:  # "in the county of Ashdale": Ashdale is a county
        out += _rel(out[0].object, "isa", make_entity(kind["c"].lower()), OPEN_CONFIDENCE, rule)
    return out


def _structural(t: str, loose: bool = True) -> list[Relation]:
    """The relations of the first clause shape that fits; without `loose`, the same less the
    "verb" and "role-verb" ones (a fixed rule's relation replaces them), which are then not built."""
    mask = mask_of(t)
    held = possession(t, mask, lambda z: _subject(S.OBJECT_END.sub("", z)), lambda y: _thing(y)[0])
    if held:  # lent, borrowed, given back: who has it (before the transfers: "gave back")
        return held
    m = S.ROLE_TRANSFER.match(t, mask)
    if m and m["n"].lower() in S.ABSTRACT_ROLES:
        fam = noun_family(S.ABSTRACT_ROLES[m["n"].lower()])
        fam = OWN if fam == "of:owner" else fam
        return _rel(_subject(S.OBJECT_END.sub("", m["x"])), fam, _subject(m["y"]), OPEN_CONFIDENCE, "role-transfer")
    m = S.TAKE_OVER.match(t, mask)
    if m:
        return _rel(
            _subject(m["x"]),
            noun_family(m["n"]),
            _subject(S.PLACE_OBJECT_END.sub("", m["y"])),
            OPEN_CONFIDENCE,
            "take-over",
        )
    m = S.PUT.match(t, mask)
    if m and not re.match(r"^(?:to|into|in|on|place|part|care|over|off|up)\b", m["x"], re.I):
        thing, _ = _thing(m["x"], cut=False)
        return _rel(thing, LOCATED, _place(m["y"]), OPEN_CONFIDENCE, "put")
    m = S.GIVE_NAMED.match(t, mask)
    if m:
        thing, giver, taker = _thing(m["y"])[0], _subject(m["x"]), _subject(m["z"])
        if m["v"].lower().startswith(("lent", "loan", "lend")):  # a loan: had, not owned
            return _rel(taker, HOLD, thing, OPEN_CONFIDENCE, "give-named") + _rel(giver, OWN, thing, OPEN_CONFIDENCE,
                                                                                 "give-named")
        return _rel(taker, OWN, thing, OPEN_CONFIDENCE, "give-named") + _rel(
            giver, "verb:" + verb_lemma(m["v"]), thing, LOOSE_CONFIDENCE, "give-named")
    m = S.PASSED_TO.match(t, mask)
    if m:
        thing, _ = _thing(m["y"], cut=False)
        return _rel(_subject(S.OBJECT_END.sub("", m["x"])), OWN, thing, OPEN_CONFIDENCE, "passed-to")
    m = S.SOLD_TO.match(t, mask)
    if m:
        thing, _ = _thing(m["y"], cut=False)
        seller = _subject(m["s"]) if m["s"] else None
        return _rel(_subject(S.OBJECT_END.sub("", m["x"])), OWN, thing, OPEN_CONFIDENCE, "sold-to") + _rel(
            seller, "verb:" + verb_lemma(m["v"].split()[0]), thing, LOOSE_CONFIDENCE, "sold-to")
    m = S.TRANSFER.match(t, mask)
    if m:
        thing, _ = _thing(m["y"], cut=False)
        how = [w for w in t[m.end("x") : m.start("y")].split() if w.lower() not in ("has", "had")][0]
        return _rel(_subject(m["z"].split(",")[0]), OWN, thing, OPEN_CONFIDENCE, "transfer") + _rel(
            _subject(m["x"]), "verb:" + verb_lemma(how), thing, LOOSE_CONFIDENCE, "transfer"
        )  # and who sold or gave it
    m = S.MARRIED.match(t, mask)
    if m:
        a, b = _subject(m["x"]), _subject(S.OBJECT_END.sub("", m["y"]))
        return _rel(a, "spouse", b, OPEN_CONFIDENCE, "married") + _rel(b, "spouse", a, OPEN_CONFIDENCE, "married")
    m = S.OWNED_BY.match(t, mask)
    if m:
        thing, isa = _thing(m["y"], cut=False)
        return _rel(_subject(S.OBJECT_END.sub("", m["x"])), OWN, thing, OPEN_CONFIDENCE, "owned-by")
    m = S.IS_FROM.match(t, mask)
    if m:  # "Olga Rask is from Tessin": where one comes from
        return _rel(_subject(m["x"]), "from", _place(m["y"]), OPEN_CONFIDENCE, "from")
    m = S.PASSIVE_BY.match(t, mask)
    if m and m["v"].lower() not in ("caused", "triggered", "produced", "followed", "owned", "called", "known"):
        thing, _ = _thing(m["x"], cut=False)  # "Brightwave was founded by Sara Lunde": Sara Lunde founded it
        doer, lemma = _subject(S.OBJECT_END.sub("", m["y"])), verb_lemma(m["v"])
        if lemma in S.ROLE_OF_VERB:  # "the gallery is run by Mia Dunn": she heads it
            return _rel(doer, "of:" + S.ROLE_OF_VERB[lemma], thing, OPEN_CONFIDENCE, "passive-by")
        return _rel(doer, "verb:" + lemma, thing, LOOSE_CONFIDENCE, "passive-by")
    m = S.BELONGS.match(t, mask)
    if m:
        thing = _subject(m["y"])
        out = _rel(_subject(S.OBJECT_END.sub("", m["x"])), OWN, thing, OPEN_CONFIDENCE, "belongs")
        if m["n"] and thing is not None:
            out += _rel(thing, "isa", make_entity(m["n"]), OPEN_CONFIDENCE, "belongs")
        return out
    m = S.HAS_NAMED.match(t, mask)
    if m:
        name = make_entity(S.OBJECT_END.sub("", m["y"]))
        if m["n"].split()[-1].lower() in KIN_NOUNS:  # "has a brother called Mateo": Mateo is her brother
            return _rel(name, noun_family(m["n"]), _subject(m["x"]), OPEN_CONFIDENCE, "has-named")
        out = _rel(_subject(m["x"]), OWN, name, OPEN_CONFIDENCE, "has-named")
        if name is not None:
            out += [
                Relation(name, "isa", e, "hierarchical", OPEN_CONFIDENCE, "has-named")
                for e in [make_entity(m["n"])]
                if e
            ]
        return out
    m = S.OWNS.match(t, mask)
    if m:
        thing, isa = _thing(m["y"])
        return _rel(_subject(m["x"]), OWN, thing, OPEN_CONFIDENCE, "owns") + ([isa] if isa else [])
    m = S.POSS_IS.match(t, mask)
    if m and _noun_ok(m["n"]):
        return _rel(
            _subject(S.OBJECT_END.sub("", m["x"])), noun_family(m["n"]), _subject(m["y"]), OPEN_CONFIDENCE, "possessive"
        )
    m = S.IS_POSS.match(t, mask)
    if m and _noun_ok(m["n"]):
        return _rel(_subject(m["x"]), noun_family(m["n"]), _subject(m["y"]), OPEN_CONFIDENCE, "possessive")
    m = S.OF_IS.match(t, mask)
    if m and _noun_ok(m["n"]):
        return _rel(
            _subject(S.OBJECT_END.sub("", m["x"])), noun_family(m["n"]), _subject(m["y"]), OPEN_CONFIDENCE, "of-is"
        )
    m = S.COPULA_OF.match(t, mask)
    if m and _noun_ok(m["n"]) and noun_family(m["n"])[3:] in KIN_NOUNS and _AND.search(m["y"]):
        fam, subj = noun_family(m["n"]), _subject(m["x"])  # "the mother of Zofia and Olek Marek"
        return [r for name in _names(m["y"]) for r in _rel(subj, fam, _subject(name), OPEN_CONFIDENCE, "copula-of")]
    if m and _noun_ok(m["n"]):
        fam = noun_family(m["n"])
        if m["p"].lower() != "of" and fam[3:] not in ("ceo", "head", "captain", "chair", "manager", "director"):
            fam = WORK  # "a pilot for Tamsk Air", "a teacher at the school"
        obj = _place(m["y"]) if fam == WORK else _subject(S.PLACE_OBJECT_END.sub("", m["y"]))
        subj = _subject(m["x"])
        out = _rel(subj, fam, obj, OPEN_CONFIDENCE, "copula-of")
        if fam == WORK and subj is not None and (job := make_entity(m["n"])):  # ... and a pilot
            out.append(Relation(subj, "isa", job, "hierarchical", OPEN_CONFIDENCE, "copula-of"))
        return out
    m = S.CLASS_IN.match(t, mask)
    if (
        m
        and _noun_ok(m["n"])
        and m["n"].split()[-1].lower()
        in PLACE_CLASSES | S.SITE_KINDS
        and (m["p"].lower() in ("in", "on") or m["n"].split()[-1].lower() in PLACE_CLASSES)
    ):
        x = _subject(m["x"])
        out = _rel(x, LOCATED, _place(m["y"]), OPEN_CONFIDENCE, "class-in")
        out += _rel(x, "isa", make_entity(m["n"]), OPEN_CONFIDENCE, "class-in")
        if " " in m["n"].strip():  # "a market town", "a fishing village": a town, a village too
            out += _rel(x, "isa", make_entity(m["n"].split()[-1]), OPEN_CONFIDENCE, "class-in")
        return out
    m = S.WORKS_AT.match(t, mask)
    if m:  # "teaches history at Fennick School": the employer, and what is taught
        subj = _subject(m["x"])
        verb = re.match(r"\S+", t[m.end("x") :].strip())
        what = make_entity(m["o"]) if m["o"].strip() else None
        out = _rel(subj, WORK, _place(m["y"]), OPEN_CONFIDENCE, "works-at")
        if verb and what:
            out += _rel(subj, "verb:" + verb_lemma(verb.group(0)), what, LOOSE_CONFIDENCE, "works-at")
        return out
    m = S.BE_IN.match(t, mask)
    if m:
        return _placed(_subject(m["x"]), LOCATED, m["y"], "be-in")
    m = S.PLACE_VERB.match(t, mask)
    if m and m["v"].lower() not in S.NOT_VERBS:
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
            return _placed(_subject(m["x"]), fam, m["y"], "verb-prep")
        verbish = v.endswith(("s", "ed")) or verb_lemma(v) != v
        if verbish and not any(w.islower() and w.endswith(("s", "ed")) and len(w) > 3 for w in m["x"].split()[1:]):
            # "the club meets at the velodrome" (not "Bram repairs | boats in Ormsby")
            if not loose:
                return []
            return _rel(_subject(m["x"]), f"verb:{lemma} {prep}", _place(m["y"]), LOOSE_CONFIDENCE, "verb")
    m = S.VERB_OBJ_PLACE.match(t, mask)
    if m and m["v"].lower() not in S.NOT_VERBS:  # "studied music in Velmora": what, and where
        lemma = verb_lemma(m["v"])
        subj = _subject(m["x"])
        where = _rel(subj, f"verb:{lemma} {m['p'].lower()}", _place(m["z"]), OPEN_CONFIDENCE, "verb-obj-place")
        as_job = re.match(r"as\s+(?:an?\s+|the\s+)?(?P<n>[a-z][a-z\-]*(?:\s+[a-z][a-z\-]*)?)$", m["y"].strip())
        if as_job is not None:  # "worked as a clerk in Ravenport": a job and a place, not a thing worked on
            kind = make_entity(as_job["n"])
            return where + ([Relation(subj, "isa", kind, "hierarchical", OPEN_CONFIDENCE, "verb-obj-place")]
                            if subj is not None and kind is not None else [])
        thing, _ = _thing(m["y"])
        return where + _rel(subj, verb_family(lemma), thing, LOOSE_CONFIDENCE, "verb-obj-place")
    m = S.ROLE_VERB.match(t, mask)
    if m:
        if not loose:
            return []
        lemma = verb_lemma(m["v"])
        noun = S.ROLE_OF_VERB.get(lemma)
        thing, _ = _thing(m["y"])
        if noun:
            return _rel(_subject(m["x"]), "of:" + noun, thing, OPEN_CONFIDENCE, "role-verb")
        return _rel(_subject(m["x"]), "verb:" + lemma, thing, LOOSE_CONFIDENCE, "verb")
    m = S.TRANSITIVE.match(t)
    if m and m["v"].lower() not in S.NOT_VERBS:
        if not loose:  # only "a cat called Pepper" is a cat
            return [isa] if S.NAMED.fits(mask) and (isa := _thing(m["y"])[1]) else []
        lemma = verb_lemma(m["v"])
        fam = verb_family(lemma)
        thing, isa = _thing(m["y"], cut=fam != WORK)
        if fam == WORK:
            thing = _place(m["y"])
        return _rel(_subject(m["x"]), fam, thing, LOOSE_CONFIDENCE, "verb") + ([isa] if isa else [])
    m = S.KINDS_DO.match(t)
    if m and m["v"] not in S.NOT_KIND_VERBS and not m["y"].endswith(("ly", "ing")):  # "Beavers build dams"
        if not loose:
            return []
        thing, _ = _thing(m["y"])
        return _rel(_subject(m["x"]), "verb:" + verb_lemma(m["v"]), thing, LOOSE_CONFIDENCE, "verb")
    return []
