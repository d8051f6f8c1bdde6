"""From a conversation to the reasoner's answer and the reply's text.

The last user message is the question. A follow-up that points back ("and what does that cause?")
is resolved against the previous answer: its first referring word (that, it, this, those, they,
them) becomes the previous assistant reply's answer, so the reasoner asks "what does lung cancer
cause?". System and developer messages are context for people, not facts: nothing in a chat is
learned. `reply_text` turns an Answer into the message content, with "Because: …" when asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sutra_stack.reasoning import Answer

REFERRING = re.compile(r"\b(that|it|this|those|they|them)\b", re.IGNORECASE)
_LEADING_AND = re.compile(r"^\s*(and|so|then)\s+", re.IGNORECASE)
BECAUSE = "Because: "
NOTHING_KNOWN = "Nothing relevant is known"


@dataclass(frozen=True)
class Question:
    text: str  # what the reasoner is asked
    asked: str  # the last user message as sent
    resolved_from: str | None  # the previous answer a referring word was replaced with, if any


def previous_answer(content: str) -> str | None:
    """The answer part of an earlier assistant reply (before any "Because:" paragraph), or None."""
    first = content.split("\n\n" + BECAUSE, 1)[0].strip()
    if not first or first.startswith(NOTHING_KNOWN):
        return None
    return first.rstrip(".").strip() or None


def question_of(turns: list[tuple[str, str]]) -> Question:
    last = max(i for i, (role, _) in enumerate(turns) if role == "user")
    asked = turns[last][1]
    earlier = next((text for role, text in reversed(turns[:last]) if role == "assistant"), None)
    antecedent = previous_answer(earlier) if earlier else None
    if antecedent and REFERRING.search(asked):
        text = REFERRING.sub(antecedent, _LEADING_AND.sub("", asked), count=1)
        return Question(text[:1].upper() + text[1:], asked, antecedent)
    return Question(asked, asked, None)


def reply_text(answer: Answer, explain: bool) -> str:
    text = answer.answer
    if explain:
        because = answer.explanation
        if answer.paths:
            because += " Paths: " + "; ".join(p.render() for p in answer.paths) + "."
        text += "\n\n" + BECAUSE + because
    return text


def cut(text: str, stops: list[str] | None) -> tuple[str, bool]:
    """`text` up to the first stop sequence, and whether one was found."""
    at = min((i for s in stops or () if (i := text.find(s)) >= 0), default=-1)
    return (text[:at], True) if at >= 0 else (text, False)


def reasoning(answer: Answer, question: Question) -> dict[str, Any]:
    """The `sutra` field of a reply: what was asked, and the reasoning behind the answer."""
    d = answer.to_dict()
    return {
        "question": question.text,
        "resolved_from": question.resolved_from,
        "kind": d["kind"],
        "confidence": d["confidence"],
        "paths": d["paths"],
        "explanation": d["explanation"],
        "answer_concept_id": d["answer_concept_id"],
        "supporting_facts": d["supporting_facts"],
    }
