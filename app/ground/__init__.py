"""Every figure in an answer, checked by value against the passage its [n] marker cites.

Answers are checked whoever wrote them: the extractive answerer copies sentences (so this should
always pass), a language model may not. A date naming the source is checked against that source's date.
A computed figure ("348,5 - 310,2 = 38,3 tỷ đồng") is checked by computing it again from figures
the cited passages hold (`app.ground.arithmetic`).
"""

from __future__ import annotations

import re

from app.ground.arithmetic import Computation, computations, derived, wrong_total
from app.ground.misread import misread
from app.models import Figure, Passage
from app.text.numbers import (
    Quantity,
    approximate,
    extract_quantities,
    figure_in_text,
    passage_quantities,
    quantities_match,
    rounding_of,
)

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
    if misread(q.text, passage.chunk.doubtful, min_ocr):
        return False  # nor is a figure whose own word OCR read with low confidence
    if q.kind == "date" and q.date and passage.date and q.date == passage.date:
        return True
    return figure_in_text(q, f"{passage.chunk.header}\n{passage.chunk.text}")


def as_stated(q: Quantity, text: str, passage: Passage) -> Quantity:
    """The passage's own figure for a figure of an answer: for one the answer says it rounded
    ("khoảng 348 tỷ đồng"), the passage figure it rounds; for one whose unit it leaves out ("348,5
    tỷ"), the passage's figure of that value with its unit ("348,5 tỷ đồng"); else itself. What the
    claim checks then read."""
    held = f"{passage.chunk.header}\n{passage.chunk.text}"
    if approximate(text, q) and not _supported(q, passage):
        return rounding_of(q, held) or q
    if q.unit is None and q.kind == "number":
        same = [p for p in passage_quantities(held) if p.unit and quantities_match(q, p)]
        if len({p.unit for p in same}) == 1:
            return same[0]
    return q


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


def _computed(c: Computation, cited: list[Passage], min_ocr: float) -> tuple[list[Figure], bool]:
    """A written-out computation's operands, each checked against the passages the answer cites, and
    its result, right only when every operand is there and the result recomputes."""
    figures, operands_ok = [], True
    for numeral in c.operands:
        q = extract_quantities(numeral)
        ok = bool(q) and any(_supported(q[0], p, min_ocr) for p in cited)
        operands_ok &= ok
        figures.append(
            Figure(text=numeral, value=q[0].value if q else None, unit=None, citation=None, verified=ok)
        )
    if c.result is not None:
        r = c.result
        ok = operands_ok and c.correct
        figures.append(
            Figure(text=r.text, value=r.value, unit=r.unit, citation=None, verified=ok, computed=True)
        )
    return figures, operands_ok and c.correct


def ground(text: str, passages: dict[int, Passage], min_ocr: float = 0.0) -> list[Figure]:
    """Each figure of `text` with the marker it belongs to and whether that passage holds it (a passage
    read by OCR below `min_ocr` mean confidence holds none). Computations are checked by recomputing."""
    cited = [passages[n] for n in cited_ids(text) if n in passages]
    placed: list[tuple[int, Figure]] = []
    spans = computations(text)
    for c in spans:
        placed += [(c.start, f) for f in _computed(c, cited, min_ocr)[0]]
    rest = text
    for c in spans:  # blanked, so their numerals are not read again as quoted figures
        rest = rest[: c.start] + " " * (c.end - c.start) + rest[c.end :]
    stated = []
    for q, n in figures_with_citations(rest):
        passage = passages.get(n) if n is not None else None
        ok = passage is not None and _supported(as_stated(q, rest, passage), passage, min_ocr)
        stated.append((q, n, ok))
    verified = [q for q, _, ok in stated if ok]
    for q, n, ok in stated:
        # A total must add up the figures listed before it, whatever else its passage holds.
        if wrong_total(q, rest, [v for v in verified if v.end <= q.start]):
            placed.append((q.start, Figure(q.text, q.value, q.unit, n, verified=False)))
            continue
        computed = not ok and derived(q, rest, [v for v in verified if v is not q])
        figure = Figure(q.text, q.value, q.unit, n, verified=ok or computed, computed=computed)
        placed.append((q.start, figure))
    return [f for _, f in sorted(placed, key=lambda pf: pf[0])]
