"""An OpenAI-compatible API of our own, so any OpenAI client or chat UI can use the service.

`POST /v1/chat/completions` (JSON or streamed chunks) answers the last user message, rewritten into
a standalone question from the turns before it; citations travel as footnotes in the content and in
an extra `citations` field. A "model" is a collection: `GET /v1/models` lists those the key may
read, and `model` in a request names the one to answer from (omitted, or "vn-docqa": the key's one
collection, else `default`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from app.answer.followup import conversation_question
from app.models import Answer
from app.pipeline import DeltaEvent, FinalEvent, Pipeline
from app.serve import convert
from app.serve.access import DEFAULT
from app.serve.deps import GateDep, MetricsDep, QuestionLogDep
from app.serve.metrics import Metrics
from app.serve.question_log import QuestionLog, remember
from app.serve.schemas import MAX_QUESTION_CHARS
from app.text import lone_surrogate, sanitize

MODEL_ID = "vn-docqa"
router = APIRouter(prefix="/v1", tags=["openai-compatible"])


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return " ".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")  # clients send temperature, top_p, ...: accepted, unused

    model: str | None = Field(None, max_length=64, description="the collection to answer from")
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=100)
    stream: bool = False
    top_k: int = Field(5, ge=1, le=20, description="extension: passages to retrieve")
    # Bounded so nonsense is refused (422); the answer's length is capped by LLM_MAX_TOKENS either way.
    max_tokens: int | None = Field(None, ge=1, le=4096, description="accepted; LLM_MAX_TOKENS caps answers")
    max_completion_tokens: int | None = Field(None, ge=1, le=4096, description="as max_tokens")


def _question(body: ChatRequest) -> str:
    texts = [m.text() for m in body.messages if m.role == "user"]
    if any(lone_surrogate(t) for t in texts):
        raise HTTPException(422, detail="messages: a lone surrogate is not text: send UTF-8")
    turns = [t for t in (sanitize(t).strip() for t in texts) if t]
    if not turns:
        raise HTTPException(422, detail="messages must contain a user message with text")
    question = conversation_question(turns[-6:])
    if len(question) > MAX_QUESTION_CHARS:
        raise HTTPException(422, detail=f"the question must be at most {MAX_QUESTION_CHARS} characters")
    return question


def _footnotes(answer: Answer) -> str:
    if not answer.citations:
        return ""
    lines = [
        f"[{c.id}] {c.passage.title or c.passage.chunk.doc_id}"
        + (f" ({c.passage.date})" if c.passage.date else "")
        + f" — {c.passage.chunk.chunk_id}"
        for c in answer.citations
    ]
    return "\n\nNguồn:\n" + "\n".join(lines)


def _extras(answer: Answer, latency_ms: float, link: convert.Link = None) -> dict[str, Any]:
    full = convert.answer(answer, latency_ms, link).model_dump()
    return {k: full[k] for k in ("citations", "figures", "abstained", "mode", "fallback_reason", "corrected")}


def _usage(answer: Answer) -> dict[str, int]:
    p = (answer.llm.prompt_tokens if answer.llm else None) or 0
    c = (answer.llm.completion_tokens if answer.llm else None) or 0
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


@router.get("/models", summary="The collections this key may ask about, each a model")
def models(gate: GateDep) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": c.name, "object": "model", "created": int(c.created_at), "owned_by": MODEL_ID}
            for c in gate.readable()
        ],
    }


_CHAT_RESPONSES: dict[int | str, dict] = {
    200: {
        "description": "A chat completion (JSON), or with `stream: true` its chunks as Server-Sent Events",
        "content": {"application/json": {}, "text/event-stream": {}},
    },
}


@router.post(
    "/chat/completions",
    responses=_CHAT_RESPONSES,
    summary="OpenAI-compatible chat: answers the last user message",
)
async def chat_completions(
    body: ChatRequest, gate: GateDep, metrics: MetricsDep, questions: QuestionLogDep
) -> Any:
    question = _question(body)
    asked = None if body.model in (None, "", MODEL_ID) else body.model
    pipeline = await gate.pipeline(asked)
    model = asked or MODEL_ID
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if body.stream:
        return StreamingResponse(
            _chunks(
                pipeline,
                metrics,
                question,
                body.top_k,
                cid,
                created,
                model,
                questions,
                gate.collection or DEFAULT,
                gate.link,
            ),
            media_type="text/event-stream",
        )
    result = await metrics.final(pipeline.events(question, body.top_k))
    a = result.answer
    answer_id = await remember(
        questions, gate.collection or DEFAULT, question, a.abstained, a.mode, result.latency_ms
    )
    return {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": a.text + _footnotes(a)},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(a),
        **_extras(a, result.latency_ms, gate.link),
        "answer_id": answer_id,
    }


async def _chunks(
    pipeline: Pipeline,
    metrics: Metrics,
    question: str,
    top_k: int,
    cid: str,
    created: int,
    model: str,
    questions: QuestionLog | None,
    collection: str,
    link: convert.Link = None,
) -> AsyncIterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    try:
        async for event in metrics.observe(pipeline.events(question, top_k)):
            if isinstance(event, DeltaEvent):
                yield chunk({"content": event.text})
            elif isinstance(event, FinalEvent):
                a = event.answer
                tail = _footnotes(a)
                if a.corrected:  # the streamed text held a figure its source does not: say so, give the fix
                    tail = f"\n\n[Đính chính] {a.text}{tail}"
                if tail:
                    yield chunk({"content": tail})
                answer_id = await remember(
                    questions, collection, question, a.abstained, a.mode, event.latency_ms
                )
                extras = _extras(a, event.latency_ms, link)
                yield chunk({}, "stop", usage=_usage(a), **extras, answer_id=answer_id)
    except Exception:
        yield chunk({"content": "\n\n[Lỗi] Không hoàn tất được câu trả lời, vui lòng thử lại."}, "stop")
    yield "data: [DONE]\n\n"
