"""The index on disk and the one consistent view of it a request answers from (`Generation`).

Layout under INDEX_DIR:
    documents/      the source of truth (`app.index.documents`); everything else derives from it
    catalog.sqlite  document versions, chunks and their vectors, by generation (`app.index.catalog`)
    lexical/        the lexical index (tantivy segments), committed with the generation number
    vectors/        base-<G>.faiss: the vector index as of generation G, so start-up reads one file
                    and adds only what changed since
    CURRENT         name of the newest generation, written last: what other processes poll
    .lock           held by the one writer at a time

A write costs what it changes: new rows in the catalog, new records in the lexical index, and a
server switches by applying the same difference to the vectors it holds. Nothing is rebuilt from the
whole corpus on a write or at start-up.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from app.config import Settings
from app.index.catalog import Catalog
from app.index.documents import fsync_dir
from app.index.identity import (
    REBUILD_HINT,
    EmbedderMismatch,
    IndexLoadError,
    profile_problem,
)
from app.index.lexical import LexicalFilter, LexicalIndex, LexicalSnapshot, make_lexical_index
from app.index.listing import Listed
from app.index.vectors import VectorStore, load_vector_store, make_vector_store
from app.index.vocabulary import SqliteVocabulary
from app.models import Chunk, Document

log = logging.getLogger("app.index")

FORMAT_VERSION = 2


class WriterBusy(RuntimeError):
    """Another writer (CLI or server) holds the lock longer than this one was willing to wait."""


def generation_name(number: int) -> str:
    return f"gen-{number:08d}"


@contextmanager
def writer_lock(index_dir: Path, wait_s: float | None = None) -> Iterator[None]:
    """One writer at a time across processes (CLI and server share the lock file).

    `wait_s=None` waits as long as it takes (the CLI); otherwise `WriterBusy` after `wait_s` seconds
    (the API turns it into a 409). The kernel drops the lock when its holder dies, even by SIGKILL.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("a") as f:
        if wait_s is None:
            fcntl.flock(f, fcntl.LOCK_EX)
        else:
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise WriterBusy(
                            f"another ingest is writing the index (waited {wait_s:g} s); retry shortly"
                        ) from None
                    time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def current_name(index_dir: Path) -> str | None:
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        return None
    return pointer.read_text(encoding="utf-8").strip() or None


def write_pointer(index_dir: Path, number: int) -> None:
    """CURRENT names the newest generation (temp file, fsync, rename): the cheap thing pollers read."""
    tmp = index_dir / "CURRENT.tmp"
    with tmp.open("w", encoding="utf-8") as f:
        f.write(generation_name(number) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / "CURRENT")
    fsync_dir(index_dir)


class IndexFiles:
    """The open catalog and lexical index of one INDEX_DIR, shared by every generation a process
    reads from it (opening them is the only per-process cost)."""

    _open: ClassVar[dict[Path, IndexFiles]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, index_dir: Path, settings: Settings | None = None) -> None:
        self.index_dir = index_dir
        self.catalog = Catalog(index_dir / "catalog.sqlite")
        self.inode = (index_dir / "catalog.sqlite").stat().st_ino
        self.lexical: LexicalIndex = make_lexical_index(index_dir / "lexical", settings)

    @classmethod
    def of(cls, index_dir: Path, settings: Settings | None = None) -> IndexFiles:
        key = index_dir.resolve()
        with cls._guard:
            files = cls._open.get(key)
            try:
                inode = (key / "catalog.sqlite").stat().st_ino
            except FileNotFoundError:
                inode = None
            # Another process may have rebuilt the index (`reindex`): new files, open them anew.
            if files is None or inode != files.inode:  # the old handles close when unused
                files = cls._open[key] = cls(index_dir, settings)
            return files

    @classmethod
    def forget(cls, index_dir: Path) -> None:
        """Close and drop a damaged index's handles before its files are replaced."""
        with cls._guard:
            files = cls._open.pop(index_dir.resolve(), None)
        if files is not None:
            files.catalog.close()

    @property
    def vectors_dir(self) -> Path:
        return self.index_dir / "vectors"


