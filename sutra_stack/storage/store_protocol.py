"""The storage operations, as one typed interface.

The engine implements it in-process; the server exposes it unchanged through both doors; the
StorageClient implements it over the network. Reasoning code is written against this Protocol,
so it runs the same on an in-process engine and on a remote server.

`BatchedStore` is the second interface: the composite reads a remote store answers in one round
trip (the StorageClient has them; the engine, where a call costs no round trip, does not). The
asker checks for it with isinstance instead of probing attribute names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from sutra_stack.storage.model import (
    AssociationInput,
    Concept,
    ConceptInput,
    GraphPath,
    Neighbor,
    SearchHit,
    StoreStats,
)


class KnowledgeStore(Protocol):
    def learn_concept(
        self,
        content: str,
        *,
        concept_id: str | None = None,
        embedding: Sequence[float] | None = None,
        strength: float = 1.0,
        confidence: float = 1.0,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Learn (or reinforce) one concept; returns its id once the write is durable."""
        ...

    def learn_batch(self, items: Sequence[ConceptInput]) -> list[str]:
        """Learn many concepts in one durable write; ids in input order."""
        ...

    def learn_association(
        self, source: str, target: str, type: str = "semantic", confidence: float = 1.0, weight: float = 1.0,
        predicate: str = "", valid_from: float = 0.0, valid_to: float = 0.0, superseded_by: str = "",
    ) -> None:
        """Learn (or merge into) one association; its fields are `AssociationInput`'s."""
        ...

    def learn_associations(self, items: Sequence[AssociationInput]) -> int:
        """Learn many associations in one durable write; returns how many were stored."""
        ...

    def query_concept(self, concept_id: str) -> Concept | None: ...

    def query_concepts(self, concept_ids: Sequence[str]) -> list[Concept | None]: ...

    def delete_concept(self, concept_id: str) -> bool:
        """Delete a concept with its edges and vector; False when it did not exist."""
        ...

    def delete_association(self, source: str, target: str, type: str | None = None) -> bool:
        """Delete the edge source→target (of one type, or of every type); False when none existed."""
        ...

    def get_neighbors(
        self,
        concept_id: str,
        *,
        types: Sequence[str] | None = None,
        min_confidence: float = 0.0,
        direction: str = "both",
        limit: int = 1000,
        valid_at: float | None = None,
    ) -> list[Neighbor]:
        """The concept's associations, best first; with `valid_at` (unix seconds) only those true then:
        valid_from <= valid_at and (valid_to == 0 or valid_to > valid_at)."""
        ...

    def find_paths(
        self,
        starts: Sequence[str],
        targets: Sequence[str],
        *,
        max_depth: int = 4,
        k: int = 3,
        min_confidence: float = 0.0,
        types: Sequence[str] | None = None,
        valid_at: float | None = None,
    ) -> list[GraphPath]:
        """The k most confident simple paths from any start to any target (best-first); with
        `valid_at`, through associations true then only (as `get_neighbors`)."""
        ...

    def vector_search(
        self, *, vector: Sequence[float] | None = None, text: str | None = None, k: int = 10, ef: int | None = None
    ) -> list[SearchHit]: ...

    def text_search(self, query: str, k: int = 10) -> list[SearchHit]: ...

    def stats(self) -> StoreStats: ...

    def flush(self) -> None:
        """Take a snapshot now."""
        ...


@runtime_checkable
class BatchedStore(Protocol):
    """The composite reads of a store that pays a round trip per call (see the module docstring)."""

    def search_candidates(self, text: str, k: int = 10) -> tuple[list[SearchHit], list[SearchHit]]:
        """(vector_search(text=text, k=k), text_search(text, k)) in one call."""
        ...

    def find_paths_with_concepts(
        self,
        starts: Sequence[str],
        targets: Sequence[str],
        *,
        max_depth: int = 4,
        k: int = 3,
        min_confidence: float = 0.0,
        types: Sequence[str] | None = None,
        valid_at: float | None = None,
    ) -> tuple[list[GraphPath], list[Concept]]:
        """find_paths, and the concepts on the paths found (each once, by id), in one call."""
        ...
