"""Embeds the chunks an upload published lexical-only, then switches the server to the result.

An upload answers as soon as its documents are stored and lexically searchable (about a second);
embedding a 5-page report takes ~5 s on 2 cores, so it runs here, after the response. One run at a
time: a run embeds every pending row of the current generation, without the writer lock, then
publishes under it; requests made while one runs are served by the next. A run that cannot take
the writer lock retries; a crash loses nothing, because start-up requests a run whenever the current
generation still has pending rows.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from anyio import to_thread

from app.index import embed_pending

log = logging.getLogger("app.serve")

RETRY_S = 5.0


class Backfill:
    def __init__(self, state: Any) -> None:
        self._state = state  # app.state: `pipeline` and `switch`
        self._wake = asyncio.Event()

    def request(self) -> None:
        self._wake.set()

    def _pending(self) -> int:
        pipeline = self._state.pipeline
        return len(pipeline.generation.pending) if pipeline is not None else 0

    def _embed_pending(self) -> None:
        pipeline = self._state.pipeline
        settings = pipeline.settings
        report = embed_pending(settings, pipeline.embedder, pipeline.generation, settings.WRITER_WAIT_S)
        log.info("background embedding done: %s", report.summary())

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._pending():
                continue
            try:
                await to_thread.run_sync(self._embed_pending)
                await to_thread.run_sync(self._state.switch.to_current)
                if self._pending():  # uploaded while that run embedded
                    self._wake.set()
            except Exception:  # the loop must outlive any one failure; the next run retries
                log.exception("background embedding failed; retrying in %.0f s", RETRY_S)
                await asyncio.sleep(RETRY_S)
                self._wake.set()
