"""HTTP request and response bodies. Kept apart from `app.models`: this is the public contract."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.text import lone_surrogate, sanitize

MAX_QUESTION_CHARS = 1000


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_ids: list[str] | None = Field(None, max_length=100, description="only these documents")
    date_from: dt.date | None = Field(None, description="documents dated on or after (YYYY-MM-DD)")
    date_to: dt.date | None = Field(None, description="documents dated on or before (YYYY-MM-DD)")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., description=f"in Vietnamese, 1 to {MAX_QUESTION_CHARS} characters")
    top_k: int = Field(5, ge=1, le=20, description="passages to retrieve")
    filters: FiltersIn | None = None
    collection: str | None = Field(
        None,
        max_length=64,
        description="the collection to answer from; default: the key's one collection, else 'default'",
    )

    @field_validator("question")
    @classmethod
    def _question(cls, v: str) -> str:
        return clean_question(v)


def clean_question(v: str) -> str:
    """The question as retrieval sees it: sanitised (see `app.text.sanitize`), NFC, stripped, bounded."""
    if lone_surrogate(v):
        raise ValueError("question holds a lone surrogate (\\ud800-\\udfff), which is not text: send UTF-8")
    v = sanitize(v).strip()
    if not v:
        raise ValueError("question must not be empty or only white space")
    if len(v) > MAX_QUESTION_CHARS:
        raise ValueError(f"question must be at most {MAX_QUESTION_CHARS} characters (got {len(v)})")
    return v


class AskRequest(SearchRequest):
    stream: bool = Field(False, description="answer as Server-Sent Events: citations, delta..., final")


class CitationOut(BaseModel):
    id: int = Field(..., description="the n of the [n] markers in the answer")
    doc_id: str
    chunk_id: str
    title: str | None
    date: str | None
    text: str = Field(..., description="the passage the figures were verified against")
    score: float
    path: str | None = Field(None, description="where in the original: 'Chương II › Điều 6 › Khoản 2'")
    page: int | None = Field(None, description="page of the original (PDF, scan) the passage starts on")
    table: int | None = Field(None, description="the table (1-based) the passage's rows come from")
    rows: list[int] | None = Field(None, description="those rows' numbers within the table")
    ocr: bool = Field(False, description="read by OCR from a scanned page")
    ocr_confidence: float | None = Field(None, description="mean OCR confidence of that page, 0-100")
    url: str | None = Field(
        None, description="the source page with this passage marked (a signed link, SOURCE_LINK_DAYS)"
    )


class FigureOut(BaseModel):
    text: str
    value: float | None
    unit: str | None
    citation: int | None
    verified: bool
    computed: bool = Field(False, description="computed from cited figures, checked by recomputing")


class LLMUsageOut(BaseModel):
    model: str
    latency_ms: float
    first_token_ms: float | None
    prompt_tokens: int | None
    completion_tokens: int | None
    attempts: int
    repaired: bool


class AskResponse(BaseModel):
    answer: str
    abstained: bool
    mode: Literal["extractive", "llm"] = Field(..., description="which path wrote the answer")
    citations: list[CitationOut] = Field(..., description="the passages the answer cites")
    figures: list[FigureOut]
    latency_ms: float
    fallback_reason: str | None = Field(None, description="why the LLM answer was not used, if it was not")
    corrected: bool = Field(False, description="the streamed text was replaced by this answer")
    confidence: float | None = Field(
        None,
        description="extractive answers: the calibrated probability (0-1) that the best passage sentence "
        "answers the question; the service abstains below its operating point",
    )
    llm: LLMUsageOut | None = None
    answer_id: str | None = Field(None, description="the answer's id, for POST /feedback")


class PassageOut(BaseModel):
    rank: int
    doc_id: str
    chunk_id: str
    title: str | None
    date: str | None
    text: str
    score: float


class SearchResponse(BaseModel):
    passages: list[PassageOut]
    latency_ms: float


class LLMStatus(BaseModel):
    configured: bool
    model: str | None = None
    breaker: Literal["closed", "open", "half-open"] | None = None
    failures: int = 0
    retry_in_s: float | None = None
    last_error: str | None = None


class ReadyResponse(BaseModel):
    ready: bool
    documents: int = 0
    chunks: int = 0
    pending_vectors: int = 0  # chunks an upload stored lexical-only, being embedded in the background
    embedder: str | None = None
    generation: str | None = None
    llm: LLMStatus | None = None
    error: str | None = None


class ErrorResponse(BaseModel):
    error: str
    detail: list[dict] | None = None


Status = Literal["queued", "parsing", "ocr", "embedding", "ready", "failed"]


class DocumentStatus(BaseModel):
    doc_id: str
    status: Status = Field(
        description="queued, parsing, ocr (a scan: pages_done of pages), embedding (answerable by its "
        "words; vectors still to come), ready (answerable both ways), failed (see reason)"
    )
    file: str | None = Field(None, description="the uploaded file's name, while the upload knows it")
    reason: str | None = Field(None, description="why it failed, in words")
    pages_done: int | None = Field(None, description="OCR: pages read so far")
    pages: int | None = Field(None, description="OCR: pages to read")
    chunks_waiting: int | None = Field(None, description="chunks still waiting for their vectors")
    status_url: str


class UploadJob(BaseModel):
    job: str
    status_url: str
    done: bool = Field(description="every file is ready or failed")
    documents: list[DocumentStatus]


class UploadedDocument(BaseModel):
    doc_id: str
    title: str
    change: Literal["new", "updated", "unchanged"]
    status: Status = Field(description="embedding or ready (see GET status_url)")
    status_url: str
    chunks: int
    format: str
    removed: dict[str, int] = Field(description="lines cleaning left out, by reason")


class FailedFile(BaseModel):
    file: str
    doc_id: str
    reason: str


class UploadResponse(BaseModel):
    documents: list[UploadedDocument]
    failed: list[FailedFile] = Field(
        default_factory=list, description="files that could not be read; the others were stored"
    )
    job: str | None = Field(None, description="the upload's id (files only)")
    status_url: str | None = None
    generation: str
    embedded: int = Field(description="chunks embedded by this request")
    embedding_pending: int = Field(description="chunks searchable lexically, their vectors still to come")
    seconds: float
    summary: str


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    date: str | None
    facets: dict[str, list[str]] = Field(description="what the profile found in it, e.g. places")
    chunks: int


class DocumentPage(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[DocumentSummary]


class RemovedLine(BaseModel):
    text: str
    reason: str


class SpanOut(BaseModel):
    start: int
    end: int
    kind: str
    path: list[str]
    page: int | None = None
    table: int | None = None
    row: int | None = None
    ocr: float | None = None


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    text: str
    date: str | None
    facets: dict[str, list[str]] = Field(description="what the profile found in it, e.g. places")
    source: str | None
    content_hash: str
    format: str
    removed: list[RemovedLine]
    removed_counts: dict[str, int]
    spans: list[SpanOut] | None = Field(None, description="with ?spans=true only")
    status: Status = Field(description="as in DocumentStatus: embedding, ready, or a newer upload's")
    reason: str | None = None
    pages_done: int | None = None
    pages: int | None = None
    chunks_waiting: int | None = None
    status_url: str


class DeleteResponse(BaseModel):
    deleted: str
    generation: str
    summary: str
