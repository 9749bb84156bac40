"""Keeps the served pipeline on the index's CURRENT generation, whoever wrote it.

The admin API switches right after its own write; a CLI ingest or another replica writing the same
INDEX_DIR is noticed by polling the CURRENT pointer (one small file read per interval). A switch
replaces one reference: requests already running finish on the generation they started with.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from anyio import to_thread

from app.index import IndexLoadError
from app.index.store import current_name

log = logging.getLogger("app.serve")


class GenerationSwitch:
    def __init__(self, state: Any) -> None:
        self._state = state  # app.state: holds `pipeline`
        self._lock = threading.Lock()

    def _behind(self) -> bool:
        pipeline = self._state.pipeline
        if pipeline is None:
            return False
        name = current_name(pipeline.settings.INDEX_DIR)
        return name is not None and name != pipeline.generation.name

    def to_current(self) -> bool:
        """Serve the CURRENT generation if it is not served yet; True if switched. Blocks: run in a
        thread. Serialised, so two switches never race and install an older generation last."""
        with self._lock:
            if not self._behind():
                return False
            old = self._state.pipeline
            new = old.reloaded()
            self._state.pipeline = new
            log.info("switched index generation %s -> %s", old.generation.name, new.generation.name)
            return True

    async def watch(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                if self._behind():
                    await to_thread.run_sync(self.to_current)
            except (IndexLoadError, OSError) as exc:
                # Mid-write or pruned under us: keep serving the whole generation we have, retry later.
                log.warning("cannot switch index generation yet: %s", exc)
