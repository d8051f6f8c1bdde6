"""Text handling for reasoning: normalisation, sentence and clause splitting, entity keys and ids.

Everything here is pure and deterministic; the learner and the asker share it, so a phrase in
a question maps to the same entity concept as the same phrase in a learned fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sutra_stack.reasoning.names import ABBREVIATIONS, name
from sutra_stack.storage.model import content_id

ENTITY_ID_PREFIX = "entity:"
ENTITY_ID_CACHE = 65_536  # entity keys whose ids are remembered (a key is a short phrase)

_WS = re.compile(r"\s+")
# A sentence ends at . ! ? or ; followed by space (or at a line break); decimals and
# common abbreviations (and those inside names: "St. Alden Hospital", "Mt. Hood") are not ends.
_SENT_END = re.compile(r"(?<!\b[A-Z])" + "".join(rf"(?<!\b{a})" for a in ABBREVIATIONS) + r"(?<!\be\.g)(?<!\bi\.e)"
                       r"(?<!\bvs)(?<!\betc)[.!?;]+[\"')\]]*(?=\s+|$)")
# A clause break that marks a sequence: "X, then Y", "X, and then Y", "X; later Y".
_CLAUSE_THEN = re.compile(r",?\s+(?:and\s+)?(then|afterwards|later|after that)\s*,?\s+", re.I)
_ONLY_A_NAME = re.compile(rf"^{name(more='{0,3}')}$")
_WORD = re.compile(r"[^\W_][\w'\-]*")  # letters of any script ("José", "Åkesson"), digits

def wordset(text: str) -> frozenset[str]:
    """The words of a space-separated list, as a set (how word lists are written here)."""
    return frozenset(text.split())




DETERMINERS = wordset(
    "a an the this that these those its their his her our my your some any every each all"
)
STOPWORDS = DETERMINERS | wordset(
    """is are was were be been being am do does did doing have has had having of in on at to for from by with
    about as into onto over under and or but not no nor so than too very can could will would shall should may
    might must it it's he she they we you i me him them us what which who whom whose where when why how
    there here then also just only now currently current today still ever eventually ultimately finally
    if because while during through up down out off again further once s"""
)


def normalize(text: str) -> str:
    """Collapse whitespace and trim; the form in which text becomes a concept."""
    return _WS.sub(" ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Split text into sentences (on . ! ? ; and line breaks), each normalised and non-empty."""
    out: list[str] = []
    for line in text.splitlines():
        start = 0
        for m in _SENT_END.finditer(line):
            piece = normalize(line[start : m.end()])
            if piece:
                out.append(piece)
            start = m.end()
        rest = normalize(line[start:])
        if rest:
            out.append(rest)
    return out


def split_clauses(sentence: str) -> list[str]:
    """Split a sentence at sequence markers ("X, then Y") into clauses, in order.

    A sentence without such a marker is one clause (itself).
    """
    parts = _CLAUSE_THEN.split(sentence)
    # re.split with one group returns [clause, marker, clause, marker, ...]
    clauses = [normalize(p) for p in parts[0::2]]
    clauses = [c.rstrip(".!?;,") for c in clauses if c.strip(" .!?;,")]
    if clauses and _ONLY_A_NAME.match(clauses[0]):  # "Sigrun Vale then became …": one clause
        return [sentence]
    return clauses if len(clauses) > 1 else [sentence]


def strip_end(text: str) -> str:
    return text.strip().rstrip(".!?;,:").strip()


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def singular(word: str) -> str:
    """A conservative singular form of an English noun: cells → cell, berries → berry."""
    w = word
    if len(w) <= 3 or not w.endswith("s") or w.endswith(("ss", "us", "is", "os", "'s")):
        return w[:-2] if w.endswith("'s") else w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "xes", "zes", "sses")):
        return w[:-2]
    return w[:-1]


def entity_key(phrase: str) -> str:
    """The key of an entity phrase: lower case, no leading determiners, last word singular.

    "The Lungs" → "lung"; "a kind of fruit" stays as written apart from case. Empty when
    nothing but determiners and punctuation is left.
    """
    ws = [w.lower().strip("'-") for w in words(phrase)]
    ws = [w for w in ws if w]
    while ws and ws[0] in DETERMINERS:
        ws.pop(0)
    if not ws:
        return ""
    ws[-1] = singular(ws[-1])
    return " ".join(ws)


def display(phrase: str) -> str:
    """How an entity is shown: the phrase without leading determiners or end punctuation."""
    ws = strip_end(phrase).split()
    while ws and ws[0].lower() in DETERMINERS:
        ws.pop(0)
    return " ".join(ws)


@lru_cache(maxsize=ENTITY_ID_CACHE)
def entity_id(key: str) -> str:
    """The concept id of an entity key (namespaced, so an entity never collides with a fact);
    remembered, since the same entities come up in question after question."""
    return content_id(ENTITY_ID_PREFIX + key)


def content_words(text: str) -> list[str]:
    """Lower-case, singular content words (no stopwords), in order, without repeats."""
    seen: dict[str, None] = {}
    for w in words(text):
        lw = w.lower()
        if lw in STOPWORDS or len(lw) < 2:
            continue
        seen.setdefault(singular(lw), None)
    return list(seen)


@dataclass(frozen=True, slots=True)
class Entity:
    key: str
    display: str

    @property
    def id(self) -> str:
        return entity_id(self.key)


def make_entity(phrase: str) -> Entity | None:
    key = entity_key(phrase)
    if not key or (key in STOPWORDS and not (key == "may" and "May" in phrase)):  # the month May is a thing
        return None
    return Entity(key, display(phrase) or key)


_CAPS_RUN = re.compile(r"\b" + name(r"[\w'\-]+", joiner=r"(?:of\s+)?"))
# Verb forms that end a noun chunk (the rules' verbs and common ones); words in -ed count too.
VERBISH = wordset(
    """causes cause leads lead results result triggers trigger produces produce contains contain includes include
    consists consist comprises comprise means mean refers refer stands stand comes come happens happen occurs
    occur follows follow precedes precede becomes become gets get adds add uses use makes make takes take goes go
    gives give shows show lives live works work opens open closes close runs run says say sees see knows know
    needs need requires require wants want likes like loves love owns own leads flows flow rotates rotate
    conducts conduct spoils spoil practises practise plays play turns turn rings ring wakes wake forms form
    visits visit meets meet met wrote written built began begun made took gave went saw knew ran said"""
)


def _verbish(word: str) -> bool:
    w = word.lower()
    return w in VERBISH or (w.endswith("ed") and len(w) > 4)


def mentioned_entities(text: str) -> list[Entity]:
    """Entities a sentence mentions beyond its relation's arguments: runs of capitalised words
    (a lone capitalised first word does not count) and chunks of up to three content words
    between stopwords and verbs. Deterministic order, no repeats.
    """
    out: dict[str, Entity] = {}
    for m in _CAPS_RUN.finditer(text):
        if m.start() == len(text) - len(text.lstrip()) and " " not in m.group(0):
            continue
        e = make_entity(m.group(0))
        if e:
            out.setdefault(e.key, e)
    chunk: list[str] = []
    for w in [*words(text), ""]:
        if w and w.lower() not in STOPWORDS and not _verbish(w):
            chunk.append(w)
            continue
        if chunk and len(chunk) <= 3:
            e = make_entity(" ".join(chunk))
            if e:
                out.setdefault(e.key, e)
        chunk = []
    return list(out.values())
