"""The storage engine: an in-memory knowledge graph + HNSW index, made durable by a WAL and snapshots.

`Engine` implements `KnowledgeStore`; `Engine.in_memory()` keeps nothing, `Engine.open(path)`
recovers an on-disk store.
"""

import os
import sys

if "grpc" not in sys.modules:
    # Snapshots fork a child that writes from a copy-on-write view of memory; gRPC's fork support
    # (read when grpc is first imported) crashes such children. Nothing in this stack forks and
    # then uses gRPC in the child, so turn it off unless the operator chose otherwise.
    os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

from sutra_stack.storage.engine.store import Engine

__all__ = ["Engine"]
