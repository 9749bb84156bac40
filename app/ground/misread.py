"""Figures OCR may have misread: a page's mean confidence can be high while one word on it was read
at 45 ("198,4%" for a smudged "109,4%"). Such a figure is searchable but never stated or verified."""

from __future__ import annotations

import re

__all__ = ["misread"]

_NUMBER = re.compile(r"\d(?:[\d.,/:-]*\d)?")


def misread(text: str, doubtful: tuple[tuple[str, float], ...], min_ocr: float) -> bool:
    """Whether a number written in `text` is one OCR read below `min_ocr` (by its digits: "198,4"
    of the doubtful word "198,4%" matches "198,4 %" and "198,4% dự toán", never the "4" of "4 ha")."""
    low = {m.group() for word, conf in doubtful if conf < min_ocr for m in _NUMBER.finditer(word)}
    return bool(low) and any(m.group() in low for m in _NUMBER.finditer(text))
