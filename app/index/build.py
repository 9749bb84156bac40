"""Documents -> the document store -> a new index generation, embedding only chunks not already stored.

Every change follows one order: take the writer lock, write the changed documents to the store
(fsynced: the source of truth), then build and publish a generation derived from the whole store.
A crash between the two leaves the store ahead of the index; `open_index` notices (the manifest
records each document's content hash) and rebuilds, so nothing acknowledged is ever lost.

Embedding is the slow part of ingest (seconds per dozen chunks on this hardware), so vectors are
keyed by a hash of the exact text embedded and reused across runs; an unchanged corpus writes nothing.
An upload may also defer it (`defer_embedding`): the generation is published with the new chunks
lexically searchable and their rows marked pending, and the next write without deferral (the
server's backfill, any CLI ingest, a restart) embeds them. Dense search skips pending rows.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from app.chunk import chunk_document
from app.config import Settings
from app.embed import Embedder, embed_passages
from app.index.crashpoints import checkpoint
from app.index.documents import DocumentStore
from app.index.store import (
    EmbedderMismatch,
    Generation,
    IndexLoadError,
    current_name,
    generation_documents,
    generation_names,
    load_generation,
    write_generation,
    writer_lock,
)
from app.index.vectors import make_vector_store
from app.models import Chunk, Document

log = logging.getLogger("app.index")


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    embedded: int = 0  # chunks that needed the model this run
    pending: int = 0  # chunks published lexical-only, their vectors still to come
    seconds: float = 0.0
    generation: str | None = None  # None when nothing changed and no generation was written
    removed_lines: Counter[str] = field(default_factory=Counter)  # by reason, in the documents written

    def summary(self) -> str:
        """One line for the CLI and the admin API alike."""
        changes = (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed"
        )
        written = f"generation {self.generation}" if self.generation else "nothing to write"
        deferred = f", {self.pending} left to embed in the background" if self.pending else ""
        cleaned = ""
        if self.removed_lines:
            reasons = ", ".join(f"{r} {n}" for r, n in self.removed_lines.most_common())
            cleaned = f"; cleaning removed {self.removed_lines.total()} lines ({reasons})"
        return (
            f"{changes}; index holds {self.documents} documents, {self.chunks} chunks; "
            f"embedded {self.embedded} chunks{deferred} in {self.seconds:.1f} s{cleaned}; {written}"
        )


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_store(index_dir: Path) -> DocumentStore:
    """The store under `index_dir`, first filled from the current generation if the index predates it."""
    store = DocumentStore(index_dir / "documents")
    if not store.exists() and current_name(index_dir) is not None:
        try:
            docs = generation_documents(index_dir)
        except IndexLoadError as exc:
            raise IndexLoadError(
                f"{exc}; this index predates the document store, so there is nothing to rebuild it "
                f"from: ingest the source files again with: python -m app ingest --rebuild <files>"
            ) from exc
        store.put(docs)
        log.info("moved %d documents from the index into %s", len(docs), store.root)
    store.clean_leftovers()
    return store


def in_sync(gen: Generation, documents: Mapping[str, Document]) -> bool:
    """The generation was built from exactly these documents (same ids, same content)."""
    built = gen.manifest.get("documents") or {}
    return built.keys() == documents.keys() and all(
        built[i].get("content_hash") == d.content_hash for i, d in documents.items()
    )


def _reusable(index_dir: Path, embedder: Embedder) -> Generation | None:
    """The current generation, whose vectors the next one reuses. If it is damaged, the newest older
    generation that verifies (same embedder) lends its vectors instead: vectors are keyed by the
    text they embed, so a rebuild from the documents re-embeds only what no intact generation holds."""
    if current_name(index_dir) is None and not generation_names(index_dir):
        return None
    try:
        return load_generation(index_dir, expected_embedder=embedder.name)
    except EmbedderMismatch:
        raise
    except IndexLoadError as exc:
        log.warning("the current index is damaged, rebuilding it from the stored documents: %s", exc)
    for name in generation_names(index_dir):
        try:
            return load_generation(index_dir, expected_embedder=embedder.name, name=name)
        except IndexLoadError:
            continue
    return None


def _up_to_date(
    index_dir: Path, prev: Generation | None, documents: Mapping[str, Document], fill_pending: bool
) -> bool:
    """The current generation already is these documents, with every vector this write could add
    (none pending, or pending rows this write is not asked to fill)."""
    return (
        prev is not None
        and prev.name == current_name(index_dir)
        and in_sync(prev, documents)
        and not (prev.pending and fill_pending)
    )


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
    """Add or update `documents` and drop `remove`: store first, then a generation derived from the
    store. `rebuild` re-embeds everything; `wait_s` bounds the wait for another writer (`WriterBusy`);
    `defer_embedding` publishes new chunks lexical-only (see the module docstring); `vectors` are
    ready-made ones by text hash (`embed_pending` computes them before it takes the lock);
    `originals` are the uploaded files by doc_id, kept beside their documents."""
    originals = originals or {}
    t0 = time.perf_counter()
    report = IngestReport()
    index_dir = settings.INDEX_DIR
    with writer_lock(index_dir, wait_s):
        try:
            prev = None if rebuild else _reusable(index_dir, embedder)
        except EmbedderMismatch as exc:
            raise EmbedderMismatch(f"{exc} (or pass --rebuild to re-embed everything)") from exc
        store = document_store(index_dir)
        stored = store.all()
        report.removed = [i for i in dict.fromkeys(remove) if i in stored]
        changed: dict[str, Document] = {}
        for doc in documents:
            old = stored.get(doc.doc_id)
            if old is None:
                report.added.append(doc.doc_id)
            elif old.content_hash != doc.content_hash:
                report.updated.append(doc.doc_id)
            else:
                report.unchanged.append(doc.doc_id)
                if doc.doc_id in originals and not store.has_original(doc.doc_id):
                    store.put([doc], originals)  # same text, but now its file is kept too
                continue
            changed[doc.doc_id] = doc
            report.removed_lines.update(r.reason for r in doc.removed)
        store.put(changed.values(), originals)
        store.remove(report.removed)
        checkpoint("documents-written", index_dir)
        final = {k: v for k, v in stored.items() if k not in report.removed} | changed
        report.documents = len(final)
        if _up_to_date(index_dir, prev, final, fill_pending=bool(vectors) or not defer_embedding):
            assert prev is not None
            report.chunks, report.pending = len(prev.chunks), len(prev.pending)
        else:
            _write(settings, embedder, final, prev, report, progress, defer_embedding, vectors or {})
    report.seconds = time.perf_counter() - t0
    return report


def embed_pending(
    settings: Settings, embedder: Embedder, gen: Generation, wait_s: float | None = None
) -> IngestReport:
    """Give `gen`'s pending rows (the server's generation, already in memory) their vectors. The
    embedding (seconds) runs without the writer lock, so uploads meanwhile are not kept waiting; the
    lock is held only to publish. Vectors are matched by text, so if `gen` is no longer current the
    rows it does not cover simply stay pending for the next run."""
    texts = {_key(c.embed_text): c.embed_text for row, c in enumerate(gen.chunks) if row in gen.pending}
    fresh = embed_passages(embedder, list(texts.values()), settings.EMBED_BATCH_SIZE)
    # Rows uploaded while this ran stay pending (deferred again) for the next run: embedding them
    # here would hold the lock for as long as the uploads took to embed.
    report = ingest_documents(
        settings,
        embedder,
        [],
        wait_s=wait_s,
        vectors=dict(zip(texts, fresh, strict=True)),
        defer_embedding=True,
    )
    report.embedded += len(texts)
    return report


def reindex(settings: Settings, embedder: Embedder, *, progress: bool = False) -> IngestReport:
    """Rebuild every chunk and vector from the stored documents (the source of truth), e.g. after a
    change of embedder or chunk size. Vectors are reused only when the embedder is the same."""
    t0 = time.perf_counter()
    report = IngestReport()
    with writer_lock(settings.INDEX_DIR):
        store = document_store(settings.INDEX_DIR)
        by_id = store.all()
        reread = _reread_originals(store, by_id)
        if reread:
            store.put(reread.values(), {i: store.original(i) or b"" for i in reread})
            by_id |= reread
            report.updated = sorted(reread)
        try:
            prev = _reusable(settings.INDEX_DIR, embedder)
        except EmbedderMismatch:
            prev = None  # another embedder: embed everything
        report.unchanged = sorted(set(by_id) - set(report.updated))
        report.documents = len(by_id)
        _write(settings, embedder, by_id, prev, report, progress)
    report.seconds = time.perf_counter() - t0
    return report


def _reread_originals(store: DocumentStore, by_id: Mapping[str, Document]) -> dict[str, Document]:
    """Documents whose kept original file, read again by today's readers, gives new content."""
    from app.ingest import DocumentError, document_from_original

    out: dict[str, Document] = {}
    for doc_id, doc in by_id.items():
        data = store.original(doc_id)
        if data is None or not doc.source:
            continue
        try:
            fresh = document_from_original(doc_id, doc.source, data)
        except DocumentError as exc:
            log.warning("keeping %s as stored: its original no longer reads (%s)", doc_id, exc)
            continue
        if fresh.content_hash != doc.content_hash:
            out[doc_id] = fresh
    return out


