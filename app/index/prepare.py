"""Documents -> what an index writer stores: each document's chunks under their text keys, and a
vector for every passage not embedded yet.

Every writer prepares here (the embedded index's, the shared index's, the background embedding, the
bulk and Ray ingests), so all of them chunk with the same settings, key a vector by the same hash of
the text embedded, and save each embedded batch to the ingest checkpoint the same way: a killed run
resumes from what it had embedded, and what a write published is forgotten there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np
from tqdm import tqdm

from app.chunk import chunk_document
from app.config import Settings
from app.embed import Embedder, EmbedProgress, embed_texts, make_checkpoint
from app.embed.checkpoint import text_key
from app.models import Chunk, Document


def chunks_of(settings: Settings, doc: Document) -> list[Chunk]:
    """The document's chunks, cut by the configured sizes."""
    return chunk_document(doc, settings.CHUNK_MAX_CHARS, settings.CHUNK_OVERLAP_SENTENCES)


def passage_key(chunk: Chunk) -> str:
    """What a chunk's vector is stored and reused under: the hash of the exact text embedded."""
    return text_key(chunk.embed_text)


def passages_of(settings: Settings, doc: Document) -> list[tuple[str, str]]:
    """(text key, passage to embed) of each of the document's chunks, in order."""
    return [(passage_key(c), c.embed_text) for c in chunks_of(settings, doc)]


@contextmanager
def embedded(
    settings: Settings,
    embedder: Embedder,
    texts: Mapping[str, str],
    *,
    resumable: bool = True,
    progress: EmbedProgress | None = None,
    bar: bool | tqdm = False,
) -> Iterator[dict[str, np.ndarray]]:
    """Vectors of `texts` (text key -> passage) for the block that writes them. `resumable`: each
    batch is saved to the ingest checkpoint as it arrives (a CLI run; a replica keeps nothing on its
    disk), and forgotten there once the block has returned: the index holds them then."""
    saved = make_checkpoint(settings, embedder) if texts and resumable else None
    try:
        vectors = (
            embed_texts(
                embedder, texts, settings.EMBED_BATCH_SIZE, checkpoint=saved, progress=progress, bar=bar
            )
            if texts
            else {}
        )
        yield vectors
        if saved is not None:
            saved.discard(texts)
    finally:
        if saved is not None:
            saved.close()
