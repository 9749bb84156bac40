"""What a request reads from the shared index (`SharedView`, an `IndexView`): the documents,
chunks and searches of the Milvus collections `app.index.shared.SharedIndex` writes, as of one
stamp, so a request never sees two versions of a document nor a chunk without its document."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np

from app.index.catalog import chunk_from_row
from app.index.lexical import LexicalFilter
from app.index.listing import Listed
from app.index.milvus_search import Rows, search_fused
from app.index.milvus_text import query_tokens, string_list
from app.index.vocabulary import CountedVocabulary, Vocabulary
from app.models import Chunk, Document

if TYPE_CHECKING:
    from app.index.shared import SharedIndex

RESTORE_FROM = 30  # passages a question typed without diacritics is restored from
# The lexical search those passages come from asks for the retriever's usual pool (max(50, 10 k)),
# so that the retriever's own search of the same question is the remembered one, not a second.
RESTORE_SEARCH = 50
SEARCHES_KEPT = 64  # lexical searches a view remembers (see `SharedView.search_lexical`)
ROWS_KEPT = 20_000  # chunk rows kept across views (~40 MB of chunks)
DOCUMENTS_KEPT = 256
POSTINGS_PER_CHUNK = 2  # the least MILVUS_LEXICAL_POSTINGS becomes as the index grows (`_searched`)
_SAFE_NAME = re.compile(r"[\w ]{1,256}")  # a folded place name: letters, digits and spaces
K, V = TypeVar("K"), TypeVar("V")


class _Documents(Mapping[str, Document]):
    """The documents as the view sees them (the version of each it pinned), read on demand."""

    def __init__(self, view: SharedView, stable: Stable) -> None:
        self._view = view
        self._stable = stable

    def get(self, doc_id: str, default: Document | None = None) -> Document | None:  # type: ignore[override]
        head = self._view.heads([doc_id]).get(doc_id)
        if head is None:
            return default
        return self.at(doc_id, head["version"], int(head["meta"].get("parts", 1))) or default

    def at(self, doc_id: str, version: str, pieces: int) -> Document | None:
        """A version never changes, so it is cached by version, across views; None once it was
        replaced and its parts dropped (the view is about to be replaced too)."""
        key = (doc_id, version)
        doc = self._stable.documents.get(key)
        if doc is None:
            doc = self._view.shared.document(doc_id, version, pieces)
            if doc is not None:
                self._stable.documents.put(key, doc)
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


class _Kept(Generic[K, V]):
    """A bounded map, most recently used kept. Threads may share it."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class Stable:
    """What never changes under its key, so every view of a process shares it, and a write (a new
    view) does not empty it: chunk rows by key (a key names one version's chunk) and documents by
    version. A view used to keep its own, so each write anywhere made the next questions fetch
    their rows and documents again."""

    def __init__(self) -> None:
        self.rows: _Kept[int, tuple[str, str, Chunk]] = _Kept(ROWS_KEPT)
        self.documents: _Kept[tuple[str, str], Document] = _Kept(DOCUMENTS_KEPT)


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
        self._stable: Stable = shared.stable
        self.documents = _Documents(self, self._stable)
        self._searches: _Kept[tuple, tuple[int, list[tuple[int, float]]]] = _Kept(SEARCHES_KEPT)
        self.fuses_in_engine = shared.settings.MILVUS_FUSION == "engine"
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
        hits = self.search_lexical(question, False, RESTORE_SEARCH)[:RESTORE_FROM] if question else []
        chunks = self.chunks([k for k, _ in hits])
        return CountedVocabulary(c.text for c in chunks.values())

    def _current(self, hits: list[tuple[int, float]], rows: Rows) -> list[tuple[int, float]]:
        """Only chunks of their document's current version (see the module's docstring). `rows`:
        those the search brought back with its hits (the others are fetched)."""
        if not hits:
            return []
        for k, (doc_id, version, payload) in rows.items():
            if self._stable.rows.get(k) is None:
                self._stable.rows.put(k, (doc_id, version, chunk_from_row(payload)))
        got = self._fetch([k for k, _ in hits])
        heads = self.heads({doc_id for doc_id, _, _ in got.values()})
        return [
            (k, s)
            for k, s in hits
            if k in got and (h := heads.get(got[k][0])) is not None and h["version"] == got[k][1]
        ]

    def _fetch(self, keys: list[int]) -> dict[int, tuple[str, str, Chunk]]:
        """key -> (doc_id, version, chunk); rows never change under a key, so they are cached."""
        out: dict[int, tuple[str, str, Chunk]] = {}
        for k in keys:
            if (row := self._stable.rows.get(k)) is not None:
                out[k] = row
        missing = [k for k in keys if k not in out]
        if missing:
            for k, (doc_id, version, payload) in self.shared.chunks.rows(missing).items():
                out[k] = (doc_id, version, chunk_from_row(payload))
                self._stable.rows.put(k, out[k])
        return out

    def chunks(self, keys: list[int]) -> dict[int, Chunk]:
        return {k: c for k, (_, _, c) in self._fetch(keys).items()}

    def search_dense(
        self, vector: np.ndarray, k: int, filters: LexicalFilter | None = None
    ) -> list[tuple[int, float]]:
        rows: Rows = {}
        return self._current(self.shared.chunks.search_dense(vector, k, filters, rows), rows)[:k]

    def search_lexical(
        self, text: str, written: bool, k: int, filters: LexicalFilter | None = None
    ) -> list[tuple[int, float]]:
        """Remembered for the view's life (its results change only with a write, and a write makes a
        new view): a question typed without diacritics searches once for its words and its passages."""
        if not self.shared.lexical_ready.is_set():
            return []  # warming after Milvus came back (`SharedIndexService`): vectors alone meanwhile
        key = (text, written, filters)
        kept = self._searches.get(key)
        if kept is not None and kept[0] >= k:
            return kept[1][:k]
        exact, folded = query_tokens(text, written)
        exact, folded = self._searched(exact, False), self._searched(folded, True)
        rows: Rows = {}
        hits = self._current(self.shared.chunks.search_tokens(exact, folded, written, k, filters, rows), rows)
        self._searches.put(key, (k, hits))
        return hits[:k]

    def search_fused(
        self, vector: np.ndarray, text: str, written: bool, k: int, filters: LexicalFilter | None = None
    ) -> list[tuple[int, float, float | None]]:
        """Dense and lexical in one request, fused by Milvus (`app.index.milvus_search`)."""
        exact, folded = query_tokens(text, written) if self.shared.lexical_ready.is_set() else ([], [])
        exact, folded = self._searched(exact, False), self._searched(folded, True)
        rows: Rows = {}
        hits = search_fused(self.shared.chunks, vector, exact, folded, k, filters, rows)
        current = dict(self._current([(key, score) for key, score, _ in hits], rows))
        return [h for h in hits if h[0] in current][:k]

    def _searched(self, tokens: list[str], folded: bool) -> list[str]:
        """The question's tokens worth their cost. Past LEXICAL_PRUNE_MIN_CHUNKS, those in at most
        LEXICAL_COMMON_SHARE of the chunks, as the embedded index prunes. At any size, the rarest
        ones whose postings (the chunks holding them) add up to MILVUS_LEXICAL_POSTINGS: Milvus Lite
        scores BM25 posting by posting in Python (~1 us each), and a question of common words held
        by thousands of chunks each cost 0.8 s at 12k chunks, while the commonest terms weigh least
        (lowest idf). If none is kept, the three rarest are. The budget is never below
        POSTINGS_PER_CHUNK postings a chunk: on the seed eval (35 chunks, MILVUS_FUSION=engine)
        a budget of 2.4 a chunk (30,000 at 12.5k) changed no answer, one of 0.3 a chunk (30,000
        at 100k) cost 2 answers and recall@5 1.000 -> 0.969."""
        settings = self.shared.settings
        n = self.chunk_count
        budget = (
            max(settings.MILVUS_LEXICAL_POSTINGS, POSTINGS_PER_CHUNK * n)
            if settings.MILVUS_LEXICAL_POSTINGS
            else 0
        )
        pruning = bool(settings.LEXICAL_PRUNE_MIN_CHUNKS) and n >= settings.LEXICAL_PRUNE_MIN_CHUNKS
        if not tokens or not (pruning or budget):
            return tokens
        counts = self.shared.df.of_tokens(tokens, folded)
        rarest = sorted(tokens, key=lambda t: counts[t])
        limit = settings.LEXICAL_COMMON_SHARE * n if pruning else float("inf")
        kept: set[str] = set()
        postings = 0
        for t in rarest:
            postings += counts[t]
            if counts[t] > limit or (budget and postings > budget):
                break
            kept.add(t)
        return [t for t in tokens if t in (kept or set(rarest[:3]))]

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

    def document_index(self) -> list[Listed]:
        """From the heads' metadata: no document is read; once per view."""
        cached: list[Listed] | None = getattr(self, "_listing", None)
        if cached is not None:
            return cached
        rows = self.shared.all_heads(("doc_id", "meta"))
        self._listing = [
            Listed(r["doc_id"], str(m.get("title") or ""), m.get("date"), str(m.get("format") or "text"),
                   int(m.get("chunks", 0)))
            for r in rows
            for m in (r["meta"],)
        ]  # fmt: skip
        return self._listing

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