def check_index(settings: Settings, embedder: Embedder) -> Generation:
    """The current generation if it loads, verifies and matches the stored documents; else
    `IndexLoadError` (`EmbedderMismatch` when only a reindex may fix it). Reads, never writes."""
    gen = load_generation(settings.INDEX_DIR, expected_embedder=embedder.name)
    store = DocumentStore(settings.INDEX_DIR / "documents")
    if store.exists() and not in_sync(gen, store.all()):
        raise IndexLoadError(f"{gen.name} is behind the stored documents (a write was interrupted)")
    return gen


def can_rebuild(settings: Settings) -> bool:
    """There is something to rebuild an index from: stored documents, or an index to take them from."""
    return bool(DocumentStore(settings.INDEX_DIR / "documents").ids()) or (
        current_name(settings.INDEX_DIR) is not None
    )


def open_index(settings: Settings, embedder: Embedder) -> Generation:
    """The current generation, first rebuilt from the stored documents if it is missing, damaged or
    behind them. Never serves vectors of another embedder: that stays an error (`reindex`)."""
    try:
        return check_index(settings, embedder)
    except EmbedderMismatch:
        raise
    except IndexLoadError as exc:
        if not can_rebuild(settings):
            raise
        log.warning("rebuilding the index: %s", exc)
    report = ingest_documents(settings, embedder, [])
    log.info("index rebuilt: %s", report.summary())
    return load_generation(settings.INDEX_DIR, expected_embedder=embedder.name)


