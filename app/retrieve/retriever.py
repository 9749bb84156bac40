"""Question -> ranked passages: dense (FAISS) and lexical (BM25) fused by reciprocal rank.

A question typed without diacritics is restored from the corpus vocabulary before it is embedded,
and the dense side counts half, because the dense model reads folded Vietnamese poorly while folded
BM25 does not care.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from app.embed import WORK_BESIDE, Embedder, EmbedderError, UsesIdleCores, embed_passages, embed_query
from app.embed.base import for_a_question
from app.embed.checkpoint import text_key
from app.index.lexical import LexicalFilter
from app.index.view import FusingView, IndexView
from app.models import Passage
from app.retrieve.diacritics import DiacriticRestorer
from app.text import canonical, has_diacritics, sanitize

RRF_K = 60
_BESIDE = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lexical")  # lexical searches
DENSE_WEIGHT_FOLDED = 0.5
MEASURE_MAX = 5  # pending passages measured for one question (the best ranked); the rest keep None


class _Costs:
    """Running means (ms) of a lexical search and of a question's embedding made beside one, for
    this process: what decides whether the lexical search goes first (see `Retriever.search_query`).
    Shared by every generation's retriever, since the costs move slowly as the index grows."""

    WEIGHT = 0.2  # of the newest figure in each running mean

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.lexical_ms: float | None = None
        self.embed_beside_ms: float | None = None

    def note(self, name: str, ms: float) -> None:
        with self._lock:
            old = getattr(self, name)
            setattr(self, name, ms if old is None else old + self.WEIGHT * (ms - old))

    def lexical_first(self) -> bool:
        """Lexical, then the embedding on spare cores, costs about lexical + embedding / 2, against
        max(lexical, embedding) side by side: first when the lexical search costs under half."""
        lexical, embed = self.lexical_ms, self.embed_beside_ms
        return lexical is not None and embed is not None and lexical < embed / 2


