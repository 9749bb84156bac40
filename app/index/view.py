"""What a request reads from the index, whichever index it is: one protocol, two providers.

The embedded index's `Generation` (`app.index.store`: SQLite catalog, tantivy, FAISS, one consistent
generation on local disk) and the shared index in Milvus (`app.index.shared`) both provide it, and
retrieve -> answer -> ground read nothing else: not a catalog, not a vector store, not a file.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol, runtime_checkable

import numpy as np

from app.index.lexical import LexicalFilter
from app.index.listing import Listed
from app.index.vocabulary import Vocabulary
from app.models import Chunk, Document


class IndexView(Protocol):
    number: int  # what the view is a view of: a generation's number (0 for a live shared index)
    embedder: str
    dim: int
    documents: Mapping[str, Document]
    pending: Collection[int]  # chunk keys stored before their vectors: found lexically only, for now

    @property
    def name(self) -> str:
        """Shown in /readyz, /metrics and the X-Index-Generation header."""
        ...

    @property
    def chunk_count(self) -> int: ...

    def pending_of(self, doc_id: str) -> int:
        """Chunks of this document still waiting for their vectors (its upload is not `ready`)."""
        ...

    def vocabulary(self, question: str = "") -> Vocabulary:
        """Written words to put diacritics back on `question` (typed without them) from: the whole
        corpus's, or those of the passages it matches."""
        ...

    def chunks(self, keys: list[int]) -> dict[int, Chunk]:
        """The chunks of these keys that the view holds (a key it does not hold is left out)."""
        ...

    def search_dense(
        self, vector: np.ndarray, k: int, filters: LexicalFilter | None = None
    ) -> list[tuple[int, float]]:
        """(key, inner product) of the k nearest embedded chunks the filter allows, best first."""
        ...

    def search_lexical(
        self, text: str, written: bool, k: int, filters: LexicalFilter | None = None
    ) -> list[tuple[int, float]]:
        """(key, BM25 score) of the k best chunks the filter allows, best first, only score > 0."""
        ...

    def doc_freq(self, folded_term: str) -> int:
        """Chunks whose folded tokens hold this term: the answerer's idf."""
        ...

    def places(self, folded: Collection[str]) -> dict[str, str]:
        """folded -> written name of those of these names some document names as a place: one call
        for every name a question might hold."""
        ...

    def document_page(self, offset: int, limit: int) -> list[tuple[Document, int]]:
        """Documents in doc_id order, with their chunk counts: one page."""
        ...

    def document_index(self) -> list[Listed]:
        """Every document's id, title, date, format and chunks (no text): for searching and sorting
        the admin's list (`app.index.listing.select`)."""
        ...


@runtime_checkable
class FusingView(Protocol):
    """A view that can search dense and lexical in one request and fuse them in its engine (the
    shared index with MILVUS_FUSION=engine); the retriever then asks it instead of fusing itself."""

    fuses_in_engine: bool

    def search_fused(
        self, vector: np.ndarray, text: str, written: bool, k: int, filters: LexicalFilter | None = None
    ) -> list[tuple[int, float, float | None]]:
        """(key, fused score, inner product) of the k best chunks the filter allows, best first."""
        ...
