"""Every figure in an answer, checked by value against the passage its [n] marker cites.

Answers are checked whoever wrote them: the extractive answerer copies sentences (so this should
always pass), a language model may not. A date naming the source is checked against that source's date.
"""

from __future__ import annotations

import re

from app.models import Figure, Passage
from app.text.numbers import Quantity, extract_quantities, figure_in_text

_MARKER = re.compile(r"\[(\d+)\]")


def _citation_for(text: str, q: Quantity, n_citations: int) -> int | None:
    """The marker that follows the figure in its sentence; else the one before; else the only one."""
    end = text.find(".", q.end)
    after = _MARKER.search(text, q.end, end if end >= 0 else len(text))
    if after is None:
        after = _MARKER.search(text, q.end)
    if after:
        return int(after.group(1))
    before = list(_MARKER.finditer(text, 0, q.start))
    if before:
        return int(before[-1].group(1))
    return 1 if n_citations == 1 else None


def _supported(q: Quantity, passage: Passage) -> bool:
    if q.kind == "date" and q.date and passage.date and q.date == passage.date:
        return True
    return figure_in_text(q, f"{passage.chunk.header}\n{passage.chunk.text}")


def ground(text: str, citations: list[Passage]) -> list[Figure]:
    figures = []
    for q in extract_quantities(_MARKER.sub(lambda m: " " * len(m.group(0)), text)):
        n = _citation_for(text, q, len(citations))
        ok = n is not None and 1 <= n <= len(citations) and _supported(q, citations[n - 1])
        figures.append(Figure(text=q.text, value=q.value, unit=q.unit, citation=n, verified=ok))
    return figures
