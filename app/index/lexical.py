"""The lexical index on disk (tantivy): BM25 over syllables and syllable pairs, exact and folded.

Folding makes "tong thu ngan sach" find "tổng thu ngân sách", but it also merges different words
("năm" year / "Nam" south). So a question typed with diacritics scores exact BM25 + 0.25 x folded
BM25 (exact matches outrank folded ones), one without scores folded only. The index is persistent and
incremental: a write costs its own
records, not the corpus. Tantivy gives segments merged in the background, atomic commits and
searcher snapshots; text goes in pre-tokenised (tokens joined by spaces, split by a whitespace
tokenizer), so tantivy never re-tokenises Vietnamese its own way.

The caller's generation number (`marker`) is a record of its own, written in the same commit as the
data: after a crash the index and its marker always agree.

BM25 uses tantivy's k1 = 1.2 (bm25s: 1.5), and its statistics (document frequency, average length)
still count deleted records until their segment is merged, as Lucene's do: scores drift slightly
from a fresh build's, rankings hardly. `doc_freq` counts live records only.

Through tantivy-py (0.27) a search scores every record matching any query term: block-max WAND
never prunes (top-1 of one common term costs as much as counting it), so latency grows with the
postings of the question's terms.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import tantivy

from app.config import Settings
from app.index.terms import day_number, folded_tokens, forms

FOLDED_WEIGHT_WHEN_WRITTEN = 0.25
WRITER_HEAP_BYTES = 150_000_000  # tantivy flushes a segment when the heap fills: bigger = fewer merges
WRITER_THREADS = 1  # Python tokenising is the bottleneck, not tantivy; a second thread only costs RAM

# Fields. Text is indexed with term frequencies but no positions (BM25 needs no phrases: pairs are
# terms of their own); nothing is stored but the marker, since callers map keys back to chunks.
EXACT, FOLDED, DOC_ID, KEY, DATE, KIND, MARKER = "exact", "folded", "doc_id", "key", "date", "kind", "marker"
MARKER_KIND = 1  # only the marker record has a `kind`: text and filter queries never match it
_TOKENIZER = "ws"

Occur = tantivy.Occur
Query = tantivy.Query


class LexicalIndexError(ValueError):
    """The folder holds an index this code cannot open (damaged files, another schema): rebuild it.
    A ValueError, as tantivy's own errors are, so callers catching those catch this too."""


@dataclass(frozen=True)
class LexicalRecord:
    key: int  # the chunk's stable int64 key
    doc_id: str
    date: str | None  # ISO yyyy-mm-dd or None
    text: str  # what is matched: chunk header + "\n" + chunk text (NFC)


@dataclass(frozen=True)
class LexicalFilter:
    doc_ids: tuple[str, ...] | None = None
    date_from: str | None = None  # inclusive, ISO
    date_to: str | None = None  # inclusive, ISO; with any date bound, records without a date are excluded


class LexicalSnapshot(Protocol):
    """One committed state; searches on it never see later writes."""

    marker: int  # the caller's generation this state was committed with

    def search(
        self, query: str, written: bool, k: int, filters: LexicalFilter | None = None
    ) -> list[tuple[int, float]]:
        """(key, score) of the k best records, best first, only score > 0."""
        ...

    def doc_freq(self, folded_term: str) -> int:
        """Records whose folded tokens include this term (a syllable, or a pair "a_b")."""
        ...

    def __len__(self) -> int: ...


class LexicalIndex(Protocol):
    def write(self, add: Sequence[LexicalRecord], remove_doc_ids: Collection[str], marker: int) -> None:
        """One atomic commit: drop the records of `remove_doc_ids`, add `add`, store `marker`."""
        ...

    def marker(self) -> int:
        """The marker of the last commit, 0 for a new (or cleared) index."""
        ...

    def snapshot(self) -> LexicalSnapshot:
        """The latest committed state."""
        ...

    def clear(self) -> None:
        """Drop everything, committed (a full rebuild follows)."""
        ...


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field(EXACT, tokenizer_name=_TOKENIZER, index_option="freq")
    b.add_text_field(FOLDED, tokenizer_name=_TOKENIZER, index_option="freq")
    b.add_text_field(DOC_ID, tokenizer_name="raw", index_option="basic")
    b.add_integer_field(KEY, fast=True)  # read by address for every hit, without touching the doc store
    b.add_integer_field(DATE, fast=True)  # range filters scan this column
    b.add_integer_field(KIND, indexed=True)
    b.add_integer_field(MARKER, stored=True)
    return b.build()


