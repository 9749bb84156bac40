"""Files -> raw text, one reader per format. Other formats (PDF, DOCX, HTML) join here later."""

from __future__ import annotations

import re
from pathlib import Path

SUPPORTED = (".txt", ".md")

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"^\s{0,3}(#{1,6}|>|[*+]\s)\s*|[*_`]{1,3}", re.MULTILINE)


class UnsupportedFormat(ValueError):
    pass


def read_text(path: Path) -> str:
    """Decode a text file; UTF-8 (with or without BOM) is the only encoding these sources use."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise UnsupportedFormat(
            f"{path.name}: unsupported format {suffix!r}; supported: {', '.join(SUPPORTED)}"
        )
    raw = path.read_bytes().decode("utf-8-sig")
    if suffix == ".md":
        raw = _MD_MARKS.sub("", _MD_LINK.sub(r"\1", raw))
    return raw
