"""Every engine operation on an in-memory store: learning, reinforcing, graph, paths, search, stats."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from sutra_stack.storage.engine import Engine
from sutra_stack.storage.engine.embedders import HashEmbedder
from sutra_stack.storage.engine.snapshot import FORMAT_VERSION
from sutra_stack.storage.model import ASSOCIATION_TYPES, AssociationInput, ConceptInput, content_id


@pytest.fixture()
def eng() -> Engine:
    return Engine.in_memory()


def test_learn_gives_content_id_and_query_returns_everything(eng: Engine) -> None:
    cid = eng.learn_concept("Water boils at 100 degrees", strength=2.0, confidence=0.8, metadata={"source": "book"})
    assert cid == content_id("Water boils at 100 degrees")
    c = eng.query_concept(cid)
    assert c is not None
    assert (c.id, c.content, c.strength, c.confidence, c.metadata) == (
        cid, "Water boils at 100 degrees", 2.0, 0.8, {"source": "book"})
    assert c.access_count == 0 and c.created == c.last_accessed > 0


def test_relearning_reinforces(eng: Engine) -> None:
    cid = eng.learn_concept("the sky is blue", confidence=0.5)
    before = eng.query_concept(cid)
    assert eng.learn_concept("the sky is blue", confidence=0.9, metadata={"seen": 2}) == cid
    after = eng.query_concept(cid)
    assert after.strength > before.strength
    assert after.access_count == before.access_count + 1
    assert after.last_accessed >= before.last_accessed
    assert after.confidence == 0.9 and after.metadata == {"seen": 2}
    assert eng.stats().concepts == 1


def test_caller_supplied_id(eng: Engine) -> None:
    cid = "0123456789abcdef0123456789abcdef"
    assert eng.learn_concept("custom", concept_id=cid) == cid
    assert eng.query_concept(cid).content == "custom"


def test_learn_batch_in_order_and_duplicates_in_batch(eng: Engine) -> None:
    items = [ConceptInput(content=f"fact number {i}") for i in range(50)] + [ConceptInput(content="fact number 3")]
    ids = eng.learn_batch(items)
    assert ids == [content_id(i.content) for i in items]
    assert eng.stats().concepts == 50
    assert eng.query_concept(ids[3]).access_count == 1
    assert eng.learn_batch([]) == []


def test_query_concepts_keeps_order_and_unknown_is_none(eng: Engine) -> None:
    a, b = eng.learn_concept("a thing"), eng.learn_concept("b thing")
    unknown = "f" * 32
    got = eng.query_concepts([b, unknown, a])
    assert [c.id if c else None for c in got] == [b, None, a]
    assert eng.query_concept(unknown) is None


def _chain(eng: Engine) -> list[str]:
    ids = eng.learn_batch([ConceptInput(content=f"node {n}") for n in "abcde"])
    eng.learn_associations([
        AssociationInput(ids[0], ids[1], "causal", 0.9),
        AssociationInput(ids[1], ids[2], "temporal", 0.9),
        AssociationInput(ids[0], ids[2], "semantic", 0.5),
        AssociationInput(ids[2], ids[3], "hierarchical", 0.8),
        AssociationInput(ids[3], ids[4], "compositional", 1.0),
    ])
    return ids


def test_every_association_type_round_trips(eng: Engine) -> None:
    ids = _chain(eng)
    types = {n.type for i in ids for n in eng.get_neighbors(i, direction="out")}
    assert types == set(ASSOCIATION_TYPES)


def test_neighbors_filters(eng: Engine) -> None:
    a, b, c, *_ = _chain(eng)
    out = eng.get_neighbors(a, direction="out")
    assert [(n.concept_id, n.type, n.confidence, n.direction) for n in out] == [
        (b, "causal", 0.9, "out"), (c, "semantic", 0.5, "out")]
    assert [n.concept_id for n in eng.get_neighbors(c, direction="in")] == [b, a]
    assert [n.concept_id for n in eng.get_neighbors(a, min_confidence=0.6)] == [b]
    assert [n.concept_id for n in eng.get_neighbors(a, types=["semantic"])] == [c]
    assert len(eng.get_neighbors(c)) == 3  # two in, one out
    assert len(eng.get_neighbors(c, limit=1)) == 1


def test_relearning_an_association_updates_it(eng: Engine) -> None:
    a, b = eng.learn_concept("x one"), eng.learn_concept("x two")
    eng.learn_association(a, b, "causal", 0.3)
    eng.learn_association(a, b, "causal", 0.7, weight=2.0)
    eng.learn_association(a, b, "semantic", 0.4)
    out = eng.get_neighbors(a, direction="out")
    assert sorted((n.type, n.confidence, n.weight) for n in out) == [("causal", 0.7, 2.0), ("semantic", 0.4, 1.0)]
    assert eng.stats().associations == 2


def test_find_paths_best_first(eng: Engine) -> None:
    a, b, c, d, e = _chain(eng)
    paths = eng.find_paths([a], [e], k=3)
    assert [p.concepts for p in paths] == [[a, b, c, d, e], [a, c, d, e]]
    best = paths[0]
    assert best.confidence == pytest.approx(0.9 * 0.9 * 0.8 * 1.0)
    assert [(h.type, h.confidence) for h in best.hops] == [
        ("causal", 0.9), ("temporal", 0.9), ("hierarchical", 0.8), ("compositional", 1.0)]
    # the most confident path is longer than the shortest one: not BFS
    assert len(best.concepts) > len(paths[1].concepts)
    assert [p.concepts for p in eng.find_paths([a], [e], k=1)] == [[a, b, c, d, e]]
    assert eng.find_paths([a], [e], max_depth=2) == []
    assert [p.concepts for p in eng.find_paths([a], [e], max_depth=3)] == [[a, c, d, e]]
    assert [p.concepts for p in eng.find_paths([a], [e], min_confidence=0.6)] == [[a, b, c, d, e]]
    assert eng.find_paths([a], [e], types=["causal", "temporal"]) == []
    assert eng.find_paths([e], [a]) == []  # paths follow the direction of associations


def test_find_paths_many_starts_and_targets(eng: Engine) -> None:
    a, b, c, d, e = _chain(eng)
    paths = eng.find_paths([a, b], [c, e], k=10)
    assert [p.concepts for p in paths][:2] == [[b, c], [a, b, c]]
    assert all(p.concepts[0] in (a, b) and p.concepts[-1] in (c, e) for p in paths)
    confs = [p.confidence for p in paths]
    assert confs == sorted(confs, reverse=True)


def test_find_paths_simple_paths_only_in_a_cycle(eng: Engine) -> None:
    x, y, z = eng.learn_batch([ConceptInput(content=f"cycle {i}") for i in range(3)])
    eng.learn_associations([AssociationInput(x, y), AssociationInput(y, x), AssociationInput(y, z)])
    paths = eng.find_paths([x], [z], k=10, max_depth=8)
    assert [p.concepts for p in paths] == [[x, y, z]]


def test_delete_concept_removes_edges_vector_and_text(eng: Engine) -> None:
    a, b, c, d, e = _chain(eng)
    assert eng.delete_concept(c) is True
    assert eng.query_concept(c) is None
    assert eng.delete_concept(c) is False
    assert c not in {n.concept_id for n in eng.get_neighbors(a)}
    assert eng.find_paths([a], [e]) == []
    assert all(h.concept_id != c for h in eng.vector_search(text="node c", k=5))
    assert all(h.concept_id != c for h in eng.text_search("node c", k=5))
    s = eng.stats()
    assert (s.concepts, s.associations, s.vectors) == (4, 2, 4)
    assert eng.learn_concept("node c") == c  # learning it again makes a fresh concept
    assert eng.query_concept(c).access_count == 0


def test_delete_association(eng: Engine) -> None:
    a, b = eng.learn_concept("p one"), eng.learn_concept("p two")
    eng.learn_association(a, b, "causal")
    eng.learn_association(a, b, "semantic")
    assert eng.delete_association(a, b, "temporal") is False
    assert eng.delete_association(a, b, "causal") is True
    assert [n.type for n in eng.get_neighbors(a)] == ["semantic"]
    assert eng.delete_association(a, b) is True
    assert eng.get_neighbors(a) == [] and eng.stats().associations == 0
    assert eng.delete_association(b, a) is False


def test_vector_search_by_vector_and_text(eng: Engine) -> None:
    texts = [f"document about topic {i} with words w{i} and v{i * 7}" for i in range(300)]
    ids = eng.learn_batch([ConceptInput(content=t) for t in texts])
    hits = eng.vector_search(text=texts[42], k=5)
    assert hits[0].concept_id == ids[42] and hits[0].content == texts[42]
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert len(hits) == 5 and [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    vec = HashEmbedder(384).embed([texts[7]])[0]
    assert eng.vector_search(vector=vec.tolist(), k=1, ef=100)[0].concept_id == ids[7]


def test_vector_search_with_own_embeddings_and_more_k_than_concepts(eng: Engine) -> None:
    rng = np.random.default_rng(1)
    vecs = rng.standard_normal((3, 384)).astype(np.float32)
    ids = eng.learn_batch([ConceptInput(content=f"v{i}", embedding=vecs[i].tolist()) for i in range(3)])
    hits = eng.vector_search(vector=(vecs[1] * 5).tolist(), k=10)
    assert [h.concept_id for h in hits][0] == ids[1] and len(hits) == 3


def test_text_search_finds_rare_words_ranked_bm25(eng: Engine) -> None:
    common = [f"the cat sat on the mat number {i}" for i in range(50)]
    ids = eng.learn_batch([ConceptInput(content=t) for t in common])
    rare = eng.learn_concept("Zyxomatic is the name of the cat")
    hits = eng.text_search("zyxomatic cat", k=5)
    assert hits[0].concept_id == rare and hits[0].score > hits[1].score
    assert eng.text_search("number 17")[0].concept_id == ids[17]
    assert eng.text_search("nothingmatches") == []


def test_stats_and_flush_in_memory(eng: Engine) -> None:
    eng.learn_concept("one")
    s = eng.stats()
    assert (s.concepts, s.vectors, s.embedder, s.dimension, s.format_version) == (1, 1, "hash", 384, FORMAT_VERSION)
    assert s.memory_bytes > 0 and s.capacity == 10_000_000 and s.last_snapshot is None
    eng.flush()  # nothing to write for an in-memory store


def test_concurrent_writers_and_readers(eng: Engine) -> None:
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            for i in range(100):
                eng.learn_concept(f"writer {w} item {i}")
        except BaseException as e:  # noqa: BLE001 - the test reports it after joining
            errors.append(e)

    def reader() -> None:
        try:
            for _ in range(100):
                eng.vector_search(text="writer item", k=3)
                eng.text_search("writer", k=3)
        except BaseException as e:  # noqa: BLE001 - the test reports it after joining
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)] + [threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert eng.stats().concepts == 400


def test_index_grows_past_initial_capacity(eng: Engine) -> None:
    ids = eng.learn_batch([ConceptInput(content=f"growth item {i}") for i in range(3000)])
    assert eng.stats().vectors == 3000
    assert eng.vector_search(text="growth item 2999", k=1)[0].concept_id == ids[2999]


def test_id_lookup_across_folds_and_trailing_zero_bytes(monkeypatch: pytest.MonkeyPatch, eng: Engine) -> None:
    from sutra_stack.storage.engine import graph

    monkeypatch.setattr(graph, "FOLD_RECENT", 8)
    ids = [f"{i:02x}" + "0" * 30 for i in range(40)] + ["0" * 30 + "10", "ff" * 15 + "00"]
    got = eng.learn_batch([ConceptInput(content=f"folded {i}", concept_id=cid) for i, cid in enumerate(ids)])
    assert got == ids
    assert [c.content for c in eng.query_concepts(ids)] == [f"folded {i}" for i in range(len(ids))]
    assert eng.delete_concept(ids[3]) and eng.query_concept(ids[3]) is None
    eng.learn_batch([ConceptInput(content=f"filler {i}") for i in range(20)])  # more folds
    assert eng.learn_concept("relearned", concept_id=ids[3]) == ids[3]
    eng.learn_batch([ConceptInput(content=f"filler2 {i}") for i in range(20)])
    assert eng.query_concept(ids[3]).content == "relearned"
    assert eng.query_concept(ids[-1]).content == f"folded {len(ids) - 1}"


def test_relearning_associations_of_a_hub_updates_them_from_either_side(eng: Engine) -> None:
    """A concept with many links (an entity most facts mention): relearning any link, out of it
    or into it, updates that link and adds no second one; deleted links are not found again."""
    hub = eng.learn_concept("the hub")
    spokes = eng.learn_batch([ConceptInput(f"spoke {i}") for i in range(60)])
    eng.learn_associations([AssociationInput(hub, s, "semantic", 0.5) for s in spokes]
                           + [AssociationInput(s, hub, "causal", 0.5) for s in spokes])
    edges = eng.stats().associations
    eng.learn_associations([AssociationInput(hub, spokes[3], "semantic", 0.9),
                            AssociationInput(spokes[57], hub, "causal", 0.8),
                            AssociationInput(spokes[0], hub, "causal", 0.7)])
    assert eng.stats().associations == edges
    out = {n.concept_id: n.confidence for n in eng.get_neighbors(hub, direction="out", limit=1000)}
    into = {n.concept_id: n.confidence for n in eng.get_neighbors(hub, direction="in", limit=1000)}
    assert out[spokes[3]] == pytest.approx(0.9) and out[spokes[4]] == pytest.approx(0.5)
    assert into[spokes[57]] == pytest.approx(0.8) and into[spokes[0]] == pytest.approx(0.7)
    assert eng.delete_association(hub, spokes[3], "semantic")
    eng.learn_association(hub, spokes[3], "semantic", 0.6)  # a new link again, not the deleted one
    assert eng.stats().associations == edges
    out = {n.concept_id: n.confidence for n in eng.get_neighbors(hub, direction="out", limit=1000)}
    assert out[spokes[3]] == pytest.approx(0.6)
    eng.learn_association(spokes[3], spokes[4], "causal", 0.5)  # between two spokes: new
    assert eng.stats().associations == edges + 1
