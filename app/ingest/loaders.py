"""Files -> `Extracted` blocks, one reader per format.

Every reader returns typed blocks in reading order (`app.ingest.blocks`), so `app.ingest.clean` and
the chunker treat all formats alike, and what a reader left out is named in `removed`.
Problems raise one `DocumentError` subclass each, with a message a user can act on.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

from app.ingest.blocks import Extracted
from app.ingest.errors import CorruptDocument, DocumentError, EmptyDocument, NoTextLayer, UnsupportedFormat
from app.ingest.formats.html import read_html
from app.ingest.formats.image import read_image
from app.ingest.formats.pdf import join_pdf_lines, read_pdf
from app.ingest.formats.text import read_md, read_txt
from app.ingest.formats.word import read_docx
from app.ingest.formats.xlsx import read_xlsx
from app.text import nfc

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

_READERS: dict[str, Callable[[str, bytes], Extracted]] = {
    ".txt": read_txt,
    ".md": read_md,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".xlsx": read_xlsx,
    ".png": read_image,
    ".jpg": read_image,
    ".jpeg": read_image,
    ".tif": read_image,
    ".tiff": read_image,
}
SUPPORTED = tuple(_READERS)
_SPACES = re.compile(r"[\s\u200b\ufeff]+")


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in _READERS:
        raise UnsupportedFormat(
            f"{name}: unsupported format {suffix or '(no extension)'!r}; "
            f"convert it to one of: {', '.join(SUPPORTED)}"
        )
    return suffix


def read_bytes(name: str, data: bytes) -> Extracted:
    """Bytes in memory -> blocks, dispatched on `name`'s suffix, so uploads need no temp file."""
    suffix = _suffix(name)
    if not data:
        raise EmptyDocument(f"{name}: the file is empty (0 bytes). Check the upload or copy finished.")
    extracted = _READERS[suffix](name, data)
    blocks = []
    for b in extracted.blocks:  # one line each, NFC, single spaces: whatever the format gave
        text = _SPACES.sub(" ", nfc(b.text)).strip()
        if text:
            blocks.append(b if text == b.text else dataclasses.replace(b, text=text))
    extracted.blocks = blocks
    if not blocks:
        raise EmptyDocument(f"{name}: no text found in the file. Check that it has content.")
    return extracted


def read_text(path: Path) -> Extracted:
    """Read a file from disk; the suffix is checked first so unsupported files are never read."""
    _suffix(path.name)
    return read_bytes(path.name, path.read_bytes())
