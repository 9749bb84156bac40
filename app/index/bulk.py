"""A large ingest as a pipeline: documents go to the index in groups, and while one group is written
the next is embedded. The writer's own work (catalog, lexical index, word counts: about a
millisecond a passage) then hides behind the embedding instead of adding to it, which is what keeps
a fast remote endpoint busy; each group is a write of its own, so a killed run keeps every group
already written, and the checkpoint keeps the batches of the group it was embedding.

Who embeds is pluggable (`EmbedGroups`): here, a thread one group ahead; on Ray
(`app.distributed_ingest`), a cluster streaming the groups' passages in order."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from app.config import Settings
from app.embed import EmbedCheckpoint, Embedder, EmbedProgress, embed_texts, make_checkpoint
from app.embed.base import in_flight
from app.index.backend import IndexBackend, make_index_backend
from app.index.prepare import passages_of
from app.index.report import IngestReport
from app.models import Document

ROUNDS_PER_GROUP = 8  # a group is this many rounds of the batches in flight at once (at least MIN)
MIN_GROUP = 256


@dataclass
class Group:
    documents: list[Document] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # text key -> passage, to embed for this group
    uses: set[str] = field(default_factory=set)  # every passage key of its new or changed documents


@dataclass
class Run:
    """What an embedder of groups shares with the writer: the checkpoint each batch is saved to, the
    run's counts (the report's and the bar's)."""

    checkpoint: EmbedCheckpoint
    progress: EmbedProgress
    bar: tqdm


# Yields each group's vectors (text key -> vector), in the groups' order, saving batches to the checkpoint.
EmbedGroups = Callable[[list[Group], Run], Iterator[dict[str, np.ndarray]]]


def ingest_bulk(
    settings: Settings,
    embedder: Embedder,
    documents: Sequence[Document],
    *,
    originals: Mapping[str, bytes] | None = None,
    progress: bool = False,
    passages: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    embed_groups: EmbedGroups | None = None,
    group_size: int | None = None,
) -> IngestReport:
    """Add or update `documents` (the CLI's ingest), in groups, each written while the next is
    embedded. `passages`: each document's (text key, passage) if chunked already; `embed_groups`:
    who embeds (default: `embed_ahead` in this process)."""
    t0 = time.perf_counter()
    originals = originals or {}
    size = group_size or max(MIN_GROUP, settings.EMBED_BATCH_SIZE * in_flight(embedder) * ROUNDS_PER_GROUP)
    backend = make_index_backend(settings, embedder)
    groups = plan_groups(settings, backend, documents, size, passages)
    shared = _shared_keys(groups)
    kept: dict[str, np.ndarray] = {}  # vectors of passages a later group's documents use too
    needed = sum(len(g.texts) for g in groups)
    bar = tqdm(total=needed, unit="chunk", desc="embedding", disable=not progress or not needed)
    run = Run(make_checkpoint(settings, embedder), EmbedProgress(), bar)
    run.progress.start(needed, 0)
    total = IngestReport(progress=run.progress)
    embed = embed_groups or (lambda gs, r: embed_ahead(settings, embedder, gs, r))
    try:
        for group, vectors in zip(groups, embed(groups, run), strict=True):
            kept.update({k: v for k, v in vectors.items() if k in shared})
            ready = {**vectors, **{k: kept[k] for k in group.uses if k in kept}}
            report = backend.write(
                group.documents,
                originals={d.doc_id: originals[d.doc_id] for d in group.documents if d.doc_id in originals},
                vectors=ready,
            )
            run.checkpoint.discard(vectors)  # written: the index has them now
            _add(total, report)
    finally:
        run.progress.finish()
        run.bar.close()
        run.checkpoint.close()
        backend.close()
    total.embedded += run.progress.done
    total.resumed += run.progress.resumed
    total.seconds = time.perf_counter() - t0
    return total


def embed_ahead(
    settings: Settings, embedder: Embedder, groups: list[Group], run: Run
) -> Iterator[dict[str, np.ndarray]]:
    """The groups embedded in this process, one ahead of the one the caller is writing."""

    def embed(group: Group) -> dict[str, np.ndarray]:
        part = EmbedProgress()
        try:
            return embed_texts(
                embedder,
                group.texts,
                settings.EMBED_BATCH_SIZE,
                checkpoint=run.checkpoint,
                progress=part,
                bar=run.bar,
            )
        finally:
            run.progress.resumed += part.resumed
            run.progress.advance(part.done)

    with ThreadPoolExecutor(1, "embed-ahead") as ahead:
        coming = ahead.submit(embed, groups[0]) if groups else None
        for i in range(len(groups)):
            assert coming is not None
            vectors = coming.result()
            coming = ahead.submit(embed, groups[i + 1]) if i + 1 < len(groups) else None
            yield vectors


def plan_groups(
    settings: Settings,
    backend: IndexBackend,
    documents: Sequence[Document],
    size: int,
    passages: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> list[Group]:
    """Documents in order, cut after `size` passages to embed; what the index holds unchanged, or
    holds a vector for, is left to the writer (it embeds none of it)."""
    if passages is None:
        passages = {d.doc_id: passages_of(settings, d) for d in documents}
    keys = {k for pairs in passages.values() for k, _ in pairs}
    unchanged, stored = backend.stored(documents, keys)
    groups: list[Group] = [Group()]
    seen: set[str] = set()
    for doc in documents:
        group = groups[-1]
        group.documents.append(doc)
        if doc.doc_id in unchanged:
            continue
        for key, text in passages[doc.doc_id]:
            group.uses.add(key)
            if key not in stored and key not in seen:
                group.texts[key] = text
                seen.add(key)
        if len(group.texts) >= size:
            groups.append(Group())
    return [g for g in groups if g.documents]


def _shared_keys(groups: list[Group]) -> set[str]:
    """Passages embedded for one group and used by a later one (a shared paragraph)."""
    counts = Counter(k for g in groups for k in g.uses)
    return {k for k, n in counts.items() if n > 1}


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
