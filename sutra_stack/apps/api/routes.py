"""The routes of sutra-api: learn, ask, search, concepts, health/ready, stats, metrics.

Every route is `async def`. The routes that read or delete without reasoning (search, concepts,
neighbors, delete, stats) await the process's AsyncStorageClient on the event loop
(`StoreHandle.astore`: measured faster than the blocking client on the pool, see
bench/bench_api.py); learn and ask run the Reasoner over the shared, thread-safe StorageClient on
the blocking pool (`apps.common.blocking`), and so do the health probes. Every error leaves
through the handlers in `apps.common.errors`.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from sutra_stack.apps.api.deps import StoreHandle, handle, require_token
from sutra_stack.apps.api.schemas import (
    ID_PATTERN,
    NEIGHBOR_LIMIT_MAX,
    AskRequest,
    AskResponse,
    ConceptOut,
    DeleteResponse,
    ErrorResponse,
    LearnBatchRequest,
    LearnBatchResponse,
    LearnRequest,
    LearnResponse,
    NeighborsResponse,
    SearchRequest,
    SearchResponse,
    neighbor_out,
    search_result,
)
from sutra_stack.apps.common.blocking import blocking
from sutra_stack.errors import NotFound
from sutra_stack.limits import MAX_TIME_SECONDS
from sutra_stack.reasoning.timeline import parse_as_of
from sutra_stack.storage.model import ASSOCIATION_TYPES

router = APIRouter()
Store = Annotated[StoreHandle, Depends(handle)]
AssociationType = Literal[ASSOCIATION_TYPES]  # type: ignore[valid-type]
ConceptId = Annotated[str, Path(pattern=ID_PATTERN, description="32 lowercase hex characters.")]


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


_ERRORS: dict[int | str, dict[str, Any]] = {
    422: _err("A field is missing, malformed or over its limit (named in the message)."),
    503: _err("The storage server cannot be reached right now (or refused this service's token)."),
    500: _err("An unexpected error; the message names its type, details are in the server log."),
}
_BODY_ERRORS = {**_ERRORS, 413: _err("The request body is over MAX_REQUEST_BODY_BYTES.")}
_MUTATING_ERRORS = {**_BODY_ERRORS, 401: _err("Missing or wrong bearer token (when SUTRA_API_TOKEN is set)."),
                    503: _err("The storage server cannot be reached right now (or refused this service's token), "
                              "or the store is read-only: the message says so and what the operator does.")}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _err("No concept with that id.")}


def as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    return dict(vars(obj))


def json_response(data: Any) -> Response:
    """JSON straight from the library's dicts: the route's response_model documents the shape, and
    returning a Response skips a second validation pass of data the library already typed."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    return Response(body, media_type="application/json")


def _learn_out(result: Any) -> dict[str, Any]:
    d = as_dict(result)
    return {k: d[k] for k in ("concept_id", "concept_ids", "concepts_created", "associations_created")}


@router.post("/learn", response_model=LearnResponse, dependencies=[Depends(require_token)],
             responses=_MUTATING_ERRORS, tags=["knowledge"])
async def learn(body: LearnRequest, store: Store) -> Response:
    """Learn a text: its sentences become concepts, linked by the associations found in them."""
    result = await blocking(lambda: store.reasoner().learn(body.content, source=body.source, metadata=body.metadata))
    return json_response(_learn_out(result))


@router.post("/learn/batch", response_model=LearnBatchResponse, dependencies=[Depends(require_token)],
             responses=_MUTATING_ERRORS, tags=["knowledge"])
async def learn_batch(body: LearnBatchRequest, store: Store) -> Response:
    """Learn many texts in one call (in order, as if each were sent to /learn)."""
    items = [{"content": i.content, "source": i.source, "metadata": i.metadata} for i in body.items]
    results = [_learn_out(r) for r in await blocking(lambda: store.reasoner().learn_batch(items))]
    return json_response({
        "results": results,
        "concepts_created": sum(r["concepts_created"] for r in results),
        "associations_created": sum(r["associations_created"] for r in results),
    })


@router.post("/ask", response_model=AskResponse, responses=_BODY_ERRORS, tags=["knowledge"])
async def ask(body: AskRequest, store: Store) -> Response:
    """Answer a question with the reasoning paths that led to the answer, and an explanation; with
    `as_of`, as the knowledge stood then (each hop shows when its fact held and what superseded it)."""
    as_of = parse_as_of(body.as_of) if body.as_of is not None else None
    result = await blocking(
        lambda: store.reasoner().ask(body.question, max_paths=body.max_paths, max_depth=body.max_depth, as_of=as_of))
    return json_response(as_dict(result))


