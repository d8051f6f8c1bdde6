"""POST /v1/embeddings: the storage server's embedder, run in this process.

The embedder is built from the same settings as the storage server's (`embedder.*`) and checked
once against the store (`stats().embedder` and `.dimension`): a mismatch is a 500 naming both,
never vectors from another space. `encoding_format` "base64" is little-endian float32 (the SDKs
ask for it by default and decode it so); `dimensions` is refused unless it equals the store's.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Request, Response

from sutra_stack.apps.api.routes import json_response
from sutra_stack.apps.common.blocking import blocking
from sutra_stack.apps.hybrid.errors import bad, model_not_found
from sutra_stack.apps.hybrid.models import REASONER_MODEL, embedder_model, offered
from sutra_stack.apps.hybrid.schemas import EmbeddingsRequest, embedding_inputs
from sutra_stack.apps.hybrid.security import require_key
from sutra_stack.apps.hybrid.tokens import count_tokens
from sutra_stack.config import Settings
from sutra_stack.errors import Internal
from sutra_stack.storage.engine.embedders import Embedder, make_embedder

router = APIRouter()


class EmbedderHandle:
    """This process's embedder, made on first use and checked once against the store's."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._embedder: Embedder | None = None
        self._checked = False
        self._lock = threading.Lock()

    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = make_embedder(self.settings)
        return self._embedder

    async def checked(self, request: Request) -> Embedder:
        emb = self.embedder()
        if not self._checked:
            st = await request.app.state.store.astore().stats()
            if (st.embedder, st.dimension) != (emb.kind, emb.dimension):
                raise Internal(f"the storage server embeds with {st.embedder} in {st.dimension} dimensions but this "
                               f"service is configured with {emb.kind} in {emb.dimension} (embedder.kind, "
                               "embedder.dimension): give every process the same settings")
            self._checked = True
        return emb

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embedder().embed(texts)


def encode(vector: np.ndarray, fmt: str) -> list[float] | str:
    if fmt == "base64":
        return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
    return [float(x) for x in np.asarray(vector, dtype=np.float32)]


@router.post("/v1/embeddings", dependencies=[Depends(require_key)], tags=["openai"])
async def embeddings(body: EmbeddingsRequest, request: Request) -> Response:
    """Embed text with the storage server's embedder (OpenAI's embeddings shape)."""
    settings = request.app.state.settings
    name = embedder_model(settings)
    if body.model != name:
        if body.model == REASONER_MODEL:
            raise bad(f"'{REASONER_MODEL}' is the reasoner: use {name!r} for embeddings", "model",
                      "model_not_supported")
        raise model_not_found(body.model, offered(settings))
    texts = embedding_inputs(body.input)
    handle: EmbedderHandle = request.app.state.embedder
    emb = await handle.checked(request)
    if body.dimensions is not None and body.dimensions != emb.dimension:
        raise bad(f"dimensions={body.dimensions} is not offered: {name} embeds in {emb.dimension} dimensions "
                  "(the store's; leave 'dimensions' out)", "dimensions", "unsupported_value")
    vectors = await blocking(lambda: handle.embed(texts))
    tokens = sum(count_tokens(t) for t in texts)
    data: list[dict[str, Any]] = [{"object": "embedding", "index": i, "embedding": encode(v, body.encoding_format)}
                                  for i, v in enumerate(vectors)]
    return json_response({"object": "list", "data": data, "model": name,
                          "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
