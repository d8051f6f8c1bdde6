"""Association rules: which relation a clause states, between which two phrases, and how sure.

Each rule has a name, an association type (causal, hierarchical, compositional, temporal,
semantic), a relation family used to match questions, and the confidence it gives the
associations it finds. Rules are tried in order; the first that matches a clause wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sutra_stack.reasoning.gate import Gated, gated, mask_of
from sutra_stack.reasoning.names import name
from sutra_stack.reasoning.predicates import MULTI_VALUED, OWN, Relation, verb_lemma
from sutra_stack.reasoning.text import content_words, make_entity, split_clauses, strip_end
from sutra_stack.reasoning.timeline import asserted, without_dates

__all__ = ["MULTI_VALUED", "RELATION_WORDS", "Relation", "family_type", "relations_in_sentence", "verb_lemma"]

# Words that name a relation ("a kind of", "leads to", "part of"), not a thing: they are no topic
# of a question, and alone they are no entity a fact mentions.
RELATION_WORDS = frozenset(
    content_words("cause causes lead leads result results trigger effect effects consequence reason kind type sort "
                  "example form contain contains include includes consist made part component mean means refer "
                  "stand word name term short happen happens come comes occur follow follows precede next thing "
                  "category belong similar another called known before after precede")
)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    type: str  # association type
    family: str  # relation family questions are matched against
    pattern: Gated  # the clause's shape, with the words it needs
    confidence: float
    swap: bool = False  # the pattern's second phrase is the relation's subject
    split_list: bool = False  # "X contains A, B and C" states three relations



FAMILY_TYPES = {"cause": "causal", "isa": "hierarchical", "part": "compositional", "then": "temporal"}


def family_type(family: str) -> str:
    """The association type the rules of a relation family write (semantic for the others)."""
    return FAMILY_TYPES.get(family, "semantic")


_X = r"(?P<x>.+?)"
_Y = r"(?P<y>.+)"
_ADVERBS = gated(r"\b(?:now|currently|still|also|often|usually|always|sometimes|today|nowadays|then)\s+", re.I,
                 "now currently still also often usually always sometimes today nowadays then")


def _r(name: str, type_: str, family: str, middle: str, needs: tuple[str, ...], confidence: float,
       **kw: bool) -> Rule:
    """A rule "X <middle> Y", gated by `needs` (a group of words for each word `middle` requires)."""
    return Rule(name, type_, family, gated(rf"^{_X}\s+{middle}\s+{_Y}$", re.I, *needs), confidence, **kw)


_BE = r"(?:is|are|was|were)"
_BE_WORDS = "is are was were"
_ORDER_VERBS = "happen happens come comes occur occurs take takes is are was were"
RULES: tuple[Rule, ...] = (
    # compositional
    _r("part-of", "compositional", "part", rf"{_BE}\s+(?:a\s+)?(?:part|component|member)\s+of",
       (_BE_WORDS, "part component member", "of"), 0.85, swap=True),
    _r("made-of", "compositional", "part", rf"{_BE}\s+(?:made|composed)\s+(?:up\s+)?of",
       (_BE_WORDS, "made composed", "of"), 0.9, split_list=True),
    _r("contains", "compositional", "part",
       r"(?:contains?|contained|includes?|included|consists?\s+of|comprises?|is\s+made\s+up\s+of)",
       ("contain contains contained include includes included consist consists comprise comprises made",),
       0.9, split_list=True),
    _r("has", "compositional", "part", r"(?:has|have)", ("has have",), 0.6, split_list=True),
    # causal
    _r("caused-by", "causal", "cause", rf"{_BE}\s+(?:caused|triggered|produced)\s+by",
       (_BE_WORDS, "caused triggered produced", "by"), 0.9, swap=True),
    _r("results-from", "causal", "cause", r"(?:results?\s+from|comes?\s+from|is\s+the\s+result\s+of)",
       ("result results come comes", "from of"), 0.85, swap=True),
    _r("may-cause", "causal", "cause", r"(?:can|may|might|could|will)\s+(?:cause|lead\s+to|result\s+in|trigger)",
       ("can may might could will", "cause lead result trigger"), 0.75),
    _r("causes", "causal", "cause",
       r"(?:causes?|caused|leads?\s+to|led\s+to|results?\s+in|resulted\s+in|triggers?|triggered|brings?\s+about)",
       ("cause causes caused lead leads led result results resulted trigger triggers triggered bring brings",),
       0.9),
    _r("produces", "causal", "cause", r"(?:produces?|produced)", ("produce produces produced",), 0.8),
    _r("because", "causal", "cause", r"because(?:\s+of)?", ("because",), 0.7, swap=True),
    # temporal
    _r("before", "temporal", "then", r"(?:happens?|comes?|occurs?|takes?\s+place|is|are|was|were)\s+before",
       (_ORDER_VERBS, "before"), 0.9),
    _r("precedes", "temporal", "then", r"(?:precedes?|preceded|is\s+followed\s+by|are\s+followed\s+by)",
       ("precede precedes preceded followed",), 0.9),
    _r("after", "temporal", "then", r"(?:happens?|comes?|occurs?|takes?\s+place|is|are|was|were)\s+after",
       (_ORDER_VERBS, "after"), 0.9, swap=True),
    _r("follows", "temporal", "then", r"(?:follows|followed)", ("follows followed",), 0.85, swap=True),
    # semantic
    _r("means", "semantic", "means",
       r"(?:means|meant|refers\s+to|stands\s+for|is\s+short\s+for|is\s+another\s+(?:word|name|term)\s+for"
       r"|is\s+also\s+(?:called|known\s+as)|denotes)",
       ("means meant refers stands short another also denotes",), 0.9),
    _r("similar", "semantic", "means", rf"{_BE}\s+(?:similar|equivalent|analogous)\s+to",
       (_BE_WORDS, "similar equivalent analogous", "to"), 0.7),
    # hierarchical ("is akind of" matches too: "kind" may be no word of its own)
    _r("kind-of", "hierarchical", "isa", rf"{_BE}\s+(?:a|an)?\s*(?:kind|type|sort|form|class)\s+of",
       (_BE_WORDS, "of"), 0.95),
    _r("is-a", "hierarchical", "isa", rf"{_BE}\s+(?:a|an)", (_BE_WORDS, "a an"), 0.85),
    _r("located", "semantic", "located",
       rf"{_BE}\s+(?:located|based|situated|headquartered|found)\s+(?:in|at|on|near)",
       (_BE_WORDS, "located based situated headquartered found", "in at on near"), 0.85),
    # "mammals are animals": a plural class under a plural class
    Rule("are-plural", "hierarchical", "isa", gated(rf"^{_X}s\s+are\s+(?P<y>[a-z][a-z\- ]*[a-z]s)$", re.I, "are"),
         0.75),
    # identity / attribute: "the capital of France is Paris"
    _r("is", "semantic", "is", r"(?:is|are|was|were|became|becomes)", ("is are was were became becomes",), 0.8),
)

# "Alice lives in Paris", "The office moved to Berlin": a verb, a preposition, an object.
_VERB_PREP = gated(
    r"^(?P<x>.+?)\s+(?P<v>[a-z]+(?:s|ed))\s+(?P<p>in|at|on|to|for|from|with|near|by|into|under)\s+(?P<y>.+)$",
    re.I,
    "in at on to for from with near by into under",
)
_VERB_OBJ = gated(
    r"^(?P<x>.+?)\s+(?P<v>owns|owned|manages|managed|leads|led|wrote|founded|invented|discovered|created|"
    r"built|designed|eats|ate|uses|used|needs|needed|requires|required|supports|hosts|teaches|taught|"
    r"studies|studied|plays|played|speaks|likes|loves|married)\s+(?P<y>.+)$",
    re.I,
    "owns owned manages managed leads led wrote founded invented discovered created built designed eats ate uses "
    "used needs needed requires required supports hosts teaches taught studies studied plays played speaks likes "
    "loves married",
)
_VERB_CONFIDENCE = 0.8
_LIST_SPLIT = re.compile(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+", re.I)
def _clean(clause: str) -> str:
    text = strip_end(clause)
    return _ADVERBS.sub("", text, mask_of(text))


def _objects(y: str, split_list: bool) -> list[str]:
    y = y.split(",")[0] if not split_list else y
    parts = _LIST_SPLIT.split(y) if split_list else [y]
    return [p for p in (p.strip() for p in parts) if p]


def relations_in_clause(clause: str) -> list[Relation]:
    """The relations one clause states (several for "X contains A, B and C"), or none: its open
    relations (open_relations.py) and the first fixed rule that fits. A clause that asserts
    nothing (negated, hedged, planned) keeps only the cause / kind / part / sequence / meaning
    rules' reading ("smoking may cause cancer")."""
    from sutra_stack.reasoning.open_relations import open_relations

    bare = without_dates(clause)
    fixed = _fixed_relations(bare)
    if not asserted(bare):
        fixed = [r for r in fixed if r.family in MULTI_VALUED or r.family == "means"]
    own = any(r.rule not in ("verb", "has", "is", "is-a") for r in fixed)  # a fixed rule's own relation
    opened = open_relations(clause, loose=not own)  # which then replaces the loose verb readings
    if own:
        opened = [r for r in opened if r.rule not in ("verb", "role-verb")]
    if opened:  # the verb and "has" rules read the same clause more loosely
        fixed = [r for r in fixed if r.rule not in ("verb", "has")]
    seen = {(r.subject.key, r.family, r.object.key) for r in opened}
    return opened + [r for r in fixed if (r.subject.key, r.family, r.object.key) not in seen]


