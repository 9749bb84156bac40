"""Cleaned text -> sentence spans, the units a chunk is packed from.

A boundary is punctuation followed by white space and a capital, quote or list dash. Figures never
hold white space ("348,5", "1.648", "ngày 11.7", "57-NQ/TW"), so they are never cut; a list item
("- Tốc độ tăng ... 12%.") is one unit. A unit longer than a chunk is cut at "; " between targets.
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(
    r"(?<=[.!?…;:])[\"”’)]*\s+(?=[-–•]\s)"  # a list dash after a sentence end or colon
    r"|(?<=[.!?…])[\"”’)]*\s+(?=[\"“(]?[A-ZÀÁẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬĐÈÉẺẼẸÊẾỀỂỄỆÌÍỈĨỊÒÓỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÙÚỦŨỤƯỨỪỬỮỰỲÝỶỸỴ0-9])"
)
# Abbreviations whose period does not end a sentence.
_ABBREV = re.compile(r"(?:\b(?:TP|TS|ThS|PGS|GS|BS|Th|St|Mr|Mrs|Dr|v\.v)|\b[A-ZĐ])\.$")
_ITEM = re.compile(r";\s+")
# A paragraph that opens with a list marker ("1.", "a)", "II.") or a legal label ("Điều 5.",
# "Chương II.") is not a sentence by itself: it is the number of what follows.
_MARKER = re.compile(
    r"^\s*(?:(?:Phần|PHẦN|Chương|CHƯƠNG|Mục|MỤC|Điều|ĐIỀU|Khoản|Điểm)\s+)?"
    r"(?:\d{1,3}(?:\.\d{1,3})*[a-z]?|[a-zđ]|[IVXLC]{1,6})[.)]$"
)


def split_sentences(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Spans (start, end) of sentences, paragraph by paragraph; together they cover all content."""
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", text):
        start = para.start()
        for m in _BOUNDARY.finditer(para.group(0)):
            cut = para.start() + m.start()
            if _ABBREV.search(text[max(start, cut - 5) : cut]) or _MARKER.match(text[start:cut]):
                continue
            spans.extend(_split_long(text, start, cut, max_chars))
            start = para.start() + m.end()
        spans.extend(_split_long(text, start, para.end(), max_chars))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """A sentence longer than a chunk is cut between its "; "-separated items, never inside one."""
    end = start + len(text[start:end].rstrip())
    if end - start <= max_chars:
        return [(start, end)]
    out: list[tuple[int, int]] = []
    piece = start
    last_cut: tuple[int, int] | None = None
    for m in _ITEM.finditer(text, start, end):
        if m.start() - piece > max_chars and last_cut:
            out.append((piece, last_cut[0]))
            piece = last_cut[1]
        last_cut = (m.start() + 1, m.end())
    if end - piece > max_chars and last_cut and last_cut[1] > piece:
        out.append((piece, last_cut[0]))
        piece = last_cut[1]
    out.append((piece, end))
    return out
