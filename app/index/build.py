"""Documents -> a new index generation, embedding only chunks whose vectors are not already stored.

Embedding is the slow part of ingest (seconds per dozen chunks on this hardware), so vectors are
keyed by a hash of the exact text embedded and reused across runs; an unchanged corpus writes nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from app.chunk import chunk_document
from app.config import Settings
from app.embed import Embedder, embed_passages
from app.index.store import (
    Generation,
    IndexLoadError,
    current_name,
    load_documents,
    load_generation,
    write_generation,
    writer_lock,
)
from app.index.vectors import FaissStore
from app.models import Chunk, Document


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    embedded: int = 0  # chunks that needed the model this run
    seconds: float = 0.0
    generation: str | None = None  # None when nothing changed and no generation was written


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _previous(index_dir: Path, embedder: Embedder, rebuild: bool) -> Generation | None:
    if rebuild or current_name(index_dir) is None:
        return None
    return load_generation(index_dir, expected_embedder=embedder.name)


def ingest_documents(
    settings: Settings,
    embedder: Embedder,
    documents: list[Document],
    *,
    remove: Iterable[str] = (),
    rebuild: bool = False,
    progress: bool = False,
) -> IngestReport:
    """Add or update `documents` and drop `remove` in the current index (or start afresh: `rebuild`)."""
    t0 = time.perf_counter()
    report = IngestReport()
    with writer_lock(settings.INDEX_DIR):
        try:
            prev = _previous(settings.INDEX_DIR, embedder, rebuild)
        except IndexLoadError as exc:
            raise IndexLoadError(f"{exc} (or pass --rebuild to start from the files given)") from exc
        by_id: dict[str, Document] = dict(prev.documents) if prev else {}
        for doc_id in remove:
            if by_id.pop(doc_id, None) is not None:
                report.removed.append(doc_id)
        for doc in documents:
            old = by_id.get(doc.doc_id)
            if old is None:
                report.added.append(doc.doc_id)
            elif old.content_hash != doc.content_hash:
                report.updated.append(doc.doc_id)
            else:
                report.unchanged.append(doc.doc_id)
            by_id[doc.doc_id] = doc
        report.documents = len(by_id)
        if prev and not (report.added or report.updated or report.removed):
            report.chunks = len(prev.chunks)
        else:
            _write(settings, embedder, by_id, prev, report, progress)
    report.seconds = time.perf_counter() - t0
    return report


def reindex(settings: Settings, embedder: Embedder, *, progress: bool = False) -> IngestReport:
    """Rebuild every chunk and vector from the stored documents (the source of truth), e.g. after a
    change of embedder or chunk size. Vectors are reused only when the embedder is the same."""
    t0 = time.perf_counter()
    report = IngestReport()
    with writer_lock(settings.INDEX_DIR):
        documents = load_documents(settings.INDEX_DIR)
        try:
            prev: Generation | None = load_generation(settings.INDEX_DIR, expected_embedder=embedder.name)
        except IndexLoadError:
            prev = None  # another embedder, or damaged vectors: embed everything
        by_id = {d.doc_id: d for d in documents}
        report.unchanged = sorted(by_id)
        report.documents = len(by_id)
        _write(settings, embedder, by_id, prev, report, progress)
    report.seconds = time.perf_counter() - t0
    return report


def _write(
    settings: Settings,
    embedder: Embedder,
    by_id: dict[str, Document],
    prev: Generation | None,
    report: IngestReport,
    progress: bool,
) -> None:
    """Chunk every document, embed only the chunks no stored vector covers, write a new generation."""
    known: dict[str, np.ndarray] = {}
    if prev:
        for chunk, vec in zip(prev.chunks, prev.vectors.vectors(), strict=True):
            known[_key(chunk.embed_text)] = vec
    docs = sorted(by_id.values(), key=lambda d: d.doc_id)
    chunks: list[Chunk] = []
    for doc in docs:
        chunks.extend(chunk_document(doc, settings.CHUNK_MAX_CHARS, settings.CHUNK_OVERLAP_SENTENCES))
    keys = [_key(c.embed_text) for c in chunks]
    todo = {k: c.embed_text for k, c in zip(keys, chunks, strict=True) if k not in known}
    if todo:
        bar = tqdm(total=len(todo), unit="chunk", desc="embedding", disable=not progress)
        fresh = embed_passages(embedder, list(todo.values()), settings.EMBED_BATCH_SIZE, bar.update)
        bar.close()
        known.update(zip(todo.keys(), fresh, strict=True))
    matrix = np.stack([known[k] for k in keys]) if keys else np.empty((0, embedder.dim), np.float32)
    report.generation = write_generation(
        settings.INDEX_DIR,
        docs,
        chunks,
        FaissStore.from_vectors(matrix, embedder.dim),
        embedder=embedder.name,
        keep=settings.KEEP_GENERATIONS,
    )
    report.chunks = len(chunks)
    report.embedded = len(todo)
