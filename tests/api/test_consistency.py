"""Two sutra-api processes over one storage server agree: learn through one, read and ask through the other at once."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import Api, start_api
from tests.support.storage_server import StorageServerHandle

N_FACTS = 40


@pytest.fixture(scope="module")
def two_apis(storage: StorageServerHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Api]]:
    tmp: Path = tmp_path_factory.mktemp("two-apis")
    # the second process runs two uvicorn workers on one shared socket
    with (start_api(storage.address, tmp, name="api1") as a,
          start_api(storage.address, tmp, name="api2", workers=2) as b):
        yield a, b


def test_a_write_acknowledged_by_one_api_is_read_by_the_other(two_apis: tuple[Api, Api]) -> None:
    a, b = two_apis
    failures: list[str] = []
    acked: list[tuple[str, str]] = []
    cv = threading.Condition()
    done = False

    def learner() -> None:
        nonlocal done
        with a.client() as http:
            for i in range(N_FACTS):
                fact = f"Gadget {i} causes effect {i}."
                r = http.post("/learn", json={"content": fact})
                if r.status_code != 200:
                    failures.append(f"learn {i}: {r.status_code} {r.text}")
                    continue
                with cv:
                    acked.append((fact, r.json()["concept_id"]))
                    cv.notify()
        with cv:
            done = True
            cv.notify()

    def reader() -> None:
        seen = 0
        with b.client() as http:
            while True:
                with cv:
                    cv.wait_for(lambda n=seen: len(acked) > n or done)
                    batch = acked[seen:]
                    finished = done and len(acked) == seen
                if finished:
                    return
                for fact, cid in batch:
                    r = http.get(f"/concepts/{cid}")  # the very next read, through the other process
                    if r.status_code != 200 or r.json()["content"] != fact:
                        failures.append(f"read {cid}: {r.status_code} {r.text[:200]}")
                    n = fact.split()[1]
                    a = http.post("/ask", json={"question": f"What does gadget {n} cause?"})
                    if a.status_code != 200 or f"effect {n}" not in a.json()["answer"].lower():
                        failures.append(f"ask gadget {n}: {a.status_code} {a.text[:300]}")
                seen += len(batch)

    threads = [threading.Thread(target=learner), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures, failures[:5]
    assert len(acked) == N_FACTS


def test_ask_through_one_api_after_learning_through_the_other(two_apis: tuple[Api, Api]) -> None:
    a, b = two_apis
    with a.client() as learn_http, b.client() as ask_http:
        r = learn_http.post("/learn", json={"content": "Volcanic ash causes crop failure."})
        assert r.status_code == 200
        ans = ask_http.post("/ask", json={"question": "What does volcanic ash cause?"})
        assert ans.status_code == 200
        assert "crop failure" in ans.json()["answer"].lower()
        # both processes give the same answer for the same store
        again = learn_http.post("/ask", json={"question": "What does volcanic ash cause?"})
        assert again.json() == ans.json()
        sa, sb = learn_http.get("/stats").json(), ask_http.get("/stats").json()
        assert (sa["concepts"], sa["associations"]) == (sb["concepts"], sb["associations"])


def _stats_count(text: str) -> float:
    m = re.search(r'^sutra_api_requests_total\{method="GET",route="/stats",status="200"\} (\S+)$', text, re.M)
    return float(m.group(1)) if m else 0.0


def test_metrics_add_up_across_workers(two_apis: tuple[Api, Api]) -> None:
    _, b = two_apis  # two uvicorn workers
    before = _stats_count(httpx.get(f"{b.url}/metrics", timeout=10).text)
    for _ in range(30):
        with b.client() as http:  # a new connection each time: the workers share them out
            assert http.get("/stats").status_code == 200
    text = httpx.get(f"{b.url}/metrics", timeout=10).text
    assert _stats_count(text) - before == 30
    assert "sutra_api_concepts" in text and "sutra_api_storage_call_duration_seconds_bucket" in text
