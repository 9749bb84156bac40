"""Prepared documents -> one new generation of the embedded index: steps 3 and 4 of a write (see
`app.index.build`): the catalog transaction, then the lexical commit, then CURRENT. The ingest, the
repair after a crash and the reindex all publish through `apply_write`, so a generation is always
made the same way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from app import profiles
from app.config import Settings
from app.embed import Embedder
from app.index import catalog_write
from app.index.catalog import Catalog
from app.index.crashpoints import checkpoint
from app.index.identity import EmbedderMismatch
from app.index.lexical import LexicalRecord
from app.index.places import place_names
from app.index.prepare import chunks_of, embedded, passage_key
from app.index.report import IngestReport
from app.index.store import (
    FORMAT_VERSION,
    IndexFiles,
    generation_name,
    write_pointer,
)
from app.index.vocabulary import SqliteVocabulary
from app.models import Chunk, Document


def apply_write(
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
            found = catalog_write.kill_document(db, doc_id, new)
            if found is not None:
                old, n = found
                old_texts.append(old.text)
                catalog_write.count_places(db, place_names(old), -1)
                documents, chunk_count = documents - 1, chunk_count - n
        for doc in changed.values():
            chunks, hashes = chunked[doc.doc_id]
            vecs = [known.get(h) for h in hashes]
            keys = catalog_write.add_document(db, doc, chunks, hashes, vecs, new)
            records.extend(
                LexicalRecord(key, doc.doc_id, doc.date, f"{c.header}\n{c.text}")
                for key, c in zip(keys, chunks, strict=True)
            )
            catalog_write.count_places(db, place_names(doc), +1)
            documents, chunk_count = documents + 1, chunk_count + len(chunks)
        # One update for the write: a word that passes through 0 during a replace keeps its place.
        SqliteVocabulary(db).update(add=[d.text for d in changed.values()], remove=old_texts)
        catalog_write.fill_vectors(
            db, {h: v for h, v in known.items() if h in (ready or {}) or h in todo}, new
        )
        Catalog.count(db, new, documents, chunk_count)
        db.executemany("DELETE FROM journal WHERE doc_id = ?", [(i,) for i in gone])
        Catalog.set_meta(
            db,
            format_version=FORMAT_VERSION,
            embedder=embedder.name,
            profile=profiles.active().identity,
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
            catalog_write.collect(db, before)


def lexical_record(row: tuple[int, str, str | None, Chunk]) -> LexicalRecord:
    key, doc_id, date, c = row
    return LexicalRecord(key, doc_id, date, f"{c.header}\n{c.text}")


def lexical_records(rows: Iterable[tuple[int, str, str | None, Chunk]]) -> list[LexicalRecord]:
    return [lexical_record(r) for r in rows]
