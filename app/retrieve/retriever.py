"""Question -> ranked passages: dense (FAISS) and lexical (BM25) fused by reciprocal rank.

A question typed without diacritics is restored from the corpus vocabulary before it is embedded,
and the dense side counts half, because the dense model reads folded Vietnamese poorly while folded
BM25 does not care.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.embed import Embedder, embed_query
from app.index import Generation
from app.models import Passage
from app.retrieve.diacritics import DiacriticRestorer
from app.retrieve.lexical import LexicalIndex
from app.text import canonical, has_diacritics, sanitize

RRF_K = 60
DENSE_WEIGHT_FOLDED = 0.5


@dataclass(frozen=True)
class Filters:
    doc_ids: tuple[str, ...] | None = None
    date_from: str | None = None  # ISO yyyy-mm-dd, inclusive
    date_to: str | None = None

    def allows(self, doc_id: str, date: str | None) -> bool:
        if self.doc_ids is not None and doc_id not in self.doc_ids:
            return False
        if self.date_from or self.date_to:
            if date is None:
                return False
            if self.date_from and date < self.date_from:
                return False
            if self.date_to and date > self.date_to:
                return False
        return True


@dataclass(frozen=True)
class Query:
    """What retrieval made of a question; the answerer reuses it."""

    text: str  # canonical (NFC, tone marks placed)
    written: bool  # typed with diacritics
    restored: str  # with diacritics, restored if it was typed without


class Retriever:
    def __init__(self, generation: Generation, embedder: Embedder) -> None:
        self.generation = generation
        self.embedder = embedder
        chunks = generation.chunks
        self.lexical = LexicalIndex([f"{c.header}\n{c.text}" for c in chunks])
        self.restorer = DiacriticRestorer([d.text for d in generation.documents.values()])
        self._doc_rows: dict[str, list[int]] = {}  # doc_id -> its chunks' rows
        for row, c in enumerate(chunks):
            self._doc_rows.setdefault(c.doc_id, []).append(row)

    def _allowed(self, filters: Filters) -> set[int]:
        """The rows of the documents a filter lets through, found by document, not by testing every
        chunk."""
        gen = self.generation
        rows: set[int] = set()
        for doc_id, doc_rows in self._doc_rows.items():
            if filters.allows(doc_id, gen.documents[doc_id].date):
                rows.update(doc_rows)
        return rows

    def parse(self, question: str) -> Query:
        text = canonical(sanitize(question))  # the API sanitises already; the CLI and scripts may not
        written = has_diacritics(text)
        return Query(text=text, written=written, restored=text if written else self.restorer.restore(text))

    def search(self, question: str, k: int = 5, filters: Filters | None = None) -> list[Passage]:
        return self.search_query(self.parse(question), k, filters)

    def search_query(self, query: Query, k: int = 5, filters: Filters | None = None) -> list[Passage]:
        gen = self.generation
        n = len(gen.chunks)
        if n == 0 or k <= 0:
            return []
        allowed = self._allowed(filters) if filters else None
        pool = min(n, max(50, 10 * k))
        # Filters and the rows still waiting for their vectors are applied inside the vector search.
        similarity = dict(
            gen.vectors.search(embed_query(self.embedder, query.restored), pool, allowed, gen.pending)
        )
        dense = list(similarity)
        lex_scores = self.lexical.scores(query.text, query.written)
        lexical = [
            int(r)
            for r in np.argsort(-lex_scores, kind="stable")
            if lex_scores[r] > 0 and (allowed is None or int(r) in allowed)
        ]
        dense_weight = 1.0 if query.written else DENSE_WEIGHT_FOLDED
        fused: dict[int, float] = {}
        ranks: dict[int, dict[str, int]] = {}
        for name, rows, weight in (("dense", dense, dense_weight), ("lexical", lexical[:pool], 1.0)):
            for rank, row in enumerate(rows, start=1):
                fused[row] = fused.get(row, 0.0) + weight / (RRF_K + rank)
                ranks.setdefault(row, {})[name] = rank
                if name == "lexical" and row in gen.pending:
                    # No vector yet: let its lexical rank stand in for the dense rank it will have,
                    # or a fresh upload would rank below every older passage that matches both ways.
                    fused[row] += dense_weight / (RRF_K + rank)
        best = sorted(fused, key=lambda r: -fused[r])[:k]
        out = []
        for row in best:
            chunk = gen.chunks[row]
            doc = gen.documents[chunk.doc_id]
            out.append(
                Passage(
                    chunk=chunk,
                    score=fused[row],
                    title=doc.title,
                    date=doc.date,
                    ranks=ranks[row],
                    similarity=similarity.get(row),
                )
            )
        return out
