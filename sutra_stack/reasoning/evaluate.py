"""Scoring the reasoner on an evaluation set: accuracy, and how often paths hold the supporting facts.

The set is JSON: `batches` (lists of facts, learned in order, one learn_batch each) and
`questions` (each with `question`, `expect` — accepted answer fragments —, `kind`, and
`support` — the facts a good path goes through, and optionally `as_of`, an ISO date the
question is asked as of). Used by the test that gates accuracy and by
the benchmark that prints the figures.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sutra_stack.reasoning.models import Answer
from sutra_stack.reasoning.reasoner import Reasoner
from sutra_stack.reasoning.timeline import parse_as_of
from sutra_stack.storage.engine.store import Engine
from sutra_stack.storage.model import content_id


@dataclass(slots=True)
class Outcome:
    question: str
    kind: str
    expect: list[str]
    answer: Answer
    correct: bool
    support_found: bool | None  # None when the question lists no supporting facts


@dataclass(slots=True)
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(o.correct for o in self.outcomes) / max(1, len(self.outcomes))

    def precision_at(self, confidence: float) -> tuple[float, int]:
        """Share of the answers given at `confidence` or more that are right, and how many there were
        ("nothing known" is no answer given)."""
        given = [o for o in self.outcomes if o.answer.kind != "none" and o.answer.confidence >= confidence]
        return sum(o.correct for o in given) / max(1, len(given)), len(given)

    @property
    def support_rate(self) -> float:
        judged = [o for o in self.outcomes if o.support_found is not None and o.correct]
        return sum(bool(o.support_found) for o in judged) / max(1, len(judged))

    def by_kind(self) -> dict[str, tuple[int, int]]:
        total, right = Counter(o.kind for o in self.outcomes), Counter(o.kind for o in self.outcomes if o.correct)
        return {k: (right[k], total[k]) for k in sorted(total)}

    def answer_kinds(self) -> dict[str, int]:
        return dict(sorted(Counter(o.answer.kind for o in self.outcomes).items()))

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.correct]

    def listing(self) -> str:
        """The wrong answers, one a line, for a failing gate's message."""
        return "\n".join(f"  [{o.kind}] {o.question!r} -> {o.answer.answer!r} ({o.answer.kind} "
                         f"{o.answer.confidence:.2f}), expected {o.expect}" for o in self.failures())


def load(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def learn_set(reasoner: Reasoner, data: dict[str, Any]) -> int:
    """Learn every batch in order; returns the number of facts."""
    n = 0
    for batch in data["batches"]:
        reasoner.learn_batch(batch)
        n += len(batch)
    return n


def is_correct(kind: str, expect: list[str], answer: Answer) -> bool:
    text = answer.answer.lower()
    if kind == "none":
        return answer.kind == "none"
    if answer.kind == "none":
        return False
    return any(e.lower() in text for e in expect)


def score(reasoner: Reasoner, data: dict[str, Any]) -> Report:
    report = Report()
    for q in data["questions"]:
        as_of = q.get("as_of")
        ans = reasoner.ask(q["question"], as_of=parse_as_of(as_of) if as_of else None)
        correct = is_correct(q["kind"], q["expect"], ans)
        support = q.get("support") or []
        found: bool | None = None
        if support:
            on_paths = {cid for p in ans.paths for cid in p.concept_ids} | set(ans.supporting_facts)
            found = all(content_id(s) in on_paths for s in support)
        report.outcomes.append(Outcome(q["question"], q["kind"], q["expect"], ans, correct, found))
    return report


def score_file(path: str | Path) -> Report:
    """A set learned into a fresh in-memory store and every question scored (the gates in the tests)."""
    data = load(path)
    engine = Engine.in_memory()
    try:
        reasoner = Reasoner(engine)
        learn_set(reasoner, data)
        return score(reasoner, data)
    finally:
        engine.close()
