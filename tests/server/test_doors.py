"""Both doors serve from one event loop: reads from either door are answered while slow writes
from either door run in the shared pool, and both see the same store."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from sutra_stack.storage import StorageClient
from sutra_stack.storage.model import ConceptInput
from tests.support.storage_server import StorageServerHandle, storage_server

# Real fsyncs and 384 dimensions: a batch of 10,000 takes a second or more (HNSW inserts).
SLOW_ENV = {"SUTRA_STORAGE_FSYNC": "always", "SUTRA_EMBEDDING_DIM": "384"}
BATCH = 10_000


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StorageServerHandle]:
    with storage_server(tmp_path_factory.mktemp("doors") / "data", env=SLOW_ENV) as srv:
        yield srv


@pytest.mark.parametrize("write_door", ["grpc", "tcp"])
def test_reads_are_answered_while_a_slow_write_runs(slow_server: StorageServerHandle, write_door: str) -> None:
    srv = slow_server
    with StorageClient(srv.fast_address) as fast, StorageClient(srv.grpc_address) as grpc_client:
        known = fast.learn_concept(f"known before the bulk write ({write_door})")
        writer_client = grpc_client if write_door == "grpc" else fast
        written: list[str] = []
        errors: list[BaseException] = []

        def write() -> None:
            try:
                items = [ConceptInput(f"bulk {write_door} {i} valve reactor harbor") for i in range(BATCH)]
                written.extend(writer_client.learn_batch(items))
            except BaseException as e:  # noqa: BLE001 - reported by the test
                errors.append(e)

        writer = threading.Thread(target=write)
        writer.start()
        try:
            time.sleep(0.2)  # the batch is on its way, or being written
            for _ in range(20):
                assert fast.query_concept(known) is not None
                assert grpc_client.query_concept(known) is not None
            assert not written and writer.is_alive(), "the reads waited for the write to finish"
        finally:
            writer.join(120)
        assert not errors, errors
        assert len(written) == BATCH
        # Both doors see every write, whichever door made it.
        for client in (fast, grpc_client):
            got = client.query_concepts([written[0], written[BATCH // 2], written[-1]])
            assert all(c is not None for c in got)