def _write(
    settings: Settings,
    embedder: Embedder,
    by_id: dict[str, Document],
    prev: Generation | None,
    report: IngestReport,
    progress: bool,
    defer: bool = False,
    ready: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Chunk every document, embed only the chunks no stored vector covers (or, deferring, mark them
    pending behind a zero placeholder), write a new generation."""
    known: dict[str, np.ndarray] = dict(ready or {})
    if prev:
        ids, stored = prev.vectors.vectors()
        for row, vec in zip(ids.tolist(), stored, strict=True):
            if row not in prev.pending:
                known[_key(prev.chunks[row].embed_text)] = vec
    docs = sorted(by_id.values(), key=lambda d: d.doc_id)
    chunks: list[Chunk] = []
    for doc in docs:
        chunks.extend(chunk_document(doc, settings.CHUNK_MAX_CHARS, settings.CHUNK_OVERLAP_SENTENCES))
    keys = [_key(c.embed_text) for c in chunks]
    todo = {k: c.embed_text for k, c in zip(keys, chunks, strict=True) if k not in known}
    pending: frozenset[int] = frozenset()
    if todo and defer:
        pending = frozenset(row for row, k in enumerate(keys) if k in todo)
        known.update(dict.fromkeys(todo, np.zeros(embedder.dim, np.float32)))
        todo = {}
    if todo:
        bar = tqdm(total=len(todo), unit="chunk", desc="embedding", disable=not progress)
        fresh = embed_passages(embedder, list(todo.values()), settings.EMBED_BATCH_SIZE, bar.update)
        bar.close()
        known.update(zip(todo.keys(), fresh, strict=True))
    matrix = np.stack([known[k] for k in keys]) if keys else np.empty((0, embedder.dim), np.float32)
    vectors = make_vector_store(settings, embedder.dim)
    vectors.add(np.arange(len(keys), dtype=np.int64), matrix)
    report.generation = write_generation(
        settings.INDEX_DIR,
        docs,
        chunks,
        vectors,
        embedder=embedder.name,
        keep=settings.KEEP_GENERATIONS,
        pending=pending,
    )
    report.chunks = len(chunks)
    report.embedded = len(todo)
    report.pending = len(pending)
