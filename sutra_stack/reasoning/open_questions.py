"""Questions about open relations: roles and kinship, owners, places, employers and dates.

`open_frame` reads the question shapes that map to the canonical families of predicates.py
("Who is O's sister?" → of:sister, "Who owns the canoe?" → own, "In which country is the
museum?" → located, followed to its end, "When was X born?" → when:born); None when the
question is of another shape (the fixed patterns of questions.py read it).
"""

from __future__ import annotations

import re

from sutra_stack.reasoning.names import name
from sutra_stack.reasoning.predicates import (
    BORN,
    GREW_UP,
    HOLD,
    LIVE,
    LOCATED,
    OWN,
    WORK,
    event_family,
    kin_families,
    noun_family,
    verb_family,
    verb_lemma,
    where_families,
)
from sutra_stack.reasoning.text import STOPWORDS, Entity, make_entity, wordset

FORWARD, BACKWARD = "forward", "backward"
_X = r"(?P<x>.+?)"
_BE = r"(?:is|are|was|were)"
_AUX = r"(?:does|do|did)"
_NOUN = r"(?P<n>[a-z][a-z\-]*(?:\s+[a-z][a-z\-]*){0,3}?)"
# nouns that name the fixed rules' relations ("the cause of", "the parts of"): not open relations
_FIXED_NOUNS = wordset(
    "cause causes effect effects result results consequence consequences outcome outcomes reason reasons "
    "origin origins source sources part parts component components ingredient ingredients member members "
    "piece pieces meaning kind type sort example form name word term opposite job occupation profession trade"
)
_BIG_PLACES = wordset(
    "country county province state region canton kingdom republic nation territory district shire "
    "prefecture"
)
_PART_OF_PLACE = {"of:" + w for w in _BIG_PLACES}  # "a county of Y": the relation the chain also follows
_PLACE_WORDS = _BIG_PLACES | wordset(
    "city town village place area island municipality"
)
_EVENT_WORDS = (
    r"born|founded|established|set\s+up|built|constructed|opened|held|released|published|married|"
    r"started|begun|closed\s+down|shut\s+down|close\s+down|closed|finished|completed|open|take\s+place|happen|start|"
    r"begin|close|die|come\s+out|"
    r"occur|marry|finish|bought|sold|purchased|inherited|buy|sell|purchase|inherit"
)

_OF_NOUN = re.compile(
    rf"^(?:who|what|which\s+[a-z]+)\s+(?:{_BE}|became|becomes)\s+(?:(?:appointed|elected|named|made)\s+(?:as\s+)?)?"
    rf"(?:the\s+)?{_NOUN}\s+of\s+{_X}$",
    re.I,
)
_JOB = re.compile(
    rf"^what\s+(?:{_BE}\s+{_X}['\u2019]s?\s+(?:job|occupation|profession|trade|line\s+of\s+work)|{_AUX}\s+(?P<y>.+?)\s+do"
    r"(?:\s+for\s+(?:a\s+)?(?:living|work))?)$",
    re.I,
)
_POSS_NOUN = re.compile(
    rf"^(?:who|what)\s+{_BE}\s+(?:the\s+name\s+of\s+)?{_X}['\u2019]s?\s+{_NOUN}(?:\s+(?:called|named))?$", re.I
)
_WHOSE = re.compile(rf"^whose\s+{_NOUN}\s+{_BE}\s+{_X}$", re.I)
_WHO_OWNS = re.compile(
    rf"^(?:who|which\s+\w+)\s+(?:owns|owned|has\s+owned|has|had|possesses|bought|inherited|"
    rf"now\s+owns)\s+{_X}$",
    re.I,
)
_WHO_HAS = re.compile(
    rf"^(?:who|which\s+\w+)\s+(?P<v>has|had|borrowed|is\s+holding|has\s+borrowed)\s+{_X}"
    r"(?P<loan>\s+(?:on\s+loan|at\s+the\s+moment|just\s+now))?$",
    re.I,
)
# "Hugo Marsh's bicycle", "the bicycle Tilda Kerr has": the thing itself (things are named without their owner)
_OWNER = name(r"[\w\-]*")  # a name, without its possessive
_OWNERS_THING = re.compile(rf"^{_OWNER}['\u2019]s?\s+(?P<t>[a-z].*)$")
_THING_SOMEONE_HAS = re.compile(
    rf"^(?P<t>.+?)\s+(?:that\s+|which\s+)?{_OWNER}\s+(?:has|had|borrowed|keeps|uses)$"
)


