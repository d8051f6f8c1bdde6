"""sutra-api over a read-only store (here one configured read-only): ready and saying so, reads
answered, writes refused with 503 and what the operator does, on either storage door."""

from __future__ import annotations

from pathlib import Path

import pytest

from sutra_stack.storage import StorageClient
from tests.support.storage_server import storage_server

from .conftest import STORAGE_ENV, start_api


@pytest.mark.parametrize("door", ["auto", "grpc"])
def test_api_over_a_read_only_store(tmp_path: Path, door: str) -> None:
    data = tmp_path / "data"
    with storage_server(data, env=STORAGE_ENV) as srv, StorageClient(srv.address) as c:
        known = c.learn_concept("Ice is cold.")
    with storage_server(data, env={**STORAGE_ENV, "SUTRA_STORAGE_READ_ONLY": "true"}) as srv:
        address = srv.grpc_address if door == "grpc" else srv.address
        with start_api(address, tmp_path) as api, api.client() as http:
            ready = http.get("/ready")
            assert ready.status_code == 200 and ready.json()["storage"]["read_only"] is True
            assert http.get("/stats").json()["read_only"] is True
            assert http.get(f"/concepts/{known}").status_code == 200
            assert http.post("/ask", json={"question": "What is cold?"}).status_code == 200
            for response in (http.post("/learn", json={"content": "Fire is hot."}),
                             http.post("/learn/batch", json={"items": [{"content": "Snow is white."}]}),
                             http.delete(f"/concepts/{known}")):
                assert response.status_code == 503, response.text
                err = response.json()["error"]
                assert err["field"] == "read_only" and "read-only" in err["message"]
                assert "storage.read_only" in err["message"] and "resume-writes" in err["message"]
            metrics = http.get("/metrics").text
            assert "sutra_api_storage_read_only 1.0" in metrics
            assert http.get(f"/concepts/{known}").status_code == 200  # the refused delete changed nothing
