"""The shared index's owner in a serving process (`VECTOR_STORE=milvus`): connect, write, follow
the writes of every replica, and say when Milvus is away.

The same surface as `app.index.service.IndexService`, so the server and its routes do not care
which one they hold:
- open: connect (in a thread) and serve a view; Milvus unreachable is a retryable `error` ("/readyz" 503 with
  the reason) that the background loop clears when it comes back; a collection of another
  embedder stays an error.
- write: `SharedIndex.write`, then serve a new view at once (this replica answers from it next).
- follow: every RELOAD_INTERVAL_S the stamp is read (one point lookup); when another replica
  wrote, a new view replaces the old one. Requests already running finish on the view they began.
- sweep: now and then, rows of versions that never became current are removed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from anyio import to_thread

from app.config import Settings
from app.embed import Embedder, EmbedProgress
from app.index.milvus import CollectionMismatch, MilvusUnavailable
from app.index.report import IngestReport
from app.index.shared import SharedIndex
from app.index.shared_view import SharedView
from app.index.view import IndexView
from app.models import Document

log = logging.getLogger("app.index")

SWEEP_EVERY_S = 600.0


class SharedIndexService:
    def __init__(
        self, settings: Settings, embedder: Embedder, on_generation: Callable[[IndexView], None]
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self._on_generation = on_generation
        self.shared: SharedIndex | None = None
        self.generation: SharedView | None = None
        self.error: str | None = "starting"
        self.embedding = EmbedProgress()  # uploads embedded by this replica, for /metrics
        self.retryable = True  # False: an error no wait will fix (another embedder's collection)
        self._switching = threading.Lock()
        self._connecting = threading.Lock()
        self._warming = threading.Lock()
        self._swept = 0.0

    # -- open ---------------------------------------------------------------------------------

    def open(self) -> None:
        """Connect in a thread (loading a large collection takes seconds; the server answers
        /healthz meanwhile and /readyz says why it is not ready)."""
        self.error = f"connecting to the shared index (Milvus at {self.settings.MILVUS_URI})"
        threading.Thread(target=self.connect, name="milvus-connect", daemon=True).start()

    def connect(self) -> None:
        """Connect and serve; a failure is kept in `error` (the background loop retries)."""
        if not self._connecting.acquire(blocking=False):
            return  # the other attempt reports
        try:
            self.shared = self.shared or SharedIndex(self.settings, self.embedder.name, self.embedder.dim)
            self.shared.warm()
            self._serve(self.shared.view())
        except CollectionMismatch as exc:
            self.retryable = False
            self.error = str(exc)
            log.error("index not loaded: %s", exc)
        except MilvusUnavailable as exc:
            self.unavailable(exc)
        else:
            log.info("serving the shared index %s", self.shared.prefix)
        finally:
            self._connecting.release()

    def unavailable(self, exc: Exception) -> None:
        """Requests and the loop report Milvus away here: /readyz says so until it answers again."""
        if self.error is None or self.error == "starting":
            log.warning("Milvus unavailable: %s", exc)
        self.error = f"the shared index (Milvus at {self.settings.MILVUS_URI}) is unavailable: {exc}"

    def refusing(self) -> str | None:
        return self.error

    def _serve(self, view: SharedView) -> None:
        self.generation = view
        self.error = None
        self._on_generation(view)

    # -- write --------------------------------------------------------------------------------

    def write(
        self,
        documents: list[Document],
        remove: list[str],
        originals: Mapping[str, bytes] | None = None,
    ) -> IngestReport:
        """Write through Milvus, then answer from a view that holds the write. Blocks: run it in a
        thread. Uploads are embedded here, so nothing is left pending."""
        if self.shared is None:
            raise MilvusUnavailable(self.error or "the shared index is not connected yet")
        report = self.shared.write(
            documents,
            self.embedder,
            remove=remove,
            originals=originals,
            embedding=self.embedding,
            resumable=False,
        )
        if report.generation:
            self.switch()
        return report

    def original(self, doc_id: str) -> bytes | None:
        if self.shared is None:
            raise MilvusUnavailable(self.error or "the shared index is not connected yet")
        return self.shared.original(doc_id)

    def upload_queue(self) -> Path | None:
        """None unless UPLOAD_QUEUE names one: a replica keeps nothing on its disk by default."""
        return self.settings.UPLOAD_QUEUE

    def state_dir(self) -> Path | None:
        return None

    # -- follow -------------------------------------------------------------------------------

    def behind(self) -> bool:
        view = self.generation
        return view is not None and self.shared is not None and self.shared.stamp() != view.stamp

    def switch(self) -> bool:
        """Serve a new view if the stamp moved; True if switched. Blocks: run it in a thread."""
        with self._switching:
            if self.shared is None or not self.behind():
                return False
            self._serve(self.shared.view())
            return True

    def _warm_after_outage(self) -> None:
        """Answer again once dense search works, and warm BM25 behind it: Milvus Lite rebuilds its
        sparse indexes in Python on their first search after a restart (10-12 s a field at 12.7k
        chunks on a loaded box, ten times that at 100k), and the replica answered nothing until
        then (49 s after Milvus came back, bench/milvus.py at 11k). Meanwhile the view searches
        vectors alone; a replica that starts still warms everything before it is ready."""
        assert self.shared is not None
        self.shared.lexical_ready.clear()
        self.shared.warm(lexical=False)
        if not self._warming.locked():
            threading.Thread(target=self._warm_lexical, name="milvus-warm", daemon=True).start()

    def _warm_lexical(self) -> None:
        """Until it succeeds (Milvus may go away again meanwhile); one at a time."""
        with self._warming:
            while self.shared is not None:
                try:
                    self.shared.warm(dense=False)
                except MilvusUnavailable as exc:
                    log.warning("warming BM25 after an outage: %s", exc)
                    time.sleep(1.0)
                    continue
                self.shared.lexical_ready.set()
                log.info("BM25 search is warm again")
                return

    def request_embedding(self) -> None:
        """Nothing is ever pending here (uploads are embedded before they are written)."""

    async def run(self) -> None:
        """Follow other replicas' writes and Milvus's health every RELOAD_INTERVAL_S (at least
        every second while it is away), and sweep now and then."""
        interval = self.settings.RELOAD_INTERVAL_S
        while True:
            away = self.error is not None and self.retryable
            await asyncio.sleep(min(interval, 1.0) if away or interval <= 0 else interval)
            if not self.retryable:
                continue
            try:
                if self.generation is None or self.shared is None:
                    if not self._connecting.locked():
                        await to_thread.run_sync(self.connect)
                    continue
                if self.error is not None:  # a Milvus that restarted has no collection loaded
                    await to_thread.run_sync(self.shared.load)
                    await to_thread.run_sync(self._warm_after_outage)
                switched = await to_thread.run_sync(self.switch)
                if self.error is not None and not switched:  # back, with nothing new written
                    self._serve(self.generation)
                    log.info("Milvus answers again")
                if time.monotonic() - self._swept > SWEEP_EVERY_S:
                    self._swept = time.monotonic()
                    removed = await to_thread.run_sync(self.shared.sweep)
                    if removed:
                        log.info("swept %d rows of versions that never became current", removed)
            except MilvusUnavailable as exc:
                self.unavailable(exc)
            except Exception:  # the loop must outlive any one failure
                log.exception("following the shared index failed")
