"""Which index the CLI and tools read and write: the embedded one under INDEX_DIR, or the shared one
in Milvus (`VECTOR_STORE=milvus`). A server does the same through `make_index_service`."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from app.config import Settings
from app.embed import Embedder
from app.index.build import IngestReport, ingest_documents, open_index
from app.index.store import EmbedderMismatch, IndexFiles
from app.index.view import IndexView
from app.models import Document

if TYPE_CHECKING:
    from app.index.shared import SharedIndex

log = logging.getLogger("app.index")


def open_view(settings: Settings, embedder: Embedder) -> IndexView:
    """The index to answer from (the embedded one is repaired first if it must be)."""
    if settings.VECTOR_STORE == "milvus":
        from app.index.shared import SharedIndex

        return SharedIndex(settings, embedder.name, embedder.dim).view()
    return open_index(settings, embedder)


def write(
    settings: Settings,
    embedder: Embedder,
    documents: list[Document],
    *,
    remove: Iterable[str] = (),
    originals: Mapping[str, bytes] | None = None,
    progress: bool = False,
    rebuild: bool = False,
    vectors: Mapping[str, np.ndarray] | None = None,
) -> IngestReport:
    """Add or update documents and drop `remove`, in whichever index is configured. `vectors` are
    ready-made passage vectors by text key (a distributed ingest embeds before it writes)."""
    if settings.VECTOR_STORE == "milvus":
        if rebuild:
            drop(settings, embedder)
        return _shared(settings, embedder).write(
            documents, embedder, remove=list(remove), originals=originals, vectors=vectors, progress=progress
        )
    return ingest_documents(
        settings,
        embedder,
        documents,
        remove=remove,
        originals=originals,
        progress=progress,
        rebuild=rebuild,
        vectors=vectors,
    )


def drop(settings: Settings, embedder: Embedder) -> None:
    """A shared index's collections, gone (an embedded index is a directory: its owner removes it)."""
    if settings.VECTOR_STORE == "milvus":
        _shared(settings, embedder).drop()
        _SHARED.pop(_shared_key(settings, embedder), None)


_SHARED: dict[tuple[str, str, str, int], SharedIndex] = {}


def _shared_key(settings: Settings, embedder: Embedder) -> tuple[str, str, str, int]:
    return settings.MILVUS_URI, settings.MILVUS_COLLECTION, embedder.name, embedder.dim


def _shared(settings: Settings, embedder: Embedder) -> SharedIndex:
    """One connection to a shared index per process: an ingest writes group after group, and each
    opening costs a connection and a check of five collections."""
    from app.index.shared import SharedIndex

    key = _shared_key(settings, embedder)
    if key not in _SHARED:
        _SHARED[key] = SharedIndex(settings, embedder.name, embedder.dim)
    return _SHARED[key]


def already_there(
    settings: Settings, embedder: Embedder, documents: Sequence[Document], keys: Iterable[str]
) -> tuple[set[str], set[str]]:
    """(doc_ids stored unchanged, text keys with a stored vector): what a write of `documents` will
    not embed, so an ingest that embeds ahead of the writer (in groups, or on Ray) embeds only what
    the writer needs. An index of another embedder fails here, before any embedding, not after it;
    an index the writer will rebuild (damaged, an older format) lends nothing."""
    if settings.VECTOR_STORE == "milvus":
        from app.index.shared import document_row, version_of

        heads = _shared(settings, embedder).heads_of([d.doc_id for d in documents])
        same = {
            d.doc_id
            for d in documents
            if d.doc_id in heads and heads[d.doc_id]["version"] == version_of(document_row(d))
        }
        return same, set()
    if not (settings.INDEX_DIR / "catalog.sqlite").exists():
        return set(), set()
    try:
        catalog = IndexFiles.of(settings.INDEX_DIR, settings).catalog
        made_by = catalog.meta("embedder")
        if made_by not in (None, embedder.name):
            raise EmbedderMismatch(
                f"{settings.INDEX_DIR} was built with embedder {made_by!r} but {embedder.name!r} is "
                "configured; vectors of two embedders cannot be mixed: python -m app reindex"
            )
        current = catalog.content_hashes([d.doc_id for d in documents], catalog.generation)
        same = {d.doc_id for d in documents if current.get(d.doc_id) == d.content_hash}
        return same, catalog.embedded(keys)
    except (sqlite3.DatabaseError, OSError, ValueError) as exc:
        log.warning("nothing reused from %s: %s", settings.INDEX_DIR, exc)
        return set(), set()
