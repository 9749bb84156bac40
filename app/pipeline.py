"""ask() = retrieve -> answer -> ground. With `create_app`, the only place stages are wired together."""

from __future__ import annotations

import time
from dataclasses import dataclass

from app.answer import ABSTAIN_TEXT, Answerer, ExtractiveAnswerer
from app.config import Settings
from app.embed import Embedder, make_embedder
from app.ground import ground
from app.index import Generation, load_generation
from app.models import Answer, Passage
from app.retrieve import Filters, Retriever


@dataclass
class Result:
    answer: Answer
    passages: list[Passage]  # everything retrieved, cited or not
    latency_ms: float
    reason: str | None


class Pipeline:
    """Everything loaded once: the embedder, one index generation, its retriever and answerer."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings)
        self.generation: Generation = load_generation(
            settings.INDEX_DIR, expected_embedder=self.embedder.name
        )
        self.retriever = Retriever(self.generation, self.embedder)
        self.answerer: Answerer = ExtractiveAnswerer(self.generation)

    def search(self, question: str, top_k: int, filters: Filters | None = None) -> list[Passage]:
        return self.retriever.search(question, top_k, filters)

    def ask(self, question: str, top_k: int = 5, filters: Filters | None = None) -> Result:
        t0 = time.perf_counter()
        query = self.retriever.parse(question)
        passages = self.retriever.search_query(query, top_k, filters)
        draft = self.answerer.answer(query, passages)
        figures = ground(draft.text, draft.cited)
        answer = Answer(
            text=draft.text,
            abstained=draft.abstained,
            mode=self.answerer.mode,
            citations=draft.cited,
            figures=figures,
        )
        if any(not f.verified for f in figures):
            # Never state an unchecked figure as sound: fall back to saying nothing.
            answer = Answer(
                text=ABSTAIN_TEXT,
                abstained=True,
                mode=answer.mode,
                citations=[],
                figures=[],
                fallback_reason="unverified figure in answer",
            )
        return Result(answer, passages, (time.perf_counter() - t0) * 1000, draft.reason)
