"""Reading a question: which relation it asks about, in which direction, and about what.

A `Frame` names the relation families accepted (see extract.py), the direction (forward: the
named thing is the relation's subject and the answer its object; backward: the other way
round), the named entity, and for yes/no questions the second entity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sutra_stack.reasoning.asked_kind import PERSON, TIME
from sutra_stack.reasoning.extract import MULTI_VALUED, RELATION_WORDS, verb_lemma
from sutra_stack.reasoning.names import CAPITAL, name
from sutra_stack.reasoning.open_questions import open_frame
from sutra_stack.reasoning.predicates import (
    IRREGULAR_PAST,
    LIVE,
    OWN,
    WORK,
    WORKPLACE_VERBS,
    is_kin,
    is_role,
    kin_families,
    noun_family,
    slot_key,
    verb_family,
    where_families,
)
from sutra_stack.reasoning.text import Entity, content_words, make_entity, strip_end

FORWARD, BACKWARD = "forward", "backward"
__all__ = ["BACKWARD", "FORWARD", "IS_LIKE", "MULTI_VALUED", "Frame", "parse_question", "topic_words"]
IS_LIKE = frozenset({"isa", "is", "means"})


@dataclass(frozen=True, slots=True)
class Frame:
    families: frozenset[str] | None  # None: the relation was not recognised
    direction: str
    known: Entity | None
    other: Entity | None = None  # yes/no questions: the second thing named
    chain: bool = False  # "ultimately", "eventually": follow the relation further
    verb_prefix: bool = False  # families are verb lemmas that match any preposition
    place_class: str | None = None  # "in which country is X": the kind of place the answer must be
    wants: str | None = None  # "when", "who" after a verb another word could ask too: the answer's kind (asked_kind)
    # which value of a slot, told over time, is asked for (supersede.py): "previous" ("who used to own X"), "first"
    # ("who owned X first"), "after" / "before" the one named `relative` ("who succeeded Abel as treasurer of X")
    former: str | None = None
    relative: Entity | None = None
    via_parent: bool = False  # a sibling asked for, reached as another child of a parent (asker._siblings_by_parent)
    said: tuple[str, ...] = ()  # "who bought X": stems one of the answer's facts must hold (open_questions._ACQUIRED)
    start_of: str | None = None  # "when did X become Y" ("when"), "how long has X lived in Y" ("since"): fact_dates.py

    @property
    def yes_no(self) -> bool:
        return self.other is not None

    def accepts(self, family: str) -> bool:
        if self.families is None:
            return False
        if family in self.families:
            return True
        return self.verb_prefix and any(family.startswith(f + " ") for f in self.families)


_CHAIN = re.compile(r"\b(?:eventually|ultimately|in the end|finally|indirectly|in turn|over time)\b", re.I)
_NOISE = re.compile(r"\b(?:now|currently|current|today|nowadays|these days|at present|right now|still)\b", re.I)
_AUX = r"(?:does|do|did|can|could|will|might|may|would)"
_BE = r"(?:is|are|was|were)"
_X, _Y = r"(?P<x>.+?)", r"(?P<y>.+?)"
_A = r"(?:an?\s+)?"

# (pattern, families, direction, swap x/y for yes-no)
_PATTERNS: list[tuple[str, frozenset[str], str]] = []


def _p(pattern: str, families: set[str] | frozenset[str], direction: str = FORWARD) -> None:
    _PATTERNS.append((pattern, frozenset(families), direction))


C, H, P, S, T = {"cause"}, {"isa"}, {"part"}, {"means"}, {"then"}
_CAUSE_V = r"(?:cause|lead\s+to|result\s+in|trigger|produce|bring\s+about)"
# causal
_p(rf"what\s+(?:effects?\s+)?{_AUX}\s+{_X}\s+{_CAUSE_V}", C)
_p(rf"what\s+{_BE}\s+(?:caused|triggered|produced)\s+by\s+{_X}", C)
_p(rf"what\s+{_BE}\s+the\s+(?:effects?|results?|consequences?|outcomes?)\s+of\s+{_X}", C)
_p(rf"what\s+happens\s+(?:because\s+of|due\s+to|as\s+a\s+result\s+of)\s+{_X}", C)
_p(rf"what\s+(?:causes|caused|leads\s+to|led\s+to|results\s+in|triggers|produces|brings\s+about)\s+{_X}", C, BACKWARD)
_p(rf"what\s+(?:can|could|may|might)\s+{_CAUSE_V}\s+{_X}", C, BACKWARD)
_p(rf"what\s+{_BE}\s+{_X}\s+caused\s+by", C, BACKWARD)
_p(rf"what\s+{_BE}\s+the\s+(?:causes?|reasons?\s+for|origins?\s+of|sources?\s+of)\s+(?:of\s+)?{_X}", C, BACKWARD)
_p(rf"why\s+{_AUX}\s+{_X}\s+(?:happen|occur|exist)", C, BACKWARD)
_p(rf"what\s+{_BE}\s+{_X}\s+(?:a\s+)?result\s+of", C, BACKWARD)
# compositional
_p(rf"what\s+{_AUX}\s+{_X}\s+(?:contain|include|consist\s+of|comprise|have)", P)
_p(rf"what\s+{_BE}\s+{_X}\s+(?:made|composed)\s+(?:up\s+)?of", P)
_p(rf"what\s+{_BE}\s+(?:in|inside)\s+{_X}", P)
_p(rf"what\s+{_BE}\s+the\s+(?:parts?|components?|ingredients?|members?|pieces?)\s+of\s+{_X}", P)
_p(rf"(?:what|which\s+\w+)\s+(?:contains|includes|has|consists\s+of)\s+{_X}", P, BACKWARD)
_p(rf"what\s+{_BE}\s+{_X}\s+(?:a\s+)?(?:part|component|member)\s+of", P, BACKWARD)
_p(rf"(?:where|in\s+what)\s+{_BE}\s+{_X}\s+found", P, BACKWARD)
# semantic
_p(rf"what\s+{_AUX}\s+{_X}\s+(?:mean|refer\s+to|stand\s+for|denote)", S)
_p(rf"what\s+{_BE}\s+{_X}\s+(?:similar|equivalent|analogous)\s+to", S)
_p(rf"what\s+{_BE}\s+(?:another|a|the\s+other)\s+(?:word|name|term)\s+for\s+{_X}", S)
_p(rf"what\s+{_BE}\s+{_X}\s+short\s+for", S)
_p(rf"what\s+{_BE}\s+the\s+meaning\s+of\s+{_X}", S)
_p(rf"what\s+{_BE}\s+{_X}\s+(?:also\s+)?(?:called|known\s+as)", S)
_p(rf"(?:what|which)\s+(?:word|term|name|abbreviation)\s+(?:means|refers\s+to|stands\s+for)\s+{_X}", S, BACKWARD)
# temporal
_p(rf"what\s+(?:happens|comes|occurs|follows|is\s+next|takes\s+place)\s+(?:next\s+|right\s+)?after\s+{_X}", T)
_p(rf"what\s+follows\s+{_X}", T)
_p(rf"what\s+(?:happens|comes|occurs|is|takes\s+place)\s+(?:right\s+|just\s+)?before\s+{_X}", T, BACKWARD)
_p(rf"what\s+precedes\s+{_X}", T, BACKWARD)
# hierarchical
_p(rf"what\s+(?:kind|type|sort|class|category)\s+of\s+\w+\s+{_BE}\s+{_X}", H)
_p(rf"what\s+{_BE}\s+{_X}\s+{_A}(?:kind|type|sort|example|form|instance)\s+of", H)
_p(rf"what\s+(?:category|class|group)\s+{_AUX}\s+{_X}\s+belong\s+to", H)
_p(rf"(?:what|which\s+\w+)\s+{_BE}\s+{_A}(?:kind|type|sort|example|form)s?\s+of\s+{_X}", H, BACKWARD)
_p(rf"(?:name|give)\s+(?:an?|one)\s+(?:kind|type|example|sort)\s+of\s+{_X}", H, BACKWARD)
_p(rf"where\s+{_BE}\s+{_X}(?:\s+(?:located|based|situated|headquartered|found))?", {"located"})
# "what is X", "who is the CEO of Acme"
_p(rf"(?:what|who)\s+{_BE}\s+{_X}", IS_LIKE)

# yes/no: (pattern, families, swap) — swap when the second thing named is the subject
_YES_NO: list[tuple[re.Pattern[str], frozenset[str], bool]] = [
    (re.compile(rf"^{_BE}\s+{_X}\s+{_A}(?:kind|type|sort|form)\s+of\s+{_Y}$", re.I), frozenset(H | {"is"}), False),
    (re.compile(rf"^{_BE}\s+{_X}\s+(?:a\s+)?part\s+of\s+{_Y}$", re.I), frozenset(P), True),
    (re.compile(rf"^{_BE}\s+{_X}\s+(?:caused|triggered)\s+by\s+{_Y}$", re.I), frozenset(C), True),
    (re.compile(rf"^{_BE}\s+{_X}\s+(?:married\s+to|the\s+(?:husband|wife|spouse)\s+of)\s+{_Y}$", re.I),
     frozenset({"spouse"}), False),
    # "Does X (still) live in V?", "Did X ever work at A?", "Does X own the T?": settled by the current value
    (re.compile(rf"^(?:{_AUX}|has|have|{_BE})\s+{_X}\s+(?:ever\s+)?(?:live|lived|living|reside|resided|residing|stay|"
                rf"stayed|staying|move|moved|relocate|relocated)\s+(?:in|at|to)\s+{_Y}$", re.I),
     frozenset({LIVE}), False),
    (re.compile(rf"^(?:{_AUX}|has|have|{_BE})\s+{_X}\s+(?:ever\s+)?(?:work|worked|working|employed)\s+(?:at|for|in|by)\s+{_Y}$",
                re.I), frozenset({WORK}), False),
    (re.compile(rf"^(?:{_AUX}|has|have)\s+{_X}\s+(?:ever\s+)?(?:own|owned)\s+{_Y}$", re.I), frozenset({OWN}), False),
    (re.compile(rf"^{_BE}\s+{_X}\s+an?\s+{_Y}$", re.I), frozenset(H | {"is"}), False),
    (re.compile(rf"^{_AUX}\s+{_X}\s+{_CAUSE_V}\s+{_Y}$", re.I), frozenset(C), False),
    (re.compile(rf"^{_AUX}\s+{_X}\s+(?:contain|include|have|consist\s+of)\s+{_Y}$", re.I), frozenset(P), False),
    (re.compile(rf"^{_AUX}\s+{_X}\s+(?:come|happen|occur)\s+before\s+{_Y}$", re.I), frozenset(T), False),
    (re.compile(rf"^{_AUX}\s+{_X}\s+(?:come|happen|occur)\s+after\s+{_Y}$", re.I), frozenset(T), True),
    (re.compile(rf"^{_AUX}\s+{_X}\s+(?:mean|refer\s+to|stand\s+for)\s+{_Y}$", re.I), frozenset(S), False),
]

_COMPILED = [(re.compile(rf"^{p}$", re.I), f, d) for p, f, d in _PATTERNS]
_PREPS = r"(?:in|at|on|to|for|from|with|near|by|into|under)"
_WHERE = re.compile(rf"^(?:where|when|how)\s+{_AUX}\s+{_X}\s+(?P<v>[a-z]+)$", re.I)
_WHO_PREP = re.compile(rf"^(?:who|what)\s+{_AUX}\s+{_X}\s+(?P<v>[a-z]+)\s+(?P<p>{_PREPS})$", re.I)
_WHAT_VERB = re.compile(rf"^(?:what|who|whom)\s+{_AUX}\s+{_X}\s+(?P<v>[a-z]+)$", re.I)
_PAST = "|".join(sorted(IRREGULAR_PAST))
_WHO_VERB_PREP = re.compile(rf"^(?:who|what)\s+(?P<v>[a-z]+(?:s|ed)|{_PAST})\s+(?P<p>{_PREPS})\s+{_X}$", re.I)
_WHO_VERB = re.compile(rf"^(?:who|what)\s+(?P<v>[a-z][a-z\-]*(?:s|ed)|{_PAST}|set\s+up)\s+{_X}$", re.I)
# "who started / set up / established X": whoever founded it, however the fact words it
_FOUNDING = frozenset({"found", "co-found", "establish", "start", "create", "launch"})


_CONTRACTIONS = [(re.compile(r"\b(what|who|where|when|which|how|that|it)'s\b", re.I), r"\1 is"),
                 (re.compile(r"\b(what|who|where|when|which|how)'re\b", re.I), r"\1 are")]
_WHERE_FIND = re.compile(r"^where\s+(?:can|could|do|would)\s+(?:i|we|you|one)\s+(?:find|get|see)\s+", re.I)
_WHICH = re.compile(r"^which\s+[a-z]+\s+", re.I)  # "which city is ...", "which factors cause ..."
_PREP_WORD = re.compile(rf"\b{_PREPS}\b", re.I)
_PLURAL_VERBS = {"cause": "causes", "lead to": "leads to", "result in": "results in", "trigger": "triggers",
                 "contain": "contains", "include": "includes", "produce": "produces"}


def parse_question(question: str) -> Frame:
    """The frame of a question; `families` None when no relation pattern fits."""
    q = strip_end(question)
    for rx, repl in _CONTRACTIONS:
        q = rx.sub(repl, q)
    chain = bool(_CHAIN.search(q))
    q = _NOISE.sub(" ", _CHAIN.sub(" ", q))
    q = re.sub(r"\s+", " ", q).strip().rstrip(",")
    q = _WHERE_FIND.sub("where is ", q)
    former, plain, relative = _former(q)
    if former:
        frame = _parse(plain, chain)
        if frame.families and not frame.yes_no and any(slot_key("", f, "") for f in frame.families):
            return replace(frame, former=former, relative=relative)
    frame = _parse(q, chain)
    if frame.families is None and _WHICH.match(q):  # "which factors cause X" read as "what causes X"
        rest = _WHICH.sub("", q)
        for plural, singular in _PLURAL_VERBS.items():
            if rest.lower().startswith(plural + " "):
                rest = singular + rest[len(plural):]
                break
        frame = _parse("what " + rest, chain)
    return frame


_BEFORE = re.compile(r"^(?P<q>(?:who|where|what|which)\s.+?)\s+before\s+(?!(?:the\s+)?(?:next|last|first)\b).+$",
                     re.I)
_USED_TO = re.compile(r"^(?P<w>who|where|what|which\s+\w+)\s+(?:(?P<aux>did|does)\s+(?P<x>.+?)\s+)?use(?:d)?\s+to\s+"
                      r"(?P<v>[a-z]+)\b(?P<rest>.*)$", re.I)
_SUCCEEDED = re.compile(rf"^(?i:who)\s+(?:replaced|succeeded|followed|took\s+over\s+from)\s+(?P<p>{CAPITAL}.*?)\s+as\s+"
                        r"(?P<r>.+)$")
_SUCCEEDED_WHOM = re.compile(rf"^(?i:who|whom)\s+did\s+(?P<p>{CAPITAL}.*?)\s+"
                             r"(?:replace|succeed|follow|take\s+over\s+from)\s+as\s+(?P<r>.+)$")
_NAME_AFTER_BEFORE = re.compile(r"\bbefore\s+(?P<p>" + name(r"[\w\-]*") + ")$")
# "where did X live before", "who previously owned X", "where did X work previously": the value before the current one
_EARLIER_END = re.compile(r"^(?P<q>(?:who|where|what|which)\s.+?)\s+(?:before|previously|formerly|earlier|"
                          r"before\s+that|in\s+the\s+past)$", re.I)
_EARLIER_INSIDE = re.compile(r"^(?P<a>(?:who|where|what|which\s+\w+)(?:\s+(?:did|was|were|had)\s+.+?)?)\s+"
                             r"(?:previously|formerly|once)\s+(?P<b>[a-z].*)$", re.I)
_FIRST = re.compile(r"^(?P<q>who\s.+?)\s+(?:first|originally|initially|at\s+first)$", re.I)
_FIRST_OF = re.compile(r"\b(?:the\s+)?(?:first|original)\s+(?=(?:[a-z]+\s+)?[a-z]+\s+of\b)", re.I)
# "what was X's previous employer", "who was X's former husband": the earlier value of what the noun asks
_PREVIOUS_POSS = re.compile(r"^(?P<w>who|what|where)\s+(?:is|was|were)\s+(?P<x>.+?['\u2019]s?)\s+"
                            r"(?:previous|former|earlier|last|old)\s+(?P<n>[a-z].*)$", re.I)
_PREVIOUS = re.compile(r"\b(?:the\s+)?(?:previous|former|earlier)\s+(?=(?:[a-z]+\s+)?[a-z]+\s+of\b)", re.I)


def _former(q: str) -> tuple[str | None, str, Entity | None]:
    """Which earlier value a question asks for ("who owned X before Y", "where did X use to live",
    "who was the previous owner of X", "who owned X first", "who succeeded A as R of X", "whom did
    B replace as R of X"): the mode, the question without those words, and the one named as the
    value's neighbour."""
    m = _SUCCEEDED.match(q) or _SUCCEEDED_WHOM.match(q)
    if m and " of " in m["r"] and (person := make_entity(m["p"])):
        mode = "after" if m.re is _SUCCEEDED else "before"
        role = re.sub(r"^the\s+", "", m["r"], flags=re.I)
        return mode, f"who was the {role}", person
    m = _USED_TO.match(q)
    if m:
        w, v, rest = m["w"], m["v"], m["rest"]
        if m["x"]:  # "where did X use to live" → "where did X live"
            return "previous", f"{w} did {m['x']} {v}{rest}", None
        past = "was" if v.lower() == "be" else ("owned" if v.lower() == "own" else v)
        return "previous", f"{w} {past}{rest}", None  # "who used to own X" → "who owned X"
    m = _EARLIER_END.match(q)
    if m:
        return "previous", m["q"], None
    m = _EARLIER_INSIDE.match(q)
    if m:
        return "previous", f"{m['a']} {m['b']}", None
    m = _BEFORE.match(q)
    if m:
        named = _NAME_AFTER_BEFORE.search(q)
        person = make_entity(named["p"]) if named else None
        return ("before", m["q"], person) if person else ("previous", m["q"], None)
    m = _FIRST.match(q)
    if m:
        return "first", m["q"], None
    m = _PREVIOUS_POSS.match(q)
    if m:
        return "previous", f"{m['w']} is {m['x']} {m['n']}", None
    if _PREVIOUS.search(q) and q.lower().startswith("who "):
        return "previous", _PREVIOUS.sub("the ", q, count=1), None
    if _FIRST_OF.search(q) and q.lower().startswith("who "):
        return "first", _FIRST_OF.sub("the ", q, count=1), None
    return None, q, None


_KIN_YES_NO = (re.compile(rf"^{_BE}\s+{_X}\s+the\s+(?P<n>[a-z]+(?:\s+[a-z]+)?)\s+of\s+{_Y}$", re.I),
               re.compile(r"^(?i:is|are|was|were)\s+(?P<xy>" + name(r"[\w\-]*", more="+") + r")['\u2019]s?\s+"
                          r"(?P<n>[a-z]+)$"))


def _kin_yes_no(q: str) -> Frame | None:
    """"Is Frida the sister of Nils?", "Is Frida Nils's sister?": kinship between the two (no slot:
    kinship does not change, so a yes needs no 'now')."""
    for rx in _KIN_YES_NO:
        m = rx.match(q)
        if m and "x" in m.groupdict() and is_role(fam := noun_family(m["n"])):  # "Is X (still) the chair of Y?"
            x, y = make_entity(m["x"]), make_entity(m["y"])
            if x and y:
                return Frame(frozenset({fam}), FORWARD, x, y, chain=False)
        if m and is_kin(fam := noun_family(m["n"])):
            names = m["xy"].split() if "xy" in m.groupdict() else []
            if names and len(names) % 2:
                continue  # "Is Jens Holt Dagmar Holt's brother": two names of as many words each, else unsure
            half = len(names) // 2
            x, y = ((make_entity(" ".join(names[:half])), make_entity(" ".join(names[half:]))) if names
                    else (make_entity(m["x"]), make_entity(m["y"])))
            if x and y:
                return Frame(frozenset(kin_families(fam)), FORWARD, x, y, chain=False)
    return None


def _parse(q: str, chain: bool) -> Frame:
    kin = _kin_yes_no(q) if q[:3].lower() in ("is ", "are", "was", "wer") else None
    if kin is not None:
        return kin
    for rx, fams, swap in _YES_NO:
        m = rx.match(q)
        if m:
            x, y = make_entity(m.group("x")), make_entity(m.group("y"))
            if x and y:
                a, b = (y, x) if swap else (x, y)
                return Frame(fams, FORWARD, a, b, chain=True)
    opened = open_frame(q)
    if opened is not None:
        return Frame(opened.families, opened.direction, opened.known, chain=chain or opened.chain,
                     verb_prefix=opened.verb_prefix, place_class=opened.place_class, said=opened.said)
    for rx, fams, direction in _COMPILED:
        m = rx.match(q)
        if m:
            x = make_entity(m.group("x"))
            if x:
                return Frame(fams, direction, x, chain=chain)
    verb_rules: list[tuple[re.Pattern[str], str, bool]] = [
        (_WHO_PREP, FORWARD, False), (_WHERE, FORWARD, True), (_WHO_VERB_PREP, BACKWARD, False),
        (_WHAT_VERB, FORWARD, False), (_WHO_VERB, BACKWARD, False),
    ]
    for rx, direction, prefix in verb_rules:
        m = rx.match(q)
        if m and not _PREP_WORD.search(m.group("x")):  # "Grandma put in the | soup" is no subject
            x = make_entity(m.group("x"))
            if x:
                lemma = verb_lemma(m.group("v"))
                prep = m.group("p").lower() if "p" in m.groupdict() and m.group("p") else None
                canonical = verb_family(lemma, prep)
                if not canonical.startswith("verb:"):  # "where does X live", "who owns X": one family
                    return Frame(frozenset({canonical}), direction, x, chain=chain)
                if rx is _WHERE and q[:5].lower() == "where":  # a place: what the verb was done at or in,
                    places = where_families(lemma)  # not its direct object ("teaches chemistry at ...")
                    return Frame(frozenset(places | ({WORK} if lemma in WORKPLACE_VERBS else set())), direction, x,
                                 chain=chain)
                if rx is _WHO_VERB_PREP and lemma in WORKPLACE_VERBS and prep in ("at", "for"):
                    return Frame(frozenset({WORK, f"verb:{lemma} {prep}"}), direction, x, chain=chain)  # "teaches at"
                fam = "verb:" + lemma + (" " + prep if prep else "")
                if rx is _WHO_VERB and (lemma in _FOUNDING or lemma == "set up"):
                    return Frame(frozenset("verb:" + v for v in _FOUNDING | {lemma}), direction, x, chain=chain)
                word = q.split(maxsplit=1)[0].lower()
                wants = TIME if word == "when" else PERSON if word in ("who", "whom") and direction == FORWARD else None
                return Frame(frozenset({fam}), direction, x, chain=chain, verb_prefix=prefix, wants=wants)
    return Frame(None, FORWARD, None, chain=chain)


def topic_words(question: str) -> list[str]:
    """The content words of a question that name what it is about (relation vocabulary removed)."""
    return [w for w in content_words(question) if w not in RELATION_WORDS]
