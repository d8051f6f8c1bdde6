"""Rewording: sentence shapes the clause readers do not know, as the simple ones they do.

Called by restate.py on a sentence that asserts something, before pronouns are resolved:

- a fronted adverbial with a comma: "Before 2015, X lived in A" → "X lived in A until 2015.",
  "Since 2012, X has lived in A" → "X has lived in A since 2012.", "In 2019, X …" → "In 2019 X …",
  "Three years later, X …" → "X …";
- leaving a job: "X left A (in 2021) and started working at B" → "X worked at A until 2021." and
  "In 2021 X joined B."; "quit A", "was fired from A", "left A to open …" end the job with no
  successor ("left A" where A is no body of people is a move away from a place);
- succession without the role: "X retired in 2023 and was succeeded by Y" → "X retired in 2023."
  and "Y succeeded X in 2023." (the paragraph gives both the role last named for X);
  "Y took over from X" → "Y succeeded X";
- lists of kin: "X has two sons, A and B", "X's children are A, B and C", "A and B are X's
  daughters" → a sentence for each ("A is X's son.");
- "A is part of E" (both named) → also "A is located in E.";
- "X was turned (converted, made) into a museum in 1995" → "X became a museum in 1995.".
Pure and deterministic; each shape is tried only when its words are in the sentence.
"""

from __future__ import annotations

import re

from sutra_stack.reasoning.backrefs import cap
from sutra_stack.reasoning.names import WORD, name, person
from sutra_stack.reasoning.text import wordset
from sutra_stack.reasoning.timeline import DATE

_NAMEW = WORD
_NAME = name(particles=True)
_ORG = rf"(?:the\s+)?{_NAMEW}(?:\s+(?:of\s+(?:the\s+)?|&\s+)?{_NAMEW})*"
_PERSON = person()
_SUBJECT = rf"(?:{_PERSON}|[Hh]e|[Ss]he|[Tt]hey)"
_RELDATE = r"(?:last|this)\s+(?:year|month|spring|summer|autumn|winter)|recently"
_WHEN = rf"(?:(?:in|on|during|by)\s+(?i:{DATE})|{_RELDATE})"
_LEAD = rf"(?P<lead>(?:(?:(?i:in|on|by|during)\s+(?i:{DATE})|(?i:{_RELDATE}))\s*,?\s+)?)"
_END = r"\s*[.!?]?$"

