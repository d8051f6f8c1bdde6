"""Result shapes of the reasoning library: what learn and ask hand back to the API and the CLI.

Plain dataclasses with `to_dict`, so the REST app and `--json` output move the same shapes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

AnswerKind = Literal["path", "direct", "none"]


@dataclass(slots=True)
class LearnResult:
    """What one learned text produced.

    `concept_id` is the concept of the whole text; `concept_ids` every concept created or
    reinforced (the text, its sentences and clauses, and the entities they mention).
    """

    concept_id: str
    concept_ids: list[str]
    concepts_created: int
    associations_created: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class PathStep:
    """One concept on a reasoning path, with the relation of the hop that reached it.

    The first step of a path has `relation` None; `hop_confidence` is that hop's confidence, and
    `predicate`, `valid_from`, `valid_to` (0: still true) and `superseded_by` (the fact that ended
    it, or "") say what the hop's association states and when it held (None on the first step).
    """

    concept_id: str
    content: str
    relation: str | None = None
    hop_confidence: float | None = None
    predicate: str | None = None
    valid_from: float | None = None
    valid_to: float | None = None
    superseded_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"concept_id": self.concept_id, "content": self.content, "relation": self.relation,
                "hop_confidence": self.hop_confidence, "predicate": self.predicate, "valid_from": self.valid_from,
                "valid_to": self.valid_to, "superseded_by": self.superseded_by}


@dataclass(slots=True)
class ReasoningPath:
    """A chain of concepts from the question to the answer; confidence = product of hops."""

    steps: list[PathStep]
    confidence: float

    @property
    def concept_ids(self) -> list[str]:
        return [s.concept_id for s in self.steps]

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [s.to_dict() for s in self.steps], "confidence": self.confidence}

    def render(self) -> str:
        """One line: `a --causal--> b --causal--> c`."""
        out = repr(self.steps[0].content) if self.steps else ""
        for s in self.steps[1:]:
            out += f" --{s.relation}--> {s.content!r}"
        return out


@dataclass(slots=True)
class Answer:
    """The answer to a question.

    `kind` says where it came from: "path" (reasoning paths in the graph support it),
    "direct" (no path was found; the best directly matching concept, marked as such) or
    "none" (nothing relevant is known; `answer` says so instead of guessing).
    """

    question: str
    answer: str
    confidence: float
    kind: AnswerKind
    paths: list[ReasoningPath] = field(default_factory=list)
    explanation: str = ""
    answer_concept_id: str | None = None
    supporting_facts: list[str] = field(default_factory=list)  # ids of the facts the paths go through

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "confidence": self.confidence,
            "kind": self.kind,
            "paths": [p.to_dict() for p in self.paths],
            "explanation": self.explanation,
            "answer_concept_id": self.answer_concept_id,
            "supporting_facts": list(self.supporting_facts),
        }


@dataclass(slots=True)
class LearnItem:
    """One text to learn in a batch."""

    content: str
    source: str | None = None
    metadata: dict[str, Any] | None = None
