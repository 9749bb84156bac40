"""Open the embedded index, or bring it back: check that nothing is left to redo, rebuild it from
the document store (the source of truth) when it is damaged or behind, and `reindex` everything
after a change of embedder, chunk size or readers."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping

import numpy as np

from app.config import Settings
from app.embed import Embedder
from app.index.build import document_store, ingest_documents, wipe
from app.index.catalog import Catalog
from app.index.documents import DocumentStore
from app.index.generation_write import apply_write
from app.index.identity import IndexLoadError, NeedsReindex
from app.index.report import IngestReport
from app.index.store import (
    Generation,
    IndexFiles,
    in_sync,
    load_generation,
    writer_lock,
)
from app.models import Document

log = logging.getLogger("app.index")


def reindex(settings: Settings, embedder: Embedder, *, progress: bool = False) -> IngestReport:
    """Rebuild every chunk and vector from the stored documents (the source of truth), e.g. after a
    change of embedder or chunk size. Vectors are reused only when the embedder is the same."""
    t0 = time.perf_counter()
    report = IngestReport()
    index_dir = settings.INDEX_DIR
    with writer_lock(index_dir):
        store = document_store(index_dir)
        by_id = store.all()
        reread = _reread_originals(store, by_id)
        if reread:
            store.put(reread.values(), {i: store.original(i) or b"" for i in reread})
            by_id |= reread
            report.updated = sorted(reread)
        reuse: dict[str, np.ndarray] = {}
        if (index_dir / "catalog.sqlite").exists():
            try:
                files = IndexFiles.of(index_dir, settings)
                if files.catalog.meta("embedder") == embedder.name:
                    reuse = _all_vectors(files.catalog)
            except Exception as exc:  # a damaged catalog lends nothing
                log.warning("no vectors to reuse from %s: %s", index_dir, exc)
        wipe(index_dir)
        files = IndexFiles.of(index_dir, settings)
        report.unchanged = sorted(set(by_id) - set(report.updated))
        apply_write(settings, embedder, files, by_id, (), report, progress, ready=reuse)
        g = files.catalog.generation
        report.documents = files.catalog.document_count(g)
        report.chunks = files.catalog.chunk_total(g)
    report.seconds = time.perf_counter() - t0
    return report


def _all_vectors(catalog: Catalog) -> dict[str, np.ndarray]:
    return {
        h: np.frombuffer(v, dtype=np.float32).copy()
        for h, v in catalog.db.execute("SELECT text_hash, vector FROM chunks WHERE vector IS NOT NULL")
    }


def _reread_originals(store: DocumentStore, by_id: Mapping[str, Document]) -> dict[str, Document]:
    """Documents whose kept original file, read again by today's readers and profile, gives new
    content, and documents whose facets the profile now finds otherwise."""
    from app.ingest import DocumentError, document_from_original, facets_of

    out: dict[str, Document] = {}
    for doc_id, doc in by_id.items():
        data = store.original(doc_id)
        if data is not None and doc.source:
            try:
                fresh = document_from_original(doc_id, doc.source, data)
            except DocumentError as exc:
                log.warning("keeping %s as stored: its original no longer reads (%s)", doc_id, exc)
            else:
                if fresh.content_hash != doc.content_hash or fresh.facets != doc.facets:
                    out[doc_id] = fresh
                continue
        if (facets := facets_of(doc.text)) != doc.facets:
            out[doc_id] = dataclasses.replace(doc, facets=facets)
    return out


def check_index(settings: Settings, embedder: Embedder) -> Generation:
    """The newest generation if it loads and nothing is left to redo; else `IndexLoadError`
    (`EmbedderMismatch` when only a reindex may fix it). Reads, never writes."""
    gen = load_generation(settings.INDEX_DIR, expected_embedder=embedder.name, settings=settings)
    behind = in_sync(gen.files)
    if behind:
        raise IndexLoadError(f"{gen.name} is behind the stored documents ({behind})")
    return gen


def can_rebuild(settings: Settings) -> bool:
    """There is something to rebuild an index from: stored documents."""
    return bool(DocumentStore(settings.INDEX_DIR / "documents").ids())


def open_index(settings: Settings, embedder: Embedder) -> Generation:
    """The newest generation, first repaired (interrupted write redone, damaged index rebuilt from
    the stored documents). Never serves vectors of another embedder: that stays an error (`reindex`)."""
    try:
        return check_index(settings, embedder)
    except NeedsReindex:
        raise
    except IndexLoadError as exc:
        if not can_rebuild(settings):
            raise
        log.warning("repairing the index: %s", exc)
    report = ingest_documents(settings, embedder, [])
    log.info("index repaired: %s", report.summary())
    return load_generation(settings.INDEX_DIR, expected_embedder=embedder.name, settings=settings)
