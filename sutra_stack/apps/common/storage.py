"""Connecting to the storage server from an app or the CLI: one StorageClient built from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sutra_stack.config import Settings

if TYPE_CHECKING:
    from sutra_stack.storage.client import StorageClient


def connect_storage(settings: Settings, address: str | None = None) -> StorageClient:
    """A StorageClient for `address` (default: setting `storage.server`) with the storage token, CA and busy-poll."""
    from sutra_stack.storage import StorageClient

    kwargs: dict[str, Any] = {}
    if settings["storage.token"]:
        kwargs["token"] = settings["storage.token"]
    if settings["storage.tls_ca"]:
        kwargs["tls_ca"] = settings["storage.tls_ca"]
    return StorageClient(address or settings["storage.server"], busy_poll_us=settings["storage.busy_poll_us"], **kwargs)
