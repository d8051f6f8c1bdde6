"""Storage stopped mid-run: sutra-api answers 503 (never 500), /ready fails, then recovers by itself."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from tests.api.conftest import STORAGE_ENV, start_api
from tests.support.procs import wait_until
from tests.support.storage_server import storage_server


def test_api_rides_out_a_storage_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with contextlib.ExitStack() as outer:
        storage = contextlib.ExitStack()
        outer.callback(storage.close)
        st = storage.enter_context(storage_server(data, env=STORAGE_ENV))
        api = outer.enter_context(start_api(st.address, tmp_path))
        http = outer.enter_context(api.client(timeout=10))

        r = http.post("/learn", json={"content": "Storms cause floods."})
        assert r.status_code == 200
        cid = r.json()["concept_id"]
        assert http.get("/ready").status_code == 200

        storage.close()  # SIGTERM: the server snapshots and exits; the API keeps running

        statuses: set[int] = set()
        deadline = time.monotonic() + 20
        while True:
            resp = [
                http.post("/ask", json={"question": "What do storms cause?"}),
                http.get(f"/concepts/{cid}"),
                http.post("/learn", json={"content": "Droughts cause fires."}),
                http.get("/stats"),
            ]
            statuses |= {x.status_code for x in resp}
            if all(x.status_code == 503 for x in resp) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert statuses <= {200, 503}, statuses  # never a 500
        for x in resp:
            assert x.status_code == 503
            err = x.json()["error"]
            assert err["code"] == "UNAVAILABLE" and "storage" in err["message"]
            assert "Traceback" not in x.text
        assert http.get("/ready").status_code == 503
        health = http.get("/health")
        assert health.status_code == 200 and health.json()["storage"]["status"] == "down"

        storage = contextlib.ExitStack()
        outer.callback(storage.close)
        # the same ports and the same data directory
        storage.enter_context(storage_server(data, port=st.port, fast_port=st.fast_port, env=STORAGE_ENV))

        wait_until(lambda: http.get("/ready").status_code == 200, timeout=30, what="sutra-api ready again")
        got = http.get(f"/concepts/{cid}")
        assert got.status_code == 200 and got.json()["content"] == "Storms cause floods."
        assert http.post("/learn", json={"content": "Droughts cause fires."}).status_code == 200
        ans = http.post("/ask", json={"question": "What do storms cause?"})
        assert ans.status_code == 200 and "flood" in ans.json()["answer"].lower()
