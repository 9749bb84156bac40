"""The index's one owner in a serving process: open (or repair), write, switch, merge, embed later.

Routes never touch the index directly: they ask this service to write, and read the `Generation`
it hands to its listener (the server rebinds its pipeline to it). A switch replaces one reference:
requests already running finish on the generation they started with.

- open: the newest generation if it checks out; if it is damaged or behind the document store,
  a repair runs in a thread and `error` says "rebuilding" until it is done (no request is answered
  from a broken index); another embedder's index stays an error (`reindex`).
- write: ingest under the writer lock (waiting WRITER_WAIT_S, then `WriterBusy`), switch to the
  result, and wake the background embedding when the write left chunks pending.
- switch: to the newest generation on disk, by applying only what changed since the one served;
  also polled, to pick up writes by the CLI or another replica.
- merge: when the vectors changed since their base pass VECTOR_DELTA_MAX, fold them into a new base
  in a thread, save it, and serve it.
- background embedding: one run at a time embeds every pending chunk without the writer lock, then
  publishes under it; a crash loses nothing (start-up asks for a run).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from anyio import to_thread

from app.config import Settings
from app.embed import Embedder, EmbedProgress
from app.index.build import embed_pending, ingest_documents
from app.index.documents import DocumentStore, DocumentStoreError
from app.index.identity import IndexLoadError, NeedsReindex
from app.index.repair import can_rebuild, check_index, open_index
from app.index.report import IngestReport
from app.index.store import (
    Generation,
    catch_up,
    current_name,
    load_generation,
)
from app.index.vector_base import base_due, write_vector_base
from app.index.view import IndexView
from app.models import Document

log = logging.getLogger("app.index")


class Service(Protocol):
    """The index's owner in a serving process, embedded (`IndexService`) or shared
    (`app.index.shared_service.SharedIndexService`), made by `IndexBackend.service`: what the server
    and its routes use."""

    generation: IndexView | None  # what requests answer from now
    error: str | None  # why the index is not (fully) available, for /readyz
    embedding: EmbedProgress  # the embedding of uploads: the last run, or the one going on

    def open(self) -> None: ...

    def write(
        self, documents: list[Document], remove: list[str], originals: Mapping[str, bytes] | None = None
    ) -> IngestReport: ...

    def original(self, doc_id: str) -> bytes | None:
        """The file a document was read from, as uploaded (None: it came as text)."""
        ...

    def upload_queue(self) -> Path | None:
        """Where uploads wait to be read: UPLOAD_QUEUE, else beside an index on this disk; None when
        no disk of this process outlives it (a shared-index replica), so no upload may be
        acknowledged before it is stored."""
        ...

    def state_dir(self) -> Path | None:
        """Where this process may keep state of its own that outlives it (the index's folder); None
        for a shared-index replica, whose disk keeps nothing."""
        ...

    def refusing(self) -> str | None:
        """Why requests are refused right now (a 503 with Retry-After), None to answer them."""
        ...

    def unavailable(self, exc: Exception) -> None:
        """A request found the index's backend away: say so until it is back."""
        ...

    async def run(self) -> None: ...


RETRY_S = 5.0  # after a failed background embedding


class IndexService:
    def __init__(
        self, settings: Settings, embedder: Embedder, on_generation: Callable[[Generation], None]
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self._on_generation = on_generation
        self.generation: Generation | None = None
        self.error: str | None = "starting"
        self.embedding = EmbedProgress()  # the background embedding of uploads, for /metrics
        self._switching = threading.Lock()
        self._merging = threading.Event()
        self._wake: asyncio.Event | None = None

    # -- open ---------------------------------------------------------------------------------

    def open(self) -> None:
        """Serve the index if it checks out; else repair it in the background (see the module doc)."""
        cfg = self.settings
        try:
            self._serve(check_index(cfg, self.embedder))
        except (IndexLoadError, DocumentStoreError) as exc:
            if isinstance(exc, NeedsReindex | DocumentStoreError) or not can_rebuild(cfg):
                self.error = str(exc)
                log.error("index not loaded: %s", exc)
                return
            self.error = f"rebuilding the index from the stored documents ({exc})"
            log.warning("%s", self.error)
            threading.Thread(target=self._repair, name="index-repair", daemon=True).start()
            return
        gen = self.generation
        assert gen is not None
        log.info("index %s loaded: %d documents, %d chunks", gen.name, len(gen.documents), gen.chunk_count)
        self.maybe_merge()

    def _repair(self) -> None:
        try:
            self._serve(open_index(self.settings, self.embedder))
            self.maybe_merge()
            self.request_embedding()
        except Exception as err:  # the thread's only report is this state: keep every failure
            self.error = f"the index could not be rebuilt: {err}"
            log.exception("index rebuild failed")

    def _serve(self, gen: Generation) -> None:
        self.generation = gen
        self.error = None
        self._on_generation(gen)

    def refusing(self) -> str | None:
        return None if self.generation is not None else self.error

    def unavailable(self, exc: Exception) -> None:
        """Nothing here is remote: a local failure is a bug, reported as such."""

    def original(self, doc_id: str) -> bytes | None:
        return DocumentStore(self.settings.INDEX_DIR / "documents").original(doc_id)

    def upload_queue(self) -> Path | None:
        return self.settings.UPLOAD_QUEUE or self.settings.INDEX_DIR / "uploads.sqlite"

    def state_dir(self) -> Path | None:
        return self.settings.INDEX_DIR

    # -- write --------------------------------------------------------------------------------

    def write(
        self,
        documents: list[Document],
        remove: list[str],
        originals: Mapping[str, bytes] | None = None,
    ) -> IngestReport:
        """The same ingest as the CLI, then serve what it wrote. Blocks: run it in a thread."""
        cfg = self.settings
        report = ingest_documents(
            cfg,
            self.embedder,
            documents,
            remove=remove,
            wait_s=cfg.WRITER_WAIT_S,
            defer_embedding=cfg.EMBED_UPLOADS_IN_BACKGROUND,
            originals=originals,
        )
        self.switch()
        if report.pending:
            self.request_embedding()
        return report

    # -- switch and merge ---------------------------------------------------------------------

    def behind(self) -> bool:
        gen = self.generation
        if gen is None:
            return False
        name = current_name(self.settings.INDEX_DIR)
        return name is not None and name != gen.name

    def switch(self) -> bool:
        """Serve the newest generation if it is not served yet; True if switched. Serialised, so two
        switches never race and install an older generation last. Blocks: run it in a thread."""
        with self._switching:
            if not self.behind():
                return False
            old = self.generation
            assert old is not None
            new = load_generation(
                self.settings.INDEX_DIR, self.embedder.name, settings=self.settings, previous=old
            )
            if new.number <= old.number:  # CURRENT ran ahead of the lexical commit it follows
                return False
            self._serve(new)
            log.info("switched index generation %s -> %s", old.name, new.name)
        self.maybe_merge()
        return True

    def maybe_merge(self) -> None:
        """Start a background merge when a new vector base is due (`base_due`)."""
        gen = self.generation
        if gen is not None and base_due(gen) and not self._merging.is_set():
            self._merging.set()
            threading.Thread(target=self._merge, name="vector-merge", daemon=True).start()

    def _merge(self) -> None:
        """Fold the vectors added and removed since the last base into a new one, off the request
        path (O(corpus): seconds at a million chunks), save it for the next start, and serve it."""
        try:
            gen = self.generation
            assert gen is not None
            merged = gen.vectors.merged()
            write_vector_base(gen.files, gen.number, merged)
            with self._switching:
                now = self.generation
                assert now is not None
                if now.files is gen.files:
                    if now.number != gen.number:  # written meanwhile: apply that too
                        merged = catch_up(merged, now.catalog, gen.number, now.number, now.dim)
                    self._serve(dataclasses.replace(now, vectors=merged))
            log.info("vector base saved at %s (%d vectors)", gen.name, len(merged))
        except Exception:  # the next switch tries again; requests keep the unmerged vectors meanwhile
            log.exception("merging the vectors failed")
        finally:
            self._merging.clear()

    # -- background embedding -----------------------------------------------------------------

    def request_embedding(self) -> None:
        """Wake the background embedding (safe from any thread)."""
        wake = self._wake
        if wake is not None:
            loop = self._loop
            loop.call_soon_threadsafe(wake.set)

    def _pending(self) -> int:
        return len(self.generation.pending) if self.generation is not None else 0

    def _embed_pending(self) -> None:
        gen = self.generation
        assert gen is not None
        report = embed_pending(self.settings, self.embedder, gen, self.settings.WRITER_WAIT_S, self.embedding)
        log.info("background embedding done: %s", report.summary())

    async def run(self) -> None:
        """The background work of a serving process: embedding what uploads left pending, and
        polling for generations written elsewhere (every RELOAD_INTERVAL_S; 0 = never)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._wake.set()  # a crash may have left chunks unembedded
        tasks = [asyncio.create_task(self._embed_loop())]
        if self.settings.RELOAD_INTERVAL_S > 0:
            tasks.append(asyncio.create_task(self._watch(self.settings.RELOAD_INTERVAL_S)))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _embed_loop(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._pending():
                continue
            try:
                await to_thread.run_sync(self._embed_pending)
                await to_thread.run_sync(self.switch)
                if self._pending():  # uploaded while that run embedded
                    self._wake.set()
            except Exception:  # the loop must outlive any one failure; the next run retries
                log.exception("background embedding failed; retrying in %.0f s", RETRY_S)
                await asyncio.sleep(RETRY_S)
                self._wake.set()

    async def _watch(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                if self.behind():
                    await to_thread.run_sync(self.switch)
            except (IndexLoadError, OSError) as exc:
                # Mid-write under us: keep serving the whole generation we have, retry later.
                log.warning("cannot switch index generation yet: %s", exc)
