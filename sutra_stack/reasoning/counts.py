"""How many children (sons, sisters, grandchildren ...) someone has: a count a sentence states
("Marten Kade has three children"), else the number of those the kinship list names.

A count stated wins over the list (the text may not name them all); none of either is "nothing
known" through the asker's other ways, never a sentence that merely names the person.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sutra_stack.reasoning.models import Answer
from sutra_stack.reasoning.text import split_sentences, strip_end
from sutra_stack.storage.model import SearchHit

COUNT_STATED = 0.7  # a count read from a sentence that states it
COUNT_OF_LIST = 0.85  # a count of the names listed: this share of the list's confidence (it may be incomplete)
_NOUNS = {"children": "children", "kids": "children", "sons": "sons", "daughters": "daughters",
          "brothers": "brothers", "sisters": "sisters", "siblings": "siblings", "grandchildren": "grandchildren"}
_SEXLESS = frozenset({"children", "siblings", "grandchildren"})
_HOW_MANY = re.compile(rf"^how\s+many\s+(?P<n>{'|'.join(_NOUNS)})\s+(?:does|did|do)\s+(?P<x>.+?)\s+have(?:\s+got)?$",
                       re.I)
_NUMBERS = {w: i for i, w in enumerate(("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                                        "ten", "eleven", "twelve"))}
_NUMBER = r"(?P<c>\d{1,2}|" + "|".join(_NUMBERS) + ")"


def _stated(hits: list[SearchHit], name: str, noun: str) -> tuple[str, SearchHit] | None:
    """The count a hit states for `name`: "X has three children", or "She has two daughters" opening the
    sentence after one that opens with X."""
    tail = rf"\s+(?:has|had|have)\s+(?:got\s+)?{_NUMBER}\s+(?:[a-z]+\s+)?{noun}\b"
    rx = re.compile(rf"\b{re.escape(name)}{tail}", re.I)
    pronoun = re.compile(rf"^(?:She|He){tail}", re.I)
    for h in hits:
        m = rx.search(h.content)
        if m:
            return m["c"].lower(), h
        if name in h.content:
            sentences = split_sentences(h.content)
            for before, sentence in zip(sentences, sentences[1:], strict=False):
                if before.startswith(name) and (m := pronoun.match(sentence)):
                    return m["c"].lower(), h
    return None


def count_answer(question: str, hits: list[SearchHit], ask: Callable[[str], Answer]) -> Answer | None:
    """The count asked for, or None (not a question of this kind, or nothing says)."""
    m = _HOW_MANY.match(strip_end(question))
    if m is None:
        return None
    name, noun = m["x"].strip(), _NOUNS[m["n"].lower()]
    stated = _stated(hits, name, noun)
    if stated is not None:
        word, hit = stated
        digits = str(_NUMBERS.get(word, word))
        shown = digits if digits == word else f"{digits} ({word})"
        return Answer(question, shown, COUNT_STATED, "direct", [],
                      f"The text states the count: \u201c{hit.content}\u201d.", hit.concept_id, [hit.concept_id])
    if noun not in _SEXLESS:  # "how many sons": a child whose sex is not told is no count of sons
        return None
    listed = ask(f"Who are {name}'s {noun}?")
    if listed.kind != "path" or listed.confidence < 0.5:
        return None
    names = [n for n in re.split(r",\s*|\s+and\s+", listed.answer) if n]
    return Answer(question, f"{len(names)} ({listed.answer})", round(listed.confidence * COUNT_OF_LIST, 4), "path",
                  listed.paths, f"Counted from the {noun} the learned facts name: {listed.explanation}",
                  listed.answer_concept_id, listed.supporting_facts)