def _fixed_relations(clause: str) -> list[Relation]:
    text = _clean(clause)
    mask = mask_of(text)
    for rule in RULES:
        m = rule.pattern.match(text, mask)
        if not m:
            continue
        out = _build(m.group("x"), rule.family, m.group("y"), rule.type, rule.confidence, rule.name, rule.swap,
                     rule.split_list)
        if out:
            return out
    for pattern, prep in ((_VERB_PREP, True), (_VERB_OBJ, False)):
        m = pattern.match(text, mask)
        if m:
            family = "verb:" + verb_lemma(m.group("v")) + (" " + m.group("p").lower() if prep else "")
            out = _build(m.group("x"), family, m.group("y"), "semantic", _VERB_CONFIDENCE, "verb", False, False)
            if out:
                return out
    return []


_SUBORDINATE = re.compile(r"\b(?:when|whenever|if|unless|because|while|which|who|that|although|since)\b", re.I)
MAX_PHRASE_WORDS = 8  # a longer "subject" is a clause, not a thing


def _build(x: str, family: str, y: str, type_: str, conf: float, rule: str, swap: bool, split: bool) -> list[Relation]:
    if _SUBORDINATE.search(x) or len(x.split()) > MAX_PHRASE_WORDS:
        return []
    subj = make_entity(x)
    if subj is None:
        return []
    out: list[Relation] = []
    for obj_text in _objects(y, split):
        obj = make_entity(obj_text)
        if obj is None or obj.key == subj.key:
            continue
        a, b = (obj, subj) if swap else (subj, obj)
        out.append(Relation(a, family, b, type_, conf, rule))
    return out


