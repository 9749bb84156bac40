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
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from app.config import Settings
from app.embed import Embedder, EmbedProgress, embed_texts, make_checkpoint
from app.index.catalog import Catalog, chunk_from_row
from app.index.crashpoints import checkpoint
from app.index.documents import DocumentStore
from app.index.lexical import LexicalRecord
from app.index.places import place_names
from app.index.prepare import chunks_of, embedded, passage_key
from app.index.store import (
    FORMAT_VERSION,
    EmbedderMismatch,
    Generation,
    IndexFiles,
    IndexLoadError,
    current_name,
    generation_name,
    in_sync,
    load_generation,
    write_pointer,
    writer_lock,
)
from app.index.vectors import VectorStore
from app.index.vocabulary import SqliteVocabulary
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
    resumed: int = 0  # chunks whose vectors a stopped run had saved (EMBED_CHECKPOINT)
    pending: int = 0  # chunks published lexical-only, their vectors still to come
    seconds: float = 0.0
    generation: str | None = None  # None when nothing changed and no generation was written
    removed_lines: Counter[str] = field(default_factory=Counter)  # by reason, in the documents written
    chunk_counts: dict[str, int] = field(default_factory=dict)  # doc_id -> chunks, for those written
    progress: EmbedProgress = field(default_factory=EmbedProgress, repr=False)  # the embedding, live

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
        resumed = f" (+{self.resumed} saved by a stopped run)" if self.resumed else ""
        rate = self.progress.rate
        speed = f" at {rate:.1f}/s" if self.embedded and rate else ""
        return (
            f"{changes}; index holds {self.documents} documents, {self.chunks} chunks; "
            f"embedded {self.embedded} chunks{resumed}{speed}{deferred} in {self.seconds:.1f} s"
            f"{cleaned}; {written}"
        )


def document_store(index_dir: Path) -> DocumentStore:
    return DocumentStore(index_dir / "documents")


def _wipe(index_dir: Path) -> None:
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
        _wipe(index_dir)
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
            return files, version is None, {}
        except EmbedderMismatch:
            raise
        except Exception as exc:  # sqlite3.DatabaseError, a damaged lexical index, an old format
            log.warning(
                "the index in %s cannot be used (%s): rebuilding it from the stored documents", index_dir, exc
            )
            _wipe(index_dir)
        return IndexFiles.of(index_dir, settings), True, {}
    legacy = {} if rebuild else _legacy_vectors(index_dir, embedder)
    _wipe(index_dir)  # leftovers of an older format
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
            _apply(
                settings, embedder, files, changed, report.removed, report, progress, defer_embedding, fill
            )
        g = catalog.generation
        report.documents = catalog.document_count(g)
        report.chunks = catalog.chunk_total(g)
        report.pending = len(catalog.pending(g))
        report.chunk_counts = {i: catalog.chunk_count_of(i, g) for i in [*changed, *report.unchanged]}
    report.seconds = time.perf_counter() - t0
    return report


def _apply(
    settings: Settings,
    embedder: Embedder,
    files: IndexFiles,
    changed: Mapping[str, Document],
    removed: Iterable[str],
    report: IngestReport,
    progress: bool = False,
    defer: bool = False,
    ready: Mapping[str, np.ndarray] | None = None,
) -> int:
    """One generation: the changed documents' new versions (chunked, vectors reused or embedded or
    left pending), the removed ones dead. Costs these documents, not the corpus. Returns G."""
    catalog = files.catalog
    g = catalog.generation
    chunked: dict[str, tuple[list[Chunk], list[str]]] = {}
    for doc in changed.values():
        chunks = chunks_of(settings, doc)
        chunked[doc.doc_id] = (chunks, [passage_key(c) for c in chunks])
    wanted = {h for _, hashes in chunked.values() for h in hashes}
    known: dict[str, np.ndarray] = dict(ready or {})
    known.update(catalog.vectors_by_hash(wanted - known.keys()))
    todo = {
        h: c.embed_text for chunks, hashes in chunked.values() for c, h in zip(chunks, hashes, strict=True)
    }
    todo = {h: t for h, t in todo.items() if h not in known}
    if not defer:
        todo.update({h: t for h, t in catalog.pending_texts(g).items() if h not in known})
    with embedded(settings, embedder, {} if defer else todo, progress=report.progress, bar=progress) as fresh:
        if fresh:
            known.update(fresh)
            report.embedded += report.progress.done
            report.resumed += report.progress.resumed
        new = _publish(settings, embedder, files, changed, removed, chunked, known, ready, todo)
    report.generation = generation_name(new)
    _collect(settings, catalog, new)
    return new