_FRONT = re.compile(
    rf"^(?P<w>Before|Until|Till|Up\s+to|Since|From|After|In|On|During|By)\s+(?P<d>(?i:{DATE})|{_RELDATE}),\s+"
    rf"(?P<rest>[^,]+?){_END}"
)
# "In the summer of 2017, …", "Early in 2016, …", "At the end of 2019, …": in that year
_SEASON = re.compile(
    r"^(?:(?:early|late)\s+)?(?:in|at|during|by)\s+(?:the\s+)?(?:(?:early|late)\s+)?(?:summer|spring|autumn|fall|winter|"
    rf"start|beginning|end|middle|course|first\s+half|second\s+half)\s+of\s+(?P<d>{DATE}),\s+(?P<rest>.+?){_END}|"
    rf"^(?:early|late|later|earlier)\s+in\s+(?P<d2>{DATE}),\s+(?P<rest2>.+?){_END}",
    re.I,
)
_LATER = re.compile(
    r"^(?:(?:(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few|several|many|\d+)\s+"
    r"(?:years?|months?|weeks?|days?|decades?)\s+later)|later|soon\s+after(?:wards)?|afterwards|eventually|"
    r"some\s+years\s+later|years\s+later|the\s+following\s+year|the\s+next\s+year),\s+(?P<rest>.+)$",
    re.I,
)
_AFTER_LEAVING = re.compile(
    rf"^After\s+(?:leaving|quitting|resigning\s+from)\s+(?P<a>{_ORG})(?:\s+in\s+(?P<d>(?i:{DATE})))?,\s+"
    rf"(?P<x>{_SUBJECT})\s+(?P<rest>[a-z].+?){_END}"
)
_STATE = re.compile(
    r"^\S+(?:\s+\S+){0,3}?\s+(?:lived|worked|taught|owned|ran|was|were|headed|led|managed|chaired|studied|served|"
    r"stayed|resided|played|coached|edited|directed|kept)\b"
)
_LEFT = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT})\s+(?:has\s+|had\s+)?(?P<v>left|quit|resigned\s+from|stopped\s+working\s+(?:at|for)|gave\s+up|was\s+(?:fired|dismissed|sacked|"
    rf"laid\s+off)\s+from|was\s+let\s+go\s+from)\s+(?:(?:his|her|their)\s+(?:job|post|position)\s+at\s+)?(?P<a>{_ORG})"
    rf"(?P<tail>(?:\s+{_WHEN})?)(?:\s*,?\s+(?P<how>and|to)\s+(?P<then>.+?))?{_END}"
)
_TO_WORK = re.compile(
    r"^(?:then\s+|later\s+|soon\s+)?(?:started|began|start|begin)\s+(?:working|work)\s+(?:at|for)\s+|"
    r"^(?:then\s+|later\s+|soon\s+)?(?:joined|join|took\s+a\s+job\s+at|take\s+a\s+job\s+at|got\s+a\s+job\s+at|"
    r"went\s+to\s+work\s+(?:at|for)|work\s+(?:at|for)|moved\s+to|move\s+to)\s+"
)
ORG_WORDS = wordset(
    "bank mills mill press foods dairy freight media ltd inc plc group systems energy energi labs lab studio studios "
    "agency trust council club society works brewery bakery hotel restaurant cafe café gallery theatre orchestra "
    "institute clinic partners solutions technologies tech industries corporation corp co company shipping logistics "
    "motors airlines air insurance capital holdings foundation academy herald times post gazette school college "
    "university hospital museum library firm garage store shop stores markets pharma consulting associates "
    "bakeries kitchen bistro inn books records films pictures publishing publishers newspaper radio tv network "
    "services software robotics engineering construction builders farms farm co-op cooperative union league team "
    "fc ensemble choir band design designs architects architecture"
)
_SUCCEEDED_BY = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT})\s+(?:has\s+)?(?P<v>retired|resigned|stepped\s+down|stood\s+down|left)"
    rf"(?P<role>\s+as\s+[^,]+?)?(?P<tail>(?:\s+{_WHEN})?)\s*,?\s+and\s+(?:was|has\s+been)\s+(?:succeeded|replaced)"
    rf"\s+by\s+(?P<y>{_PERSON})"
    rf"(?P<tail2>(?:\s+{_WHEN})?){_END}"
)
_THEN_REPLACED = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT})\s+(?:has\s+)?(?P<v>retired|resigned|stepped\s+down|stood\s+down|left)"
    rf"(?P<role>\s+as\s+[^,]+?)?(?P<tail>(?:\s+{_WHEN})?)\s*,?\s+and\s+(?P<y>{_PERSON})"
    r"\s+(?:replaced|succeeded|took\s+over\s+from)\s+"
    rf"(?P<x2>him|her|them|{_PERSON})(?P<tail2>(?:\s+{_WHEN})?){_END}"
)
# "She was succeeded by Anton Brekke.": the successor, in the post the paragraph last named for her
_PASSIVE_SUCCEEDED = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT})\s+(?:was|has\s+been)\s+(?:succeeded|replaced)\s+by\s+(?P<y>{_PERSON})"
    rf"(?P<tail>(?:\s+{_WHEN})?){_END}"
)
_SOLD = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT})\s+(?:has\s+|had\s+)?sold\s+(?P<y>(?:his|her|their|the|its)\s+[^,]+?)"
    rf"(?P<tail>(?:\s+{_WHEN})?){_END}"
)
# "bought an old lighthouse on Gull Point": the thing, and where it is
_OWNED_AT = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT})\s+(?:has\s+|had\s+)?(?:bought|owns|owned|inherited|acquired|rents|rented|built|"
    r"restored|renovated|purchased)\s+(?:an?|the)\s+(?P<t>[a-z][\w\-]*(?:\s+[a-z][\w\-]*){0,2})\s+"
    rf"(?P<p>on|by|in|at)\s+(?P<at>(?:the\s+[a-z]+(?:\s+[a-z]+)?|(?:the\s+)?{_NAME}))"
    rf"(?P<tail>(?:\s+{_WHEN}|\s+since\s+(?i:{DATE}))?){_END}"
)
_HANDED_OVER = re.compile(
    rf"^{_LEAD}(?P<x>{_SUBJECT})\s+(?:has\s+|had\s+)?(?:handed|passed)\s+over\s+(?:the\s+reins\s+)?to\s+"
    rf"(?P<y>{_PERSON})(?P<rest>.*?){_END}"
)
_TOOK_OVER = re.compile(
    rf"^{_LEAD}(?P<y>{_SUBJECT})\s+(?:has\s+|had\s+)?(?:took|takes|has\s+taken)\s+over\s+from\s+(?P<x>{_PERSON})"
    rf"(?P<rest>.*?){_END}"
)
_PLURAL_KIN = {
    "sons": "son", "daughters": "daughter", "children": "child", "kids": "child", "brothers": "brother",
    "sisters": "sister", "grandchildren": "grandchild", "grandsons": "grandson", "granddaughters": "granddaughter",
    "nephews": "nephew", "nieces": "niece", "cousins": "cousin", "siblings": "sibling", "parents": "parent",
    "stepsons": "stepson", "stepdaughters": "stepdaughter",
}
_KIN = "|".join(_PLURAL_KIN)
_LIST = rf"(?P<list>{_NAME}(?:\s*,\s*{_NAME})*\s*,?\s+and\s+{_NAME})"
_HAS_KIN = re.compile(
    rf"^(?P<x>{_PERSON}(?:\s+and\s+{_PERSON})?)\s+(?:has|had|have)\s+(?:two|three|four|five|six|seven|\d+)\s+"
    rf"(?P<k>{_KIN})\s*[,:]\s*"
    rf"(?:(?:called|named)\s+)?{_LIST}{_END}"
)
_OBJECT = {"he": "him", "she": "her", "they": "them"}
_KIN_APPOS = re.compile(rf"^(?P<x>{_PERSON})['\u2019]s?\s+(?P<k>{_KIN}),\s+{_LIST},\s+(?P<rest>[a-z].*?){_END}")
_KIN_ARE = re.compile(
    rf"^(?P<x>{_PERSON}['\u2019]s?|[Hh]is|[Hh]er|[Tt]heir)\s+(?P<k>{_KIN})\s+(?:are|were)\s+{_LIST}{_END}"
)
_ARE_KIN = re.compile(
    rf"^{_LIST}\s+(?:are|were)\s+(?:(?P<x>{_PERSON})['\u2019]s?\s+(?:two\s+|three\s+|four\s+)?(?P<k>{_KIN})"
    rf"|the\s+(?:two\s+|three\s+|four\s+)?(?P<k2>{_KIN})\s+of\s+(?P<x2>{_PERSON})){_END}"
)
_KIN_OF_ARE = re.compile(
    rf"^The\s+(?:two\s+|three\s+|four\s+|five\s+)?(?P<k>{_KIN})\s+of\s+(?P<x>{_PERSON})\s+(?:are|were)\s+{_LIST}{_END}"
)
_PART_OF = re.compile(
    rf"^(?P<a>(?:The\s+)?{_NAME})\s+(?:is|was|forms|form|are)\s+(?:a\s+)?part\s+of\s+(?P<e>{_ORG}){_END}"
)
# "Calder is a region of Westmarch": a place of that kind, in Westmarch (not "the capital of")
_CLASS_OF = re.compile(
    rf"^(?P<a>(?:The\s+)?{_NAME})\s+(?:is|was)\s+(?:a|an|the)\s+(?:(?:small|large|rural|remote|northern|southern|"
    r"eastern|western|coastal|mountainous|historic|former)\s+)?(?P<k>region|province|county|district|state|canton|"
    rf"municipality|parish|borough|prefecture|territory|island|suburb|village|town|city|part)\s+of\s+(?P<e>{_ORG}){_END}"
)
_TURNED_INTO = re.compile(
    rf"^(?P<x>.+?)\s+(?:was|has\s+been|had\s+been)\s+(?:turned|converted|made|transformed|changed|remade)\s+into\s+"
    rf"(?P<k>(?:an?|the)\s+[^,]+?)(?P<tail>(?:\s+{_WHEN})?){_END}"
)
_OWN_VERBS = re.compile(r" (?:bought|owns|owned|inherited|acquired|rents|rented|built|restored|renovated|purchased) ")
_NOT_THINGS = wordset("share shares stake stakes part half lot interest")
_WORDS = re.compile(
    r",\s|\s(?:left|quit|sold|bought|owns|owned|inherited|acquired|rents|rented|built|restored|renovated|purchased|"
    r"resigned|fired|dismissed|sacked|laid|let|over|and|part|turned|converted|made|transformed|succeeded|replaced|"
    r"changed|remade|region|province|county|district|canton|municipality|parish|borough|prefecture|territory|suburb|"
    r"village|town|city|island)\s",
    re.I,
)


