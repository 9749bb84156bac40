"""A large ingest as a pipeline: documents go to the index in groups, and while one group is written
the next is embedded. The writer's own work (catalog, lexical index, word counts: about a
millisecond a passage) then hides behind the embedding instead of adding to it, which is what keeps
a fast remote endpoint busy; each group is a write of its own, so a killed run keeps every group
already written, and the checkpoint keeps the batches of the group it was embedding."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from app.chunk import chunk_document
from app.config import Settings
from app.embed import Embedder, EmbedProgress, embed_texts, make_checkpoint
from app.embed.base import in_flight
from app.embed.checkpoint import text_key
from app.index.backends import already_there, write
from app.index.build import IngestReport
from app.models import Document

ROUNDS_PER_GROUP = 8  # a group is this many rounds of the batches in flight at once (at least MIN)
MIN_GROUP = 256


@dataclass
class _Group:
    documents: list[Document] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # text key -> passage, to embed ahead


def ingest_bulk(
    settings: Settings,
    embedder: Embedder,
    documents: Sequence[Document],
    *,
    originals: Mapping[str, bytes] | None = None,
    progress: bool = False,
) -> IngestReport:
    """Add or update `documents` (the CLI's ingest), in groups, embedding one group ahead."""
    t0 = time.perf_counter()
    originals = originals or {}
    size = max(MIN_GROUP, settings.EMBED_BATCH_SIZE * in_flight(embedder) * ROUNDS_PER_GROUP)
    groups = _groups(settings, embedder, documents, size)
    checkpoint = make_checkpoint(settings, embedder)
    run = EmbedProgress()
    run.start(sum(len(g.texts) for g in groups), 0)
    bar = tqdm(total=run.total, unit="chunk", desc="embedding", disable=not progress or not run.total)
    total = IngestReport(progress=run)

    def embed(group: _Group) -> dict[str, np.ndarray]:
        part = EmbedProgress()
        try:
            return embed_texts(
                embedder,
                group.texts,
                settings.EMBED_BATCH_SIZE,
                checkpoint=checkpoint,
                progress=part,
                bar=bar,
            )
        finally:
            run.resumed += part.resumed
            run.advance(part.done)

    try:
        with ThreadPoolExecutor(1, "embed-ahead") as ahead:
            coming = ahead.submit(embed, groups[0]) if groups else None
            for i, group in enumerate(groups):
                assert coming is not None
                vectors = coming.result()
                coming = ahead.submit(embed, groups[i + 1]) if i + 1 < len(groups) else None
                report = write(
                    settings,
                    embedder,
                    group.documents,
                    originals={
                        d.doc_id: originals[d.doc_id] for d in group.documents if d.doc_id in originals
                    },
                    vectors=vectors,
                )
                checkpoint.discard(vectors)  # written: the index has them now
                _add(total, report)
    finally:
        run.finish()
        bar.close()
        checkpoint.close()
    total.embedded += run.done
    total.resumed += run.resumed
    total.seconds = time.perf_counter() - t0
    return total


def _groups(settings: Settings, embedder: Embedder, documents: Sequence[Document], size: int) -> list[_Group]:
    """Documents in order, cut after `size` passages to embed; what the index holds unchanged, or
    holds a vector for, is left to the writer (it embeds none of it)."""
    chunked = {
        d.doc_id: [
            c.embed_text
            for c in chunk_document(d, settings.CHUNK_MAX_CHARS, settings.CHUNK_OVERLAP_SENTENCES)
        ]
        for d in documents
    }
    keys = {text_key(t): t for texts in chunked.values() for t in texts}
    unchanged, stored = already_there(settings, embedder, documents, keys)
    groups: list[_Group] = [_Group()]
    seen: set[str] = set()
    for doc in documents:
        group = groups[-1]
        group.documents.append(doc)
        if doc.doc_id in unchanged:
            continue
        for text in chunked[doc.doc_id]:
            key = text_key(text)
            if key not in stored and key not in seen:
                group.texts[key] = text
                seen.add(key)
        if len(group.texts) >= size:
            groups.append(_Group())
    return [g for g in groups if g.documents]


def _add(total: IngestReport, part: IngestReport) -> None:
    """One group's report into the run's."""
    total.added += part.added
    total.updated += part.updated
    total.unchanged += part.unchanged
    total.removed += part.removed
    total.removed_lines.update(part.removed_lines)
    total.chunk_counts.update(part.chunk_counts)
    total.documents, total.chunks, total.pending = part.documents, part.chunks, part.pending
    total.generation = part.generation or total.generation
    total.embedded += part.embedded  # what the writer had to embed itself (normally nothing)
