"""Stories: the sentences of one text read as events in order (moves, taking, dropping, giving,
where someone is or is not, spatial, size and position facts, kinds and what they fear).

Pure and deterministic. Sentences are read by shape: a subject (a name, "A and B", or a pronoun
resolved to the last fitting subject, thing or place of the same text), a verb of a known kind,
and noun phrases of any length ("the blue lantern", "the upper attic"). A move is any verb
followed by to/into/towards and a place, so verbs not listed still move people; taking,
dropping and giving come from word lists. "left the X" is a move away when X is a place the
story uses (or where the person is), else dropping X.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sutra_stack.reasoning.names import name
from sutra_stack.reasoning.text import singular

DIRECTIONS = ("north", "south", "east", "west")
OPPOSITE = {"north": "south", "south": "north", "east": "west", "west": "east"}
TAKE_VERBS = ("picked up", "picked", "took hold of", "took", "got hold of", "got", "grabbed", "collected",
              "lifted", "fetched", "seized", "snatched", "obtained", "acquired", "gathered", "retrieved",
              "claimed", "pocketed", "caught", "carried", "scooped up", "took up", "received")
DROP_VERBS = ("put down", "set down", "laid down", "dropped", "discarded", "let go of", "put away", "left",
              "abandoned", "threw away", "threw down", "tossed", "released", "got rid of", "dumped",
              "placed down", "put", "set", "placed", "ditched", "parked")
GIVE_VERBS = ("handed over", "handed", "gave", "passed", "offered", "gifted", "presented", "sent", "tossed",
              "threw", "delivered", "lent", "sold")
# time of day as stories tell it: ranks order facts told out of order ("yesterday" before "this morning")
TIMES = (("yesterday", 0), ("last night", 0), ("this morning", 1), ("in the morning", 1),
         ("this afternoon", 2), ("in the afternoon", 2), ("at noon", 2), ("this evening", 3),
         ("in the evening", 3), ("tonight", 4), ("at night", 4))
_SEQUENCE = ("after that", "afterwards", "afterward", "then", "later", "following that", "next", "finally",
             "subsequently", "soon after", "after this", "meanwhile", "and then", "later on", "eventually")
_NAME = name(particles=True)
_SUBJ = rf"(?:{_NAME}(?:\s*,\s*{_NAME})*\s+and\s+{_NAME}|{_NAME}|he|she|they|it|him|her|them|both of them)"
_NP = r"(?:the\s+|a\s+|an\s+)?([a-z][\w'\-]*(?:\s+[a-z][\w'\-]*)*?)"
_OBJ = rf"(?:the\s+([a-z][\w'\-]*(?:\s+[a-z][\w'\-]*)*?)|({_NAME}))"


def _alt(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_TIME_RE = re.compile(rf"^(?:{_alt(tuple(t for t, _ in TIMES))})\b\s*,?\s*", re.I)
_SEQ_RE = re.compile(rf"^(?:{_alt(_SEQUENCE)})\b\s*,?\s*", re.I)
_TRAIL = re.compile(r"\s+(?:there|again|too|as well|afterwards|then|now|back)$")
_GIVE_TO = re.compile(rf"^(?P<s>{_SUBJ})\s+(?:{_alt(GIVE_VERBS)})\s+the\s+(?P<t>.+?)\s+(?:over\s+)?to\s+"
                      rf"(?P<r>{_NAME}|him|her|them)$")
_GIVE_2 = re.compile(rf"^(?P<s>{_SUBJ})\s+(?:{_alt(GIVE_VERBS)})\s+(?P<r>{_NAME}|him|her|them)\s+the\s+(?P<t>.+)$")
_TAKE = re.compile(rf"^(?P<s>{_SUBJ})\s+(?P<v>{_alt(TAKE_VERBS)})\s+(?:the|a|an)\s+(?P<t>.+?)(?:\s+up)?"
                   rf"(?:\s+(?:from|off)\s+the\s+.+)?$")
_DROP = re.compile(rf"^(?P<s>{_SUBJ})\s+(?P<v>{_alt(DROP_VERBS)})\s+(?:the|a|an)\s+(?P<t>.+?)(?:\s+(?:down|away))?"
                   rf"(?:\s+(?:in|on|into|at)\s+the\s+(?P<p>.+))?$")
_MOVE = re.compile(rf"^(?P<s>{_SUBJ})\s+(?P<v>[a-z]+(?:\s+[a-z]+){{0,3}}?)\s+(?:back\s+)?(?:to|into|towards|toward|"
                   rf"onto|inside|over\s+to|up\s+to|down\s+to|in\s+to)\s+the\s+(?P<p>.+)$")
_LEAVE = re.compile(rf"^(?P<s>{_SUBJ})\s+(?:left|exited|departed\s+from|went\s+out\s+of|walked\s+out\s+of|"
                    rf"got\s+out\s+of)\s+the\s+(?P<p>.+)$")
_AT = re.compile(rf"^(?P<s>{_SUBJ}|the\s+.+?)\s+(?:is|are|was|were)\s+(?:now\s+|still\s+|currently\s+)?(?:back\s+)?"
                 rf"(?:in|at|inside)\s+the\s+(?P<p>.+)$")
_NOT_AT = re.compile(rf"^(?P<s>{_SUBJ})\s+(?:is|are|was|were)\s+(?:no\s+longer|not|not\s+any\s+more|"
                     rf"not\s+anymore)\s+(?:in|at|inside)\s+the\s+(?P<p>.+?)(?:\s+(?:any\s?more|now))?$")
_EITHER = re.compile(rf"^(?P<s>{_SUBJ})\s+(?:is|are)\s+(?:either\s+)?(?:in|at)\s+the\s+(?P<a>.+?)\s+or\s+"
                     rf"(?:in\s+|at\s+)?the\s+(?P<b>.+)$")
_SPATIAL = re.compile(r"^the\s+(?P<a>.+?)\s+(?:is|lies|sits|stands|is\s+located|is\s+situated|is\s+found)\s+"
                      r"(?:to\s+the\s+|directly\s+|just\s+|due\s+)?(?P<d>north|south|east|west)\s+of\s+the\s+"
                      r"(?P<b>.+)$")
POSITIONS = {"to the left of": (-1, 0), "left of": (-1, 0), "to the right of": (1, 0), "right of": (1, 0),
             "above": (0, 1), "on top of": (0, 1), "over": (0, 1), "below": (0, -1), "under": (0, -1),
             "beneath": (0, -1), "underneath": (0, -1)}
_POSITION = re.compile(rf"^the\s+(?P<a>.+?)\s+(?:is|sits|lies)\s+(?P<r>{_alt(tuple(POSITIONS))})\s+the\s+(?P<b>.+)$")
_BIGGER = ("bigger", "larger", "greater", "huger")
_SMALLER = ("smaller", "tinier", "littler")
_SIZE = re.compile(rf"^the\s+(?P<a>.+?)\s+is\s+(?P<c>{_alt(_BIGGER + _SMALLER)})\s+than\s+the\s+(?P<b>.+)$")
_FITS = re.compile(r"^the\s+(?P<a>.+?)\s+(?P<n>fits|does\s+not\s+fit|doesn't\s+fit)\s+(?:inside|in|into)\s+"
                   r"the\s+(?P<b>.+)$")
_FEAR = re.compile(r"^(?P<k>[A-Za-z][a-z]+)\s+(?:are\s+(?:afraid|scared|frightened|terrified|wary|fearful)\s+of|"
                   r"fear|dread|are\s+(?:afraid|scared|frightened|terrified)\s+by)\s+"
                   r"(?P<o>[a-z]+)$")
_ISA = re.compile(rf"^(?P<s>{_NAME})\s+is\s+an?\s+(?P<k>[a-z]+)$")
# any verb: "X VERB the T to Y" and "X VERB Y the T" give; "X VERB the T" takes T when X does not hold
# it and drops it when X does (a verb of neither list); a place there is moved to
_GIVE_ANY = re.compile(rf"^(?P<s>{_SUBJ})\s+(?P<v>[a-z]+(?:\s+[a-z]+)?)\s+the\s+(?P<t>.+?)\s+(?:over\s+)?to\s+"
                       rf"(?P<r>{_NAME}|him|her|them)$")
_GIVE_ANY2 = re.compile(rf"^(?P<s>{_SUBJ})\s+(?P<v>[a-z]+)\s+(?P<r>{_NAME})\s+the\s+(?P<t>.+)$")
_ACT = re.compile(rf"^(?P<s>{_SUBJ})\s+(?P<v>[a-z]+(?:\s+[a-z]+){{0,3}}?)\s+(?:the|a|an)\s+(?P<t>.+)$")
_MOVE_THERE = re.compile(rf"^(?P<s>{_SUBJ})\s+(?P<v>[a-z]+(?:\s+[a-z]+)?)\s+(?:back\s+)?there(?:\s+too|\s+as\s+well)?$")
_NOT_MOVES = {"is", "was", "are", "were", "stayed", "remained", "stays", "waited", "sat", "slept"}
_IN = {"in", "at", "inside", "into", "to", "towards", "toward", "onto"}  # "arrived in the P", "waited at the P"
_ARRIVE = ("entered", "reached", "visited", "arrived at", "got to", "came to", "went into")
_PARTICIPLE = re.compile(r",\s+\w+ing\b.*$")


@dataclass(frozen=True, slots=True)
class Event:
    """One fact of a story: `kind` and its arguments (lower-case names and phrases without "the")."""

    index: int  # the sentence it came from
    kind: str  # move, leave, at, not_at, either, take, drop, give, spatial, position, smaller, fear, isa
    who: tuple[str, ...] = ()
    what: str = ""
    where: tuple[str, ...] = ()
    rank: int = -1  # time of day, -1 when not told


_IRREGULAR = {"mice": "mouse", "geese": "goose", "sheep": "sheep", "deer": "deer", "oxen": "ox", "fish": "fish",
              "children": "child", "wolves": "wolf", "calves": "calf", "wives": "wife", "knives": "knife",
              "leaves": "leaf", "halves": "half", "elves": "elf", "teeth": "tooth", "feet": "foot"}


def kind_of(word: str) -> str:
    """The singular of an animal or kind word ("wolves" → "wolf", "mice" → "mouse", "foxes" → "fox")."""
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if w.endswith("ves") and len(w) > 4:
        return w[:-3] + "f"
    if w.endswith(("xes", "ches", "shes", "sses", "zes")):
        return w[:-2]
    return singular(w)


def _people(subject: str) -> tuple[str, ...]:
    parts = re.split(r"\s*,\s*|\s+and\s+", subject)
    return tuple(p.strip().lower() for p in parts if p.strip())


class _Reader:
    """Reads one story's sentences in order, resolving pronouns to what came before."""

    def __init__(self) -> None:
        self.last_one: tuple[str, ...] = ()
        self.last_group: tuple[str, ...] = ()
        self.last_person: str = ""
        self.last_thing = ""
        self.last_place = ""
        self.places: set[str] = set()
        self.where: dict[str, str] = {}
        self.rank = -1

    def subject(self, raw: str) -> tuple[str, ...]:
        low = raw.lower()
        if low in ("he", "she", "him", "her"):
            return self.last_one
        if low in ("they", "them", "both of them"):
            return self.last_group or self.last_one
        if low == "it":
            return (self.last_thing,) if self.last_thing else ()
        who = _people(raw)
        if len(who) > 1:
            self.last_group = who
        else:
            self.last_one = who
        return who

    def other(self, raw: str, giver: tuple[str, ...]) -> tuple[str, ...]:
        low = raw.lower()
        if low in ("him", "her", "them"):
            return (self.last_person,) if self.last_person and (self.last_person,) != giver else ()
        return (low,)

    def thing(self, t: str) -> str:
        t = _TRAIL.sub("", t.strip().lower())
        if t in ("it", "one"):
            return self.last_thing
        self.last_thing = t
        return t

    def place(self, p: str) -> str:
        p = _TRAIL.sub("", p.strip().lower())
        if p == "there":
            return self.last_place
        self.places.add(p)
        self.last_place = p
        return p

    def read(self, index: int, sentence: str) -> list[Event]:
        s = sentence.strip().rstrip(".!").strip()
        s = _PARTICIPLE.sub("", s)
        while True:
            m = _TIME_RE.match(s)
            if m:
                word = m.group(0).strip(" ,").lower()
                self.rank = dict(TIMES)[word]
                s = s[m.end():]
                continue
            m = _SEQ_RE.match(s)
            if m:
                s = s[m.end():]
                continue
            break
        if (m := _MOVE_THERE.match(s)) and self.last_place and m["v"].split()[0] not in _NOT_MOVES:
            who = self.subject(m["s"])
            for w in who:
                self.where[w] = self.last_place
            return [Event(index, "move", who=who, where=(self.last_place,), rank=self.rank)]
        s = _TRAIL.sub("", s)
        if s[:1].isupper() and s.split()[0].lower() in ("the", "a", "an"):
            s = s[0].lower() + s[1:]
        events = self._events(index, s)
        for e in events:
            if len(e.who) == 1 and e.kind not in ("fear", "at"):
                self.last_person = e.who[0]
        return events

    def _events(self, i: int, s: str) -> list[Event]:
        r = self.rank
        if m := _SPATIAL.match(s):
            return [Event(i, "spatial", what=m["d"], where=(self.place(m["a"]), self.place(m["b"])))]
        if m := _POSITION.match(s):
            return [Event(i, "position", what=m["r"], where=(self.thing(m["a"]), self.thing(m["b"])))]
        if m := _SIZE.match(s):
            a, b = self.thing(m["a"]), self.thing(m["b"])
            return [Event(i, "smaller", where=(a, b) if m["c"] in _SMALLER else (b, a))]
        if m := _FITS.match(s):
            a, b = self.thing(m["a"]), self.thing(m["b"])
            return [Event(i, "smaller", where=(a, b) if m["n"] == "fits" else (b, a))]
        if m := _FEAR.match(s):
            return [Event(i, "fear", what=m["o"].lower(), where=(kind_of(m["k"]),))]
        if m := _ISA.match(s):
            return [Event(i, "isa", who=self.subject(m["s"]), what=kind_of(m["k"]))]
        if m := _GIVE_TO.match(s) or _GIVE_2.match(s):
            giver = self.subject(m["s"])
            return [Event(i, "give", who=giver + self.other(m["r"], giver), what=self.thing(m["t"]), rank=r)]
        if m := _EITHER.match(s):
            return [Event(i, "either", who=self.subject(m["s"]), where=(self.place(m["a"]), self.place(m["b"])))]
        if m := _NOT_AT.match(s):
            return [Event(i, "not_at", who=self.subject(m["s"]), where=(self.place(m["p"]),), rank=r)]
        if m := _LEAVE.match(s):
            who = self.subject(m["s"])
            p = _TRAIL.sub("", m["p"].strip().lower())
            if p in self.places or any(self.where.get(w) == p for w in who):
                return [Event(i, "not_at", who=who, where=(self.place(p),), rank=r)]
            return [Event(i, "drop", who=who, what=self.thing(p), rank=r)]
        if m := _TAKE.match(s):
            return [Event(i, "take", who=self.subject(m["s"]), what=self.thing(m["t"]), rank=r)]
        if m := _DROP.match(s):
            ev = [Event(i, "drop", who=self.subject(m["s"]), what=self.thing(m["t"]), rank=r)]
            if m["p"]:
                ev.append(Event(i, "at", who=(ev[0].what,), where=(self.place(m["p"]),), rank=r))
            return ev
        if m := _MOVE.match(s):
            who = self.subject(m["s"])
            p = self.place(m["p"])
            for w in who:
                self.where[w] = p
            return [Event(i, "move", who=who, where=(p,), rank=r)]
        if m := _GIVE_ANY.match(s) or _GIVE_ANY2.match(s):
            giver = self.subject(m["s"])
            return [Event(i, "give", who=giver + self.other(m["r"], giver), what=self.thing(m["t"]), rank=r)]
        if (m := _ACT.match(s)) and not re.search(r"\b(?:is|are|was|were|has|had)\b", m["v"]):
            who = self.subject(m["s"])
            p = _TRAIL.sub("", m["t"].strip().lower())
            last = m["v"].split()[-1]
            # "walked out of the P", "ran away from the P"
            if (last == "from" or m["v"].endswith(" out of")) and len(m["v"].split()) > 1:
                return [Event(i, "not_at", who=who, where=(self.place(p),), rank=r)]
            if p in self.places or m["v"] in _ARRIVE or (last in _IN and len(m["v"].split()) > 1):
                p = self.place(p)
                for w in who:
                    self.where[w] = p
                return [Event(i, "move", who=who, where=(p,), rank=r)]
            return [Event(i, "toggle", who=who, what=self.thing(p), rank=r)]
        if m := _AT.match(s):
            subj = m["s"]
            who = (self.thing(subj[4:]),) if subj.lower().startswith("the ") else self.subject(subj)
            p = self.place(m["p"])
            for w in who:
                self.where[w] = p
            return [Event(i, "at", who=who, where=(p,), rank=r)]
        return []


def read_story(sentences: list[str], max_misses: int | None = None) -> tuple[list[Event], int]:
    """The events of a story's sentences in order, and how many sentences stated any; with
    `max_misses`, reading stops (and the count says so) once more sentences than that state none."""
    reader = _Reader()
    events: list[Event] = []
    told = 0
    for i, s in enumerate(sentences):
        ev = [e for e in reader.read(i, s) if all(e.who) and (e.what or e.kind in (
            "move", "leave", "at", "not_at", "either", "spatial", "smaller"))]
        told += bool(ev)
        events.extend(ev)
        if max_misses is not None and i + 1 - told > max_misses:
            break
    return events, told
