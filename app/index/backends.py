"""`write` and `drop` as functions of the settings, for `app/evaluation.py`, written before
`IndexBackend` and moving out of `app/` on another branch: once it calls `make_index_backend`
itself, this module goes."""

from __future__ import annotations

from app.config import Settings
from app.embed import Embedder
from app.index.backend import make_index_backend
from app.index.report import IngestReport
from app.models import Document


def write(
    settings: Settings, embedder: Embedder, documents: list[Document], *, rebuild: bool = False
) -> IngestReport:
    """Add or update `documents` in the configured index (`rebuild`: from nothing)."""
    backend = make_index_backend(settings, embedder)
    try:
        return backend.write(documents, rebuild=rebuild)
    finally:
        backend.close()


def drop(settings: Settings, embedder: Embedder) -> None:
    """What the configured index stores, gone (`IndexBackend.drop`)."""
    backend = make_index_backend(settings, embedder)
    try:
        backend.drop()
    finally:
        backend.close()
