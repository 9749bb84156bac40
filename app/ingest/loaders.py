"""Files -> raw text, one reader per format.

Every reader returns text shaped like the seed `.txt` files (paragraphs separated by blank lines, the
title on the first line), so `app.ingest.clean.clean` and the chunker treat all formats alike.
Problems raise one `DocumentError` subclass each, with a message a user can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.ingest.errors import CorruptDocument, DocumentError, EmptyDocument, NoTextLayer, UnsupportedFormat
from app.ingest.formats.html import read_html
from app.ingest.formats.pdf import join_pdf_lines, read_pdf
from app.ingest.formats.text import normalize, read_md, read_txt
from app.ingest.formats.word import read_docx

__all__ = [
    "SUPPORTED",
    "CorruptDocument",
    "DocumentError",
    "EmptyDocument",
    "NoTextLayer",
    "UnsupportedFormat",
    "join_pdf_lines",
    "read_bytes",
    "read_text",
]

SUPPORTED = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")


# --- text / markdown -------------------------------------------------------------------------------


_READERS: dict[str, Callable[[str, bytes], str]] = {
    ".txt": read_txt,
    ".md": read_md,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}
_RAW = {".txt", ".md"}  # returned as decoded, so the seeds stay byte-identical


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in _READERS:
        raise UnsupportedFormat(
            f"{name}: unsupported format {suffix or '(no extension)'!r}; "
            f"convert it to one of: {', '.join(SUPPORTED)}"
        )
    return suffix


def read_bytes(name: str, data: bytes) -> str:
    """Bytes in memory -> raw text, dispatched on `name`'s suffix, so uploads need no temp file."""
    suffix = _suffix(name)
    if not data:
        raise EmptyDocument(f"{name}: the file is empty (0 bytes). Check the upload or copy finished.")
    text = _READERS[suffix](name, data)
    if suffix not in _RAW:
        text = normalize(text)
    if not text.strip():
        raise EmptyDocument(f"{name}: no text found in the file. Check that it has content.")
    return text


def read_text(path: Path) -> str:
    """Read a file from disk; the suffix is checked first so unsupported files are never read."""
    _suffix(path.name)
    return read_bytes(path.name, path.read_bytes())
