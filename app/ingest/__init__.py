"""Source files -> `Document`s: read, clean, date, title, localities, content hash."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from app.ingest.clean import clean
from app.ingest.loaders import SUPPORTED, DocumentError, UnsupportedFormat, read_bytes, read_text
from app.ingest.localities import find_localities
from app.models import Document

__all__ = [
    "SUPPORTED",
    "DocumentError",
    "UnsupportedFormat",
    "document_from_bytes",
    "document_from_text",
    "find_sources",
    "load_document",
]


def document_from_text(doc_id: str, raw: str, source: str | None = None) -> Document:
    c = clean(raw)
    digest = hashlib.sha256("\x1f".join([c.title, c.date or "", c.text]).encode()).hexdigest()
    return Document(
        doc_id=doc_id,
        title=c.title,
        text=c.text,
        date=c.date,
        localities=find_localities(c.text),
        source=source,
        content_hash=digest,
    )


def document_from_bytes(name: str, data: bytes) -> Document:
    """An uploaded file: the doc_id is its name without extension, made safe for URLs."""
    doc_id = re.sub(r"[^\w.-]+", "_", Path(name).stem).strip("._")[:100] or "document"
    return document_from_text(doc_id, read_bytes(name, data), source=name)


def load_document(path: Path) -> Document:
    return document_from_text(path.stem, read_text(path), source=path.name)


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