def _whitespace() -> tantivy.TextAnalyzer:
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


class TantivySnapshot:
    """A tantivy searcher: a fixed set of segments and deletes. Threads may share it: its searches
    release the GIL (two threads search twice as fast as one, bench/lexical.py)."""

    def __init__(
        self, searcher: tantivy.Searcher, schema: tantivy.Schema, prune: tuple[int, float] = (0, 1.0)
    ) -> None:
        self._searcher = searcher
        self._schema = schema
        self._prune_min, self._common_share = prune
        hits = searcher.search(Query.term_query(schema, KIND, MARKER_KIND), 1, count=True)
        self.marker = int(searcher.doc(hits.hits[0][1])[MARKER][0]) if hits.hits else 0
        self._size = searcher.num_docs - hits.count

    def __len__(self) -> int:
        return self._size

    def search(
        self, query: str, written: bool, k: int, filters: LexicalFilter | None = None
    ) -> list[tuple[int, float]]:
        if k <= 0 or self._size == 0:  # tantivy panics on a limit of 0
            return []
        if written:
            exact, folded = forms(query)
        else:
            exact, folded = [], folded_tokens(query)
        if not folded:  # only punctuation or symbols: nothing to match
            return []
        if self._prune_min and self._size >= self._prune_min:
            folded = self._uncommon(FOLDED, folded)
            exact = self._uncommon(EXACT, exact) if exact else exact
        # One flat disjunction of term queries (folded ones boosted down when the question is written):
        # scores as exact + 0.25 x folded, and ~15% faster than nesting the two fields' disjunctions.
        clauses = self._terms(FOLDED, folded, FOLDED_WEIGHT_WHEN_WRITTEN if written else 1.0)
        if written:
            clauses = self._terms(EXACT, exact, 1.0) + clauses
        text = Query.boolean_query(clauses)
        if filters is not None:
            restrictions = self._restrictions(filters)
            if restrictions is None:
                return []
            if restrictions:
                # Must clauses scored 0: they restrict which records match, never how they rank.
                text = Query.boolean_query(
                    [(Occur.Must, text)]
                    + [(Occur.Must, Query.const_score_query(q, 0.0)) for q in restrictions]
                )
        hits = self._searcher.search(text, k, count=False).hits
        if not hits:
            return []
        keys = self._searcher.fast_field_values(KEY, [address for _, address in hits])
        return [(key, score) for (score, _), key in zip(hits, keys, strict=True) if score > 0]

    def _uncommon(self, field: str, terms: list[str]) -> list[str]:
        """The terms in at most LEXICAL_COMMON_SHARE of the chunks (the rarest three if none is). Why:
        tantivy-py scores every record holding any query term (no pruning reaches Python), so a term
        in most chunks costs the most (~half the time at 1M) and moves a BM25 score least (idf
        below ln 2, against 5 to 13 for the words that tell passages apart)."""
        distinct = list(dict.fromkeys(terms))
        df = {t: self._searcher.doc_freq(field, t) for t in distinct}
        limit = self._common_share * self._size
        kept = [t for t in distinct if df[t] <= limit]
        return kept or sorted(distinct, key=lambda t: df[t])[:3]

    def _terms(
        self, field: str, terms: list[str], weight: float
    ) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        """A Should clause per distinct term: a term typed twice counts once."""
        queries = [Query.term_query(self._schema, field, t, "freq") for t in dict.fromkeys(terms)]
        if weight != 1.0:
            queries = [Query.boost_query(q, weight) for q in queries]
        return [(Occur.Should, q) for q in queries]

    def _restrictions(self, filters: LexicalFilter) -> list[tantivy.Query] | None:
        """The filter as queries; None when it allows nothing (an empty doc id list)."""
        out = []
        if filters.doc_ids is not None:
            if not filters.doc_ids:
                return None
            out.append(Query.term_set_query(self._schema, DOC_ID, list(filters.doc_ids)))
        if filters.date_from or filters.date_to:  # a record without a date has no value: excluded
            lo = day_number(filters.date_from) if filters.date_from else None
            hi = day_number(filters.date_to) if filters.date_to else None
            out.append(Query.range_query(self._schema, DATE, tantivy.FieldType.Integer, lo, hi))
        return out

    def doc_freq(self, folded_term: str) -> int:
        """Tantivy's own count: O(1), but it still includes records deleted since their segment was
        last merged (a replaced document counts twice for a while). For an idf that is noise; a
        count query over live records cost ~1 ms a term at 1M records."""
        if self._size == 0:
            return 0
        return min(self._searcher.doc_freq(FOLDED, folded_term), self._size)


