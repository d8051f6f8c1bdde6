"""A story told one fact per item of a /learn/batch call: the batch kept as one story text.

When every item of a batch is one sentence and most read as story facts (`story_parse`), the
learner also stores the items joined in order as a text concept, with a compositional edge to each
item's fact, as it does for a story learned as one text. Asking finds a story through its facts'
texts (`story_ask`), so both ways of telling a story are asked the same way; pronouns across the
items ("Then she went to the garden.") are read in the joined story.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sutra_stack.limits import MAX_CONTENT_BYTES
from sutra_stack.reasoning.story_parse import read_story
from sutra_stack.reasoning.text import normalize, split_sentences
from sutra_stack.storage.model import AssociationInput, ConceptInput, content_id

MIN_STORY_SHARE = 0.6  # share of a batch's items that must read as story facts for it to be one story
FIRST_LOOK = 8  # items read before the rest are split: a batch whose first items are no story is none
MAX_STORY_ITEMS = 500  # longer batches are collections of facts, not one story


def _stories_so_far(sentences: list[str]) -> bool:
    _, told = read_story(sentences, max_misses=int((1 - MIN_STORY_SHARE) * len(sentences)))
    return told >= 2 and told >= MIN_STORY_SHARE * len(sentences)


def batch_story(texts: Sequence[str], fact_ids: Sequence[list[str]], learned_at: float,
                confidence: float) -> tuple[ConceptInput, list[AssociationInput]] | None:
    """The story text of a batch (its concept and the edges to each item's facts), or None when the
    batch is not one story told a fact per item."""
    if not 2 <= len(texts) <= MAX_STORY_ITEMS:
        return None
    sentences: list[str] = []
    for t in texts:
        parts = split_sentences(t)
        if len(parts) != 1:
            return None
        sentences.append(parts[0])
        if len(sentences) == FIRST_LOOK and not _stories_so_far(sentences):
            return None  # most batches are collections of facts: their first items tell
    if not _stories_so_far(sentences):
        return None
    content = normalize(" ".join(sentences))
    if len(content.encode("utf-8")) > MAX_CONTENT_BYTES:
        return None
    story_id = content_id(content)
    meta: dict[str, Any] = {"kind": "text", "learned_at": learned_at, "order": 0, "story": "batch"}
    edges = [AssociationInput(story_id, fid, "compositional", confidence)
             for ids in fact_ids for fid in ids if fid != story_id]
    return ConceptInput(content=content, concept_id=story_id, metadata=meta), edges
