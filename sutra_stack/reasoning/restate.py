"""Restating: a compound sentence as the simple sentences it states, before pronouns are resolved.

Some sentences state two facts, or a fact and the end of another, in one breath. Each is
restated as simple sentences the clause readers know, in the order they held:

- "In 2016 Maren Koch moved from Ostrava to Lisbon" → "Maren Koch lived in Ostrava until 2016."
  and "In 2016 Maren Koch moved to Lisbon." (also "moved to Lisbon from Ostrava", "left Ostrava
  for Lisbon"); "X no longer lives in Faro" → "X lived in Faro until recently.";
- "Anton and Clara Weiss founded the bakery" → a sentence for each ("A and B married" → "A married B");
- ", where she opened a bakery" after a place → "she opened a bakery in Lisbon."; "there" after a
  place named earlier in the same sentence → "in <the place>";
- "Born in Kessel in 1972, Hanna Vos studied …", "Now living in Ghent, Piet Maes …" and "Piet
  Maes's sister, Lotte Maes, runs …" → the fronted or inserted fact, then the rest;
- "Ravi Nair, a chemist, lives in Dunholm" → "Ravi Nair is a chemist." and "Ravi Nair lives in
  Dunholm."; "Before moving to Fenwick in 2015, Ola Strom lived in Tarby" → "Ola Strom lived in
  Tarby until 2015." and "In 2015 Ola Strom moved to Fenwick." ("After moving …" the other way);
- ", who had been curator of the Glass Museum since 2010," → a sentence of its own about the one
  named just before it (", which …" likewise about a thing); "… until 2016, when B took over" → "In
  2016 B took over";
- "A was replaced (succeeded) as treasurer of X by B in 2022" → "A was treasurer of X until 2022."
  and "B became treasurer of X in 2022."; "B succeeded A as …" gains the first of these;
- "A stepped down (resigned, retired, stood down) as chair of X in 2019" → "A was chair of X until
  2019."; "retired from X" → "A worked at X until …".

An end without a date is restated as "until recently" ("A was chair of X until recently."),
which supersede.py reads as ended by the time it was learned. Pure and deterministic; each restatement is
tried only when a cheap word test finds its marker in the sentence.
"""

from __future__ import annotations

import re

from sutra_stack.reasoning.backrefs import cap
from sutra_stack.reasoning.everyday import Couple, couple_told, normalised
from sutra_stack.reasoning.names import WORD, person
from sutra_stack.reasoning.reword import fronted_rest, reword
from sutra_stack.reasoning.timeline import DATE, asserted, without_dates

MAX_RESTATED = 6  # sentences one sentence may become (a bound on the work per sentence)

_CAP = WORD
_PLACE = rf"(?:the\s+)?{_CAP}(?:\s+(?:of\s+|on\s+|upon\s+|de\s+|la\s+)?{_CAP})*"
_NAME = rf"{_CAP}(?:\s+{_CAP})+"  # a person: two or more capitalised words
_PERSON = person()
_SUBJECT = rf"(?:{_PERSON}|[Hh]e|[Ss]he|[Tt]hey)"
_LEAD = (
    rf"(?P<lead>(?:(?:(?i:in|on|by|during)\s+(?i:{DATE})|(?i:last|this)\s+(?:year|month|spring|summer|autumn|winter)"
    r"|(?i:recently))\s*,?\s+)?)"
)
_WHEN = re.compile(rf"\b(?:in|on|during|by)\s+(?P<d>{DATE})\b", re.I)
_NOUN = r"(?P<r>[a-z][a-z\-]*(?:\s+[a-z][a-z\-]*){0,2}?)"
_ORG = (
    rf"(?P<o>(?:the\s+)?{WORD}(?:\s+(?:of\s+(?:the\s+)?|and\s+|for\s+|&\s+)?{WORD}"
    r"|\s+[a-z]+(?=\s|$))*?)"
)
_END = r"(?P<tail>(?:\s*,?\s+(?:in|on|during|by|after|before)\b.*?)?)\s*[.!?]?$"

