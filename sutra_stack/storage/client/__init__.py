"""StorageClient (blocking, thread-safe) and AsyncStorageClient: the storage server's one client."""

from sutra_stack.storage.client.aio import AsyncStorageClient
from sutra_stack.storage.client.sync import StorageClient

__all__ = ["AsyncStorageClient", "StorageClient"]
