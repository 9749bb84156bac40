"""Keeps the served pipeline on the index's CURRENT generation, whoever wrote it.

The admin API switches right after its own write; a CLI ingest or another replica writing the same
INDEX_DIR is noticed by polling the CURRENT pointer (one small file read per interval). A switch
replaces one reference: requests already running finish on the generation they started with.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from typing import Any

from anyio import to_thread

from app.index import IndexLoadError
from app.index.build import write_vector_base
from app.index.store import current_name

log = logging.getLogger("app.serve")


class GenerationSwitch:
    def __init__(self, state: Any) -> None:
        self._state = state  # app.state: holds `pipeline`
        self._lock = threading.Lock()
        self._merging = threading.Event()

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
        self.maybe_merge()
        return True

    def maybe_merge(self) -> None:
        """Start a background merge when the vectors changed since their base pass VECTOR_DELTA_MAX."""
        pipeline = self._state.pipeline
        if pipeline is not None and pipeline.generation.vectors.needs_merge and not self._merging.is_set():
            self._merging.set()
            threading.Thread(target=self._merge, name="vector-merge", daemon=True).start()

    def _merge(self) -> None:
        """Fold the vectors added and removed since the last base into a new one, off the request
        path (O(corpus): seconds at a million chunks), save it for the next start, and serve it."""
        try:
            gen = self._state.pipeline.generation
            merged = gen.vectors.merged()
            write_vector_base(gen.files, gen.number, merged)
            with self._lock:
                current = self._state.pipeline
                now = current.generation
                if now.files is gen.files:
                    if now.number != gen.number:  # written meanwhile: apply that too
                        merged = merged.changed(
                            *now.catalog.vectors_since(gen.number, now.number, now.dim),
                            now.catalog.died_since(gen.number, now.number),
                        )
                    self._state.pipeline = current.with_generation(dataclasses.replace(now, vectors=merged))
            log.info("vector base saved at %s (%d vectors)", gen.name, len(merged))
        except Exception:  # the next switch tries again; requests keep the unmerged vectors meanwhile
            log.exception("merging the vectors failed")
        finally:
            self._merging.clear()

    async def watch(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                if self._behind():
                    await to_thread.run_sync(self.to_current)
            except (IndexLoadError, OSError) as exc:
                # Mid-write or pruned under us: keep serving the whole generation we have, retry later.
                log.warning("cannot switch index generation yet: %s", exc)
