"""Pipeline values -> the public response schemas (shared by /ask, its SSE stream and /v1)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from app.models import Answer, Chunk, Passage
from app.retrieve import Filters
from app.serve.schemas import AskResponse, CitationOut, FigureOut, FiltersIn, LLMUsageOut


def filters(f: FiltersIn | None) -> Filters | None:
    if f is None:
        return None
    return Filters(
        doc_ids=tuple(f.doc_ids) if f.doc_ids is not None else None,
        date_from=f.date_from.isoformat() if f.date_from else None,
        date_to=f.date_to.isoformat() if f.date_to else None,
    )


Link = Callable[[Chunk], str | None] | None  # a cited chunk -> the url of its source page


def citation(n: int, p: Passage, link: Link = None) -> CitationOut:
    c = p.chunk
    return CitationOut(
        url=link(c) if link else None,
        id=n,
        doc_id=c.doc_id,
        chunk_id=c.chunk_id,
        title=p.title,
        date=p.date,
        text=c.text,
        score=p.score,
        path=c.path or None,
        page=c.page,
        table=c.table,
        rows=list(c.rows) if c.rows else None,
        ocr=c.ocr is not None,
        ocr_confidence=round(c.ocr, 1) if c.ocr is not None else None,
    )


def answer(a: Answer, latency_ms: float, link: Link = None) -> AskResponse:
    return AskResponse(
        answer=a.text,
        abstained=a.abstained,
        mode=a.mode,  # type: ignore[arg-type]
        citations=[citation(c.id, c.passage, link) for c in a.citations],
        figures=[FigureOut(**asdict(f)) for f in a.figures],
        latency_ms=round(latency_ms, 2),
        fallback_reason=a.fallback_reason,
        corrected=a.corrected,
        confidence=None if a.confidence is None else round(a.confidence, 3),
        llm=LLMUsageOut(**asdict(a.llm)) if a.llm else None,
    )
