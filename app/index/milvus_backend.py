"""The shared index in Milvus as an `IndexBackend` (`VECTOR_STORE=milvus`): `SharedIndex` behind the
same interface as the embedded index, holding one connection for all of a run's writes (an ingest
writes group after group, and each opening costs a connection and a check of five collections)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from app.config import Settings
from app.embed import Embedder
from app.index.backend import BackendUnsupported
from app.index.report import IngestReport
from app.index.service import Service
from app.index.shared import SharedIndex
from app.index.shared_rows import document_row, version_of
from app.index.shared_service import SharedIndexService
from app.index.view import IndexView
from app.models import Document


class MilvusBackend:
    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._index: SharedIndex | None = None

    @property
    def index(self) -> SharedIndex:
        """Connected on first use: a server's service connects in its own thread instead."""
        if self._index is None:
            self._index = SharedIndex(self.settings, self.embedder.name, self.embedder.dim)
        return self._index

    def open(self) -> IndexView:
        return self.index.view()

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
        if rebuild:
            self.drop()
        return self.index.write(
            documents,
            self.embedder,
            remove=list(remove),
            originals=originals,
            vectors=vectors,
            progress=progress,
        )

    def delete(self, doc_ids: Iterable[str]) -> IngestReport:
        return self.write([], remove=doc_ids)

    def stored(self, documents: Sequence[Document], keys: Iterable[str]) -> tuple[set[str], set[str]]:
        """Whole documents only: Milvus keeps vectors by chunk key, not by text."""
        heads = self.index.heads_of([d.doc_id for d in documents])
        same = {
            d.doc_id
            for d in documents
            if d.doc_id in heads and heads[d.doc_id]["version"] == version_of(document_row(d))
        }
        return same, set()

    def compact(self) -> bool:
        """Milvus seals and merges its own segments."""
        return False

    def reindex(self, progress: bool = False) -> IngestReport:
        raise BackendUnsupported(
            "reindex rebuilds the embedded index; for the shared one: `migrate --to faiss` into an empty "
            "INDEX_DIR, `reindex` there (VECTOR_STORE=faiss), then `migrate --to milvus` with a new "
            "MILVUS_COLLECTION and point the replicas at it"
        )

    def service(self, on_generation: Callable[[IndexView], None]) -> Service:
        return SharedIndexService(self.settings, self.embedder, on_generation)

    def drop(self) -> None:
        self.index.drop()
        self._index = None  # connecting again makes the collections anew

    def close(self) -> None:
        if self._index is not None:
            self._index.client.close()
            self._index = None
