"""Documents -> the document store -> the catalog, lexical index and vectors, one generation per write.

Every change follows one order, under the writer lock:
1. the journal names the documents about to change (catalog, committed);
2. the document store gets them (fsynced: the source of truth);
3. one catalog transaction: the old versions die, the new ones and their chunks (with vectors, or
   pending) are born at generation G+1, the running counts move, the journal empties;
4. the lexical index commits the same documents, stamped G+1; then CURRENT names G+1.
A reader serves the generation the lexical index holds, so it never sees half of a write. A crash
anywhere is repaired at the next open (`recover`): journaled documents are redone from the store,
a lexical index behind the catalog catches up. Each costs the documents it touches.

Embedding is the slow part (seconds per dozen chunks here), so vectors are found by a hash of the
exact text embedded and reused; an upload may also defer it (`defer_embedding`): its chunks are
published lexical-only (pending) and the server's background run embeds them next.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import faiss
import numpy as np

from app.config import Settings
from app.embed import Embedder, EmbedProgress, embed_texts, make_checkpoint
from app.index.catalog import chunk_from_row
from app.index.crashpoints import checkpoint
from app.index.documents import DocumentStore
from app.index.generation_write import apply_write, lexical_record, lexical_records
from app.index.identity import EmbedderMismatch, IndexLoadError, NeedsReindex, profile_problem
from app.index.lexical import LexicalRecord
from app.index.prepare import passage_key
from app.index.report import IngestReport
from app.index.store import (
    FORMAT_VERSION,
    Generation,
    IndexFiles,
    current_name,
    generation_name,
    write_pointer,
    writer_lock,
)
from app.models import Document

log = logging.getLogger("app.index")


def document_store(index_dir: Path) -> DocumentStore:
    return DocumentStore(index_dir / "documents")


def wipe(index_dir: Path) -> None:
    """Drop the derived index (never the document store) before building it again."""
    IndexFiles.forget(index_dir)
    for name in ("catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm", "CURRENT"):
        (index_dir / name).unlink(missing_ok=True)
    for folder in ("lexical", "vectors"):
        shutil.rmtree(index_dir / folder, ignore_errors=True)
    for old in index_dir.glob("gen-*"):  # generations of the format before this one
        shutil.rmtree(old, ignore_errors=True)


def _legacy_vectors(index_dir: Path, embedder: Embedder) -> dict[str, np.ndarray]:
    """Vectors of an index in the previous format (one folder per generation), by text hash, so an
    upgrade rebuilds from the stored documents without embedding them again."""
    name = current_name(index_dir)
    folder = index_dir / name if name else None
    if folder is None or not (folder / "chunks.jsonl").is_file():
        return {}
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("embedder") != embedder.name:
            return {}
        pending = set(manifest.get("pending") or ())
        index = faiss.read_index(str(folder / "vectors.faiss"))
        out: dict[str, np.ndarray] = {}
        with (folder / "chunks.jsonl").open(encoding="utf-8") as f:
            for row, line in enumerate(f):
                if row not in pending:
                    out[passage_key(chunk_from_row(line))] = index.reconstruct(row)
        log.info("reusing %d vectors of the index's previous format", len(out))
        return out
    except Exception as exc:  # damaged: the rebuild embeds instead
        log.warning("no vectors reused from %s: %s", folder, exc)
        return {}


def _files_for_write(
    settings: Settings, embedder: Embedder, rebuild: bool
) -> tuple[IndexFiles, bool, dict[str, np.ndarray]]:
    """The index's files, ready for a write: (files, fresh). A missing, damaged or older-format
    index starts again empty (`fresh`: every stored document is then written into it); another
    embedder's index only with `rebuild`."""
    index_dir = settings.INDEX_DIR
    index_dir.mkdir(parents=True, exist_ok=True)
    if rebuild:
        wipe(index_dir)
    elif (index_dir / "catalog.sqlite").exists():
        try:
            files = IndexFiles.of(index_dir, settings)
            version = files.catalog.meta("format_version")
            made_by = files.catalog.meta("embedder")
            if version not in (None, str(FORMAT_VERSION)):
                raise IndexLoadError(f"index format {version}")
            if made_by is not None and made_by != embedder.name:
                raise EmbedderMismatch(
                    f"{index_dir} was built with embedder {made_by!r} but {embedder.name!r} is configured; "
                    "vectors of two embedders cannot be mixed: python -m app reindex (or pass --rebuild "
                    "to re-embed everything)"
                )
            if made_by is not None and (problem := profile_problem(index_dir, files.catalog.meta("profile"))):
                raise problem
            return files, version is None, {}
        except NeedsReindex:
            raise
        except Exception as exc:  # sqlite3.DatabaseError, a damaged lexical index, an old format
            log.warning(
                "the index in %s cannot be used (%s): rebuilding it from the stored documents", index_dir, exc
            )
            wipe(index_dir)
        return IndexFiles.of(index_dir, settings), True, {}
    legacy = {} if rebuild else _legacy_vectors(index_dir, embedder)
    wipe(index_dir)  # leftovers of an older format
    return IndexFiles.of(index_dir, settings), True, legacy