_WHERE = re.compile(
    rf"^(?P<main>.*\b(?P<p>in|at|to|into|near)\s+(?P<place>{_PLACE})),\s+where\s+(?P<rel>.+?)\s*[.!?]?$"
)
_WHEN_REL = re.compile(
    rf"^(?P<main>.*\b(?i:in|until|till|by|since|from)\s+(?P<d>(?i:{DATE}))),\s+when\s+(?P<rel>.+?)\s*[.!?]?$"
)
_APPOSITION = re.compile(rf"^(?P<x>{_NAME}),\s+(?P<app>(?:an?|the)\s+[^,]+?),\s+(?P<rest>[a-z].*?)\s*[.!?]?$")
_BEFORE_MOVING = re.compile(
    rf"^(?P<w>Before|After)\s+(?:moving|relocating|emigrating)\s+to\s+(?P<b>{_PLACE})(?:\s+in\s+(?P<d>{DATE}))?,\s+"
    rf"(?P<x>{_SUBJECT})\s+(?P<rest>.+?)\s*[.!?]?$"
)
_ENDS_NAMED = re.compile(rf"\b(?:of|at|in|for|to|on)\s+{_PLACE}$")
# "After ten years in Oslo, Kari Lund moved to Bergen": where she lived before
_YEARS_IN = re.compile(
    rf"^After\s+(?:(?:\w+|a\s+few|many|several)\s+)?(?:years?|decades?|months?)\s+in\s+(?P<a>{_PLACE}),\s+"
    rf"(?P<x>{_SUBJECT})\s+(?P<rest>(?:moved|relocated|emigrated|returned|went)\b.+?)\s*[.!?]?$"
)
# "Born in Kessel in 1972, Hanna Vos studied law", "Now living in Ghent, Piet Maes works as …"
_FRONTED = re.compile(
    rf"^(?:(?:Now|Currently|Still)\s+)?(?P<v>[Bb]orn|[Ll]iving|[Ww]orking|[Bb]ased|[Rr]aised|[Ss]ettled)\s+"
    rf"(?P<p>in|at|on)\s+(?P<a>[^,]+),\s+(?P<x>{_PERSON})\s+(?P<rest>[a-z].*?)\s*[.!?]?$"
)
_FRONTED_AS = {"born": "was born", "living": "lives", "working": "works", "based": "is based", "raised": "was raised",
               "settled": "settled"}
# "Piet Maes's sister, Lotte Maes, runs a bookshop": who she is to him, and what she does
_WHOSE_APPOSITION = re.compile(
    rf"^(?P<o>{_NAME})['\u2019]s?\s+(?P<n>[a-z]+(?:\s+[a-z]+)?),\s+(?P<x>{_NAME}),\s+(?P<rest>[a-z].*?)\s*[.!?]?$"
)
# "Jonas Vik lived in Tromso for ten years before moving to Alta in 2012" (or "… and then moved to …")
_BEFORE_MOVING_MID = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT})\s+(?P<was>lived|worked|taught|studied)\s+(?P<p>in|at)\s+(?P<a>{_PLACE})(?:\s+for\s+[^,]+?)?,?"
    rf"\s+before\s+(?:moving|relocating|emigrating)\s+to\s+(?P<b>{_PLACE})(?P<tail>(?:\s+in\s+{DATE})?)\s*[.!?]?$"
)
# "Tilde Berg used to own the Old Mill": she owned it, and no longer does
_USED_TO = re.compile(rf"^(?P<x>{_SUBJECT})\s+used\s+to\s+(?P<v>[a-z]+)\s+(?P<rest>.+?)\s*[.!?]?$")
_USED_PAST = {"own": "owned", "live": "lived", "work": "worked", "run": "ran", "teach": "taught", "lead": "led",
              "chair": "chaired", "manage": "managed", "head": "headed", "be": "was", "keep": "kept",
              "coach": "coached"}
