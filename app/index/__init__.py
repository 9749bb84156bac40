"""Persisted index: documents, chunks and vectors in atomic generations."""

from app.index.build import IngestReport, ingest_documents, reindex
from app.index.store import Generation, IndexLoadError, load_generation
from app.index.vectors import FaissStore, VectorStore

__all__ = [
    "FaissStore",
    "Generation",
    "IndexLoadError",
    "IngestReport",
    "VectorStore",
    "ingest_documents",
    "load_generation",
    "reindex",
]