def ingest_documents(
    settings: Settings,
    embedder: Embedder,
    documents: list[Document],
    *,
    remove: Iterable[str] = (),
    rebuild: bool = False,
    progress: bool = False,
    wait_s: float | None = None,
    defer_embedding: bool = False,
    vectors: Mapping[str, np.ndarray] | None = None,
    originals: Mapping[str, bytes] | None = None,
) -> IngestReport:
    """Add or update `documents` and drop `remove`: journal, store, then one generation. `rebuild`
    re-embeds everything; `wait_s` bounds the wait for another writer (`WriterBusy`);
    `defer_embedding` publishes new chunks lexical-only; `vectors` are ready-made ones by text hash
    (`embed_pending` computes them before it takes the lock); `originals` are the uploaded files by
    doc_id, kept beside their documents."""
    originals = originals or {}
    t0 = time.perf_counter()
    report = IngestReport()
    index_dir = settings.INDEX_DIR
    with writer_lock(index_dir, wait_s):
        files, fresh, legacy = _files_for_write(settings, embedder, rebuild)
        store = document_store(index_dir)
        recover_locked(settings, embedder, files, store, fresh=fresh, report=report, ready=legacy)
        catalog = files.catalog
        g = catalog.generation
        current = catalog.content_hashes([d.doc_id for d in documents] + list(remove), g)
        report.removed = [i for i in dict.fromkeys(remove) if i in current]
        changed: dict[str, Document] = {}
        for doc in documents:
            old = current.get(doc.doc_id)
            if old is None:
                report.added.append(doc.doc_id)
            elif old != doc.content_hash:
                report.updated.append(doc.doc_id)
            else:
                report.unchanged.append(doc.doc_id)
                if doc.doc_id in originals and not store.has_original(doc.doc_id):
                    store.put([doc], originals)  # same text, but now its file is kept too
                continue
            changed[doc.doc_id] = doc
            report.removed_lines.update(r.reason for r in doc.removed)
        fill = dict(vectors or {})
        if changed or report.removed or fill or (not defer_embedding and catalog.pending(g)):
            with catalog.transaction() as db:
                db.executemany(
                    "INSERT OR IGNORE INTO journal(doc_id) VALUES (?)",
                    [(i,) for i in [*changed, *report.removed]],
                )
            store.put(changed.values(), originals)
            store.remove(report.removed)
            checkpoint("documents-written", index_dir)
            apply_write(
                settings, embedder, files, changed, report.removed, report, progress, defer_embedding, fill
            )
        g = catalog.generation
        report.documents = catalog.document_count(g)
        report.chunks = catalog.chunk_total(g)
        report.pending = len(catalog.pending(g))
        report.chunk_counts = {i: catalog.chunk_count_of(i, g) for i in [*changed, *report.unchanged]}
    report.seconds = time.perf_counter() - t0
    return report


def recover_locked(
    settings: Settings,
    embedder: Embedder,
    files: IndexFiles,
    store: DocumentStore,
    fresh: bool = False,
    report: IngestReport | None = None,
    ready: Mapping[str, np.ndarray] | None = None,
) -> bool:
    """Bring the index level with the document store after an interrupted write (caller holds the
    writer lock). `fresh`: the index is empty, so every stored document goes in. Returns whether
    anything was redone."""
    catalog = files.catalog
    if fresh:
        docs = store.all()
        with catalog.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO journal(doc_id) VALUES (?)", [(i,) for i in docs])
    journal = [r[0] for r in catalog.db.execute("SELECT doc_id FROM journal")]
    redone = False
    if journal or fresh:
        store.clean_leftovers()  # temp files only a write cut short leaves, and it left a journal
        g = catalog.generation
        current = catalog.content_hashes(journal, g)
        changed: dict[str, Document] = {}
        removed: list[str] = []
        for doc_id in journal:
            doc = store.get(doc_id)
            if doc is None:
                if doc_id in current:
                    removed.append(doc_id)
            elif current.get(doc_id) != doc.content_hash:
                changed[doc_id] = doc
        if changed or removed or fresh:
            log.info(
                "bringing the index level with the stored documents: %d to write, %d to remove",
                len(changed),
                len(removed),
            )
            apply_write(settings, embedder, files, changed, removed, report or IngestReport(), ready=ready)
            redone = True
        else:
            with catalog.transaction() as db:
                db.execute("DELETE FROM journal")
    g = catalog.generation
    marker = files.lexical.marker()
    if marker != g:
        log.info("the lexical index is at generation %d, the catalog at %d: catching up", marker, g)
        if 0 < marker < g:
            ids = catalog.changed_doc_ids(marker, g)
            files.lexical.write(lexical_records(catalog.alive_chunks_of(ids, g)), ids, marker=g)
        else:
            files.lexical.clear()
            batch: list[LexicalRecord] = []
            for row in catalog.iter_alive_chunks(g):
                batch.append(lexical_record(row))
                if len(batch) >= 20_000:
                    files.lexical.write(batch, (), marker=0)
                    batch = []
            files.lexical.write(batch, (), marker=g)
        redone = True
    if g and current_name(settings.INDEX_DIR) != generation_name(g):
        write_pointer(settings.INDEX_DIR, g)
    return redone


def embed_pending(
    settings: Settings,
    embedder: Embedder,
    gen: Generation,
    wait_s: float | None = None,
    progress: EmbedProgress | None = None,
) -> IngestReport:
    """Give `gen`'s pending chunks their vectors. The embedding (seconds) runs without the writer
    lock, so uploads meanwhile are not kept waiting; the lock is held only to publish. Vectors are
    matched by text, so chunks uploaded meanwhile stay pending for the next run. `progress` is what
    `/metrics` shows of it."""
    texts = gen.catalog.pending_texts(gen.number)
    progress = progress if progress is not None else EmbedProgress()
    saved = make_checkpoint(settings, embedder)
    try:
        fresh = embed_texts(embedder, texts, settings.EMBED_BATCH_SIZE, checkpoint=saved, progress=progress)
        report = ingest_documents(settings, embedder, [], wait_s=wait_s, vectors=fresh, defer_embedding=True)
        saved.discard(fresh)
    finally:
        saved.close()
    report.embedded += progress.done
    report.resumed += progress.resumed
    report.progress = progress
    return report