THEN_CONFIDENCE = 0.8  # "X, then Y" inside one sentence
# "Paul Ode left Brightwave in 2022 and joined Northlight": one named subject, two verb phrases
# the verb phrase after "and" ("… and still lives there", "… and later worked there as a surveyor")
_THEN = r"(?:(?:then|later|also|still|now|afterwards|eventually|soon|subsequently)\s+)"
_SECOND_VERB = (
    r"(?:has\s+|had\s+)?(?:[a-z]+ed|bought|sold|left|joined|moved|went|became|gave|took|lived|lives|works|owns|"
    r"married|founded|built|grew|runs|ran|teaches|taught|manages|leads|led|heads|keeps|kept|holds|held|wrote|began|"
    r"plays|sings|sang|won)"
)
_NO_SUBJECT = re.compile(rf"^{_THEN}?{_SECOND_VERB}\b")
_SUBJECT_NAME = name(more="{0,3}")  # a subject named by one to four capitalised words
_NAMED_SUBJECT = re.compile(rf"^{_SUBJECT_NAME}(?=\s+[a-z])")
_COORDINATED = gated(
    rf"^(?P<s>{_SUBJECT_NAME})\s+(?P<a>(?:has\s+|had\s+)?[a-z]+(?:ed|s)?\b.*?)"
    rf",?\s+and\s+{_THEN}?(?P<b>{_SECOND_VERB}\b.*)$",
    0,
    "and",
)


def coordinated(clause: str) -> list[str]:
    """A clause whose named subject has two verb phrases joined by "and", as two clauses."""
    text = strip_end(clause)
    m = _COORDINATED.match(text, mask_of(text))
    if not m:
        return [clause]
    return [f"{m['s']} {m['a']}", f"{m['s']} {m['b']}"]


def _owner_owns(r: Relation) -> Relation:
    """ "X is the owner of Y" is X owns Y (the relation the ownership questions ask for)."""
    return replace(r, family=OWN) if r.family == "of:owner" else r


def relations_in_sentence(sentence: str) -> list[Relation]:
    """Relations stated by a sentence: each clause's own, plus "X, then Y" sequences."""
    clauses = split_clauses(sentence)
    out: list[Relation] = []
    named = _NAMED_SUBJECT.match(clauses[0]) if len(clauses) > 1 else None
    for i, c in enumerate(clauses):
        if i and named and _NO_SUBJECT.match(c):  # "X studied in Tarrin and later | worked there": X worked
            c = f"{named.group(0)} {c}"
        for part in coordinated(c):
            out.extend(_owner_owns(r) for r in relations_in_clause(part))
    for a, b in zip(clauses, clauses[1:], strict=False):
        ea, eb = make_entity(a), make_entity(b)
        if ea and eb and ea.key != eb.key:
            out.append(Relation(ea, "then", eb, "temporal", THEN_CONFIDENCE, "then"))
    return out
