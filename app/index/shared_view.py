"""What a request reads from the shared index (`SharedView`, an `IndexView`): the documents,
chunks and searches of the Milvus collections `app.index.shared.SharedIndex` writes, as of one
stamp, so a request never sees two versions of a document nor a chunk without its document."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np

from app.index.catalog import chunk_from_row
from app.index.lexical import LexicalFilter
from app.index.milvus_text import query_tokens, string_list
from app.index.vocabulary import CountedVocabulary, Vocabulary
from app.models import Chunk, Document

if TYPE_CHECKING:
    from app.index.shared import SharedIndex

RESTORE_FROM = 30  # passages a question typed without diacritics is restored from
_SAFE_NAME = re.compile(r"[\w ]{1,256}")  # a folded place name: letters, digits and spaces


class _Documents(Mapping[str, Document]):
    """The documents as the view sees them (the version of each it pinned), read on demand."""

    def __init__(self, view: SharedView) -> None:
        self._view = view
        self._cache: OrderedDict[tuple[str, str], Document] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, doc_id: str, default: Document | None = None) -> Document | None:  # type: ignore[override]
        head = self._view.heads([doc_id]).get(doc_id)
        if head is None:
            return default
        return self.at(doc_id, head["version"], int(head["meta"].get("parts", 1))) or default

    def at(self, doc_id: str, version: str, pieces: int) -> Document | None:
        """A version never changes, so it is cached by version; None once it was replaced and its
        parts dropped (the view is about to be replaced too)."""
        key = (doc_id, version)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        doc = self._view.shared.document(doc_id, version, pieces)
        if doc is not None:
            with self._lock:
                self._cache[key] = doc
                while len(self._cache) > 256:
                    self._cache.popitem(last=False)
        return doc

    def __getitem__(self, doc_id: str) -> Document:
        doc = self.get(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        return doc

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and bool(self._view.heads([doc_id]))

    def __len__(self) -> int:
        return self._view.document_count

    def __iter__(self) -> Iterator[str]:
        """Every doc id: O(documents), for tools and tests."""
        return iter(sorted(r["doc_id"] for r in self._view.shared.all_heads()))


class SharedView:
    """`IndexView` over the shared collections, as of one `stamp`: the version of each document it
    reads is pinned for its life, so a request never sees two versions of a document, nor a chunk
    without the document it came from. Every write changes the stamp; each replica polls it and
    replaces its view (`SharedIndexService`), so a write anywhere is answered everywhere within
    one poll."""

    number = 0
    pending: frozenset[int] = frozenset()  # uploads are embedded before they are written

    def __init__(self, shared: SharedIndex, stamp: str = "") -> None:
        self.shared = shared
        self.stamp = stamp
        self.embedder = shared.embedder
        self.dim = shared.dim
        self.documents = _Documents(self)
        self._rows: OrderedDict[int, tuple[str, str, Chunk]] = OrderedDict()
        self._pinned: dict[str, dict | None] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def pending_of(self, doc_id: str) -> int:
        return 0

    def heads(self, doc_ids: Collection[str]) -> dict[str, dict]:
        """The heads of these documents as this view first saw them (None-pinned if absent)."""
        with self._lock:
            todo = [d for d in dict.fromkeys(doc_ids) if d not in self._pinned]
        if todo:
            got = self.shared.heads_of(todo)
            with self._lock:
                if len(self._pinned) > 100_000:
                    self._pinned.clear()
                for d in todo:
                    self._pinned.setdefault(d, got.get(d))
        with self._lock:
            return {d: h for d in doc_ids if (h := self._pinned.get(d)) is not None}

    @property
    def document_count(self) -> int:
        if "documents" not in self._counts:
            self._counts["documents"] = self.shared.document_count()
        return self._counts["documents"]

    @property
    def name(self) -> str:
        return f"milvus:{self.shared.prefix}"

    @property
    def chunk_count(self) -> int:
        """Counted once per view (a view lasts until the next write anywhere)."""
        if "chunks" not in self._counts:
            self._counts["chunks"] = len(self.shared.chunks)
        return self._counts["chunks"]

    def vocabulary(self, question: str = "") -> Vocabulary:
        """The words of the passages a question typed without diacritics matches (its folded
        syllables, BM25): where its words are written, so where their marks are known. A shared
        index keeps no corpus-wide word counts, which several writers could not keep exact."""
        hits = self.search_lexical(question, False, RESTORE_FROM) if question else []
        chunks = self.chunks([k for k, _ in hits])
        return CountedVocabulary(c.text for c in chunks.values())

    def _current(self, hits: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Only chunks of their document's current version (see the module's docstring)."""
        if not hits:
            return []
        rows = self._fetch([k for k, _ in hits])
        heads = self.heads({doc_id for doc_id, _, _ in rows.values()})
        return [
            (k, s)
            for k, s in hits
            if k in rows and (h := heads.get(rows[k][0])) is not None and h["version"] == rows[k][1]
        ]

    def _fetch(self, keys: list[int]) -> dict[int, tuple[str, str, Chunk]]:
        """key -> (doc_id, version, chunk); rows never change under a key, so they are cached."""
        out: dict[int, tuple[str, str, Chunk]] = {}
        with self._lock:
            for k in keys:
                if k in self._rows:
                    out[k] = self._rows[k]
        missing = [k for k in keys if k not in out]
        if missing:
            rows = self.shared.chunks.rows(missing)
            with self._lock:
                for k, (doc_id, version, payload) in rows.items():
                    out[k] = self._rows[k] = (doc_id, version, chunk_from_row(payload))
                while len(self._rows) > 20_000:
                    self._rows.popitem(last=False)
        return out

    def chunks(self, keys: list[int]) -> dict[int, Chunk]:
        return {k: c for k, (_, _, c) in self._fetch(keys).items()}

    def search_dense(
        self, vector: np.ndarray, k: int, filters: LexicalFilter | None = None
    ) -> list[tuple[int, float]]:
        return self._current(self.shared.chunks.search_dense(vector, k, filters))[:k]

    def search_lexical(
        self, text: str, written: bool, k: int, filters: LexicalFilter | None = None
    ) -> list[tuple[int, float]]:
        exact, folded = query_tokens(text, written)
        settings = self.shared.settings
        n = self.chunk_count
        if settings.LEXICAL_PRUNE_MIN_CHUNKS and n >= settings.LEXICAL_PRUNE_MIN_CHUNKS:
            exact, folded = self._uncommon(exact, False, n), self._uncommon(folded, True, n)
        return self._current(self.shared.chunks.search_tokens(exact, folded, written, k, filters))[:k]

    def _uncommon(self, tokens: list[str], folded: bool, n: int) -> list[str]:
        """The tokens in at most LEXICAL_COMMON_SHARE of the chunks (the rarest three if none is), as
        the embedded index prunes past LEXICAL_PRUNE_MIN_CHUNKS. Here it matters more: Milvus Lite
        scores BM25 posting by posting in Python, and a word in most of 100k chunks costs ~50 ms."""
        if not tokens:
            return tokens
        counts = self.shared.df.of_tokens(tokens, folded)
        limit = self.shared.settings.LEXICAL_COMMON_SHARE * n
        kept = [t for t in tokens if counts[t] <= limit]
        return kept or sorted(tokens, key=lambda t: counts[t])[:3]

    def doc_freq(self, folded_term: str) -> int:
        return self.shared.df.doc_freq(folded_term)

    def places(self, folded: Collection[str]) -> dict[str, str]:
        """Rounds of one query for every name still unknown: each finds at least one more, and a
        question names one or two places, so two or three queries."""
        left = {n for n in folded if n and _SAFE_NAME.fullmatch(n)}
        out: dict[str, str] = {}
        while left:
            rows = self.shared.chunks.call(
                self.shared.client.query,
                self.shared.heads,
                filter=f"ARRAY_CONTAINS_ANY(places, {string_list(sorted(left))})",
                output_fields=["meta"],
                limit=64,
            )
            found = {n: w for r in rows for n, w in r["meta"]["places"].items() if n in left}
            if not found:
                break
            out.update(found)
            left -= found.keys()
        return out

    def document_page(self, offset: int, limit: int) -> list[tuple[Document, int]]:
        """Milvus has no ORDER BY: every head is read and sorted (O(documents), admin only)."""
        rows = sorted(self.shared.all_heads(("doc_id", "version", "meta")), key=lambda r: r["doc_id"])
        page = rows[offset : offset + limit]
        out = []
        for r in page:
            doc = self.documents.at(r["doc_id"], r["version"], int(r["meta"].get("parts", 1)))
            if doc is not None:
                out.append((doc, int(r["meta"].get("chunks", 0))))
        return out
