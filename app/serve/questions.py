"""Feedback on an answer, and the question log of a collection: what was asked, what was not
answered (the content gaps), and what askers thought.

Feedback needs only what reading the answer's collection needs (no key for a public one). The log
and the gaps need the manage role in the collection (or the root key): questions are what people
asked, not for every reader to see.
"""

from collections.abc import Callable
from typing import Annotated, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.serve.deps import GateDep, QuestionLogDep
from app.serve.gate import default_collection, named_collection
from app.serve.question_log import QuestionLog

router = APIRouter(tags=["questions"])
_OFF = "the question log is off (QUESTION_LOG=false)"


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer_id: str = Field(..., min_length=8, max_length=64, pattern=r"^[0-9a-f]+$")
    rating: Literal[1, -1] = Field(..., description="1: the answer helped; -1: it did not")
    comment: str | None = Field(None, max_length=2000)


def _log(log: QuestionLog | None) -> QuestionLog:
    if log is None:
        raise HTTPException(404, detail=_OFF)
    return log


@router.post("/feedback", status_code=201, summary="Thumbs up or down on an answer (by its answer_id)")
async def feedback(body: FeedbackIn, gate: GateDep, log: QuestionLogDep) -> JSONResponse:
    questions = _log(log)
    collection = await to_thread.run_sync(questions.collection_of, body.answer_id)
    if collection is None:
        raise HTTPException(
            404, detail=f"no answer {body.answer_id!r} (or it is older than QUESTION_LOG_DAYS)"
        )
    gate.readable_or_404(collection)
    comment = " ".join(body.comment.split()) if body.comment else None
    await to_thread.run_sync(questions.feedback, body.answer_id, body.rating, comment)
    return JSONResponse({"answer_id": body.answer_id, "rating": body.rating}, status_code=201)


def _questions_routes(sub: APIRouter, collection: Callable[..., str]) -> APIRouter:
    """`/collections/{name}/questions|gaps`, and `/questions|gaps` for `default`."""

    @sub.get("/questions", summary="Questions asked: answered or abstained, mode, latency, time, feedback")
    def questions(
        gate: GateDep,
        log: QuestionLogDep,
        name: Annotated[str, Depends(collection)],
        abstained: Annotated[bool | None, Query(description="only the abstained (true) or answered")] = None,
        offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> JSONResponse:
        gate.may_manage(name, "read the question log")
        total, rows = _log(log).page(name, abstained, offset, limit)
        return JSONResponse({"total": total, "offset": offset, "limit": limit, "questions": rows})

    @sub.get("/gaps", summary="Abstained questions grouped by their normalised text, most asked first")
    def gaps(
        gate: GateDep,
        log: QuestionLogDep,
        name: Annotated[str, Depends(collection)],
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> JSONResponse:
        gate.may_manage(name, "read the content gaps")
        return JSONResponse({"gaps": _log(log).gaps(name, limit)})

    return sub


_questions_routes(router, default_collection)
collection_questions = _questions_routes(
    APIRouter(prefix="/collections/{name}", tags=["questions"]), named_collection
)