# "… in Kelmarsh, a town in Dunmere": the place, then what and where it is
_PLACE_APPOSITION = re.compile(
    rf"^(?P<main>.*\b(?:in|at|to|into|near|from)\s+(?P<p>{_PLACE})),\s+(?P<what>(?:an?|the)\s+[a-z]+(?:\s+[a-z]+)?\s+"
    rf"(?:in|of|on|near)\s+{_PLACE})\s*[.!?]?$"
)
# "… married Tom Ruiz, a fisherman from Vigo": who he is
_END_APPOSITION = re.compile(rf"^(?P<main>.*\s(?P<x>{_NAME})),\s+(?P<what>(?:an?|the)\s+[a-z][^,]*?)\s*[.!?]?$")
# "Nora Vale had been teaching at Fenn College when she moved to Arden in 2018": till then, and then the move
_HAD_WHEN = re.compile(
    rf"^(?P<x>{_SUBJECT})\s+(?P<had>had\s+(?:been\s+)?[a-z]+\s+.+?)\s+when\s+(?P<who>he|she|they|{_PERSON})\s+"
    rf"(?P<rest>.+?)\s+(?:in|on)\s+(?P<d>{DATE})(?P<tail>[^,]*?)\s*[.!?]?$"
)
# "X bought the Copper Kettle from Pavel Dorn in 2019": Pavel Dorn owned it until then
_BOUGHT_FROM = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT})\s+(?:has\s+|had\s+)?(?:bought|purchased|acquired|inherited)\s+(?P<y>.+?)\s+from\s+"
    rf"(?P<z>(?:[Hh]is|[Hh]er|[Tt]heir)\s+[a-z]+(?:\s+{_CAP}(?:\s+{_CAP})*)?|{_PERSON})(?P<tail>(?:\s+(?:in|on)\s+{DATE})?)"
    r"\s*[.!?]?$"
)
_THERE = re.compile(r"(?<=\s)there\b(?!\s+(?:is|are|was|were|has|have|had|will|would|used)\b|['\u2019]s)")
_PLACE_BEFORE = re.compile(rf"\b(?:in|at|to|into)\s+(?P<place>{_PLACE})")
_REL_MID = re.compile(
    rf"^(?P<pre>.*?)(?P<x>(?:the\s+)?{_CAP}(?:\s+{_CAP})*),\s+(?:who|which)\s+(?P<rel>[^,]+?),\s+(?P<rest>.+)$"
)
_REL_END = re.compile(
    rf"^(?P<main>.*?\s(?P<x>(?:the\s+)?{_CAP}(?:\s+{_CAP})*)),\s+(?:who|which)\s+(?P<rel>.+?)\s*[.!?]?$"
)
_MOVE_FROM = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT}|The\s+{_CAP}(?:\s+{_CAP})*)\s+(?P<v>moved|relocated|emigrated|moves|relocates)\s+(?:back\s+)?from\s+"
    rf"(?P<a>{_PLACE})\s+(?:to|into)\s+(?P<b>.+?)\s*[.!?]?$"
)
_MOVE_TO_FROM = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT}|The\s+{_CAP}(?:\s+{_CAP})*)\s+(?P<v>moved|relocated|emigrated|moves|relocates)\s+(?:back\s+)?(?:to|into)\s+"
    rf"(?P<b>{_PLACE})\s+from\s+(?P<a>{_PLACE})(?P<tail>.*?)\s*[.!?]?$"
)
_NO_LONGER = re.compile(
    rf"^(?P<x>{_SUBJECT})\s+(?:(?P<be>is)\s+no\s+longer|no\s+longer\s+(?P<v>lives|works|owns|runs|heads|chairs|"
    r"manages|leads|teaches|coaches|edits|directs))\s+(?P<rest>.+?)\s*[.!?]?$"
)
_PAST = {"lives": "lived", "works": "worked", "owns": "owned", "runs": "ran", "heads": "headed",
         "chairs": "chaired", "manages": "managed", "leads": "led", "teaches": "taught", "coaches": "coached",
         "edits": "edited", "directs": "directed"}
