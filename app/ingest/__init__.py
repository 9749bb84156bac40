"""Source files -> `Document`s: read into blocks, clean (naming what goes), place under headings,
date, title, facets, content hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from app.ingest.blocks import Extracted
from app.ingest.clean import clean
from app.ingest.formats.text import line_blocks
from app.ingest.loaders import SUPPORTED, DocumentError, UnsupportedFormat, read_bytes, read_text
from app.ingest.localities import facets_of
from app.ingest.structure import place_blocks
from app.models import Document, Span
from app.text import nfc

__all__ = [
    "SUPPORTED",
    "DocumentError",
    "UnsupportedFormat",
    "doc_id_for",
    "document_from_bytes",
    "document_from_extracted",
    "document_from_original",
    "document_from_text",
    "facets_of",
    "find_sources",
    "load_document",
]


def document_from_extracted(doc_id: str, extracted: Extracted, source: str | None = None) -> Document:
    """Clean, place under headings, and lay the blocks out as paragraphs with a `Span` each."""
    c = clean(extracted)
    parts: list[str] = []
    spans: list[Span] = []
    offset = 0
    for placed in place_blocks(c.blocks, c.title):
        b = placed.block
        if parts:
            offset += 2  # the "\n\n" between paragraphs
        parts.append(b.text)
        span = Span(offset, offset + len(b.text), b.kind, placed.path, b.page, b.table, b.row, b.ocr)
        spans.append(dataclasses.replace(span, doubtful=_placed_words(b.text, b.doubtful)))
        offset += len(b.text)
    text = "\n\n".join(parts)
    structure = json.dumps(
        # Doubtful words only where there are some, so a document without them hashes as before.
        [[s.kind, s.path, s.page, s.table, s.row, s.ocr, *([s.doubtful] * bool(s.doubtful))] for s in spans],
        ensure_ascii=False,
    )
    digest = hashlib.sha256("\x1f".join([c.title, c.date or "", text, structure]).encode()).hexdigest()
    return Document(
        doc_id=doc_id,
        title=c.title,
        text=text,
        date=c.date,
        facets=facets_of(text),
        source=source,
        content_hash=digest,
        format=extracted.source,
        spans=tuple(spans),
        removed=tuple(c.removed),
    )


def _placed_words(text: str, words: tuple[tuple[str, float], ...]) -> tuple[tuple[int, int, float], ...]:
    """OCR's doubtful words found in their paragraph's cleaned text, in order. Cleaning may have
    changed a word (a line-end hyphen joined away, a mark sanitised): such a word is looked for
    without its hyphen, and one not found at all is left unmarked rather than marked elsewhere."""
    placed: list[tuple[int, int, float]] = []
    at = 0
    for word, conf in words:
        for form in dict.fromkeys((nfc(word), nfc(word).rstrip("-"))):
            i = text.find(form, at) if form else -1
            if i >= 0:
                placed.append((i, i + len(form), conf))
                at = i + len(form)
                break
    return tuple(placed)


def document_from_text(doc_id: str, raw: str, source: str | None = None) -> Document:
    """Text given directly (the JSON upload, tests): one paragraph per line, as a .txt file."""
    return document_from_extracted(doc_id, Extracted(line_blocks(raw), "text"), source)


def doc_id_for(name: str) -> str:
    """An uploaded file's doc_id: its name without extension, made safe for URLs."""
    return re.sub(r"[^\w.-]+", "_", Path(name).stem).strip("._")[:100] or "document"


def document_from_bytes(name: str, data: bytes) -> Document:
    return document_from_extracted(doc_id_for(name), read_bytes(name, data), source=name)


def document_from_original(doc_id: str, name: str, data: bytes) -> Document:
    """A stored original read again (by `reindex`), under the doc_id it was stored as."""
    return document_from_extracted(doc_id, read_bytes(name, data), source=name)


def load_document(path: Path) -> Document:
    return document_from_extracted(path.stem, read_text(path), source=path.name)


def find_sources(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into their supported files, sorted so ingest order is reproducible."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED))
        elif p.exists():
            found.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    return found
