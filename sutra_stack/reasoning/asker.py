"""Asking: candidates, one path search, voting, and the explanation of an answer (first cut)."""

from __future__ import annotations

from sutra_stack.reasoning.models import Answer
from sutra_stack.storage.api import KnowledgeStore


def ask(store: KnowledgeStore, question: str, *, max_paths: int = 5, max_depth: int = 4) -> Answer:
    hits = store.text_search(question, k=1)
    if not hits:
        return Answer(question, "Nothing relevant is known.", 0.0, "none", explanation="No concept matches.")
    h = hits[0]
    return Answer(question, h.content, 0.3, "direct", answer_concept_id=h.concept_id,
                  explanation="No reasoning path was searched; this is the best direct match.")
