"""One interface to the index, whichever holds it: the embedded one under INDEX_DIR (`LocalBackend`:
SQLite catalog, tantivy, FAISS) or the shared one in Milvus (`MilvusBackend`, `VECTOR_STORE=milvus`).

Settings and an embedder come in; an `IndexBackend` goes out, and the CLI, the server, the bulk and
Ray ingests and the pipeline reach the index only through it. `make_index_backend` is the one place
that reads `VECTOR_STORE`, so adding a backend is one class and one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from app import profiles
from app.config import Settings
from app.embed import Embedder
from app.index.report import IngestReport
from app.index.view import IndexView
from app.models import Document

if TYPE_CHECKING:
    from app.index.service import Service


class BackendUnsupported(RuntimeError):
    """An operation this backend cannot do; the message says how to get the same result."""


class IndexBackend(Protocol):
    def open(self) -> IndexView:
        """The index to answer from, repaired first if it must be: searches (dense and lexical, with
        filters) and counts go through the view."""
        ...

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
        """Add or update `documents` and drop `remove`. `vectors` are ready-made passage vectors by
        text key (an ingest that embeds ahead of the writer); `rebuild` starts from nothing."""
        ...

    def delete(self, doc_ids: Iterable[str]) -> IngestReport:
        """Drop these documents; the report's `removed` names those that were stored."""
        ...

    def stored(self, documents: Sequence[Document], keys: Iterable[str]) -> tuple[set[str], set[str]]:
        """(doc_ids stored unchanged, text keys with a stored vector): what a write of `documents`
        will not embed, so an ingest embedding ahead of the writer embeds only what it needs. An
        index of another embedder fails here, before any embedding."""
        ...

    def compact(self) -> bool:
        """After a bulk write: fold what is cheap to fold now so the next start is fast; True if
        something was."""
        ...

    def reindex(self, progress: bool = False) -> IngestReport:
        """Rebuild every chunk and vector from the stored documents (`BackendUnsupported` if this
        backend cannot)."""
        ...

    def service(self, on_generation: Callable[[IndexView], None]) -> Service:
        """The index's owner in a serving process, which hands each new view to `on_generation`."""
        ...

    def drop(self) -> None:
        """Remove what this index stores, for a throwaway run (an evaluation, a test): Milvus's
        collections; an embedded index's derived files (its owner removes INDEX_DIR itself)."""
        ...

    def close(self) -> None:
        """Let go of connections (an embedded index holds none between calls)."""
        ...


def make_index_backend(settings: Settings, embedder: Embedder) -> IndexBackend:
    configured, running = profiles.load_profile(settings.PROFILE), profiles.active()
    if configured != running:  # the readers and the matcher would use the other profile's rules
        raise profiles.ProfileError(
            f"PROFILE={settings.PROFILE!r} but this process runs profile {running.name!r}: the profile is "
            "chosen once per process (app.profiles.configure(settings) at start)"
        )
    if settings.VECTOR_STORE == "milvus":
        from app.index.milvus_backend import MilvusBackend

        return MilvusBackend(settings, embedder)
    from app.index.local_backend import LocalBackend

    return LocalBackend(settings, embedder)
