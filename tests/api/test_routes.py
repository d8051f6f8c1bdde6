"""Every sutra-api route against a real storage server and a real uvicorn process, through httpx."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sutra_stack.reasoning import Reasoner
from sutra_stack.storage import StorageClient
from tests.api.conftest import Api, start_api
from tests.support.storage_server import StorageServerHandle

ID = re.compile(r"^[0-9a-f]{32}$")
FACTS = [
    "Smoking causes lung cancer.",
    "Lung cancer causes shortness of breath.",
    "A sparrow is a kind of bird.",
    "A bird is an animal.",
    "The engine contains a piston.",
]


@pytest.fixture(scope="module")
def http(api: Api) -> Iterator[httpx.Client]:
    with api.client() as c:
        yield c


@pytest.fixture(scope="module")
def learned(http: httpx.Client) -> list[dict]:
    out = []
    for fact in FACTS:
        r = http.post("/learn", json={"content": fact, "source": "tests", "metadata": {"n": len(out)}})
        assert r.status_code == 200, r.text
        out.append(r.json())
    return out


def test_learn_returns_the_concepts_it_made(learned: list[dict], http: httpx.Client) -> None:
    for body, fact in zip(learned, FACTS, strict=True):
        assert ID.match(body["concept_id"])
        assert body["concept_id"] in body["concept_ids"]
        assert all(ID.match(c) for c in body["concept_ids"])
        assert body["concepts_created"] >= 1
        c = http.get(f"/concepts/{body['concept_id']}")
        assert c.status_code == 200
        assert c.json()["content"] == fact
    assert learned[0]["associations_created"] >= 1  # "X causes Y" is a causal association


def test_relearning_reinforces_the_same_concept(learned: list[dict], http: httpx.Client) -> None:
    before = http.get(f"/concepts/{learned[0]['concept_id']}").json()
    again = http.post("/learn", json={"content": FACTS[0]}).json()
    assert again["concept_id"] == learned[0]["concept_id"]
    assert again["concepts_created"] == 0
    after = http.get(f"/concepts/{learned[0]['concept_id']}").json()
    assert after["strength"] >= before["strength"]


def test_learn_batch(http: httpx.Client) -> None:
    items = [{"content": "Rain makes roads wet."}, {"content": "Wet roads cause accidents."},
             {"content": "Ice is a kind of water."}]
    r = http.post("/learn/batch", json={"items": items})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["results"]) == 3
    assert body["concepts_created"] == sum(x["concepts_created"] for x in body["results"])
    assert body["associations_created"] == sum(x["associations_created"] for x in body["results"])
    for item, res in zip(items, body["results"], strict=True):
        assert http.get(f"/concepts/{res['concept_id']}").json()["content"] == item["content"]


def test_a_large_batch_within_the_limits(http: httpx.Client) -> None:
    items = [{"content": f"Widget {i} is a kind of gizmo {i % 7}."} for i in range(1000)]
    r = http.post("/learn/batch", json={"items": items}, timeout=120)
    assert r.status_code == 200, r.text[:500]
    body = r.json()
    assert len(body["results"]) == 1000 and body["concepts_created"] >= 1000


def test_ask_gives_the_same_answer_as_the_library(learned: list[dict], http: httpx.Client,
                                                  storage: StorageServerHandle) -> None:
    question = "What does smoking cause?"
    r = http.post("/ask", json={"question": question, "max_paths": 3, "max_depth": 4})
    assert r.status_code == 200, r.text
    body = r.json()
    assert 0.0 <= body["confidence"] <= 1.0
    assert body["kind"] in ("path", "direct", "none")
    assert body["answer"] and body["explanation"]
    assert len(body["paths"]) <= 3
    for p in body["paths"]:
        assert len(p["steps"]) - 1 <= 4
        assert p["steps"][0]["relation"] is None
        assert all(ID.match(s["concept_id"]) for s in p["steps"])
    client = StorageClient(storage.address)
    try:
        direct = Reasoner(client).ask(question, max_paths=3, max_depth=4).to_dict()
    finally:
        getattr(client, "close", lambda: None)()
    assert body == direct
    assert "cancer" in body["answer"].lower()


def test_search_finds_a_learned_concept(learned: list[dict], http: httpx.Client) -> None:
    r = http.post("/search", json={"query": "A sparrow is a kind of bird.", "top_k": 3})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert 1 <= len(results) <= 3
    assert results[0]["concept_id"] == learned[2]["concept_id"]
    sims = [x["similarity"] for x in results]
    assert sims == sorted(sims, reverse=True)


def test_neighbors(learned: list[dict], http: httpx.Client) -> None:
    cid = learned[0]["concept_id"]
    r = http.get(f"/concepts/{cid}/neighbors")
    assert r.status_code == 200, r.text
    ns = r.json()["neighbors"]
    assert ns and all(n["content"] for n in ns)
    types = {n["type"] for n in ns}
    only = types.pop()
    r2 = http.get(f"/concepts/{cid}/neighbors", params={"type": only, "limit": 1000})
    assert r2.status_code == 200 and all(n["type"] == only for n in r2.json()["neighbors"])
    r3 = http.get(f"/concepts/{cid}/neighbors", params={"limit": 1})
    assert len(r3.json()["neighbors"]) == 1
    assert http.get(f"/concepts/{'f' * 32}/neighbors").status_code == 404


def test_get_unknown_concept_is_404(http: httpx.Client) -> None:
    r = http.get(f"/concepts/{'e' * 32}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"


def test_delete(http: httpx.Client) -> None:
    cid = http.post("/learn", json={"content": "Temporary facts are short lived."}).json()["concept_id"]
    r = http.delete(f"/concepts/{cid}")
    assert r.status_code == 200 and r.json() == {"concept_id": cid, "deleted": True}
    assert http.get(f"/concepts/{cid}").status_code == 404
    assert http.delete(f"/concepts/{cid}").status_code == 404


def test_stats_health_ready_metrics(learned: list[dict], http: httpx.Client) -> None:
    st = http.get("/stats")
    assert st.status_code == 200
    concepts, edges = st.json()["concepts"], st.json()["associations"]
    assert concepts >= len(FACTS) and edges >= 1
    h = http.get("/health").json()
    assert h["storage"]["status"] == "up" and h["storage"]["concepts"] == concepts
    assert http.get("/ready").status_code == 200
    text = http.get("/metrics").text
    assert f"sutra_api_concepts {float(concepts)}" in text
    assert f"sutra_api_associations {float(edges)}" in text
    assert re.search(r'sutra_api_storage_call_duration_seconds_count\{operation="\w+",outcome="ok"\} [1-9]', text)
    assert 'sutra_api_requests_total{method="POST",route="/learn",status="200"}' in text
    assert "sutra_api_storage_up 1.0" in text


def test_bad_input_changes_nothing(learned: list[dict], http: httpx.Client) -> None:
    before = http.get("/stats").json()
    bad = [
        ("/learn", {"content": ""}),
        ("/learn", {"content": "ok", "metadata": "not an object"}),
        ("/learn/batch", {"items": [{"content": "A fine fact."}, {"content": " "}]}),
        ("/learn/batch", {"items": [{"content": "A fine fact."}, {"content": "x" * (300 * 1024)}]}),
    ]
    for path, body in bad:
        assert http.post(path, json=body).status_code == 422
    after = http.get("/stats").json()
    assert (after["concepts"], after["associations"]) == (before["concepts"], before["associations"])


def test_token_lets_the_right_caller_write(storage: StorageServerHandle, tmp_path: Path) -> None:
    with (start_api(storage.address, tmp_path, token="tok-123", name="api-tok") as api,
          api.client("tok-123") as good, api.client() as anon):
        r = good.post("/learn", json={"content": "Tokens guard writes."})
        assert r.status_code == 200
        assert anon.post("/learn", json={"content": "Anonymous writes fail."}).status_code == 401
        assert anon.get(f"/concepts/{r.json()['concept_id']}").status_code == 200


def storage_calls(http: httpx.Client) -> dict[str, float]:
    """Storage calls made so far by operation, from /metrics (successful and failed)."""
    counts: dict[str, float] = {}
    pattern = r'sutra_api_storage_call_duration_seconds_count\{operation="(\w+)",outcome="\w+"\} ([0-9.e+]+)'
    for op, n in re.findall(pattern, http.get("/metrics").text):
        counts[op] = counts.get(op, 0.0) + float(n)
    return counts


def test_an_ask_reaches_storage_in_two_batched_calls(learned: list[dict], http: httpx.Client) -> None:
    before = storage_calls(http)
    r = http.post("/ask", json={"question": "What does smoking cause?"})
    assert r.status_code == 200 and r.json()["paths"], r.text
    after = storage_calls(http)
    made = {op: n - before.get(op, 0.0) for op, n in after.items() if n != before.get(op, 0.0)}
    made.pop("stats", None)  # /metrics itself reads the store's stats
    # the metered store is still a BatchedStore: both searches in one call, the paths with their concepts in another
    assert made == {"search_candidates": 1.0, "find_paths_with_concepts": 1.0}


def test_each_storage_route_makes_the_calls_it_needs_and_meters_them(learned: list[dict], http: httpx.Client) -> None:
    cid = learned[0]["concept_id"]
    doomed = http.post("/learn", json={"content": "Metered deletes leave no trace."}).json()["concept_id"]
    requests = [
        (lambda: http.get(f"/concepts/{cid}"), {"query_concept": 1.0}),
        (lambda: http.post("/search", json={"query": "sparrow", "top_k": 2}), {"vector_search": 1.0}),
        (lambda: http.get(f"/concepts/{cid}/neighbors"), {"get_neighbors": 1.0, "query_concepts": 1.0}),
        (lambda: http.delete(f"/concepts/{doomed}"), {"delete_concept": 1.0}),
        (lambda: http.get("/stats"), {"stats": 1.0}),
    ]
    for send, expected in requests:
        before = storage_calls(http)
        r = send()
        assert r.status_code == 200, r.text
        after = storage_calls(http)
        made = {op: n - before.get(op, 0.0) for op, n in after.items() if n != before.get(op, 0.0)}
        made["stats"] = made.get("stats", 0.0) - 1.0  # the /metrics read between the two looks
        assert {op: n for op, n in made.items() if n} == expected, r.request.url