class DocumentView(Mapping[str, Document]):
    """The documents of one generation, read from the catalog on demand (a few recent ones cached):
    what a request needs is a handful of them, never all."""

    def __init__(self, catalog: Catalog, number: int) -> None:
        self._catalog = catalog
        self._number = number
        self._cache: OrderedDict[str, Document | None] = OrderedDict()
        self._lock = threading.Lock()
        self._count: int | None = None

    def get(self, doc_id: str, default: Document | None = None) -> Document | None:  # type: ignore[override]
        with self._lock:
            if doc_id in self._cache:
                self._cache.move_to_end(doc_id)
                doc = self._cache[doc_id]
                return default if doc is None else doc
        found = self._catalog.document(doc_id, self._number)
        doc = found[1] if found else None
        with self._lock:
            self._cache[doc_id] = doc
            if len(self._cache) > 256:
                self._cache.popitem(last=False)
        return default if doc is None else doc

    def __getitem__(self, doc_id: str) -> Document:
        doc = self.get(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        return doc

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self.get(doc_id) is not None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self._catalog.document_count(self._number)
        return self._count

    def __iter__(self) -> Iterator[str]:
        """Every doc id: O(documents), for tools and tests, never on a request's path."""
        return iter(sorted(self._catalog.all_doc_ids(self._number)))


@dataclass
class Generation:
    """One whole, consistent index: every request answers from exactly one of these."""

    number: int
    embedder: str
    dim: int
    files: IndexFiles
    vectors: VectorStore
    lexical: LexicalSnapshot
    pending: frozenset[int] = frozenset()  # chunk keys stored before their vectors: lexical-only for now
    documents: DocumentView = field(init=False)

    _listing: list[Listed] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.documents = DocumentView(self.files.catalog, self.number)

    @property
    def name(self) -> str:
        return generation_name(self.number)

    @property
    def catalog(self) -> Catalog:
        return self.files.catalog

    @property
    def chunk_count(self) -> int:
        return len(self.lexical)

    def vocabulary(self, question: str = "") -> SqliteVocabulary:
        """The corpus's written words and word pairs, counted as documents come and go (whatever
        the question)."""
        return SqliteVocabulary(self.catalog.shared)

    def chunks(self, keys: list[int]) -> dict[int, Chunk]:
        return {k: c for k, (_, c) in self.catalog.chunks(keys).items()}

    def all_chunks(self) -> list[tuple[int, Chunk]]:
        """(key, chunk) of every chunk: O(corpus), for tools and tests, never on a request's path."""
        return [(key, chunk) for key, _, _, chunk in self.catalog.iter_alive_chunks(self.number)]

    def chunk_count_of(self, doc_id: str) -> int:
        return self.catalog.chunk_count_of(doc_id, self.number)

    def pending_of(self, doc_id: str) -> int:
        if not self.pending:
            return 0
        return sum(k in self.pending for k in self.catalog.keys_of_documents([doc_id], self.number))

    def search_dense(
        self, vector: np.ndarray, k: int, filters: LexicalFilter | None = None
    ) -> list[tuple[int, float]]:
        """FAISS, with a filter turned into the chunk keys it allows (read from the catalog's
        indexes) and applied inside the search."""
        if not len(self.vectors):
            return []
        allowed = self._allowed(filters) if filters is not None else None
        if allowed is not None and not allowed:
            return []
        return self.vectors.search(vector, k, allowed)

    def _allowed(self, filters: LexicalFilter) -> set[int]:
        keys: set[int] | None = None
        if filters.doc_ids is not None:
            keys = set(self.catalog.keys_of_documents(filters.doc_ids, self.number))
        if filters.date_from or filters.date_to:
            dated = set(self.catalog.keys_in_dates(filters.date_from, filters.date_to, self.number))
            keys = dated if keys is None else keys & dated
        return keys or set()

    def search_lexical(
        self, text: str, written: bool, k: int, filters: LexicalFilter | None = None
    ) -> list[tuple[int, float]]:
        return self.lexical.search(text, written, k, filters)

    def doc_freq(self, folded_term: str) -> int:
        return self.lexical.doc_freq(folded_term)

    def places(self, folded: Collection[str]) -> dict[str, str]:
        return self.catalog.places(folded)

    def document_page(self, offset: int, limit: int) -> list[tuple[Document, int]]:
        return self.catalog.document_page(self.number, offset, limit)

    def document_index(self) -> list[Listed]:
        if self._listing is None:  # a generation never changes: list it once
            self._listing = self.catalog.document_index(self.number)
        return self._listing


def _check_meta(catalog: Catalog, index_dir: Path, expected_embedder: str | None) -> tuple[int, str, int]:
    try:
        version = catalog.meta("format_version")
        embedder = catalog.meta("embedder")
        dim = int(catalog.meta("dim", "0") or 0)
        number = catalog.generation
    except sqlite3.DatabaseError as exc:
        raise IndexLoadError(f"{index_dir}/catalog.sqlite is damaged ({exc}); {REBUILD_HINT}") from exc
    if version is None or number == 0:
        raise IndexLoadError(f"no index in {index_dir}: build it with: python -m app ingest")
    if version != str(FORMAT_VERSION):
        raise IndexLoadError(
            f"{index_dir}: index format {version}, this version reads {FORMAT_VERSION}; {REBUILD_HINT}"
        )
    if expected_embedder and embedder != expected_embedder:
        raise EmbedderMismatch(
            f"{index_dir} was built with embedder {embedder!r} but {expected_embedder!r} is configured; "
            f"vectors of two embedders cannot be mixed: {REBUILD_HINT}"
        )
    if problem := profile_problem(index_dir, catalog.meta("profile")):
        raise problem
    return number, str(embedder), dim


def catch_up(store: VectorStore, catalog: Catalog, after: int, number: int, dim: int) -> VectorStore:
    """`store` (the vectors as of generation `after`) with what generations after it up to `number`
    set or removed: a write's size, not the corpus's."""
    keys, matrix = catalog.vectors_since(after, number, dim)
    return store.changed(keys, matrix, catalog.died_since(after, number))


def load_vectors(settings: Settings, files: IndexFiles, number: int, dim: int) -> VectorStore:
    """The saved vector base plus what changed since it; a missing or damaged base is rebuilt from
    the catalog's vectors (no embedding)."""
    catalog = files.catalog
    base_name = catalog.meta("vector_base")
    base_gen = int(catalog.meta("vector_base_gen", "0") or 0)
    if base_name and base_gen <= number:
        try:
            store = load_vector_store(settings, files.vectors_dir / base_name)
            if store.dim != dim:
                raise ValueError(f"dimension {store.dim}, the catalog says {dim}")
            return catch_up(store, catalog, base_gen, number, dim)
        except (OSError, RuntimeError, ValueError) as exc:
            log.warning("vector base %s unreadable (%s): rebuilding it from the catalog", base_name, exc)
    return make_vector_store(settings, dim, *catalog.vectors_since(0, number, dim))


def load_generation(
    index_dir: Path,
    expected_embedder: str | None = None,
    *,
    settings: Settings | None = None,
    previous: Generation | None = None,
) -> Generation:
    """The newest generation. With `previous` (a generation this process already holds) only the
    difference is applied to its vectors: a server's switch after a write costs that write's size."""
    settings = settings or Settings(INDEX_DIR=index_dir)
    if not (index_dir / "catalog.sqlite").exists():
        old = "" if current_name(index_dir) is None else " (it is in an older format)"
        raise IndexLoadError(f"no index in {index_dir}{old}: build it with: python -m app ingest")
    try:
        files = IndexFiles.of(index_dir, settings)
    except sqlite3.DatabaseError as exc:
        raise IndexLoadError(f"{index_dir}/catalog.sqlite is damaged ({exc}); {REBUILD_HINT}") from exc
    except (OSError, ValueError) as exc:
        raise IndexLoadError(
            f"{index_dir}: the lexical index cannot be opened ({exc}); {REBUILD_HINT}"
        ) from exc
    catalog = files.catalog
    _, embedder, dim = _check_meta(catalog, index_dir, expected_embedder)
    try:
        # The lexical index commits last: its generation is the newest one every part holds (a writer
        # may be between its catalog commit and its lexical commit right now).
        lexical = files.lexical.snapshot()
        number = lexical.marker
        if number == 0:
            raise IndexLoadError(f"{index_dir}: the lexical index is empty; {REBUILD_HINT}")
        if previous is not None and previous.files is files and previous.dim == dim:
            vectors = catch_up(previous.vectors, catalog, previous.number, number, dim)
        else:
            vectors = load_vectors(settings, files, number, dim)
        pending = catalog.pending(number)
    except sqlite3.DatabaseError as exc:
        raise IndexLoadError(f"{index_dir}/catalog.sqlite is damaged ({exc}); {REBUILD_HINT}") from exc
    return Generation(number, embedder, dim, files, vectors, lexical, pending)


def in_sync(files: IndexFiles) -> str | None:
    """Why the index is behind the stored documents or its own catalog, or None when it is not."""
    catalog = files.catalog
    journal = catalog.db.execute("SELECT count(*) FROM journal").fetchone()[0]
    if journal:
        return f"{journal} documents were being written when a writer stopped"
    number = catalog.generation
    marker = files.lexical.marker()
    if marker != number:
        return f"the lexical index is at generation {marker}, the catalog at {number}"
    return None