def _the_thing(x: str) -> str:
    m = _OWNERS_THING.match(x) or _THING_SOMEONE_HAS.match(x)
    return m["t"] if m else x


# "who bought / inherited X": an owner whose fact tells how the thing came to them
_ACQUIRED = {"bought": ("bought", "buy", "purchas", "acquir", "sold", "sell"),
             "inherited": ("inherit", "left", "bequeath", "passed", "willed")}
_BELONG = re.compile(rf"^(?:to\s+whom|who|whom)\s+{_AUX}\s+{_X}\s+belong(?:\s+to)?$", re.I)
_WHOSE_IS = re.compile(rf"^whose\s+{_BE}\s+{_X}$", re.I)
_WHEN_BE = re.compile(
    rf"^(?:when|(?:in|on)\s+what\s+(?:year|date|day|month)|what\s+year)\s+{_BE}\s+{_X}\s+"
    rf"(?P<v>{_EVENT_WORDS})$",
    re.I,
)
_WHEN_DO = re.compile(
    rf"^(?:when|(?:in|on)\s+what\s+(?:year|date|day|month)|what\s+year)\s+{_AUX}\s+{_X}\s+"
    rf"(?P<v>{_EVENT_WORDS})$",
    re.I,
)
_WHEN_DO_IT = re.compile(
    rf"^(?:when|(?:in|on)\s+what\s+(?:year|date|day|month)|what\s+year)\s+{_AUX}\s+.+?\s+(?P<v>open|found|establish|"
    r"build|start|set\s+up|close|sell|buy|publish|release)\s+(?:the|her|his|their|its|a|an)\s+(?P<y>.+)$",
    re.I,
)
# "When is the Quill Festival?": a named event (a name, no trailing word: "when is the report due" is not one)
_WHEN_IS = re.compile(r"^(?i:when|(?:in|on)\s+what\s+(?:month|day)|what\s+month)\s+(?i:is|are|was|were)\s+"
                      r"(?P<x>(?:[Tt]he\s+)?" + name(joiner=r"(?:of\s+)?") + ")$")
_BIRTHDAY = re.compile(rf"^what\s+{_BE}\s+{_X}['\u2019]s?\s+(?:birthday|date\s+of\s+birth|birth\s+date)$", re.I)
_WHERE_BORN = re.compile(rf"^where\s+{_BE}\s+{_X}\s+born$", re.I)
_WHERE_HELD = re.compile(
    rf"^where\s+(?:{_BE}\s+(?P<x>.+?)\s+(?:held|hosted|kept|stored|staged)|{_AUX}\s+(?P<y>.+?)\s+"
    rf"(?:take\s+place|happen|sit|stand|lie))$",
    re.I,
)
_WHERE_VERB = re.compile(
    rf"^where\s+(?:{_AUX}|has|have|had)\s+{_X}\s+(?P<v>[a-z]+)(?:\s+(?P<p>up|back|to|in|at))?$", re.I
)
_WHICH_PLACE = re.compile(
    rf"^(?:(?:in|on)\s+)?(?:which|what)\s+(?P<c>mountain\s+range|[a-z]+)\s+(?:(?:{_BE})\s+(?P<x>.+?)(?:\s+(?:located|"
    r"based|situated|found|held|headquartered|born|kept|built))?|(?:does|did|do)\s+(?P<y>.+?)\s+(?P<v>[a-z]+)(?:\s+up)?)"
    r"(?:\s+(?:in|to|at|from))?$",
    re.I,
)
_FROM = re.compile(rf"^where\s+(?:{_BE}\s+{_X}\s+(?:originally\s+)?from|{_AUX}\s+(?P<y>.+?)\s+come\s+from)$", re.I)
_MARRIED = re.compile(
    rf"^(?:who|whom)\s+(?:{_BE}\s+married\s+to\s+(?P<z>.+)|{_BE}\s+{_X}\s+married\s+to|{_AUX}\s+(?P<y>.+?)\s+marry|"
    rf"married\s+(?P<w>.+))$",
    re.I,
)
_SPOUSE = re.compile(rf"^who\s+{_BE}\s+{_X}['\u2019]s?\s+(?:husband|wife|spouse|partner)$", re.I)
_WHERE_DO_WHAT = re.compile(
    rf"^(?i:where\s+{_AUX})\s+(?P<x>{name()})\s+(?P<v>[a-z]+)\s+"
    r"(?!(?:to|in|at|up|back|from|for|on|into)$)(?:the\s+|a\s+|an\s+|his\s+|her\s+|their\s+)?"
    r"[a-z][\w\-]*(?:\s+[a-z][\w\-]*)?$"
)
_WHO_ROLE = re.compile(
    rf"^who\s+(?P<v>chairs|heads|leads|manages|directs|coaches|captains|edits|edited|"
    rf"conducts|runs)\s+{_X}$",
    re.I,
)
_IN_CHARGE = re.compile(rf"^who\s+{_BE}\s+(?P<v>)in\s+charge\s+of\s+{_X}$", re.I)
# "who heads / runs / leads X", "who is the head of X": whoever holds its leading role
_TOP_ROLES = {"of:" + n for n in ("head", "director", "ceo", "chair", "president", "manager", "head teacher", "mayor",
                                 "captain", "chief", "governor", "dean", "rector", "superintendent", "commissioner",
                                 "chancellor", "editor", "conductor", "coordinator", "run")}
