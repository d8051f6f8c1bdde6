"""The facade the API, the CLI and the benchmarks use: `Reasoner(store)` with learn, learn_batch, ask.

It holds nothing but the store; all state lives in the store, so any number of Reasoners over
the same store (in-process engine or remote server) agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sutra_stack.reasoning.asker import ask as _ask
from sutra_stack.reasoning.asker import batched_view
from sutra_stack.reasoning.learner import coerce_item, learn_texts
from sutra_stack.reasoning.models import Answer, LearnItem, LearnResult
from sutra_stack.storage.store_protocol import KnowledgeStore


class Reasoner:
    """Learn texts into a `KnowledgeStore` and answer questions with explainable paths."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store
        self._batched = batched_view(store)  # checked once: a runtime Protocol check is not free

    def learn(self, text: str, *, source: str | None = None, metadata: dict[str, Any] | None = None) -> LearnResult:
        """Learn one text: its sentences, the entities they mention, the relations they state.

        Raises InvalidArgument (naming the field and the limit) for empty or oversized input,
        before anything is written.
        """
        return learn_texts(self.store, [LearnItem(text, source, metadata)], single=True)[0]

    def learn_batch(self, items: Sequence[LearnItem | str | Mapping[str, Any]]) -> list[LearnResult]:
        """Learn many texts with one batch write of concepts and one of associations.

        Items are LearnItem, plain strings, or mappings with `content` (and optional `source`,
        `metadata`). Every item is checked before anything is written.
        """
        return learn_texts(self.store, [coerce_item(it, i) for i, it in enumerate(items)])

    def ask(self, question: str, *, max_paths: int = 5, max_depth: int = 4, as_of: float | None = None) -> Answer:
        """Answer a question with the reasoning paths that support it (see `Answer.kind`); with
        `as_of` (unix seconds, see timeline.parse_as_of) as the knowledge stood at that moment."""
        return _ask(self.store, question, max_paths=max_paths, max_depth=max_depth, batched=self._batched,
                    as_of=as_of)
