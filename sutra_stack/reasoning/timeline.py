"""Time in text: the dates a sentence states, whether it asserts anything, and `as_of` moments.

Pure functions over strings, shared by the learner (when a fact became true, whether it may
replace an earlier one) and the asker (the moment a question is asked about). Dates are unix
seconds, UTC; a year alone means its first day as a start and its last as an end.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from sutra_stack.errors import InvalidArgument
from sutra_stack.reasoning.gate import FOUR_DIGITS, gated, mask_of

MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m and m != "May"
}
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?"
)
_YEAR = r"(?:1[0-9]{3}|20[0-9]{2})"
_DAY = r"(?:[0-3]?[0-9])(?:st|nd|rd|th)?"
# one date in its common forms: "3 March 2021", "March 3, 2021", "May 2018", "2021-03-03", "2019"
DATE = (
    rf"(?:{_DAY}\s+{_MONTH},?\s+{_YEAR}|{_MONTH}\s+{_DAY},?\s+{_YEAR}|{_MONTH}\s+{_YEAR}"
    rf"|{_YEAR}-[01][0-9]-[0-3][0-9]|{_YEAR})"
)
_D = rf"(?P<d>{DATE})"
_RANGE = re.compile(rf"\b(?:from|between)\s+(?P<a>{DATE})\s+(?:to|until|till|and|through)\s+(?P<b>{DATE})\b", re.I)
_SINCE = re.compile(rf"\b(?:since|from)\s+{_D}\b", re.I)
_UNTIL = re.compile(rf"\b(?:until|till|up\s+to)\s+{_D}\b", re.I)
_AT = re.compile(rf"(?:\b(?:in|on|during)\s+(?:the\s+year\s+)?|^){_D}\b", re.I)
_MONTH_WORDS = " ".join(MONTHS) + " sept"
# every date phrase, to take out of a clause before its parts are read
DATE_PHRASE = gated(
    rf",?\s*\b(?:(?:from|between)\s+{DATE}\s+(?:to|until|till|and|through)\s+{DATE}"
    rf"|(?:since|from|until|till|in|on|during|by)\s+(?:the\s+year\s+)?{DATE}|(?:in|during)\s+{_MONTH})\b,?",
    re.I,
    "from between since until till in on during by",
    f"{FOUR_DIGITS} {_MONTH_WORDS}",  # every DATE holds a year, a run of four digits
)
_LEADING_DATE = gated(rf"^(?:(?:in|on|since|by|during)\s+)?{DATE}\s*,?\s+", re.I, FOUR_DIGITS)
_SPACES = re.compile(r"\s+")
_ISO = re.compile(rf"^({_YEAR})-([01][0-9])-([0-3][0-9])$")

DAY = 86_400.0


def _ts(year: int, month: int = 1, day: int = 1, *, end: bool = False) -> float:
    try:
        t = dt.datetime(year, month, day, tzinfo=dt.UTC).timestamp()
    except ValueError:
        return 0.0
    return t + DAY - 1 if end else t


def date_bounds(text: str) -> tuple[float, float] | None:
    """The first and last second of a date phrase (a day, a month or a year), or None."""
    s = text.strip().lower().replace(",", " ")
    m = _ISO.match(s)
    if m:
        t = _ts(int(m[1]), int(m[2]), int(m[3]))
        return (t, t + DAY - 1) if t else None
    parts = s.replace(".", " ").split()
    year = next((int(p) for p in parts if re.fullmatch(_YEAR, p)), None)
    if year is None:
        return None
    month = (
        next((MONTHS[p] for p in parts if p in MONTHS or p == "sept"), None)
        if any(p in MONTHS or p == "sept" for p in parts)
        else None
    )
    if "sept" in parts:
        month = 9
    day = next((int(re.sub(r"\D", "", p)) for p in parts if re.fullmatch(r"[0-3]?[0-9](?:st|nd|rd|th)?", p)), None)
    if month is None:
        return _ts(year), _ts(year, 12, 31, end=True)
    if day is None:
        last = calendar.monthrange(year, month)[1]
        return _ts(year, month), _ts(year, month, last, end=True)
    t = _ts(year, month, day)
    return (t, t + DAY - 1) if t else None


@dataclass(frozen=True, slots=True)
class Stated:
    """When a sentence says its fact held: `start`/`end` unix seconds, 0 when it does not say."""

    start: float = 0.0
    end: float = 0.0


def stated_time(sentence: str) -> Stated:
    """The period a sentence states: "from 2008 to 2019", "since 2010", "until 2019", "in May 2018",
    "on 3 March 2021". The first phrase found decides."""
    m = _RANGE.search(sentence)
    if m:
        a, b = date_bounds(m["a"]), date_bounds(m["b"])
        if a and b:
            return Stated(a[0], b[1])
    m = _SINCE.search(sentence)
    if m and (d := date_bounds(m["d"])):
        return Stated(d[0], 0.0)
    m = _UNTIL.search(sentence)
    if m and (d := date_bounds(m["d"])):
        return Stated(0.0, d[1])
    m = _AT.search(sentence)
    if m and (d := date_bounds(m["d"])):
        return Stated(d[0], 0.0)
    return Stated()


def first_date(text: str) -> str | None:
    """The first date phrase of a text as written ("14 May 1961"), or None."""
    m = re.search(rf"\b{DATE}\b", text, re.I)
    return m.group(0) if m else None


CLAUSE_CACHE = 16_384  # clauses whose date-free form and assertion are remembered (pure; a clause is
# read by the fixed rules and the open relations alike, and candidate contents repeat across asks)


@lru_cache(maxsize=CLAUSE_CACHE)
def without_dates(clause: str) -> str:
    """The clause with its date phrases taken out ("In 2016 he moved to X in May" → "he moved to X")."""
    out = clause.strip()
    out = _LEADING_DATE.sub("", out, mask_of(out))
    out = DATE_PHRASE.sub(" ", out, mask_of(out))
    return _SPACES.sub(" ", out).strip(" ,")


# Markers of a clause that does not assert a change: negation, hedges, conditions, plans, future.
_NOT_ASSERTED = gated(
    r"\b(?:not|never|n't|no\s+longer|neither|nor|if|unless|whether|would|will|shall|may|might|could|"
    r"perhaps|maybe|possibly|probably|reportedly|allegedly|apparently|supposedly|rumou?red|"
    r"plans?\s+to|planned\s+to|planning\s+to|intends?\s+to|intended\s+to|hopes?\s+to|hoped\s+to|"
    r"wants?\s+to|wanted\s+to|wishes\s+to|going\s+to|expects?\s+to|expected\s+to|aims?\s+to|"
    r"considers?|considered|considering|thinking\s+(?:of|about)|thought\s+about|dreams?\s+of|"
    r"is\s+said\s+to|are\s+said\s+to|seems?\s+to|seemed\s+to|appears?\s+to|tried\s+to|tries\s+to|"
    r"almost|nearly|refused\s+to|declined\s+to|failed\s+to|next\s+year|someday|one\s+day)\b",
    re.I,
    "not never n no neither nor if unless whether would will shall may might could perhaps maybe possibly "
    "probably reportedly allegedly apparently supposedly rumored rumoured plan plans planned planning intend "
    "intends intended hope hopes hoped want wants wanted wishes going expect expects expected aim aims consider "
    "considers considered considering thinking thought dream dreams said seem seems seemed appear appears tried "
    "tries almost nearly refused declined failed year someday day",
)


_MONTH_MAY = re.compile(r"(?<=\s)May\b")  # capitalised inside a clause: the month


@lru_cache(maxsize=CLAUSE_CACHE)
def asserted(clause: str) -> bool:
    """False for a negated, hedged, conditional, planned or future clause ("X plans to move to C",
    "if X moves", "X did not move", "X may sell"): such a clause states no fact that holds."""
    text = _MONTH_MAY.sub(" ", clause.replace("\u2019", "'"))  # "held every May": the month, not a hedge
    return _NOT_ASSERTED.search(text, mask_of(text)) is None


def parse_as_of(value: object, field: str = "as_of") -> float:
    """An `as_of` value: an ISO date (YYYY-MM-DD, the end of that day UTC), an ISO date-time, or
    unix seconds. Anything else is InvalidArgument naming the field."""
    if isinstance(value, bool):
        raise InvalidArgument(f"{field} must be an ISO date (YYYY-MM-DD)", field=field)
    if isinstance(value, int | float):
        if value != value or value < 0 or value in (float("inf"),):
            raise InvalidArgument(f"{field} must be a finite time >= 0", field=field)
        return float(value)
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
    if isinstance(value, dt.date):
        return _ts(value.year, value.month, value.day, end=True)
    if isinstance(value, str):
        s = value.strip()
        m = _ISO.match(s)
        if m:
            t = _ts(int(m[1]), int(m[2]), int(m[3]), end=True)
            if t:
                return t
        else:
            try:
                d = dt.datetime.fromisoformat(s)
                return (d if d.tzinfo else d.replace(tzinfo=dt.UTC)).timestamp()
            except ValueError:
                pass
    raise InvalidArgument(f"{field} must be an ISO date (YYYY-MM-DD), got {value!r}", field=field)


_QUESTION_YEAR = re.compile(rf"\s*,?\s*\b(?:in|during|back\s+in)\s+(?P<d>(?:{_MONTH}\s+)?{_YEAR})\b", re.I)


def question_time(question: str) -> tuple[str, float | None]:
    """A question without its "in 2019" and the moment it asks about (the middle of that period),
    or the question unchanged and None."""
    m = _QUESTION_YEAR.search(question)
    if not m:
        return question, None
    b = date_bounds(m["d"])
    if b is None:
        return question, None
    rest = (question[: m.start()] + question[m.end() :]).strip()
    return rest, (b[0] + b[1]) / 2