def _publish(
    settings: Settings,
    embedder: Embedder,
    files: IndexFiles,
    changed: Mapping[str, Document],
    removed: Iterable[str],
    chunked: Mapping[str, tuple[list[Chunk], list[str]]],
    known: Mapping[str, np.ndarray],
    ready: Mapping[str, np.ndarray] | None,
    todo: Mapping[str, str],
) -> int:
    """Steps 3 and 4 of a write (see the module doc) for prepared documents. Returns G."""
    catalog = files.catalog
    g = catalog.generation
    new = g + 1
    records: list[LexicalRecord] = []
    gone = [*changed, *removed]
    with catalog.transaction() as db:
        old_texts: list[str] = []
        documents = chunk_count = 0
        for doc_id in gone:
            found = Catalog.kill_document(db, doc_id, new)
            if found is not None:
                old, n = found
                old_texts.append(old.text)
                Catalog.count_places(db, place_names(old), -1)
                documents, chunk_count = documents - 1, chunk_count - n
        for doc in changed.values():
            chunks, hashes = chunked[doc.doc_id]
            vecs = [known.get(h) for h in hashes]
            keys = Catalog.add_document(db, doc, chunks, hashes, vecs, new)
            records.extend(
                LexicalRecord(key, doc.doc_id, doc.date, f"{c.header}\n{c.text}")
                for key, c in zip(keys, chunks, strict=True)
            )
            Catalog.count_places(db, place_names(doc), +1)
            documents, chunk_count = documents + 1, chunk_count + len(chunks)
        # One update for the write: a word that passes through 0 during a replace keeps its place.
        SqliteVocabulary(db).update(add=[d.text for d in changed.values()], remove=old_texts)
        Catalog.fill_vectors(db, {h: v for h, v in known.items() if h in (ready or {}) or h in todo}, new)
        Catalog.count(db, new, documents, chunk_count)
        db.executemany("DELETE FROM journal WHERE doc_id = ?", [(i,) for i in gone])
        Catalog.set_meta(
            db,
            format_version=FORMAT_VERSION,
            embedder=embedder.name,
            dim=_dim(embedder, known, catalog),
            generation=new,
        )
    checkpoint("catalog-written", settings.INDEX_DIR)
    files.lexical.write(records, gone, marker=new)
    checkpoint("lexical-written", settings.INDEX_DIR)
    write_pointer(settings.INDEX_DIR, new)
    checkpoint("current-written", settings.INDEX_DIR)
    return new


def _dim(embedder: Embedder, known: Mapping[str, np.ndarray], catalog: Catalog) -> int:
    """The vectors' dimension, without asking a remote embedder for a probe when it can be seen. A
    model that changed behind the same name (a remote endpoint's) is refused, never mixed in."""
    stored = int(catalog.meta("dim") or 0)
    held = stored if catalog.chunk_total(catalog.generation) else 0  # an emptied index holds nothing
    dims = {len(v) for v in known.values()}
    if len(dims) > 1 or (held and dims - {held}):
        raise EmbedderMismatch(
            f"{embedder.name!r} now gives vectors of dimension {', '.join(map(str, sorted(dims - {held})))}, "
            f"but the index holds dimension {held}: the model behind it changed; python -m app reindex"
        )
    return held or min(dims, default=0) or stored or embedder.dim


