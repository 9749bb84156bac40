"""Running counts of the chunks that hold each token, kept by the shared index's writers in
`<prefix>_terms`: the answerer's idf, and which question words are too common to search by. Why
kept, not asked: Milvus has no document-frequency call, and counting with TEXT_MATCH took 20-30 s a
term at 100k chunks in Milvus Lite."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Collection, Iterable

from app.index.milvus import MilvusChunks
from app.index.milvus_text import string_list, term_code
from app.index.terms import forms
from app.models import Chunk

DOC_FREQ_TTL_S = 300.0  # how long a term's count is reused (an idf moves little in minutes)
DUMMY_VECTOR = [0.0, 0.0]  # every Milvus collection needs a vector field; these never search by it
EXACT, FOLDED = "e\0", "f\0"  # term-count keys: which tokens a count is of


def term_counts(chunks: Iterable[Chunk]) -> Counter[str]:
    """Chunks holding each term: exact tokens as "e\\0" + token, folded ones as "f\\0" + token."""
    out: Counter[str] = Counter()
    for c in chunks:
        exact, folded = forms(f"{c.header}\n{c.text}")
        out.update({EXACT + t for t in exact})
        out.update({FOLDED + t for t in folded})
    return out


class TermCounts:
    """The counts, read through a cache shared by every view of a process. Threads may share it."""

    def __init__(self, chunks: MilvusChunks, collection: str) -> None:
        self._chunks = chunks  # the connection: its client, timeouts and errors
        self.collection = collection
        self._df: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def doc_freq(self, folded_term: str) -> int:
        return self.counts([FOLDED + folded_term]).get(FOLDED + folded_term, 0)

    def of_tokens(self, tokens: Collection[str], folded: bool) -> dict[str, int]:
        """Chunks holding each of these exact (or folded) tokens."""
        kind = FOLDED if folded else EXACT
        df = self.counts([kind + t for t in tokens])
        return {t: df.get(kind + t, 0) for t in tokens}

    def counts(self, terms: Collection[str]) -> dict[str, int]:
        """`frequencies`, remembered for DOC_FREQ_TTL_S across views (a view lasts only until the
        next write anywhere, and a word's count moves little in minutes): the idf and the lexical
        pruning read them on every question."""
        now = time.monotonic()
        out: dict[str, int] = {}
        with self._lock:
            for t in terms:
                hit = self._df.get(t)
                if hit is not None and hit[0] > now:
                    out[t] = hit[1]
        todo = [t for t in dict.fromkeys(terms) if t not in out]
        if todo:
            got = self.frequencies(todo)
            with self._lock:
                if len(self._df) > 100_000:
                    self._df.clear()
                for t in todo:
                    out[t] = got.get(t, 0)
                    self._df[t] = (now + DOC_FREQ_TTL_S, out[t])
        return out

    def frequencies(self, terms: Collection[str]) -> dict[str, int]:
        """Chunks holding each term ("e\\0" + exact token, "f\\0" + folded token), from the running
        counts writes keep. Why kept, not asked: Milvus has no document-frequency call, and
        counting with TEXT_MATCH took 20-30 s a term at 100k chunks in Milvus Lite."""
        by_code = {term_code(t): t for t in dict.fromkeys(terms)}
        out: dict[str, int] = {}
        codes = list(by_code)
        for start in range(0, len(codes), 1000):
            rows = self._chunks.call(
                self._chunks.client.query,
                self.collection,
                filter=f"code in {string_list(codes[start : start + 1000])}",
                output_fields=["code", "df"],
            )
            out.update({by_code[r["code"]]: int(r["df"]) for r in rows})
        return out

    def add(self, delta: Counter[str]) -> None:
        """Add `delta` to the running counts. Read, add, write: two writers at once may lose one's
        addition, and a writer killed between its head and here leaves its terms uncounted. The
        counts only weigh words (idf) and tell which words are too common to search by, for which
        a document's worth of error does not matter."""
        items = [(t, n) for t, n in delta.items() if n]
        for start in range(0, len(items), 1000):
            part = dict(items[start : start + 1000])
            now = self.frequencies(part)
            rows = [
                {"code": term_code(t), "df": max(0, now.get(t, 0) + n), "_v": DUMMY_VECTOR}
                for t, n in part.items()
            ]
            self._chunks.call(self._chunks.client.upsert, self.collection, rows)