# "Anton and Clara Weiss founded the bakery": each of them (not things one holds at a time, nor going places)
_BOTH = re.compile(
    rf"^{_LEAD}(?P<a>{_CAP}(?:\s+{_CAP})*)\s+and\s+(?P<b>{_CAP}(?:\s+{_CAP})*)\s+(?P<v>founded|co-founded|established|"
    r"opened|started|set\s+up|built|live|lived|have\s+lived|work|worked|have\s+worked|married|got\s+married|"
    r"were\s+married)\b(?P<rest>.*?)\s*[.!?]?$"
)
_LEFT_FOR = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT})\s+(?:left|leaves)\s+(?P<a>{_PLACE})\s+for\s+(?P<b>{_PLACE}.*?)\s*[.!?]?$"
)
_REPLACED = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT})\s+(?:was|has\s+been|had\s+been|is)\s+(?:replaced|succeeded)\s+as\s+(?:the\s+)?"
    rf"{_NOUN}\s+(?P<p>of|at)\s+{_ORG}\s+by\s+(?P<y>{_PERSON}){_END}"
)
_SUCCEEDED = re.compile(
    rf"^{_LEAD}(?P<y>{_SUBJECT})\s+(?:has\s+|had\s+)?(?:succeeded|replaced|succeeds|replaces)\s+(?P<x>{_PERSON})\s+as\s+"
    rf"(?:the\s+)?{_NOUN}(?:\s+(?P<p>of|at)\s+{_ORG})?{_END}"
)
_STEPPED_DOWN = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT})\s+(?:has\s+|had\s+)?(?:stepped\s+down|stood\s+down|resigned|retired|quit|"
    rf"steps\s+down|resigns|retires)\s+as\s+(?:the\s+)?{_NOUN}(?:\s+(?P<p>of|at)\s+{_ORG})?{_END}"
)
_RETIRED_FROM = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT})\s+(?:has\s+|had\s+)?(?:retired|resigned|stepped\s+down)\s+from\s+"
    rf"(?P<o>(?:the\s+)?{_CAP}(?:\s+{_CAP})*){_END}"
)
# "It was built in 1899 and is owned by the Wexley Trust": two passives of one subject, a sentence each
_PARTICIPLE = r"[a-z]+(?:ed|en|lt|wn|ght|ld|de|un)"  # built, owned, known, bought, sold, made, run
_TWO_PASSIVES = re.compile(
    rf"^(?P<x>.+?)\s+(?P<b1>was|is|has\s+been)\s+(?P<v1>{_PARTICIPLE})(?P<r1>(?:\s+[^,]+?)?)\s*,?\s+and\s+"
    r"(?P<b2>was|is|has\s+been|had\s+been)(?:\s+(?:now|still|later|then|also|since))?\s+"
    rf"(?P<v2>{_PARTICIPLE})\s+(?P<r2>by\s+.+?)\s*[.!?]?$"
)
_STILL_HOLDS = re.compile(r"^(?:still\s+holds|holds\s+still|remains\s+in|still\s+holds\s+on\s+to)\s+(?:the\s+|that\s+)?"
                          r"(?:office|post|title|position|role|job|seat)\b")
_NO_LONGER_WORDS = re.compile(r"\bno\s+longer\b", re.I)
_STEP_DOWN = re.compile(r" (?:down|resigned|retired|quit|resigns|retires) as ")
_SUCCESSION = re.compile(r" (?:succeeded|replaced|succeeds|replaces) ")
# a restatement needs a comma or one of these words
_MARKERS = re.compile(
    r",\s|\s(?:from|left|succeeded|replaced|succeeds|replaces|as|longer|and|before|used|when|quit|fired|dismissed|"
    r"sacked|over|part|into|sold|bought|owns|owned|inherited|acquired|rents|rented|built|restored|renovated|"
    r"purchased|region|province|county|district|canton|municipality|parish|borough|prefecture|territory|suburb|"
    r"village|town|city|island)\s",
    re.I,
)


def _date(*texts: str) -> str | None:
    for t in texts:
        m = _WHEN.search(t)
        if m:
            return m["d"]
    return None


def _ended(x: str, holds: str, date: str | None) -> str:
    """ "X was chair of Y until 2019." (or "X was chair of Y until recently." without a date)."""
    return cap(f"{x} {holds} until {date or 'recently'}.")


def _role(m: re.Match[str]) -> str:
    return m["r"] + (f" {m['p']} {m['o']}" if m["o"] else "")


def _once(s: str) -> list[str] | None:
    """One restatement of `s` (the sentences it becomes), or None when none applies."""
    if _MARKERS.search(s) is None:  # most sentences: none of the words any restatement needs
        return None
    low = s.lower()
    if not asserted(without_dates(_NO_LONGER_WORDS.sub(" ", s))):  # planned, hedged, negated: told as it is
        return _split_only(s, low)
    return _split_only(s, low) or _restated(s, low)


