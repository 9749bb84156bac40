"""Persisted index: the document store (source of truth) and atomic generations derived from it."""

from app.index.build import (
    IngestReport,
    can_rebuild,
    check_index,
    embed_pending,
    ingest_documents,
    open_index,
    reindex,
)
from app.index.documents import DocumentStore, DocumentStoreError
from app.index.store import EmbedderMismatch, Generation, IndexLoadError, WriterBusy, load_generation
from app.index.vectors import FaissStore, VectorStore

__all__ = [
    "DocumentStore",
    "DocumentStoreError",
    "EmbedderMismatch",
    "FaissStore",
    "Generation",
    "IndexLoadError",
    "IngestReport",
    "VectorStore",
    "WriterBusy",
    "can_rebuild",
    "check_index",
    "embed_pending",
    "ingest_documents",
    "load_generation",
    "open_index",
    "reindex",
]
