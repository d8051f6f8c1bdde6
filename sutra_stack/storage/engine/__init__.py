"""The storage engine: an in-memory knowledge graph + HNSW index, made durable by a WAL and snapshots.

`Engine` implements `KnowledgeStore`; `Engine.in_memory()` keeps nothing, `Engine.open(path)`
recovers an on-disk store.
"""

from sutra_stack.storage.engine.store import Engine

__all__ = ["Engine"]