@router.post("/search", response_model=SearchResponse, responses=_BODY_ERRORS, tags=["knowledge"])
async def search(body: SearchRequest, store: Store) -> Response:
    """Concepts most similar to the query text (vector search), best first; with `mode` text, those sharing its
    words (BM25); with both, the two told apart by `match`."""
    if body.mode == "vector":
        hits = await store.astore().vector_search(text=body.query, k=body.top_k)
        return json_response({"results": [search_result(h) for h in hits]})
    if body.mode == "text":
        hits = await store.astore().text_search(body.query, k=body.top_k)
        return json_response({"results": [{**search_result(h), "match": "text"} for h in hits]})
    by_vector, by_text = await store.astore().search_candidates(body.query, k=body.top_k)
    worded = {h.concept_id for h in by_text}
    seen = {h.concept_id for h in by_vector}
    results = [{**search_result(h), "match": "both" if h.concept_id in worded else "vector"} for h in by_vector]
    results += [{**search_result(h), "match": "text"} for h in by_text if h.concept_id not in seen]
    return json_response({"results": results})


@router.get("/concepts/{concept_id}", response_model=ConceptOut, responses={**_ERRORS, **_NOT_FOUND}, tags=["concepts"])
async def get_concept(concept_id: ConceptId, store: Store) -> ConceptOut:
    """One concept by id."""
    concept = await store.astore().query_concept(concept_id)
    if concept is None:
        raise NotFound(f"no concept with id {concept_id}", field="concept_id")
    return ConceptOut.model_validate(as_dict(concept))


@router.get("/concepts/{concept_id}/neighbors", response_model=NeighborsResponse,
            responses={**_ERRORS, **_NOT_FOUND}, tags=["concepts"])
async def get_neighbors(
    concept_id: ConceptId,
    store: Store,
    direction: Annotated[Literal["out", "in", "both"], Query(description="out, in or both.")] = "both",
    type: Annotated[list[AssociationType] | None, Query(description="Only links of these types.")] = None,
    min_confidence: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    limit: Annotated[int, Query(ge=1, le=NEIGHBOR_LIMIT_MAX, description="MAX_NEIGHBORS at most.")] = 100,
    valid_at: Annotated[float | None, Query(ge=0.0, le=MAX_TIME_SECONDS, description=(
        "Only links true at this moment (unix seconds): valid_from <= valid_at and valid_to 0 or later."))] = None,
) -> NeighborsResponse:
    """The concepts linked to one concept, with the type, confidence and time of each link."""
    s = store.astore()
    neighbors = await s.get_neighbors(concept_id, types=type, min_confidence=min_confidence, direction=direction,
                                      limit=limit, valid_at=valid_at)
    if not neighbors and await s.query_concept(concept_id) is None:
        raise NotFound(f"no concept with id {concept_id}", field="concept_id")
    concepts = await s.query_concepts([n.concept_id for n in neighbors]) if neighbors else []
    return NeighborsResponse.model_validate({
        "concept_id": concept_id,
        "neighbors": [neighbor_out(n, c.content if c is not None else None)
                      for n, c in zip(neighbors, concepts, strict=True)],
    })


@router.delete("/concepts/{concept_id}", response_model=DeleteResponse, dependencies=[Depends(require_token)],
               responses={**_MUTATING_ERRORS, **_NOT_FOUND}, tags=["concepts"])
async def delete_concept(concept_id: ConceptId, store: Store) -> DeleteResponse:
    """Delete a concept with its links and vector."""
    if not await store.astore().delete_concept(concept_id):
        raise NotFound(f"no concept with id {concept_id}", field="concept_id")
    return DeleteResponse(concept_id=concept_id, deleted=True)


@router.get("/stats", responses=_ERRORS, tags=["service"])
async def stats(request: Request, store: Store) -> dict[str, Any]:
    """Counts and state of the store, as the storage server reports them."""
    st = await store.astore().stats()
    metrics = request.app.state.metrics
    metrics.concepts.set(st.concepts)
    metrics.associations.set(st.associations)
    metrics.storage_read_only.set(1 if st.read_only else 0)
    return as_dict(st)