_EMPLOYER_NOUNS = frozenset({"employer", "workplace", "place of work", "company", "firm"})
_EMPLOYS = re.compile(r"^(?:who|which\s+(?:company|firm|business|organi[sz]ation))\s+(?:employs|employed)\s+(?P<x>.+)$",
                      re.I)
_WHERE_ING = re.compile(rf"^where\s+{_BE}\s+{_X}\s+(?P<v>living|residing|staying|working|employed)$", re.I)
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
    "run": "head",
}


class OpenFrame:
    """What open_frame found: families, direction, the named entity, and whether to follow on."""

    __slots__ = ("chain", "direction", "families", "known", "place_class", "said", "verb_prefix")

    def __init__(
        self,
        families: set[str],
        direction: str,
        known: Entity,
        chain: bool = False,
        verb_prefix: bool = False,
        place_class: str | None = None,
        said: tuple[str, ...] = (),
    ) -> None:
        self.families = frozenset(families)
        self.direction = direction
        self.known = known
        self.chain = chain
        self.verb_prefix = verb_prefix  # "verb:open" also accepts "verb:open at"
        self.place_class = place_class  # "in which country": the kind of place asked for
        self.said = said  # "who bought X": the fact must say so (one of these stems), owning is not buying


def _noun_family(noun: str) -> str | None:
    ws = noun.lower().split()
    if not ws or ws[-1] in _FIXED_NOUNS or ws[0] in _FIXED_NOUNS or any(w in STOPWORDS for w in ws):
        return None
    fam = noun_family(noun)
    return OWN if fam == "of:owner" else fam


def _event(v: str) -> str | None:
    v = re.sub(r"\s+down$", "", re.sub(r"\s+", " ", v.lower()))  # "closed down", "shut down": closed
    if v == "shut":
        v = "close"
    lemma = v if " " in v else ("bear" if v == "born" else verb_lemma(v))
    if lemma == "begun":
        lemma = "begin"
    return event_family(lemma)


