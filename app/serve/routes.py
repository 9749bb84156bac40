"""HTTP routes: thin, each calls the pipeline and maps to the public schemas."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator

from anyio import to_thread
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from app.pipeline import CitationsEvent, DeltaEvent, FinalEvent, Pipeline
from app.serve import convert
from app.serve.access import DEFAULT
from app.serve.deps import GENERATION_HEADER, GateDep, MetricsDep, QuestionLogDep
from app.serve.metrics import Metrics
from app.serve.question_log import QuestionLog, remember
from app.serve.schemas import (
    AskRequest,
    AskResponse,
    ErrorResponse,
    LLMStatus,
    PassageOut,
    ReadyResponse,
    SearchRequest,
    SearchResponse,
)

router = APIRouter()
log = logging.getLogger("app.serve")


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyResponse, summary="The index is loaded; the LLM's state")
async def readyz(request: Request, response: Response) -> ReadyResponse:
    library = getattr(request.app.state, "library", None)
    shelf = library.opened(DEFAULT) if library is not None else None
    refused = shelf.refusing() if shelf is not None else "starting"
    pipeline = shelf.pipeline if shelf is not None else None
    if pipeline is None or refused:
        response.status_code = 503
        return ReadyResponse(ready=False, error=refused or "starting")
    gen, breaker = pipeline.generation, pipeline.breaker
    llm = LLMStatus(configured=False)
    if pipeline.client is not None:
        llm = LLMStatus(
            configured=True,
            model=pipeline.client.model,
            breaker=breaker.state,
            failures=breaker.failures,
            retry_in_s=round(breaker.retry_in(), 1) if breaker.state == "open" else None,
            last_error=breaker.last_error,
        )
    return ReadyResponse(
        ready=True,
        documents=len(gen.documents),
        chunks=gen.chunk_count,
        pending_vectors=len(gen.pending),
        embedder=gen.embedder,
        generation=gen.name,
        llm=llm,
    )


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _sse_stream(
    pipeline: Pipeline,
    metrics: Metrics,
    body: AskRequest,
    questions: QuestionLog | None,
    collection: str,
    link: convert.Link = None,
) -> AsyncIterator[str]:
    """citations, delta..., final; or error. The stream always ends with one of the last two."""
    try:
        events = pipeline.events(body.question, body.top_k, convert.filters(body.filters))
        async for event in metrics.observe(events):
            if isinstance(event, CitationsEvent):
                cites = [
                    convert.citation(i, p, link).model_dump() for i, p in enumerate(event.passages, start=1)
                ]
                yield _sse("citations", {"citations": cites})
            elif isinstance(event, DeltaEvent):
                yield _sse("delta", {"text": event.text})
            elif isinstance(event, FinalEvent):
                out = convert.answer(event.answer, event.latency_ms, link)
                a = event.answer
                out.answer_id = await remember(
                    questions, collection, body.question, a.abstained, a.mode, event.latency_ms
                )
                yield _sse("final", out.model_dump())
    except Exception:  # the client must still learn that the answer ended
        log.exception("answer stream failed")
        yield _sse("error", {"error": "the answer could not be completed; please retry"})


_ASK_RESPONSES: dict[int | str, dict] = {
    200: {
        "description": "The answer (JSON), or with `stream: true` Server-Sent Events",
        "content": {"text/event-stream": {}},
    },
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}


@router.post("/ask", response_model=AskResponse, responses=_ASK_RESPONSES, summary="Answer a question")
async def ask(
    body: AskRequest, gate: GateDep, metrics: MetricsDep, questions: QuestionLogDep
) -> AskResponse | StreamingResponse:
    """Cites the passages every figure comes from, or says the documents do not tell. With an LLM
    configured the model writes the answer; the extractive answer stands in when it cannot. Answers
    from one collection: `collection`, else the key's one collection, else `default`."""
    pipeline = await gate.pipeline(body.collection)
    collection = gate.collection or DEFAULT
    if body.stream:
        return _streaming(pipeline, metrics, body, questions, collection, gate.link)
    final = await metrics.final(pipeline.events(body.question, body.top_k, convert.filters(body.filters)))
    out = convert.answer(final.answer, final.latency_ms, gate.link)
    a = final.answer
    out.answer_id = await remember(
        questions, collection, body.question, a.abstained, a.mode, final.latency_ms
    )
    return out


@router.post("/ask/stream", responses=_ASK_RESPONSES, summary="Answer a question as Server-Sent Events")
async def ask_stream(
    body: SearchRequest, gate: GateDep, metrics: MetricsDep, questions: QuestionLogDep
) -> StreamingResponse:
    pipeline = await gate.pipeline(body.collection)
    asked = AskRequest(**body.model_dump(), stream=True)
    return _streaming(pipeline, metrics, asked, questions, gate.collection or DEFAULT, gate.link)


def _streaming(
    pipeline: Pipeline,
    metrics: Metrics,
    body: AskRequest,
    questions: QuestionLog | None,
    collection: str,
    link: convert.Link = None,
) -> StreamingResponse:
    return StreamingResponse(
        _sse_stream(pipeline, metrics, body, questions, collection, link),
        media_type="text/event-stream",
        headers={
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
            GENERATION_HEADER: pipeline.generation.name,
        },
    )


@router.post(
    "/search",
    response_model=SearchResponse,
    responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    summary="The passages retrieval ranks first for a question (no answer)",
)
async def search(body: SearchRequest, gate: GateDep, metrics: MetricsDep) -> SearchResponse:
    pipeline = await gate.pipeline(body.collection)
    t0 = time.perf_counter()
    passages = await to_thread.run_sync(
        lambda: pipeline.search(body.question, body.top_k, convert.filters(body.filters))
    )
    metrics.retrieval.observe(time.perf_counter() - t0)
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