_COSTS = _Costs()


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
    def __init__(self, generation: IndexView, embedder: Embedder) -> None:
        self.generation = generation
        self.embedder = embedder

    def _lexical_first(self) -> bool:
        """Whether to run the lexical search before the question's embedding rather than beside it:
        only when it is cheap and the embedder would then get cores that are idle right now. Beside
        it, the lexical search keeps a core busy, so the embedding gets one thread; on a small index
        the search takes a millisecond and the embedding on both cores half its time."""
        emb = self.embedder
        return (
            isinstance(emb, UsesIdleCores) and emb.threads_now(True) > emb.threads and _COSTS.lexical_first()
        )

    def _lexical_beside(self, query: Query, pool: int, filters: LexicalFilter | None) -> list[int]:
        try:
            return self._lexical(query, pool, filters)
        finally:
            WORK_BESIDE.end()

    def _lexical(self, query: Query, pool: int, filters: LexicalFilter | None) -> list[int]:
        t0 = time.perf_counter()
        hits = self.generation.search_lexical(query.text, query.written, pool, filters)
        _COSTS.note("lexical_ms", (time.perf_counter() - t0) * 1000)
        return [key for key, _ in hits]

    def parse(self, question: str) -> Query:
        text = canonical(sanitize(question))  # the API sanitises already; the CLI and scripts may not
        written = has_diacritics(text)
        if written:
            return Query(text=text, written=True, restored=text)
        # The view's vocabulary for this question: the embedded index's running counts, or the words
        # of the passages the question matches in a shared one.
        restored = DiacriticRestorer(self.generation.vocabulary(text)).restore(text)
        return Query(text=text, written=False, restored=restored)

    def search(self, question: str, k: int = 5, filters: Filters | None = None) -> list[Passage]:
        return self.search_query(self.parse(question), k, filters)

    def search_query(self, query: Query, k: int = 5, filters: Filters | None = None) -> list[Passage]:
        gen = self.generation
        if gen.chunk_count == 0 or k <= 0:
            return []
        pool = max(50, 10 * k)
        # Filters are applied inside both searches; pending chunks have no vector yet, so only the
        # lexical side can find them. The lexical search runs beside the question's embedding (both
        # release the GIL; at a million chunks each takes ~30 ms), or before it when that is cheaper.
        lexical_filter = (
            LexicalFilter(filters.doc_ids, filters.date_from, filters.date_to) if filters else None
        )
        if isinstance(gen, FusingView) and gen.fuses_in_engine:
            return self._fused_in_engine(gen, query, k, pool, lexical_filter)
        lexical_future: Future | None = None
        if not self._lexical_first():
            # Counted until it ends, so the embedder keeps to its usual threads meanwhile: a thread
            # more than there are cores would slow both.
            WORK_BESIDE.begin()
            lexical_future = _BESIDE.submit(self._lexical_beside, query, pool, lexical_filter)
        lexical = [] if lexical_future else self._lexical(query, pool, lexical_filter)
        dense_hits = []
        try:
            t0 = time.perf_counter()
            vector = self._embed(query)
            if lexical_future is not None:
                _COSTS.note("embed_beside_ms", (time.perf_counter() - t0) * 1000)
            dense_hits = gen.search_dense(vector, pool, lexical_filter)
        finally:
            if lexical_future is not None:
                lexical = lexical_future.result()
        similarity = dict(dense_hits)
        dense = list(similarity)
        dense_weight = 1.0 if query.written else DENSE_WEIGHT_FOLDED
        fused: dict[int, float] = {}
        ranks: dict[int, dict[str, int]] = {}
        for name, keys, weight in (("dense", dense, dense_weight), ("lexical", lexical, 1.0)):
            for rank, key in enumerate(keys, start=1):
                fused[key] = fused.get(key, 0.0) + weight / (RRF_K + rank)
                ranks.setdefault(key, {})[name] = rank
                if name == "lexical" and key in gen.pending:
                    # No vector yet: let its lexical rank stand in for the dense rank it will have,
                    # or a fresh upload would rank below every older passage that matches both ways.
                    fused[key] += dense_weight / (RRF_K + rank)
        best = sorted(fused, key=lambda r: -fused[r])[:k]
        chunks = gen.chunks(best)
        out: list[Passage] = []
        waiting: list[Passage] = []
        for key in best:
            chunk = chunks.get(key)
            doc = gen.documents.get(chunk.doc_id) if chunk else None
            if chunk is None or doc is None:  # collected since this generation was loaded: skip it
                continue
            passage = Passage(
                chunk=chunk,
                score=fused[key],
                title=doc.title,
                date=doc.date,
                ranks=ranks[key],
                similarity=similarity.get(key),
            )
            out.append(passage)
            if key in gen.pending:
                waiting.append(passage)
        if waiting:
            self._measure_waiting(waiting[:MEASURE_MAX], vector)
        return out

    def _embed(self, query: Query) -> np.ndarray:
        vector = embed_query(self.embedder, query.restored)
        dim = self.generation.dim
        if dim and len(vector) != dim:  # a remote model swapped behind the same name
            raise EmbedderError(
                f"{self.embedder.name!r} gives vectors of dimension {len(vector)}, but the index holds "
                f"dimension {dim}: the model behind it changed; python -m app reindex"
            )
        return vector

    def _fused_in_engine(
        self, gen: FusingView, query: Query, k: int, pool: int, filters: LexicalFilter | None
    ) -> list[Passage]:
        """One request searches and fuses (MILVUS_FUSION=engine): nothing to run beside the
        embedding, nothing pending (the shared index embeds before it writes), no ranks per side."""
        hits = gen.search_fused(self._embed(query), query.text, query.written, pool, filters)[:k]
        chunks = self.generation.chunks([key for key, _, _ in hits])
        out: list[Passage] = []
        for key, score, similarity in hits:
            chunk = chunks.get(key)
            doc = self.generation.documents.get(chunk.doc_id) if chunk else None
            if chunk is not None and doc is not None:
                out.append(
                    Passage(chunk=chunk, score=score, title=doc.title, date=doc.date, similarity=similarity)
                )
        return out

    def _measure_waiting(self, waiting: list[Passage], vector: np.ndarray) -> None:
        """A passage found lexically while its vector is still being computed gets the similarity
        it will have: its text embedded now (only in the minutes after an upload; each text once,
        kept in `_MEASURED`, so a burst of questions does not embed it again beside the background
        run). The answerer weighs similarity, and a stand-in guessed from other passages made a
        fresh upload's answer refused one second and given the next. If the embedder fails, the
        similarity stays unknown and the answerer's stand-in is used."""
        texts = [p.chunk.embed_text for p in waiting]
        known = _MEASURED.get(self.embedder.name, texts)
        todo = [t for t in dict.fromkeys(texts) if t not in known]
        if todo:
            try:
                with for_a_question():
                    fresh = embed_passages(self.embedder, todo)
            except EmbedderError:
                fresh = None
            if fresh is not None:
                known |= _MEASURED.put(self.embedder.name, dict(zip(todo, fresh, strict=True)))
        for passage, text in zip(waiting, texts, strict=True):
            if text in known:
                passage.similarity = float(np.dot(known[text], vector))


class _Vectors:
    """Passage vectors measured for questions while their chunks wait for the background run:
    bounded, most recently used kept."""

    SIZE = 4096  # ~6 MB of 384-dim vectors: more than an upload's pending chunks asked about

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    def get(self, embedder: str, texts: list[str]) -> dict[str, np.ndarray]:
        out = {}
        with self._lock:
            for text in texts:
                key = (embedder, text_key(text))
                if key in self._items:
                    self._items.move_to_end(key)
                    out[text] = self._items[key]
        return out

    def put(self, embedder: str, vectors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        with self._lock:
            for text, v in vectors.items():
                self._items[(embedder, text_key(text))] = v
            while len(self._items) > self.SIZE:
                self._items.popitem(last=False)
        return vectors


_MEASURED = _Vectors()
