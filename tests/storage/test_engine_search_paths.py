"""The engine's search read path: every form of a query vector gives the same hits, and hits carry
the right id and content (including after deletes and with multi-byte text)."""

from __future__ import annotations

import numpy as np
import pytest

from sutra_stack.errors import InvalidArgument
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.engine.embedders import HashEmbedder


@pytest.fixture
def eng() -> Engine:
    e = Engine.in_memory({"embedder.dimension": 32})
    yield e
    e.close()


# A 1e30-scaled vector overflows its squared norm on purpose: the engine rescales it.
@pytest.mark.filterwarnings("ignore:overflow encountered in dot:RuntimeWarning")
def test_query_vector_forms_and_scale_give_the_same_hits(eng: Engine) -> None:
    ids = [eng.learn_concept(f"topic {i % 7} item {i} grüße {'ä' * (i % 3)}") for i in range(60)]
    q = HashEmbedder(32).embed(["topic 3 item 10"])[0]
    base = eng.vector_search(vector=q, k=5)
    assert len(base) == 5
    for form in (q * 7.5, q.astype(np.float64), q.tolist(), [float(x) * 1e-3 for x in q], q * np.float32(1e30)):
        got = eng.vector_search(vector=form, k=5)
        assert [h.concept_id for h in got] == [h.concept_id for h in base]
        np.testing.assert_allclose([h.score for h in got], [h.score for h in base], atol=1e-5)
    for h in base:  # id and content of each hit are those of the stored concept
        c = eng.query_concept(h.concept_id)
        assert c is not None and c.content == h.content
    assert ids[10] in {h.concept_id for h in eng.vector_search(text="topic 3 item 10", k=5)}


def test_deleted_concepts_leave_vector_and_text_hits(eng: Engine) -> None:
    ids = [eng.learn_concept(f"shared words number {i}") for i in range(30)]
    q = HashEmbedder(32).embed(["shared words number 4"])[0]
    first = eng.vector_search(vector=q, k=3)[0].concept_id
    eng.delete_concept(first)
    assert first not in {h.concept_id for h in eng.vector_search(vector=q, k=10)}
    assert first not in {h.concept_id for h in eng.text_search("shared words", k=30)}
    assert len(eng.text_search("shared words", k=30)) == len(ids) - 1


@pytest.mark.parametrize("bad", [[0.0] * 32, [float("nan")] * 32, [1.0] * 31, "text", [[1.0] * 32]])
def test_bad_query_vectors_are_refused_naming_the_field(eng: Engine, bad: object) -> None:
    eng.learn_concept("something")
    with pytest.raises(InvalidArgument) as e:
        eng.vector_search(vector=bad, k=3)  # type: ignore[arg-type]
    assert e.value.field == "vector"
