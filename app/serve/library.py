"""The collections a server holds open: for each, its own index (service), upload queue and the
pipeline that answers from its newest generation.

Why one index per collection rather than one index with a collection field: a search can then never
see another collection's chunks (nothing to filter, so nothing to over-fetch and drop), BM25's
statistics are each collection's own (a ward's internal letters do not shift the weights of its
public reports), and deleting a collection is removing its folder (or its Milvus collections). The
`default` collection is the index at INDEX_DIR itself, so an index built before collections opens
as `default` with nothing re-embedded; another lives under INDEX_DIR/collections/<name> (with
Milvus: MILVUS_COLLECTION + "_c_" + its name). A collection is opened on its first request, so
a thousand collections cost nothing until asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from anyio import to_thread

from app.config import Settings
from app.embed import Embedder
from app.index import IngestReport, WriterBusy
from app.index.backend import make_index_backend
from app.index.collection import DEFAULT, collection_settings
from app.index.service import Service
from app.index.view import IndexView
from app.ingest.jobs import UploadJobs
from app.ingest.queue import ReaderConfig, UploadQueue
from app.pipeline import Pipeline

log = logging.getLogger("app.serve")
OPEN_WAIT_S = 15.0  # a collection's first request waits this long for its index to answer


def make_upload_queue(settings: Settings, index: Service) -> UploadQueue[IngestReport]:
    """With no durable queue (a stateless replica) the queue's table lives in a temporary file for
    the readers' progress, and uploads are answered only once stored: a replica that dies fails
    the request in flight instead of forgetting a file it had acknowledged."""
    path = index.upload_queue()
    durable = path is not None
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="upload-queue-")) / "uploads.sqlite"
    config = ReaderConfig(
        queue_path=path,
        ocr_lang=settings.OCR_LANG,
        ocr_dpi=settings.OCR_DPI,
        ocr_workers=settings.OCR_WORKERS,
        nice=settings.UPLOAD_NICE,
    )
    return UploadQueue(
        UploadJobs(path),
        config,
        settings.UPLOAD_WORKERS,
        lambda docs, originals: index.write(docs, [], originals),
        busy=(WriterBusy,),
        durable=durable,
    )


@dataclass
class Shelf:
    """One open collection."""

    name: str
    settings: Settings
    service: Service
    uploads: UploadQueue[IngestReport]
    pipeline: Pipeline | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def refusing(self) -> str | None:
        """Why this collection's requests get a 503 now, None to answer them."""
        refused = self.service.refusing()
        if self.pipeline is None or refused:
            return refused or self.service.error or "the collection's index is opening"
        return None


class Library:
    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._shelves: dict[str, Shelf] = {}
        self._opening: dict[str, asyncio.Lock] = {}

    def opened(self, name: str) -> Shelf | None:
        return self._shelves.get(name)

    def opened_shelves(self) -> list[Shelf]:
        return list(self._shelves.values())

    def open_now(self, name: str) -> Shelf:
        """Open on the calling thread: the server's start opens `default` this way."""
        shelf = self._make(name)
        shelf.service.open()
        self._start(shelf)
        return shelf

    async def shelf(self, name: str) -> Shelf:
        """The collection's shelf, opened (off the event loop) on its first request."""
        found = self._shelves.get(name)
        if found is not None:
            return found
        lock = self._opening.setdefault(name, asyncio.Lock())
        async with lock:
            found = self._shelves.get(name)
            if found is None:
                await to_thread.run_sync(self._begin, name)
                shelf = self._make(name)
                await to_thread.run_sync(shelf.service.open)
                found = self._start(shelf)
                # A shared index connects in the background: its first request waits for it a
                # little, rather than being told to come back.
                deadline = asyncio.get_running_loop().time() + OPEN_WAIT_S
                while found.refusing() and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.05)
        return found

    def _begin(self, name: str) -> None:
        """A collection asked for the first time gets an empty index (one empty generation): making
        a collection costs a row, so a thousand of them cost nothing until used."""
        cfg = collection_settings(self.settings, name)
        if name == DEFAULT or cfg.INDEX_DIR.exists():
            return
        backend = make_index_backend(cfg, self.embedder)
        try:
            backend.write([])
        finally:
            backend.close()

    async def remove(self, name: str) -> tuple[int, int]:
        """Close the collection and delete its index, documents and originals: (documents, chunks)."""
        shelf = await self.shelf(name)
        gen = shelf.pipeline.generation if shelf.pipeline is not None else None
        counts = (len(gen.documents), gen.chunk_count) if gen is not None else (0, 0)
        self._shelves.pop(name, None)
        await self._close(shelf)
        cfg = shelf.settings

        def drop() -> None:
            backend = make_index_backend(cfg, self.embedder)
            try:
                backend.drop()
            finally:
                backend.close()
            shutil.rmtree(cfg.INDEX_DIR, ignore_errors=True)
            if cfg.UPLOAD_QUEUE is not None:
                for leftover in cfg.UPLOAD_QUEUE.parent.glob(f"{cfg.UPLOAD_QUEUE.name}*"):
                    leftover.unlink(missing_ok=True)

        await to_thread.run_sync(drop)
        return counts

    async def close(self) -> None:
        shelves, self._shelves = list(self._shelves.values()), {}
        for shelf in shelves:
            await self._close(shelf)

    # -- inside -----------------------------------------------------------------------------------

    def _make(self, name: str) -> Shelf:
        cfg = collection_settings(self.settings, name)
        holder: list[Shelf] = []

        def serve(generation: IndexView) -> None:
            """The index service's listener: this collection's requests use `generation` from now."""
            shelf = holder[0]
            current = shelf.pipeline
            shelf.pipeline = (
                current.with_generation(generation) if current else Pipeline(cfg, self.embedder, generation)
            )

        service = make_index_backend(cfg, self.embedder).service(serve)
        shelf = Shelf(name, cfg, service, make_upload_queue(cfg, service))
        holder.append(shelf)
        return shelf

    def _start(self, shelf: Shelf) -> Shelf:
        shelf.task = asyncio.get_running_loop().create_task(shelf.service.run())
        shelf.uploads.resume()
        self._shelves[shelf.name] = shelf
        return shelf

    async def _close(self, shelf: Shelf) -> None:
        shelf.uploads.close()
        if shelf.task is not None:
            shelf.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await shelf.task
        if shelf.pipeline is not None and shelf.pipeline.client is not None:
            await shelf.pipeline.client.close()
