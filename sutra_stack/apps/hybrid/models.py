"""The models sutra-hybrid offers, in OpenAI's list shape: the reasoner and the embedder.

`sutra` answers chat completions. The embedder is named for what it is (`hash-384`: word hashes in
384 dimensions, not semantic vectors; a sentence-transformers or http embedder by its model name),
so nobody mistakes one for the other.
"""

from __future__ import annotations

from typing import Any

from sutra_stack.config import Settings

REASONER_MODEL = "sutra"
OWNER = "sutra"
CREATED = 1_767_225_600  # when these model names were first offered (2026-01-01): fixed, so lists compare equal


def embedder_model(settings: Settings) -> str:
    kind, dim, model = settings["embedder.kind"], settings["embedder.dimension"], settings["embedder.model"]
    if kind == "hash" or not model:
        return f"{kind}-{dim}"
    return str(model)


def model_card(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": CREATED, "owned_by": OWNER}


def offered(settings: Settings) -> list[str]:
    return [REASONER_MODEL, embedder_model(settings)]
