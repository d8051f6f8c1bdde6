"""The same reasoning over the network: a real storage server, reached through StorageClient.

The reasoner is written against the KnowledgeStore Protocol only, so the evaluation set must
give the same answers through both doors of a server as on the in-process engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sutra_stack.reasoning import Reasoner
from sutra_stack.reasoning.evaluate import learn_set, load, score
from sutra_stack.storage import StorageClient
from sutra_stack.storage.engine.store import Engine
from tests.support.storage_server import StorageServerHandle, storage_server

EVAL_SET = Path(__file__).resolve().parents[1] / "data" / "reasoning_eval.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StorageServerHandle]:
    with storage_server(tmp_path_factory.mktemp("reasoning") / "data", env={"SUTRA_STORAGE_FSYNC": "off"}) as srv:
        yield srv


def answers(reasoner: Reasoner, data: dict) -> list[tuple]:
    report = score(reasoner, data)
    return [(o.question, o.answer.answer, o.answer.kind, round(o.answer.confidence, 6),
             [p.concept_ids for p in o.answer.paths]) for o in report.outcomes]


def test_the_evaluation_set_answers_the_same_through_both_doors(server: StorageServerHandle) -> None:
    data = load(EVAL_SET)
    engine = Engine.in_memory()
    try:
        local = Reasoner(engine)
        learn_set(local, data)
        expected = answers(local, data)
    finally:
        engine.close()
    with StorageClient(server.address) as client:
        remote = Reasoner(client)
        learn_set(remote, data)
        assert answers(remote, data) == expected
    with StorageClient(server.grpc_address) as client:
        assert answers(Reasoner(client), data) == expected


def test_a_question_takes_two_round_trips_over_the_network(server: StorageServerHandle) -> None:
    from tests.reasoning.conftest import CountingStore
    from tests.reasoning.test_ask import FACTS

    with StorageClient(server.address) as client:
        store = CountingStore(client)  # type: ignore[arg-type]
        reasoner = Reasoner(store)  # type: ignore[arg-type]
        reasoner.learn_batch(FACTS)
        store.calls.clear()
        answer = reasoner.ask("What does smoking cause?")
        assert answer.kind == "path" and answer.paths
        # the candidates' two searches in one call, the path search with its concepts in another
        assert store.calls == ["search_candidates", "find_paths_with_concepts"]
        engine = Engine.in_memory()
        try:
            local = Reasoner(engine)
            local.learn_batch(FACTS)
            assert local.ask("What does smoking cause?").to_dict()["answer"] == answer.answer
        finally:
            engine.close()
