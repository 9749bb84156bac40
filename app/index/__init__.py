"""Persisted index: the document store (source of truth), and the catalog, lexical index and vectors
derived from it, one generation per write."""

from app.index.build import embed_pending, ingest_documents
from app.index.documents import DocumentStore, DocumentStoreError
from app.index.identity import EmbedderMismatch, IndexLoadError, NeedsReindex, ProfileMismatch
from app.index.repair import can_rebuild, check_index, open_index, reindex
from app.index.report import IngestReport
from app.index.store import Generation, WriterBusy, load_generation
from app.index.vector_base import compact_vectors, save_vector_base
from app.index.vectors import VectorStore

__all__ = [
    "DocumentStore",
    "DocumentStoreError",
    "EmbedderMismatch",
    "Generation",
    "IndexLoadError",
    "IngestReport",
    "NeedsReindex",
    "ProfileMismatch",
    "VectorStore",
    "WriterBusy",
    "can_rebuild",
    "check_index",
    "compact_vectors",
    "embed_pending",
    "ingest_documents",
    "load_generation",
    "open_index",
    "reindex",
    "save_vector_base",
]
