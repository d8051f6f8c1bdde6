"""Every storage operation through both doors: StorageClient on auto (fast), grpc:// and tcp://, and async."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sutra_stack.errors import InvalidArgument
from sutra_stack.storage import AsyncStorageClient, StorageClient
from sutra_stack.storage.model import AssociationInput, Concept, ConceptInput, StoreStats, content_id
from sutra_stack.storage.proto import storage_pb2
from sutra_stack.storage.proto.convert import LEARN_STREAM, RPCS, SERVICE_NAME
from sutra_stack.storage.server.ops import OPS
from tests.support.storage_server import StorageServerHandle

from .conftest import addresses

DOORS = ("auto", "grpc", "tcp")


def test_both_doors_expose_the_same_operations() -> None:
    # Every op of the service layer is an RPC, every RPC of the proto is an op (plus the stream).
    assert set(RPCS) == set(OPS)
    assert {r.method for r in RPCS.values()} == {op.rpc for op in OPS.values()}
    proto_methods = {m.name for m in storage_pb2.DESCRIPTOR.services_by_name["StorageService"].methods}
    assert proto_methods == {op.rpc for op in OPS.values()} | {LEARN_STREAM.method}
    assert storage_pb2.DESCRIPTOR.services_by_name["StorageService"].full_name == SERVICE_NAME
    # StorageClient has a method per operation.
    for name in OPS:
        attr = {"stats": "stats"}.get(name, name)
        assert callable(getattr(StorageClient, attr)), name
        assert asyncio.iscoroutinefunction(getattr(AsyncStorageClient, attr)), name


@pytest.mark.parametrize("door", DOORS)
def test_every_operation(server: StorageServerHandle, door: str, tmp_path: Path) -> None:
    tag = f"{door}-{uuid.uuid4().hex[:8]}"
    rng = random.Random(tag)
    vec = [rng.uniform(-1, 1) for _ in range(64)]  # unique to this test run
    with StorageClient(addresses(server)[door]) as c:
        info = c.server_info()
        assert info["protocol_version"] == 1 and info["fast_port"] == server.fast_port
        assert info["dimension"] == 64 and info["state"] == "serving"
        assert c.health()["status"] == "SERVING"

        a = c.learn_concept(f"alpha {tag} causes beta", metadata={"source": "test", "n": 1})
        assert a == content_id(f"alpha {tag} causes beta")
        explicit = uuid.uuid4().hex
        assert c.learn_concept(f"explicit {tag}", concept_id=explicit, strength=0.5, confidence=0.7) == explicit
        b, d = c.learn_batch([ConceptInput(f"beta {tag} causes gamma"), ConceptInput(f"gamma {tag} is rare",
                                                                                     embedding=vec)])
        got = c.query_concept(a)
        assert isinstance(got, Concept) and got.content == f"alpha {tag} causes beta"
        assert got.metadata == {"source": "test", "n": 1}
        e = c.query_concept(explicit)
        assert e is not None and e.strength == pytest.approx(0.5) and e.confidence == pytest.approx(0.7)
        assert c.query_concept(uuid.uuid4().hex) is None
        many = c.query_concepts([a, uuid.uuid4().hex, d])
        assert many[0] is not None and many[0].id == a and many[1] is None and many[2] is not None

        c.learn_association(a, b, "causal", 0.9)
        assert c.learn_associations([AssociationInput(b, d, "causal", 0.8), AssociationInput(a, d, "semantic")]) == 2
        out = {(n.concept_id, n.type, n.direction) for n in c.get_neighbors(a)}
        assert out == {(b, "causal", "out"), (d, "semantic", "out")}
        assert [n.concept_id for n in c.get_neighbors(a, types=["causal"])] == [b]
        assert [n.concept_id for n in c.get_neighbors(b, direction="in")] == [a]

        paths = c.find_paths([a], [d], max_depth=3, k=3, types=["causal"])
        assert paths and paths[0].concepts == [a, b, d]
        assert paths[0].confidence == pytest.approx(0.9 * 0.8)
        assert [h.type for h in paths[0].hops] == ["causal", "causal"]

        # the composites give what their parts give, in one round trip
        same_paths, on_paths = c.find_paths_with_concepts([a], [d], max_depth=3, k=3, types=["causal"])
        assert same_paths == paths
        assert [(x.id, x.content) for x in on_paths] == [
            (x.id, x.content) for x in c.query_concepts(sorted({a, b, d})) if x is not None]
        assert c.find_paths_with_concepts([d], [a], max_depth=3, types=["causal"]) == ([], [])
        vector_hits, text_hits = c.search_candidates(f"rare {tag}", k=5)
        assert vector_hits == c.vector_search(text=f"rare {tag}", k=5)
        assert text_hits == c.text_search(f"rare {tag}", k=5)
        assert text_hits[0].concept_id == d

        hits = c.vector_search(text=f"alpha {tag} causes beta", k=3)
        assert hits[0].concept_id == a and hits[0].score == pytest.approx(1.0, abs=1e-3)
        vhits = c.vector_search(vector=vec, k=1, ef=32)
        assert vhits[0].concept_id == d
        thits = c.text_search(f"rare {tag}", k=5)
        assert thits[0].concept_id == d and thits[0].content == f"gamma {tag} is rare"

        st = c.stats()
        assert isinstance(st, StoreStats) and st.concepts >= 4 and st.dimension == 64

        assert c.delete_association(a, d) is True
        assert c.delete_association(a, d) is False
        assert c.delete_concept(explicit) is True
        assert c.delete_concept(explicit) is False
        assert c.query_concept(explicit) is None
        c.flush()
        assert c.stats().last_snapshot is not None

        with pytest.raises(InvalidArgument, match="content"):
            c.learn_concept("")
        name = f"backup-{door}-{uuid.uuid4().hex[:8]}"  # a name: it goes under storage.backup_dir
        dest = Path(c.backup(name))
        assert dest.name == name and dest.parent == server.path.with_name(server.path.name + "-backups").resolve()
        assert any(dest.iterdir())


def test_learn_stream_over_grpc(server: StorageServerHandle) -> None:
    tag = uuid.uuid4().hex[:8]
    batches = [[ConceptInput(f"stream {tag} {i} {j}") for j in range(50)] for i in range(4)]
    with StorageClient(server.address) as c:
        ids = c.learn_stream(iter(batches))
        assert ids == [content_id(f"stream {tag} {i} {j}") for i in range(4) for j in range(50)]
        assert all(x is not None for x in c.query_concepts(ids))
        with pytest.raises(InvalidArgument, match=r"LearnStream message 1 .*items\[0\]\.content"):
            c.learn_stream(iter([[ConceptInput(f"ok {tag}")], [ConceptInput("")]]))


@pytest.mark.parametrize("door", ("auto", "grpc"))
def test_async_client(server: StorageServerHandle, door: str) -> None:
    tag = uuid.uuid4().hex[:8]

    async def main() -> None:
        async with AsyncStorageClient(addresses(server)[door]) as c:
            assert (await c.server_info())["fast_port"] == server.fast_port
            ids = await asyncio.gather(*[c.learn_concept(f"async {tag} {i}") for i in range(40)])
            got = await asyncio.gather(*[c.query_concept(i) for i in ids])
            assert [g.id for g in got if g is not None] == ids
            assert await c.query_concept(uuid.uuid4().hex) is None
            b = await c.learn_batch([ConceptInput(f"async {tag} batch")])
            await c.learn_association(ids[0], b[0], "temporal")
            assert await c.learn_associations([AssociationInput(ids[1], b[0])]) == 1
            assert [n.concept_id for n in await c.get_neighbors(ids[0])] == b
            assert (await c.find_paths([ids[0]], b))[0].concepts == [ids[0], b[0]]
            found, on_paths = await c.find_paths_with_concepts([ids[0]], b)
            assert found[0].concepts == [ids[0], b[0]] and [x.id for x in on_paths] == sorted([ids[0], b[0]])
            assert (await c.search_candidates(f"batch {tag}", k=1))[1][0].concept_id == b[0]
            assert (await c.vector_search(text=f"async {tag} 3", k=1))[0].concept_id == ids[3]
            assert (await c.text_search(f"batch {tag}", k=1))[0].concept_id == b[0]
            assert (await c.query_concepts([ids[0]]))[0] is not None
            assert await c.delete_association(ids[0], b[0]) is True
            assert await c.delete_concept(b[0]) is True
            assert (await c.stats()).concepts >= 40
            assert (await c.health())["status"] == "SERVING"
            await c.flush()
            with pytest.raises(InvalidArgument, match="concept_id"):
                await c.query_concept("not-an-id")

    asyncio.run(main())


@pytest.mark.parametrize("door", ("auto", "grpc"))
def test_async_learn_stream(server: StorageServerHandle, door: str) -> None:
    tag = uuid.uuid4().hex[:8]
    batches = [[ConceptInput(f"astream {tag} {door} {i} {j}") for j in range(30)] for i in range(3)]
    expected = [content_id(b.content) for batch in batches for b in batch]

    async def produce(items: list[list[ConceptInput]],
                      fail_after: int | None = None) -> AsyncIterator[list[ConceptInput]]:
        for i, batch in enumerate(items):
            if i == fail_after:
                raise RuntimeError("the source of the batches broke")
            await asyncio.sleep(0)
            yield batch

    async def main() -> None:
        async with AsyncStorageClient(addresses(server)[door]) as c:
            assert await c.learn_stream(iter(batches[:1])) == expected[:30]  # a plain iterable
            assert await c.learn_stream(produce(batches)) == expected  # an async one
            assert all(x is not None for x in await c.query_concepts(expected))
            with pytest.raises(InvalidArgument, match=r"LearnStream message 1 .*items\[0\]\.content"):
                await c.learn_stream(produce([[ConceptInput(f"ok {tag}")], [ConceptInput("")]]))
            with pytest.raises(RuntimeError, match="source of the batches broke"):
                await c.learn_stream(produce(batches, fail_after=2))
            assert await c.learn_stream([]) == []
            # The client still serves other calls afterwards.
            assert (await c.query_concept(expected[0])) is not None

    asyncio.run(main())


@pytest.mark.parametrize("door", ["auto", "grpc"])
def test_one_client_shared_by_threads(server: StorageServerHandle, door: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    tag = uuid.uuid4().hex[:8]
    with StorageClient(addresses(server)[door]) as c, ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: c.learn_concept(f"threads {tag} {i}"), range(200)))
        assert ids == [content_id(f"threads {tag} {i}") for i in range(200)]
        got = list(pool.map(c.query_concept, ids))
        assert [g.id for g in got if g] == ids


@pytest.mark.parametrize("cls", (StorageClient, AsyncStorageClient))
def test_clients_have_the_knowledge_store_signatures(cls: type) -> None:
    import inspect

    from sutra_stack.storage.store_protocol import KnowledgeStore

    names = [n for n, v in vars(KnowledgeStore).items() if callable(v) and not n.startswith("_")]
    assert len(names) >= 14
    for name in names:
        want = inspect.signature(getattr(KnowledgeStore, name))
        got = inspect.signature(getattr(cls, name))
        assert [(p.name, p.kind, p.default) for p in got.parameters.values()] == \
            [(p.name, p.kind, p.default) for p in want.parameters.values()], name
