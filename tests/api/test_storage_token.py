"""sutra-api against a storage server that demands a token: the right one works, a wrong one is a clear 503."""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import STORAGE_ENV, start_api
from tests.support.storage_server import storage_server


def test_storage_token(tmp_path: Path) -> None:
    with storage_server(tmp_path / "data", token="store-secret", env=STORAGE_ENV) as st:
        with start_api(st.address, tmp_path, storage_token="store-secret", name="good") as good, good.client() as http:
            assert http.get("/ready").status_code == 200
            assert http.post("/learn", json={"content": "Keys open locks."}).status_code == 200
        with start_api(st.address, tmp_path, storage_token="wrong", name="bad") as bad, bad.client() as http:
            r = http.post("/ask", json={"question": "What opens locks?"})
            assert r.status_code == 503, r.text
            assert "SUTRA_STORAGE_TOKEN" in r.json()["error"]["message"]
            assert http.get("/ready").status_code == 503
            assert http.get("/health").json()["storage"]["status"] == "down"
        for log in tmp_path.glob("*.log"):
            assert "store-secret" not in log.read_text(errors="replace")