class TantivyLexicalIndex:
    """The lexical index in a folder, created on first use. One writer at a time across processes
    (callers serialise writes with their own lock); each write opens tantivy's writer and lets it go
    once committed and merged, so another process can write next."""

    def __init__(
        self,
        path: Path,
        heap_bytes: int = WRITER_HEAP_BYTES,
        threads: int = WRITER_THREADS,
        prune: tuple[int, float] = (0, 1.0),
    ) -> None:
        self.path = path
        self._prune = prune  # (chunks from which common terms are skipped, their share)
        self._heap_bytes = heap_bytes
        self._threads = threads
        path.mkdir(parents=True, exist_ok=True)
        self._schema = _schema()
        try:
            self._index = tantivy.Index(self._schema, path=str(path), reuse=True)
        except ValueError as e:
            raise LexicalIndexError(f"cannot open the lexical index in {path}: {e}") from e
        self._index.register_tokenizer(_TOKENIZER, _whitespace())
        # Reload only when asked (snapshot, marker), not from a file watcher: a snapshot is taken
        # explicitly, and a commit by another process is picked up by the next one.
        self._index.config_reader(reload_policy="Manual")

    def write(self, add: Sequence[LexicalRecord], remove_doc_ids: Collection[str], marker: int) -> None:
        dates = [
            day_number(r.date) if r.date else None for r in add
        ]  # a bad date fails before anything is written
        self._commit(lambda w: self._fill(w, add, dates, remove_doc_ids, marker))

    def _fill(
        self,
        writer: tantivy.IndexWriter,
        add: Sequence[LexicalRecord],
        dates: list[int | None],
        remove_doc_ids: Collection[str],
        marker: int,
    ) -> None:
        # A delete only reaches records added before it (tantivy orders a writer's operations), so the
        # records added below survive the delete of their own doc id: remove + add is a replace.
        if remove_doc_ids:
            writer.delete_documents_by_query(Query.term_set_query(self._schema, DOC_ID, list(remove_doc_ids)))
        writer.delete_documents_by_term(KIND, MARKER_KIND)
        for record, day in zip(add, dates, strict=True):
            writer.add_document(_document(record, day))
        marker_doc = tantivy.Document()
        marker_doc.add_integer(KIND, MARKER_KIND)
        marker_doc.add_integer(MARKER, marker)
        writer.add_document(marker_doc)

    def marker(self) -> int:
        return self.snapshot().marker

    def snapshot(self) -> TantivySnapshot:
        self._index.reload()
        return TantivySnapshot(self._index.searcher(), self._schema, self._prune)

    def clear(self) -> None:
        self._commit(lambda w: w.delete_all_documents())

    def _commit(self, fill: Callable[[tantivy.IndexWriter], None]) -> None:
        """Run `fill` on a fresh writer and commit; on any failure roll back, so the last commit stays
        whole. The writer is always released (its lock too), waiting for the merges the commit
        started: a writer dropped at once would cancel them and segments would pile up."""
        writer = self._index.writer(heap_size=self._heap_bytes, num_threads=self._threads)
        try:
            fill(writer)
            writer.commit()
        except BaseException:  # tantivy's panics are BaseExceptions too
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()


def _document(record: LexicalRecord, day: int | None) -> tantivy.Document:
    exact, folded = forms(record.text)
    doc = tantivy.Document()
    doc.add_text(EXACT, " ".join(exact))
    doc.add_text(FOLDED, " ".join(folded))
    doc.add_text(DOC_ID, record.doc_id)
    doc.add_integer(KEY, record.key)
    if day is not None:
        doc.add_integer(DATE, day)
    return doc


def make_lexical_index(path: Path, settings: Settings | None = None) -> LexicalIndex:
    if settings is None:
        return TantivyLexicalIndex(path)
    return TantivyLexicalIndex(path, prune=(settings.LEXICAL_PRUNE_MIN_CHUNKS, settings.LEXICAL_COMMON_SHARE))
