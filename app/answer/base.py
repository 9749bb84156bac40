"""The answerer interface: passages in, a draft answer with [n] markers out (grounding comes after)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.models import Passage
from app.retrieve import Query

ABSTAIN_TEXT = "Tài liệu hiện có không nêu thông tin này."


@dataclass
class Draft:
    text: str
    cited: list[Passage]  # cited[i] is marker [i + 1]
    abstained: bool
    reason: str | None = None  # why it abstained or fell back; for logs and the eval report


class Answerer(Protocol):
    mode: str

    def answer(self, query: Query, passages: list[Passage]) -> Draft: ...
