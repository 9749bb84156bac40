"""The embedded index as an `IndexBackend`: the generation machinery of `build` and `store` under
INDEX_DIR, behind the same interface as the shared index, so no caller asks which one it has."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from app.config import Settings
from app.embed import Embedder
from app.index.build import ingest_documents, wipe
from app.index.identity import EmbedderMismatch, profile_problem
from app.index.repair import open_index, reindex
from app.index.report import IngestReport
from app.index.service import IndexService, Service
from app.index.store import IndexFiles, writer_lock
from app.index.vector_base import compact_vectors
from app.index.view import IndexView
from app.models import Document

log = logging.getLogger("app.index")


class LocalBackend:
    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder

    def open(self) -> IndexView:
        return open_index(self.settings, self.embedder)

    def write(
        self,
        documents: list[Document],
        *,
        remove: Iterable[str] = (),
        originals: Mapping[str, bytes] | None = None,
        vectors: Mapping[str, np.ndarray] | None = None,
        progress: bool = False,
        rebuild: bool = False,
    ) -> IngestReport:
        return ingest_documents(
            self.settings,
            self.embedder,
            documents,
            remove=remove,
            originals=originals,
            progress=progress,
            rebuild=rebuild,
            vectors=vectors,
        )

    def delete(self, doc_ids: Iterable[str]) -> IngestReport:
        return self.write([], remove=doc_ids)

    def stored(self, documents: Sequence[Document], keys: Iterable[str]) -> tuple[set[str], set[str]]:
        """Read from the catalog without the writer lock; an index the writer will rebuild (damaged,
        an older format) lends nothing."""
        cfg = self.settings
        if not (cfg.INDEX_DIR / "catalog.sqlite").exists():
            return set(), set()
        try:
            catalog = IndexFiles.of(cfg.INDEX_DIR, cfg).catalog
            made_by = catalog.meta("embedder")
            if made_by not in (None, self.embedder.name):
                raise EmbedderMismatch(
                    f"{cfg.INDEX_DIR} was built with embedder {made_by!r} but {self.embedder.name!r} is "
                    "configured; vectors of two embedders cannot be mixed: python -m app reindex"
                )
            if made_by is not None and (problem := profile_problem(cfg.INDEX_DIR, catalog.meta("profile"))):
                raise problem
            current = catalog.content_hashes([d.doc_id for d in documents], catalog.generation)
            same = {d.doc_id for d in documents if current.get(d.doc_id) == d.content_hash}
            return same, catalog.embedded(keys)
        except (sqlite3.DatabaseError, OSError, ValueError) as exc:
            log.warning("nothing reused from %s: %s", cfg.INDEX_DIR, exc)
            return set(), set()

    def compact(self) -> bool:
        return compact_vectors(self.settings, self.embedder) is not None

    def reindex(self, progress: bool = False) -> IngestReport:
        return reindex(self.settings, self.embedder, progress=progress)

    def service(self, on_generation: Callable[[IndexView], None]) -> Service:
        return IndexService(self.settings, self.embedder, on_generation)

    def drop(self) -> None:
        with writer_lock(self.settings.INDEX_DIR):
            wipe(self.settings.INDEX_DIR)

    def close(self) -> None:
        """Every write opens and closes its own files."""
