"""Documents -> a new index generation, embedding only chunks whose vectors are not already stored.

Embedding is the slow part of ingest (seconds per dozen chunks on this hardware), so vectors are
keyed by a hash of the exact text embedded and reused across runs; an unchanged corpus writes nothing.
"""

from __future__ import annotations

import hashlib
import time
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
    rebuild: bool = False,
    progress: bool = False,
) -> IngestReport:
    """Add or update `documents` in the current index (or start afresh with `rebuild`)."""
    t0 = time.perf_counter()
    report = IngestReport()
    index_dir = settings.INDEX_DIR
    with writer_lock(index_dir):
        try:
            prev = _previous(index_dir, embedder, rebuild)
        except IndexLoadError as exc:
            raise IndexLoadError(f"{exc} (or pass --rebuild to start from the files given)") from exc
        by_id: dict[str, Document] = dict(prev.documents) if prev else {}
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
        if prev and not report.added and not report.updated:
            report.chunks = len(prev.chunks)
            report.seconds = time.perf_counter() - t0
            return report

        known: dict[str, np.ndarray] = {}
        if prev:
            for chunk, vec in zip(prev.chunks, prev.vectors.vectors(), strict=True):
                known[_key(chunk.embed_text)] = vec
        chunks: list[Chunk] = []
        for doc in sorted(by_id.values(), key=lambda d: d.doc_id):
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
            index_dir,
            sorted(by_id.values(), key=lambda d: d.doc_id),
            chunks,
            FaissStore.from_vectors(matrix, embedder.dim),
            embedder=embedder.name,
            keep=settings.KEEP_GENERATIONS,
        )
        report.chunks = len(chunks)
        report.embedded = len(todo)
    report.seconds = time.perf_counter() - t0
    return report