def _collect(settings: Settings, catalog: Catalog, g: int) -> None:
    """Drop versions dead for KEEP_GENERATIONS writes that the saved vector base no longer holds."""
    # A saved vector base holds the vectors alive at its generation; rows that died after it say
    # which of them to leave out when it is loaded, so they stay until the next base.
    base_gen = int(catalog.meta("vector_base_gen", "0") or 0)
    before = g - settings.KEEP_GENERATIONS
    if catalog.meta("vector_base"):
        before = min(before, base_gen)
    if before > 0:
        with catalog.transaction() as db:
            Catalog.collect(db, before)


def write_vector_base(files: IndexFiles, number: int, store: VectorStore) -> Path:
    """Save `store` (the vectors of generation `number`, merged) as the base the next start reads,
    then record it; older bases go, but the one before stays for a process still reading it."""
    files.vectors_dir.mkdir(parents=True, exist_ok=True)
    name = f"base-{number:08d}.faiss"
    path = files.vectors_dir / name
    store.save_base(path)
    with files.catalog.transaction() as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'vector_base_gen'").fetchone()
        if row is None or int(row[0]) < number:
            Catalog.set_meta(db, vector_base=name, vector_base_gen=number)
    for old in sorted(files.vectors_dir.glob("base-*.faiss"))[:-2]:
        old.unlink(missing_ok=True)
    return path


def save_vector_base(settings: Settings, gen: Generation) -> Path:
    """Fold `gen`'s vectors into one base file: O(corpus), for the CLI after a bulk ingest and the
    server's background merge, never on a write's path."""
    return write_vector_base(gen.files, gen.number, gen.vectors.merged())


def compact_vectors(settings: Settings, embedder: Embedder) -> Path | None:
    """After a bulk write: save a vector base when one is due (`base_due`), so the next start reads
    one file instead of building it from the catalog."""
    gen = load_generation(settings.INDEX_DIR, embedder.name, settings=settings)
    return save_vector_base(settings, gen) if base_due(gen) else None


def base_due(gen: Generation) -> bool:
    """A new vector base is worth saving: the changes since the last one pass VECTOR_DELTA_MAX, or
    there is none yet (every start would build it again from the catalog's vectors)."""
    return gen.vectors.needs_merge or (len(gen.vectors) > 0 and not gen.catalog.meta("vector_base"))


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
            _apply(settings, embedder, files, changed, removed, report or IngestReport(), ready=ready)
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
            files.lexical.write(_records(catalog.alive_chunks_of(ids, g)), ids, marker=g)
        else:
            files.lexical.clear()
            batch: list[LexicalRecord] = []
            for row in catalog.iter_alive_chunks(g):
                batch.append(_record(row))
                if len(batch) >= 20_000:
                    files.lexical.write(batch, (), marker=0)
                    batch = []
            files.lexical.write(batch, (), marker=g)
        redone = True
    if g and current_name(settings.INDEX_DIR) != generation_name(g):
        write_pointer(settings.INDEX_DIR, g)
    return redone


def _record(row: tuple[int, str, str | None, Chunk]) -> LexicalRecord:
    key, doc_id, date, c = row
    return LexicalRecord(key, doc_id, date, f"{c.header}\n{c.text}")


def _records(rows: Iterable[tuple[int, str, str | None, Chunk]]) -> list[LexicalRecord]:
    return [_record(r) for r in rows]


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
        _wipe(index_dir)
        files = IndexFiles.of(index_dir, settings)
        report.unchanged = sorted(set(by_id) - set(report.updated))
        _apply(settings, embedder, files, by_id, (), report, progress, ready=reuse)
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
    except EmbedderMismatch:
        raise
    except IndexLoadError as exc:
        if not can_rebuild(settings):
            raise
        log.warning("repairing the index: %s", exc)
    report = ingest_documents(settings, embedder, [])
    log.info("index repaired: %s", report.summary())
    return load_generation(settings.INDEX_DIR, expected_embedder=embedder.name, settings=settings)
