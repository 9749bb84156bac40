"""The answerer interface: passages in, a draft answer with [n] markers out (grounding comes after).

Answerers are synchronous and CPU-bound (the extractive one); the LLM path lives in `app.answer.llm`
and is composed with the extractive fallback in `app.pipeline`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.models import Passage
from app.retrieve import Query

ABSTAIN_TEXT = "Tài liệu hiện có không nêu thông tin này."


@dataclass
class Draft:
    """An answer before grounding; its [n] markers number the passages it was given, from 1."""

    text: str
    abstained: bool
    reason: str | None = None  # why it abstained; for logs and the eval report
    confidence: float | None = None  # the calibrated probability that the best evidence answers


class Answerer(Protocol):
    mode: str

    def answer(self, query: Query, passages: list[Passage]) -> Draft: ...
