"""POST /search modes through a real sutra-api and storage server: vector (the default, unchanged), text
(BM25 on the words) and both (each concept once, told apart by `match`); a bad mode is refused by name."""

from __future__ import annotations

import httpx

from tests.api.conftest import Api


def test_search_modes_tell_text_and_vector_hits_apart(api: Api) -> None:
    with api.client() as c:
        c.post("/learn", json={"content": "Copper kettles whistle in Marrowgate."})
        c.post("/learn", json={"content": "Brass lanterns hang over the quay."})
        query = {"query": "copper kettles", "top_k": 3}
        plain = c.post("/search", json=query)
        assert plain.status_code == 200 and all("match" not in h for h in plain.json()["results"])
        text = c.post("/search", json={**query, "mode": "text"}).json()["results"]
        assert text and all(h["match"] == "text" and h["similarity"] > 0 for h in text)
        assert all("copper" in h["content"].lower() or "kettle" in h["content"].lower() for h in text)
        both = c.post("/search", json={**query, "mode": "both"}).json()["results"]
        ids = [h["concept_id"] for h in both]
        assert len(ids) == len(set(ids))  # every concept once
        vector_ids = {h["concept_id"] for h in plain.json()["results"]}
        text_ids = {h["concept_id"] for h in text}
        assert set(ids) == vector_ids | text_ids
        for h in both:
            want = "both" if h["concept_id"] in vector_ids & text_ids else (
                "vector" if h["concept_id"] in vector_ids else "text")
            assert h["match"] == want, h


def test_an_unknown_mode_is_refused_by_name(api: Api) -> None:
    with api.client() as c:
        r: httpx.Response = c.post("/search", json={"query": "kettles", "mode": "fuzzy"})
        assert r.status_code == 422 and "mode" in r.text
        assert c.post("/search", json={"query": "kettles"}).status_code == 200
