"""One round trip per record of storage.model through both storage doors (a real server process,
StorageClient on tcp:// and grpc://) and the REST API (a real sutra-api process, httpx): every field
arrives as it was sent (or as the engine set it), and the two doors and the REST body agree field for
field. The records are built and compared through their own fields, so a field added to the model
is checked here without a word changed."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from sutra_stack.apps.api.schemas import SEARCH_RESULT_NAMES, neighbor_out, search_result
from sutra_stack.storage import StorageClient
from sutra_stack.storage.model import (
    AssociationInput,
    Concept,
    ConceptInput,
    GraphPath,
    Hop,
    Neighbor,
    SearchHit,
    StoreStats,
    record_fields,
)
from tests.api.conftest import start_api
from tests.support.storage_server import StorageServerHandle

DIM = 64  # the `server` fixture's SUTRA_EMBEDDING_DIM
DOORS = ("tcp", "grpc")
METADATA = {"source": "round trip ✓", "n": 7, "ratio": 0.125, "big": 2**62, "ok": True, "none": None,
            "nested": {"list": [1, "two", [3.5, {"deep": False}]], "empty": {}}}


def names(record: type) -> list[str]:
    return [f.name for f in record_fields(record)]


def concept_id(n: int) -> str:
    return f"{n:032x}"


def unit(seed: int) -> list[float]:
    v = np.random.default_rng(seed).standard_normal(DIM)
    return (v / np.linalg.norm(v)).astype(np.float32).tolist()


@pytest.fixture(scope="module")
def clients(server: StorageServerHandle) -> Iterator[dict[str, StorageClient]]:
    with StorageClient(server.fast_address) as tcp, StorageClient(server.grpc_address) as grpc_client:
        yield {"tcp": tcp, "grpc": grpc_client}


@pytest.fixture(scope="module")
def rest(server: StorageServerHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with start_api(server.address, Path(tmp_path_factory.mktemp("api"))) as api, api.client() as http:
        yield http


def same_on_both_doors(clients: dict[str, StorageClient], call: str, *args: Any, **kwargs: Any) -> Any:
    """The answer of one read through each door, which must be equal; returns it."""
    tcp, grpc_answer = (getattr(clients[d], call)(*args, **kwargs) for d in DOORS)
    assert tcp == grpc_answer, call
    return tcp


@pytest.mark.parametrize("door", DOORS)
def test_concept_input_and_concept(door: str, clients: dict[str, StorageClient], rest: httpx.Client) -> None:
    base = 100 if door == "tcp" else 200
    sent = [ConceptInput(f"concept round trip {door} {i}", concept_id=concept_id(base + i), embedding=unit(base + i),
                         strength=2.5 + i, confidence=0.25, metadata={**METADATA, "i": i}) for i in range(2)]
    client = clients[door]
    assert client.learn_concept(**sent[0].to_dict()) == sent[0].concept_id  # one concept, by its fields
    assert client.learn_batch([sent[1]]) == [sent[1].concept_id]  # a batch of the records
    got = same_on_both_doors(clients, "query_concepts", [s.concept_id for s in sent])
    assert isinstance(got, list)
    for item, concept in zip(sent, got, strict=True):
        assert isinstance(concept, Concept)
        assert list(concept.to_dict()) == names(Concept)
        assert (concept.id, concept.content, concept.strength, concept.confidence, concept.metadata) == (
            item.concept_id, item.content, item.strength, item.confidence, item.metadata)
        assert concept.created == concept.last_accessed > 0 and concept.access_count == 0
        assert same_on_both_doors(clients, "query_concept", concept.id) == concept
        body = rest.get(f"/concepts/{concept.id}")
        assert body.status_code == 200, body.text
        assert body.json() == concept.to_dict()
        # the embedding arrived whole: it finds its own concept, as similar as can be
        (hit,) = same_on_both_doors(clients, "vector_search", vector=item.embedding, k=1)
        assert hit.concept_id == item.concept_id and math.isclose(hit.score, 1.0, abs_tol=1e-5)


@pytest.mark.parametrize("door", DOORS)
def test_association_input_and_neighbor(door: str, clients: dict[str, StorageClient], rest: httpx.Client) -> None:
    client = clients[door]
    a, b = (client.learn_concept(f"neighbor round trip {door} {x}") for x in "ab")
    sent = AssociationInput(a, b, type="causal", confidence=0.75, weight=0.5, predicate="moved to ✓",
                            valid_from=1_500_000_000.5, valid_to=1_600_000_000.25, superseded_by=concept_id(999))
    assert client.learn_associations([sent]) == 1
    out = same_on_both_doors(clients, "get_neighbors", a)
    into = same_on_both_doors(clients, "get_neighbors", b)
    times = (sent.predicate, sent.valid_from, sent.valid_to, sent.superseded_by, [sent.valid_from])
    assert out == [Neighbor(b, sent.type, sent.confidence, sent.weight, "out", *times)]
    assert into == [Neighbor(a, sent.type, sent.confidence, sent.weight, "in", *times)]
    assert same_on_both_doors(clients, "get_neighbors", a, valid_at=sent.valid_from) == out
    assert same_on_both_doors(clients, "get_neighbors", a, valid_at=sent.valid_to) == []
    assert isinstance(out, list) and list(out[0].to_dict()) == names(Neighbor)
    body = rest.get(f"/concepts/{a}/neighbors")
    assert body.status_code == 200, body.text
    assert body.json() == {"concept_id": a, "neighbors": [neighbor_out(out[0], f"neighbor round trip {door} b")]}
    assert rest.get(f"/concepts/{a}/neighbors", params={"valid_at": sent.valid_from}).json() == body.json()
    assert rest.get(f"/concepts/{a}/neighbors", params={"valid_at": sent.valid_to}).json()["neighbors"] == []


@pytest.mark.parametrize("door", DOORS)
def test_graph_path_and_hop(door: str, clients: dict[str, StorageClient]) -> None:
    client = clients[door]
    a, b, c = (client.learn_concept(f"path round trip {door} {x}") for x in "abc")
    client.learn_associations([AssociationInput(a, b, "causal", 0.75, 1.0, "sold to", 1_000.5, 0.0, "")])
    client.learn_association(b, c, "temporal", 0.5, 1.0, "", 2_000.0, 3_000.0, concept_id(7))  # one, by its fields
    expected = GraphPath([a, b, c], [Hop(a, b, "causal", 0.75, "sold to", 1_000.5, 0.0, ""),
                                     Hop(b, c, "temporal", 0.5, "", 2_000.0, 3_000.0, concept_id(7))], 0.375)
    paths = same_on_both_doors(clients, "find_paths", [a], [c])
    assert paths == [expected]
    assert same_on_both_doors(clients, "find_paths", [a], [c], valid_at=2_500.0) == [expected]
    assert same_on_both_doors(clients, "find_paths", [a], [c], valid_at=1_500.0) == []  # b -> c not yet true
    assert same_on_both_doors(clients, "find_paths_with_concepts", [a], [c], valid_at=3_000.0)[0] == []
    assert isinstance(paths, list) and list(paths[0].to_dict()) == names(GraphPath)
    assert list(paths[0].hops[0].to_dict()) == names(Hop)
    with_concepts = same_on_both_doors(clients, "find_paths_with_concepts", [a], [c])
    on_paths = [x for x in client.query_concepts([a, b, c]) if x is not None]
    assert with_concepts == ([expected], sorted(on_paths, key=lambda x: x.id))


def test_search_hit(clients: dict[str, StorageClient], rest: httpx.Client) -> None:
    text = "zebra quartz lantern harbour"
    cid = clients["tcp"].learn_concept(text)
    vector_hits = same_on_both_doors(clients, "vector_search", text=text, k=3)
    text_hits = same_on_both_doors(clients, "text_search", text, k=3)
    assert isinstance(vector_hits, list) and isinstance(text_hits, list)
    for hits in (vector_hits, text_hits):
        assert isinstance(hits[0], SearchHit) and list(hits[0].to_dict()) == names(SearchHit)
        assert (hits[0].concept_id, hits[0].content) == (cid, text) and hits[0].score > 0
    assert same_on_both_doors(clients, "search_candidates", text, k=3) == (vector_hits, text_hits)
    body = rest.post("/search", json={"query": text, "top_k": 3})
    assert body.status_code == 200, body.text
    assert body.json() == {"results": [search_result(h) for h in vector_hits]}
    assert list(body.json()["results"][0]) == [SEARCH_RESULT_NAMES.get(n, n) for n in names(SearchHit)]


def test_store_stats(clients: dict[str, StorageClient], rest: httpx.Client) -> None:
    by_door = {d: clients[d].stats() for d in DOORS}
    body = rest.get("/stats")
    assert body.status_code == 200, body.text
    maps = [by_door["tcp"].to_dict(), by_door["grpc"].to_dict(), body.json()]
    for m in maps:
        assert list(m) == names(StoreStats)
        m.pop("memory_bytes")  # the server's resident memory, measured at each call
    assert maps[0] == maps[1] == maps[2]
    stats = by_door["grpc"]
    assert stats.concepts > 0 and stats.dimension == DIM and stats.fsync_policy == "off"
    assert stats.last_snapshot is None or stats.last_snapshot > 0  # optional on gRPC too: None stays None


def test_rest_schema_has_every_field(rest: httpx.Client) -> None:
    schema = rest.get("/openapi.json").json()["components"]["schemas"]
    assert list(schema["ConceptOut"]["properties"]) == names(Concept)
    assert list(schema["NeighborOut"]["properties"]) == [*names(Neighbor), "content"]
    assert list(schema["SearchResult"]["properties"]) == [*(SEARCH_RESULT_NAMES.get(n, n) for n in names(SearchHit)),
                                                          "match"]
