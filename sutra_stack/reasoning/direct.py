"""Direct matches: how much of what a question asks a stored sentence mentions, and the best one.

Used by the asker when no reasoning path answers: the answer is then the best matching fact,
marked as a lead (explain.direct_answer gives it at most 0.45 confidence).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sutra_stack.reasoning.asked_kind import PERSON, TIME, of_kind
from sutra_stack.reasoning.questions import Frame, topic_words
from sutra_stack.reasoning.text import STOPWORDS, content_words, words
from sutra_stack.storage.model import Concept, SearchHit

# words of asking itself, not of what is asked ("where can I find X", "what is X called")
_ASKING = frozenset({"find", "get", "see", "tell", "know", "say", "called", "named", "happen", "happened"})
MIN_RELEVANCE = 0.5  # share of the question's topic words a direct match must hold
STRONG_RELEVANCE = 0.75  # ... when it does not name the question's subject


def _pairs(text: str) -> set[tuple[str, str]]:
    ws = [w.lower() for w in words(text)]
    return {(a, b) for a, b in zip(ws, ws[1:], strict=False) if a not in STOPWORDS or b not in STOPWORDS}


def relevance_of(frame: Frame, question: str) -> Callable[[str], float]:
    """How much of what the question is about a content mentions (0–1, plus up to 0.02 for tie
    breaks by numbers and adjacent word pairs shared with the question): the share of the
    question's topic words it holds (the asked verb not counted); at least MIN_RELEVANCE when
    it names the question's subject in full, 0 when it does not and holds less than
    STRONG_RELEVANCE of the rest. What depends on the question alone is worked out once."""
    verbs = {w for f in frame.families or () if f.startswith("verb:") for w in content_words(f[5:])}
    # a lead for "who founded X" must at least say "found...": the verb's stem, when it is a word of its own
    stems = [v[: max(3, len(v) - 1)] for f in frame.families or () if f.startswith("verb:")
             for v in f[5:].split()[:1] if len(v) > 2]
    topic = [w for w in topic_words(question) if w not in verbs]
    words_only = [w for w in topic if not w.isdigit()]
    numbers = [w for w in topic if w.isdigit()]
    topic = words_only or topic  # a number alone says little about what is asked; it only breaks ties
    pairs = _pairs(question)
    need = set(content_words(frame.known.key)) if frame.known is not None else None
    # what the question asks beyond whom it names ("old" in "how old is Pepper"): a lead naming them must mention
    # some of it (a yes/no question's lead may say what the thing is instead)
    named = need if need is not None else {w.lower() for w in words(question)[1:] if w[:1].isupper()}
    asked = [w[:4] for w in words_only if w not in named and w not in _ASKING] if frame.other is None and named else []
    if need is None and named:  # no relation recognised: whom the question names is what a lead must name
        need = named

    says = _says_kind(question, frame, named)

    def relevance(content: str) -> float:
        if not topic or (says is not None and not says(content)):
            return 0.0
        if stems and not any(st in content.lower() for st in stems):
            return 0.0
        have = set(content_words(content))
        if asked and named <= have and not any(w in content.lower() for w in asked):
            return 0.0  # names the subject, says nothing of what is asked about it
        share = sum(1 for w in topic if w in have) / len(topic)
        if words_only and numbers:
            share += 0.01 * sum(1 for w in numbers if w in have) / len(numbers)
        if pairs:  # words next to each other as in the question ("batch 14") break ties
            share += 0.01 * len(pairs & _pairs(content)) / len(pairs)
        if need is not None:
            if need and need <= have:
                return max(share, MIN_RELEVANCE)
            if share < STRONG_RELEVANCE:  # the subject asked about is missing: most of the rest must be there
                return 0.0
        return share

    return relevance


_PLACE_PHRASE = re.compile(r"\b(?:in|at|on|near|outside|inside|beside|from|to|into|under|above)\s+"
                           r"(?:the\s+|a\s+|an\s+)?[\w\-]", re.I)


def _says_kind(question: str, frame: Frame, named: set[str]) -> Callable[[str], bool] | None:
    """For "when", "who" and "where" questions (not yes/no): whether a content, its named subject left out,
    holds a time, a person or a place phrase at all ("Kolby Hospital was founded in 1950" is no lead for
    who founded it, "Pepper is a dog owned by Lise Aune" none for where Pepper is)."""
    word = question.split(maxsplit=1)[0].lower() if question.split() else ""
    if frame.other is not None or word not in ("when", "who", "whom", "where"):
        return None
    subject = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in sorted(named, key=len, reverse=True)) + r")\b",
                         re.I) if named else None

    def says(content: str) -> bool:
        rest = subject.sub(" ", content) if subject is not None else content
        if word == "when":
            return of_kind(TIME, rest)
        if word == "where":
            return bool(_PLACE_PHRASE.search(rest))
        return of_kind(PERSON, " ".join(rest.split()[1:]) or "-")  # a sentence's first word is capitalised anyway

    return says


def best_direct(relevant: list[tuple[SearchHit, float]],
                 concepts: dict[str, Concept]) -> tuple[SearchHit, float] | None:
    """The best matching fact: most relevant, then best fused rank, then latest learned, then id."""
    scored: list[tuple[float, float, float, str, SearchHit, float]] = []
    for rank, (h, rel) in enumerate(relevant):
        c = concepts.get(h.concept_id)
        md = (c.metadata or {}) if c else {}
        if c is None or md.get("kind") == "entity":
            continue
        learned = float(md.get("learned_at", c.created))
        scored.append((-round(rel, 4), float(rank), -learned, h.concept_id, h, rel))
    if not scored:
        return None
    best = min(scored, key=lambda t: t[:4])
    return best[4], best[5]