def _split_only(s: str, low: str) -> list[str] | None:
    """The restatements that only cut a sentence in parts (each part is then read, or not, on its own)."""
    if ", where " in low and (m := _WHERE.match(s)):
        prep = "in" if m["p"] in ("to", "into") else m["p"]
        if _ENDS_NAMED.search(m["rel"]):  # "where she became matron of St Agnes Hospital": named already
            return [m["main"] + ".", cap(m["rel"] + ".")]
        return [m["main"] + ".", cap(f"{m['rel']} {prep} {m['place']}.")]
    if ", " in s and (m := _PLACE_APPOSITION.match(s)):  # "in Kelmarsh, a town in Dunmere"
        return [m["main"] + ".", cap(f"{m['p']} is {m['what']}.")]
    if ", " in s and (m := _END_APPOSITION.match(s)):
        return [m["main"] + ".", f"{m['x']} is {m['what']}."]
    if ", " in s and (m := _WHOSE_APPOSITION.match(s)):
        return [f"{m['x']} is {m['o']}'s {m['n']}.", f"{m['x']} {m['rest']}."]
    if ", " in s and (m := _APPOSITION.match(s)):  # "Ravi Nair, a chemist, lives in Dunholm"
        return [f"{m['x']} is {m['app']}.", f"{m['x']} {m['rest']}."]
    if ", when " in low and (m := _WHEN_REL.match(s)):  # "… until 2016, when Ada Wren took over"
        return [m["main"] + ".", f"In {m['d']} {m['rel']}."]
    if (", who " in low or ", which " in low) and (m := _REL_MID.match(s) or _REL_END.match(s)):
        x = m["x"]
        if _STILL_HOLDS.match(m["rel"]):  # ", who still holds the office": current, nothing more to read
            return [m["main"] + "."] if "rest" not in m.groupdict() else [cap(f"{m['pre']}{x} {m['rest']}")]
        about = cap(f"{x} {m['rel'].rstrip('.!?')}.")
        if "rest" in m.groupdict():
            return [about, cap(f"{m['pre']}{x} {m['rest']}")]
        return [m["main"] + ".", about]
    return None


def _restated(s: str, low: str) -> list[str] | None:
    """The restatements that state facts the sentence implies (only of a sentence that asserts)."""
    if (worded := reword(s)) is not None and worded != [s]:
        return worded
    if low.startswith(("before moving", "after moving", "before relocating", "after relocating", "before emigrating",
                       "after emigrating")) and (m := _BEFORE_MOVING.match(s)):
        moved = cap(f"{'In ' + m['d'] + ' ' if m['d'] else ''}{m['x']} moved to {m['b']}.")
        if m["w"] == "After":
            return [moved, cap(f"{m['x']} {m['rest']}.")]
        rest = m["rest"] + (f" until {m['d']}" if m["d"] and not _WHEN.search(m["rest"]) else "")
        return [cap(f"{m['x']} {rest}."), moved]
    if low.startswith("after ") and (m := _YEARS_IN.match(s)):
        date = _date(m["rest"])
        return [_ended(m["x"], "lived in " + m["a"], date), cap(f"{m['x']} {m['rest']}.")]
    if ", " in s and (m := _FRONTED.match(s)):
        return [f"{m['x']} {_FRONTED_AS[m['v'].lower()]} {m['p']} {m['a']}.", f"{m['x']} {m['rest']}."]
    if " when " in low and " had " in low and (m := _HAD_WHEN.match(s)):
        return [f"{m['x']} {m['had']} until {m['d']}.", cap(f"In {m['d']} {m['who']} {m['rest']}{m['tail']}.")]
    if " before " in low and (m := _BEFORE_MOVING_MID.match(s)):
        date = _date(m["lead"], m["tail"])
        moved = cap(f"{m['lead']}{m['x']} moved to {m['b']}{m['tail']}.")
        return [_ended(m["x"], f"{m['was']} {m['p']} {m['a']}", date), moved]
    if " used to " in low and (m := _USED_TO.match(s)) and m["v"] in _USED_PAST:
        return [_ended(m["x"], f"{_USED_PAST[m['v']]} {m['rest']}", None)]
    if " and " in low and " by " in low and (m := _TWO_PASSIVES.match(s)) and len(m["x"].split()) <= 6:
        return [cap(f"{m['x']} {m['b1']} {m['v1']}{m['r1']}."), cap(f"{m['x']} {m['b2']} {m['v2']} {m['r2']}.")]
    if " from " in low and (m := _BOUGHT_FROM.match(s)):
        date = _date(m["lead"], m["tail"])
        return [s, _ended(m["z"], f"owned {m['y']}", date)]  # after it: "she bought it" is still hers
    if " from " in low and (m := _MOVE_FROM.match(s)):
        date = _date(m["lead"], m["b"])
        was = "was based in " if m["x"].startswith("The ") else "lived in "  # a body moves its seat
        return [_ended(m["x"], was + m["a"], date), cap(f"{m['lead']}{m['x']} {m['v']} to {m['b']}.")]
    if " from " in low and (m := _MOVE_TO_FROM.match(s)):  # "moved to Faro from Braga in 2019"
        date = _date(m["lead"], m["tail"])
        moved = cap(f"{m['lead']}{m['x']} {m['v']} to {m['b']}{m['tail']}.")
        was = "was based in " if m["x"].startswith("The ") else "lived in "
        return [_ended(m["x"], was + m["a"], date), moved]
    if " no longer " in low and (m := _NO_LONGER.match(s)):  # "X no longer lives in Faro": it has ended
        return [_ended(m["x"], f"{'was' if m['be'] else _PAST[m['v']]} {m['rest']}", None)]
    if " and " in low and (m := _BOTH.match(s)):
        a, b = m["a"], m["b"]
        if " " not in a and " " in b:  # "Anton and Clara Weiss": both Weiss
            a += " " + b.split()[-1]
        if "married" in m["v"]:
            return [cap(f"{m['lead']}{a} married {b}{m['rest']}.")]
        return [cap(f"{m['lead']}{who} {m['v']}{m['rest']}.") for who in (a, b)]
    if " left " in low and " for " in low and (m := _LEFT_FOR.match(s)):
        date = _date(m["lead"], m["b"])
        return [_ended(m["x"], "lived in " + m["a"], date), cap(f"{m['lead']}{m['x']} moved to {m['b']}.")]
    if (" replaced " in low or " succeeded " in low) and (m := _REPLACED.match(s)):
        date = _date(m["lead"], m["tail"])
        return [_ended(m["x"], "was " + _role(m), date), cap(f"{m['lead']}{m['y']} became {_role(m)}{m['tail']}.")]
    if _SUCCESSION.search(low) and (m := _SUCCEEDED.match(s)):
        date = _date(m["lead"], m["tail"])
        return [_ended(m["x"], "was " + _role(m), date), s]
    if _STEP_DOWN.search(low) and (m := _STEPPED_DOWN.match(s)):
        date = _date(m["lead"], m["tail"])
        return [s, _ended(m["x"], "was " + _role(m), date)]
    if " from " in low and (m := _RETIRED_FROM.match(s)):
        date = _date(m["lead"], m["tail"])
        return [s, _ended(m["x"], "worked at " + m["o"], date)]
    return fronted_rest(s)


