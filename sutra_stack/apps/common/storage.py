"""Connecting to the storage server from an app or the CLI: its clients built from settings (address,
token, CA, busy-poll)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sutra_stack.config import Settings

if TYPE_CHECKING:
    from sutra_stack.storage.client import AsyncStorageClient, StorageClient


def _credentials(settings: Settings) -> dict[str, Any]:
    """The storage token and CA from settings, as client keyword arguments (left out when unset)."""
    kwargs: dict[str, Any] = {}
    if settings["storage.token"]:
        kwargs["token"] = settings["storage.token"]
    if settings["storage.tls_ca"]:
        kwargs["tls_ca"] = settings["storage.tls_ca"]
    return kwargs


def connect_storage(settings: Settings, address: str | None = None) -> StorageClient:
    """A StorageClient for `address` (default: setting `storage.server`) with the storage token, CA and busy-poll."""
    from sutra_stack.storage import StorageClient

    return StorageClient(address or settings["storage.server"], busy_poll_us=settings["storage.busy_poll_us"],
                         **_credentials(settings))


def connect_storage_async(settings: Settings, address: str | None = None) -> AsyncStorageClient:
    """An AsyncStorageClient for `address` (default: setting `storage.server`) with the storage token and CA:
    for store calls awaited on an app's event loop (one pipelined connection; bench/bench_app_client.py
    measured it at 2.2x the blocking client on the thread pool for single reads, 1.2x for an ask's three
    calls; sutra-api's routes that do not reason await it, see bench/bench_api.py). Code that calls the
    store from a worker thread (the Reasoner) keeps `connect_storage`."""
    from sutra_stack.storage import AsyncStorageClient

    return AsyncStorageClient(address or settings["storage.server"], **_credentials(settings))
