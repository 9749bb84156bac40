"""Every figure in an answer, checked by value against the passage its [n] marker cites.

Answers are checked whoever wrote them: the extractive answerer copies sentences (so this should
always pass), a language model may not. A date naming the source is checked against that source's date.
"""

from __future__ import annotations

import re

from app.models import Figure, Passage
from app.text.numbers import Quantity, extract_quantities, figure_in_text

_MARKER = re.compile(r"\[(\d+)\]")


def _citation_for(text: str, q: Quantity) -> int | None:
    """The marker after the figure in its sentence; else the next one; else the one before."""
    end = text.find(".", q.end)
    after = _MARKER.search(text, q.end, end if end >= 0 else len(text))
    if after is None:
        after = _MARKER.search(text, q.end)
    if after:
        return int(after.group(1))
    before = list(_MARKER.finditer(text, 0, q.start))
    if before:
        return int(before[-1].group(1))
    return None


def _supported(q: Quantity, passage: Passage, min_ocr: float = 0.0) -> bool:
    if passage.chunk.ocr is not None and passage.chunk.ocr < min_ocr:
        return False  # a scan read with low confidence may hold a misread digit: never a source
    if q.kind == "date" and q.date and passage.date and q.date == passage.date:
        return True
    return figure_in_text(q, f"{passage.chunk.header}\n{passage.chunk.text}")


def cited_ids(text: str) -> list[int]:
    """The distinct [n] markers of a text, in order of first use."""
    return list(dict.fromkeys(int(m.group(1)) for m in _MARKER.finditer(text)))


def drop_unknown_markers(text: str, valid: set[int]) -> str:
    """Markers that point at no passage are removed: a citation must lead somewhere."""
    cleaned = _MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", text)
    return re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()


def attribute(text: str, passages: dict[int, Passage], min_ocr: float = 0.0) -> str:
    """Give a figure stated without any [n] the marker of the one passage that holds it, if exactly
    one does (small models often forget markers). Ambiguous or unsupported figures stay unmarked and
    so unverified."""
    inserts: list[tuple[int, int]] = []
    for q, n in figures_with_citations(text):
        if n is not None:
            continue
        holders = [n for n, p in passages.items() if _supported(q, p, min_ocr)]
        if len(holders) == 1:
            inserts.append((q.end, holders[0]))
    for pos, n in reversed(inserts):
        text = f"{text[:pos]} [{n}]{text[pos:]}"
    return text


def figures_with_citations(text: str) -> list[tuple[Quantity, int | None]]:
    """Each figure of `text` with the [n] it belongs to (the marker after it in its sentence, or before)."""
    blanked = _MARKER.sub(lambda m: " " * len(m.group(0)), text)
    return [(q, _citation_for(text, q)) for q in extract_quantities(blanked)]


def ground(text: str, passages: dict[int, Passage], min_ocr: float = 0.0) -> list[Figure]:
    """Each figure of `text` with the marker it belongs to and whether that passage holds it (a passage
    read by OCR below `min_ocr` mean confidence holds none)."""
    figures = []
    for q, n in figures_with_citations(text):
        passage = passages.get(n) if n is not None else None
        ok = passage is not None and _supported(q, passage, min_ocr)
        figures.append(Figure(text=q.text, value=q.value, unit=q.unit, citation=n, verified=ok))
    return figures