# "has been living in Mossby", "was working at the foundry": the plain verb the clause readers know
_PROGRESSIVE = re.compile(
    r"\b(?P<be>is|are|was|were|has\s+been|have\s+been|had\s+been)\s+(?P<adv>(?:currently|now|still|also)\s+)?"
    r"(?P<v>living|working|staying|teaching|studying|residing)\s+(?=(?:in|at|for|near|with)\b)"
)
_PLAIN = {"living": ("lives", "lived"), "working": ("works", "worked"), "staying": ("is", "was"),
          "teaching": ("teaches", "taught"), "studying": ("studies", "studied"), "residing": ("resides", "resided")}


def _progressive(s: str) -> str:
    def plain(m: re.Match[str]) -> str:
        now, then = _PLAIN[m["v"]]
        past = m["be"] in ("was", "were") or m["be"].startswith("had")
        return f"{m['adv'] or ''}{then if past else now} "

    return _PROGRESSIVE.sub(plain, s)


def _there(s: str) -> str:
    """ "grew up in Pellham and studied there" → "… studied in Pellham"."""
    m = _THERE.search(s)
    if not m:
        return s
    places = list(_PLACE_BEFORE.finditer(s, 0, m.start()))
    if not places:
        return s
    return s[: m.start()] + "in " + places[-1]["place"] + s[m.end() :]


def _expand(s: str, budget: int) -> list[str]:
    parts = _once(s) if budget > 1 else None
    if parts is None:
        return [s]
    out: list[str] = []
    for part in parts:
        if not part.strip(" ."):
            continue
        out += [part] if part == s else _expand(part, budget - len(parts) + 1)
    return out


def restate(sentences: list[str]) -> list[str]:
    """The sentences of one text, each compound one restated as the simple ones it states."""
    out: list[str] = []
    couple: Couple | None = None
    for sentence in sentences:
        told, couple = couple_told(sentence, couple)
        if told is not None:
            out += [p for t in told for p in _expand(t, MAX_RESTATED)]
            continue
        sentence = normalised(sentence)
        parts = _expand(_there(sentence) if " there" in sentence else sentence, MAX_RESTATED)
        out += [_progressive(p) if "ing " in p else p for p in parts]
    return out
