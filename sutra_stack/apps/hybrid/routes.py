"""sutra-hybrid's other routes: the model list, /sutra/learn and /sutra/query, health, readiness, metrics.

/sutra/learn takes sutra-api's /learn body and answers its shape; /sutra/query answers a question
with the confidence broken into `graph` (the strongest reasoning path's), `semantic` (cosine of the
question and the answer in the embedder's space) and `final` (the reasoner's), and the paths.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Request, Response

from sutra_stack.apps.api.routes import json_response
from sutra_stack.apps.api.schemas import AskRequest, LearnRequest
from sutra_stack.apps.common.blocking import blocking
from sutra_stack.apps.hybrid.errors import model_not_found
from sutra_stack.apps.hybrid.models import model_card, offered
from sutra_stack.apps.hybrid.security import require_key, require_write_key

router = APIRouter()
SERVICE = "sutra-hybrid"


@router.get("/v1/models", dependencies=[Depends(require_key)], tags=["openai"])
async def list_models(request: Request) -> Response:
    """The models this server offers: `sutra` (the reasoner) and the embedder."""
    return json_response({"object": "list", "data": [model_card(m) for m in offered(request.app.state.settings)]})


@router.get("/v1/models/{model_id:path}", dependencies=[Depends(require_key)], tags=["openai"])
async def get_model(model_id: str, request: Request) -> Response:
    models = offered(request.app.state.settings)
    if model_id not in models:
        raise model_not_found(model_id, models)
    return json_response(model_card(model_id))


@router.post("/sutra/learn", dependencies=[Depends(require_write_key)], tags=["sutra"])
async def learn(body: LearnRequest, request: Request) -> Response:
    """Learn a text (as sutra-api's POST /learn): at once visible to every API of the stack."""
    store = request.app.state.store
    result = await blocking(lambda: store.reasoner().learn(body.content, source=body.source, metadata=body.metadata))
    d = result.to_dict()
    return json_response({k: d[k] for k in ("concept_id", "concept_ids", "concepts_created", "associations_created")})


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return 0.0 if na == 0 or nb == 0 else max(0.0, min(1.0, float(np.dot(a, b)) / (na * nb)))


@router.post("/sutra/query", dependencies=[Depends(require_key)], tags=["sutra"])
async def query(body: AskRequest, request: Request) -> Response:
    """The answer with its confidence as graph, semantic and final parts, the paths and the explanation."""
    store = request.app.state.store
    answer = await blocking(lambda: store.reasoner().ask(body.question, max_paths=body.max_paths,
                                                         max_depth=body.max_depth))
    graph = max((p.confidence for p in answer.paths), default=0.0)
    semantic = 0.0
    if answer.kind != "none":
        vectors = await blocking(lambda: request.app.state.embedder.embed([body.question, answer.answer]))
        semantic = round(_cosine(vectors[0], vectors[1]), 4)
    d: dict[str, Any] = answer.to_dict()
    d["confidence"] = {"graph": graph, "semantic": semantic, "final": answer.confidence}
    return json_response(d)
