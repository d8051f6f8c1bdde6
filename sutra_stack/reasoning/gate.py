"""Gated patterns: a cheap necessary condition checked before a clause's regular expression runs.

A clause is read by some fifty whole-clause patterns (the fixed rules in extract.py, the shapes in
clause_shapes.py); most start with a lazy `(?P<x>.+?)` that tries every split of the clause, and
most clauses fit none of them. Each pattern here carries the words it cannot match without: one
word of each of its `needs` sets (a verb of its own, a preposition, "of", "by", a year) must be
among the clause's words, its lowercase letter runs and "1000" for a run of four digits, looked up
once per text (`mask_of`: a bit for each group one of its words is in). A pattern whose words are
missing is skipped; one whose words are present runs as before, so a gate only ever skips a
pattern that would not have matched and the relations read are the same. The date phrases and
the markers of a clause that asserts nothing (timeline.py) are gated the same way.

A needed word must stand in the pattern as a whole word: after `\\s`, `\\b`, `^` or a character that
is no letter, and before one of those (then it is a whole letter run of any text the pattern
matches); a year, a run of exactly four digits (no digit before or after it in any date phrase).
Text that is not ASCII passes every gate (`re.IGNORECASE` folds a few other letters
onto ASCII ones, as the long s onto "s"), and `ungated()` turns the gates off, for the test that
compares both readings over the evaluation sets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sutra_stack.limits import CLAUSE_WORDS_CACHE

_LETTER_RUNS = re.compile(r"[a-z]+")
_FOUR_DIGITS = re.compile(r"(?<![0-9])[0-9]{4}(?![0-9])")
FOUR_DIGITS = "1000"  # the word a run of exactly four digits (a year) counts as
_enabled = True
GATED: list[Gated] = []  # every gated pattern, for the test that each gate holds
_WORD_BITS: dict[str, int] = {}  # a needed word → the bits of the groups it is in
EVERY = -1  # the mask every gate passes (all bits set)


@lru_cache(maxsize=CLAUSE_WORDS_CACHE)
def _mask(text: str) -> int:
    m = _WORD_BITS.get(FOUR_DIGITS, 0) if _FOUR_DIGITS.search(text) else 0
    for w in _LETTER_RUNS.findall(text.lower()):
        m |= _WORD_BITS.get(w, 0)
    return m


def mask_of(text: str) -> int:
    """The gates a text's words open, as bits (one per group of needed words): the groups that
    hold one of its lowercase letter runs. EVERY for text that is not ASCII, or while the gates
    are off."""
    if not _enabled or not text.isascii():
        return EVERY
    return _mask(text)


@contextmanager
def ungated() -> Iterator[None]:
    """Every pattern runs on every text while this is open (the reading the gates must equal)."""
    global _enabled
    was, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = was


class Gated:
    """A compiled pattern and the words it needs; `match`, `search`, `sub` and `finditer` skip the
    pattern when a text's mask (`mask_of`) lacks one of its groups."""

    __slots__ = ("bits", "needs", "pattern")

    def __init__(self, pattern: re.Pattern[str], *groups: str) -> None:
        self.pattern = pattern
        self.needs = tuple(frozenset(g.split()) for g in groups)
        self.bits = 0
        n = sum(len(g.needs) for g in GATED)
        for i, words in enumerate(self.needs):
            bit = 1 << (n + i)
            self.bits |= bit
            for w in words:
                _WORD_BITS[w] = _WORD_BITS.get(w, 0) | bit
        GATED.append(self)
        _mask.cache_clear()  # masks computed before this pattern lack its bits

    def fits(self, mask: int) -> bool:
        """Whether the pattern may match a text of this mask."""
        return mask & self.bits == self.bits

    def match(self, text: str, mask: int) -> re.Match[str] | None:
        return self.pattern.match(text) if mask & self.bits == self.bits else None

    def search(self, text: str, mask: int) -> re.Match[str] | None:
        return self.pattern.search(text) if mask & self.bits == self.bits else None

    def sub(self, repl: str, text: str, mask: int) -> str:
        return self.pattern.sub(repl, text) if mask & self.bits == self.bits else text

    def finditer(self, text: str, mask: int) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(text) if mask & self.bits == self.bits else iter(())


def gated(pattern: str, flags: int | re.RegexFlag, *groups: str) -> Gated:
    """`re.compile(pattern, flags)` needing one word of each space-separated group."""
    return Gated(re.compile(pattern, flags), *groups)