def _names(s: str) -> list[str]:
    return [n.strip() for n in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", s) if n.strip()]


def _is_org(name: str) -> bool:
    return name.split()[-1].lower() in ORG_WORDS or " & " in name


def _in(when: str) -> str:
    """ "in 2021" → "In 2021 " (a lead), "" when none."""
    w = when.strip()
    return cap(w) + " " if w else ""


def _until(when: str) -> str:
    """ "in 2021" → "2021"; "last year" or nothing → "recently" (an end told without its date)."""
    m = re.match(rf"^(?:(?i:in|on|during|by)\s+)?(?P<d>(?i:{DATE}))$", when.strip())
    return m["d"] if m else "recently"


def _left(m: re.Match[str]) -> list[str]:
    lead, x, a, tail = m["lead"], m["x"], m["a"], m["tail"].strip()
    then = m["then"] or ""
    work = _TO_WORK.match(then)
    at_work = m["v"] != "left" or _is_org(a) or (work is not None and not work.group(0).strip().startswith("mov"))
    held = f"worked at {a}" if at_work else f"lived in {a}"
    out = [cap(f"{x} {held} until {_until(lead.strip(' ,') or tail)}.")]
    when = lead if lead.strip() else _in(tail)
    if work is not None:
        b = then[work.end() :]
        verb = "moved to" if "mov" in work.group(0) else "joined"
        out.append(cap(f"{when}{x} {verb} {b}."))
    elif m["how"] == "and" and then:
        out.append(cap(f"{when}{x} {then}."))
    return out


def _kin(m: re.Match[str]) -> list[str]:
    g = m.groupdict()
    x = g.get("x") or g.get("x2") or ""
    kin = _PLURAL_KIN[(g.get("k") or g.get("k2") or "").lower()]
    parents = x.split(" and ")
    if len(parents) == 2 and " " not in parents[0] and " " in parents[1]:  # "Elin and Tor Vik": both Vik
        parents[0] += " " + parents[1].split()[-1]
    out: list[str] = []
    for p in parents:
        pronoun = p.lower() in ("his", "her", "their")
        whose = p.lower() if pronoun else p if p.endswith(("'s", "\u2019s", "'")) else p + "'s"
        out += [f"{n} is {whose} {kin}." for n in _names(m["list"])]
    return out


# a fronted phrase no other restatement read ("For twenty years, X lived in A", "As a young man, X …")
_ANY_LEAD = re.compile(
    r"^(?:For|At|Like|Unlike|As|Shortly|Soon|Throughout|Over|During|In|On|By|Within|Around|Following|Back|Then|"
    r"Meanwhile|Eventually|Nowadays|Today|Later|Afterwards|Early|Late|Once|Finally|Ultimately|Recently|Previously)"
    rf"\b(?:\s+[\w'\-]+){{0,6}},\s+(?P<rest>(?:{_PERSON}|(?:[Tt]he|[Hh]e|[Ss]he|[Tt]hey)\b[^,]*?)\s+[a-z][^,]*?){_END}"
)


_A_DATE = re.compile(rf"(?i:{DATE})")


def fronted_rest(s: str) -> list[str] | None:
    """The sentence without a fronted phrase that states no fact of its own, or None."""
    m = _ANY_LEAD.match(s) if ", " in s[:60] else None
    if m is None:
        return None
    d = _A_DATE.search(s, 0, m.start("rest"))  # "Back in 2010, …": that year
    return [f"In {d.group(0)} {m['rest']}." if d else cap(m["rest"]) + "."]


def reword(s: str) -> list[str] | None:
    """The simple sentences `s` states, or None when no shape here fits."""
    if _WORDS.search(s) is None:
        return None
    if ", " in s:
        if m := _FRONT.match(s):
            w, d, rest = m["w"].lower(), m["d"], m["rest"]
            if w in ("in", "on", "during", "by") or d.lower() in ("recently",):
                return [f"{m['w']} {d} {rest}."]
            told = re.search(r"\b(?:until|till|since)\b", rest) is not None
            if w in ("since", "from") and not told:
                return [cap(f"{rest} since {d}.")]
            if w in ("before", "until", "till", "up to") and not told and _STATE.match(rest):
                return [cap(f"{rest} until {d if re.search(r'[0-9]', d) else 'recently'}.")]
            if w == "after" and not told and _STATE.match(rest):
                return [cap(f"{rest} since {d}.")]
            return [cap(f"{rest}.")]
        if m := _LATER.match(s):
            return [cap(m["rest"])]
        if (" of " in s[:40] or s[:5] in ("Early", "Late ")) and (m := _SEASON.match(s)):
            return [f"In {m['d'] or m['d2']} {m['rest'] or m['rest2']}."]
        if s.startswith("After ") and (m := _AFTER_LEAVING.match(s)):
            when = m["d"] or "recently"
            return [cap(f"{m['x']} worked at {m['a']} until {when}."),
                    cap(f"{'In ' + m['d'] + ' ' if m['d'] else ''}{m['x']} {m['rest']}.")]
        if "s " in s and (m := _KIN_APPOS.match(s)):
            return _kin(m) + [cap(f"{n} {m['rest']}.") for n in _names(m["list"])]
    low = s.lower()
    if (" left " in low or " quit " in low or " from " in low) and (m := _LEFT.match(s)):
        return _left(m)
    if " by " in low and (m := _SUCCEEDED_BY.match(s)):
        when = m["tail"] or m["tail2"]
        x, role = _OBJECT.get(m["x"].lower(), m["x"]), m["role"] or ""
        return [cap(f"{m['lead']}{m['x']} {m['v']}{role}{when}."),
                cap(f"{m['lead']}{m['y']} succeeded {x}{role}{when}.")]
    if " by " in low and (m := _PASSIVE_SUCCEEDED.match(s)):
        x = _OBJECT.get(m["x"].lower(), m["x"])
        return [cap(f"{m['lead']}{m['y']} succeeded {x}{m['tail']}.")]
    if " and " in low and (m := _THEN_REPLACED.match(s)):
        when = m["tail"] or m["tail2"]
        x2, role = (m["x2"] if m["x"].lower() in ("he", "she", "they") else m["x"]), m["role"] or ""
        return [cap(f"{m['lead']}{m['x']} {m['v']}{role}{when}."),
                cap(f"{m['lead']}{m['y']} succeeded {x2}{role}{when}.")]
    if " sold " in low and " to " not in low and (m := _SOLD.match(s)):  # no buyer named: no longer hers
        when = (m["lead"].strip(" ,") or m["tail"]).strip()
        return [s, cap(f"{m['x']} owned {m['y']} until {_until(when)}.")]
    if _OWN_VERBS.search(low) and (m := _OWNED_AT.match(s)) and m["t"].split()[-1] not in _NOT_THINGS:
        return [s, cap(f"The {m['t']} is {m['p']} {m['at']}.")]
    if " over to " in low and (m := _HANDED_OVER.match(s)):
        x = _OBJECT.get(m["x"].lower(), m["x"])
        return [cap(f"{m['lead']}{m['y']} succeeded {x}{m['rest']}.")]
    if " over from " in low and (m := _TOOK_OVER.match(s)):
        return [cap(f"{m['lead']}{m['y']} succeeded {m['x']}{m['rest']}.")]
    kin = (" and " in low or ", " in s) and (
        _HAS_KIN.match(s) or _KIN_ARE.match(s) or _ARE_KIN.match(s) or _KIN_OF_ARE.match(s))
    if kin:
        m = kin
        return _kin(m)
    if " part of " in low and (m := _PART_OF.match(s)):
        return [s, f"{m['a']} is located in {m['e']}."]
    if " of " in low and (m := _CLASS_OF.match(s)):
        kind = [] if m["k"] == "part" else [f"{m['a']} is a {m['k']}."]
        return [*kind, f"{m['a']} is located in {m['e']}."]
    if " into " in low and (m := _TURNED_INTO.match(s)):
        return [cap(f"{m['x']} became {m['k']}{m['tail']}.")]
    return None
