"""How the apps reach storage: both clients built from settings carry the storage token (and the
address) the settings give, so a server with a token answers them and refuses a client without it."""

from __future__ import annotations

import asyncio

import pytest

from sutra_stack.apps.common.storage import connect_storage, connect_storage_async
from sutra_stack.config import settings_from_env
from sutra_stack.errors import Unauthenticated
from tests.support.storage_server import StorageServerHandle

from .conftest import TOKEN


def test_both_clients_from_settings_carry_the_token(token_server: StorageServerHandle) -> None:
    settings = settings_from_env({"SUTRA_STORAGE_SERVER": token_server.address, "SUTRA_STORAGE_TOKEN": TOKEN})
    with connect_storage(settings) as c:
        cid = c.learn_concept("Rain makes roads wet.")

    async def read() -> str | None:
        async with connect_storage_async(settings) as c:
            concept = await c.query_concept(cid)
            return concept.content if concept else None

    assert asyncio.run(read()) == "Rain makes roads wet."


def test_without_the_token_the_async_client_is_refused(token_server: StorageServerHandle) -> None:
    settings = settings_from_env({"SUTRA_STORAGE_SERVER": token_server.address, "SUTRA_STORAGE_TOKEN": ""})

    async def stats() -> object:
        async with connect_storage_async(settings) as c:
            return await c.stats()

    with pytest.raises(Unauthenticated):
        asyncio.run(stats())
