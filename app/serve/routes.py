"""HTTP routes: thin, each calls the pipeline and maps to the public schemas."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from app.models import Passage
from app.pipeline import Pipeline
from app.retrieve import Filters
from app.serve.schemas import (
    AskRequest,
    AskResponse,
    CitationOut,
    ErrorResponse,
    FigureOut,
    FiltersIn,
    PassageOut,
    ReadyResponse,
    SearchRequest,
    SearchResponse,
)

router = APIRouter()


def get_pipeline(request: Request) -> Pipeline:
    pipeline = getattr(request.app.state, "pipeline", None)
    if pipeline is None:
        reason = getattr(request.app.state, "load_error", None) or "the service is starting"
        raise HTTPException(status_code=503, detail=f"index not available: {reason}")
    return pipeline


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]


def _filters(f: FiltersIn | None) -> Filters | None:
    if f is None:
        return None
    return Filters(
        doc_ids=tuple(f.doc_ids) if f.doc_ids is not None else None,
        date_from=f.date_from.isoformat() if f.date_from else None,
        date_to=f.date_to.isoformat() if f.date_to else None,
    )


def _citation(i: int, p: Passage) -> CitationOut:
    c = p.chunk
    return CitationOut(
        id=i, doc_id=c.doc_id, chunk_id=c.chunk_id, title=p.title, date=p.date, text=c.text, score=p.score
    )


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyResponse, summary="The index is loaded and answers can be given")
def readyz(request: Request, response: Response) -> ReadyResponse:
    pipeline: Pipeline | None = getattr(request.app.state, "pipeline", None)
    if pipeline is None:
        response.status_code = 503
        return ReadyResponse(ready=False, error=getattr(request.app.state, "load_error", None) or "starting")
    gen = pipeline.generation
    return ReadyResponse(
        ready=True,
        documents=len(gen.documents),
        chunks=len(gen.chunks),
        embedder=gen.embedder,
        generation=gen.name,
    )


@router.post(
    "/ask",
    response_model=AskResponse,
    responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    summary="Answer a question, citing the passages every figure comes from",
)
def ask(body: AskRequest, pipeline: PipelineDep) -> AskResponse:
    """Extractive by default: the answer quotes a passage, or says the documents do not tell."""
    result = pipeline.ask(body.question, body.top_k, _filters(body.filters))
    a = result.answer
    return AskResponse(
        answer=a.text,
        abstained=a.abstained,
        mode=a.mode,  # type: ignore[arg-type]
        citations=[_citation(i, p) for i, p in enumerate(a.citations, start=1)],
        figures=[FigureOut(**f.__dict__) for f in a.figures],
        latency_ms=round(result.latency_ms, 2),
        fallback_reason=a.fallback_reason,
    )


@router.post(
    "/search",
    response_model=SearchResponse,
    responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    summary="The passages retrieval ranks first for a question (no answer)",
)
def search(body: SearchRequest, pipeline: PipelineDep) -> SearchResponse:
    t0 = time.perf_counter()
    passages = pipeline.search(body.question, body.top_k, _filters(body.filters))
    out = [
        PassageOut(
            rank=i,
            doc_id=p.chunk.doc_id,
            chunk_id=p.chunk.chunk_id,
            title=p.title,
            date=p.date,
            text=p.chunk.text,
            score=p.score,
        )
        for i, p in enumerate(passages, start=1)
    ]
    return SearchResponse(passages=out, latency_ms=round((time.perf_counter() - t0) * 1000, 2))