def open_frame(q: str) -> OpenFrame | None:
    """The frame of a question about an open relation, or None."""
    m = _WHO_HAS.match(q)
    if m and (x := make_entity(_the_thing(m["x"]))):  # "who has Hugo's bicycle": who holds it, else its owner
        return OpenFrame({HOLD} if m["loan"] or m["v"].lower() == "borrowed" else {HOLD, OWN}, BACKWARD, x)
    m = _WHO_OWNS.match(q) or _BELONG.match(q) or _WHOSE_IS.match(q)
    if m and (x := make_entity(_the_thing(m["x"]))):
        verb = q.split()[1].lower() if m.re is _WHO_OWNS and q[:4].lower() == "who " else ""
        return OpenFrame({OWN}, BACKWARD, x, said=_ACQUIRED.get(verb, ()))
    m = _POSS_NOUN.match(q) or _OF_NOUN.match(q)
    if m and m["n"].lower() in _EMPLOYER_NOUNS and (x := make_entity(m["x"])):
        return OpenFrame({WORK}, FORWARD, x)  # "X's employer": where X works
    if m and (fam := _noun_family(m["n"])) == "of:head" and (x := make_entity(m["x"])):
        return OpenFrame(_TOP_ROLES, BACKWARD, x)  # "the head (leader, boss) of X": whoever leads it
    if m and (fam := _noun_family(m["n"])) and (x := make_entity(m["x"])):
        return OpenFrame(kin_families(fam), BACKWARD, x)  # "Signe's sister": also whoever is her sibling
    m = _WHOSE.match(q)
    if m and (fam := _noun_family(m["n"])) and (x := make_entity(m["x"])):
        return OpenFrame(kin_families(fam), FORWARD, x)  # "whose son is Nils": whose child he is
    m = _WHO_ROLE.match(q) or _IN_CHARGE.match(q)
    if m and (x := make_entity(m["x"])):
        role = "of:" + _ROLE_OF_VERB.get(verb_lemma(m["v"] or "head"), verb_lemma(m["v"] or "head"))
        return OpenFrame(_TOP_ROLES if role in ("of:head", "of:run") else {role}, BACKWARD, x)  # whoever leads it
    m = _EMPLOYS.match(q)
    if m and (x := make_entity(m["x"])):
        return OpenFrame({WORK}, FORWARD, x)
    m = _WHERE_ING.match(q)
    if m and (x := make_entity(m["x"])):
        return OpenFrame({LIVE} if m["v"].lower() in ("living", "residing", "staying") else {WORK}, FORWARD, x)
    m = _WHEN_BE.match(q) or _WHEN_DO.match(q)
    if m and (fam := _event(m["v"])) and (x := make_entity(m["x"])):
        verb = "verb:" + verb_lemma(m["v"].split()[0])  # "opens at 9 am" is the verb's own reading
        return OpenFrame({fam, verb}, FORWARD, x, verb_prefix=True)
    m = _WHEN_DO_IT.match(q)
    if m and (fam := _event(m["v"])) and (x := make_entity(m["y"])):  # "when did X open her shop": the shop's
        return OpenFrame({fam}, FORWARD, x)
    m = _JOB.match(q)
    if m and (x := make_entity(m["x"] or m["y"])):
        return OpenFrame({"isa", "job"}, FORWARD, x)
    m = _BIRTHDAY.match(q)
    if m and (x := make_entity(m["x"])):
        return OpenFrame({"when:born"}, FORWARD, x)
    m = _WHEN_IS.match(q)
    if m and (x := make_entity(m["x"])):  # "When is the Quill Festival?": when it happens
        return OpenFrame({"when:happen"}, FORWARD, x)
    m = _WHERE_BORN.match(q)
    if m and (x := make_entity(m["x"])):
        return OpenFrame({BORN}, FORWARD, x)
    m = _WHERE_HELD.match(q)
    if m and (x := make_entity(next(g for g in m.groups() if g))):
        return OpenFrame({LOCATED}, FORWARD, x)
    m = _WHICH_PLACE.match(q)
    if m and (m["c"].lower() in _PLACE_WORDS or m["c"].lower().startswith("mountain")):
        fams = {LOCATED, "of:capital"} | _PART_OF_PLACE  # "Eskdale is a province of Marrovia" leads on
        name = m["x"] or m["y"]
        if q.lower().rstrip().endswith(" born"):
            fams.add(BORN)
        if m["v"]:
            first = verb_family(verb_lemma(m["v"]))
            fams |= {first}
        if name and (x := make_entity(name)):
            return OpenFrame(fams, FORWARD, x, chain=True, place_class=m["c"].lower().split()[-1])
    m = _FROM.match(q)
    if m and (x := make_entity(m["x"] or m["y"])):
        return OpenFrame({"from"}, FORWARD, x)
    m = _MARRIED.match(q) or _SPOUSE.match(q)
    if m and (x := make_entity(next(g for g in (m.groupdict().get(k) for k in "xyzw") if g))):
        return OpenFrame({"spouse"}, FORWARD, x)  # "who is married to X", "who married X": X's spouse
    m = _WHERE_DO_WHAT.match(q)
    if m and (x := make_entity(m["x"])):  # "where did Elin Sand study music": where the doing was
        v = verb_lemma(m["v"])
        return OpenFrame(where_families(v), FORWARD, x)
    m = _WHERE_VERB.match(q)
    if m and (x := make_entity(m["x"])):
        v, p = verb_lemma(m["v"]), (m["p"] or "").lower()
        if v == "grow" and p == "up":
            return OpenFrame({GREW_UP}, FORWARD, x)
        fam = verb_family(v, p or None)
        if fam in (OWN, WORK, LOCATED) or fam == "live":
            return OpenFrame({fam}, FORWARD, x)
    return None
