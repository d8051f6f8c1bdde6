"""Storage: the engine (graph, vectors, WAL, snapshots), the server (gRPC + msgpack) and StorageClient.

`from sutra_stack.storage import StorageClient` imports the client (and grpc) on first use
only, so importing this package stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sutra_stack.storage.client import AsyncStorageClient, StorageClient

__all__ = ["AsyncStorageClient", "StorageClient"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sutra_stack.storage import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
