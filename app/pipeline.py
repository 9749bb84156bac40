"""ask = retrieve -> answer -> ground, as one stream of events, over one index generation it is given.

Streaming and non-streaming answers share this one path: `events()` yields the passages, then text
deltas, then the final, grounded answer; `ask()` just collects it. With an LLM configured the deltas
come from the model; if it fails, stalls, times out or states a figure its citation does not hold
(after one repair), the final event carries the extractive answer instead and says why.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from anyio import to_thread

from app.answer import ABSTAIN_TEXT, Draft, ExtractiveAnswerer
from app.answer.breaker import CircuitBreaker
from app.answer.checks import Checks
from app.answer.comparison import ComparisonAnswerer
from app.answer.fallback import use_extractive
from app.answer.generative import LLMAnswerer, Unverified
from app.answer.llm import LLMClient, LLMError
from app.answer.prompts import Prompts, SentencePrompts
from app.answer.scoring import Scorer
from app.config import Settings
from app.embed import Embedder, make_embedder
from app.ground import cited_ids, ground
from app.index.backend import make_index_backend
from app.index.view import IndexView
from app.models import Answer, Citation, LLMUsage, Passage
from app.retrieve import Filters, Query, Retriever

log = logging.getLogger("app.pipeline")
_SAYS_SCAN = re.compile(r"OCR|trang quét|bản quét|bản scan", re.IGNORECASE)
_SCAN_NOTE = "(Nguồn là trang quét, đọc bằng OCR; nên đối chiếu số liệu với bản gốc.)"


@dataclass
class CitationsEvent:
    passages: list[Passage]  # numbered from 1: the n of [n]


@dataclass
class DeltaEvent:
    text: str


@dataclass
class FinalEvent:
    answer: Answer
    latency_ms: float
    reason: str | None  # why the extractive answerer abstained, for logs and evals


Event = CitationsEvent | DeltaEvent | FinalEvent


@dataclass
class Result:
    answer: Answer
    passages: list[Passage]  # everything retrieved, cited or not
    latency_ms: float
    reason: str | None


def make_llm_answerer(settings: Settings, client: LLMClient, extractive: ExtractiveAnswerer) -> LLMAnswerer:
    """The model writes the answer (`free`), or picks the sentences the service quotes (`sentences`)."""
    deadline, min_ocr = settings.LLM_DEADLINE_S, settings.OCR_MIN_CONFIDENCE
    if settings.LLM_PROTOCOL == "sentences":
        from app.answer.sentences import SentenceAnswerer

        prompts = SentencePrompts.load(settings.PROMPTS_DIR)
        return SentenceAnswerer(client, prompts, extractive, deadline, min_ocr, settings.LLM_AGREE_MIN)
    return LLMAnswerer(client, extractive.checks, deadline, min_ocr, extractive)


class Pipeline:
    """One index generation, its retriever, checks and answerers, and the LLM client: composes them,
    never opens or writes the index (that is `app.index.service.IndexService`'s job)."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        generation: IndexView,
        scorer: Scorer | None = None,
    ) -> None:
        self.settings = settings
        self.scorer = scorer  # None: the calibrated one (`calibrate` passes its own while it refits)
        self.embedder = embedder
        self.client: LLMClient | None = None
        if settings.LLM_BASE_URL:
            self.client = LLMClient(settings, Prompts.load(settings.PROMPTS_DIR))
        self.breaker = CircuitBreaker(settings.LLM_BREAKER_FAILURES, settings.LLM_BREAKER_COOLDOWN_S)
        self._bind(generation)

    @classmethod
    def open(
        cls, settings: Settings, embedder: Embedder | None = None, scorer: Scorer | None = None
    ) -> Pipeline:
        """For the CLI, tools and tests: the index opened (repaired first if it must be). A server
        leaves that to its `IndexService` and builds the pipeline from the generation it serves."""
        embedder = embedder or make_embedder(settings)
        return cls(settings, embedder, make_index_backend(settings, embedder).open(), scorer)

    def _bind(self, generation: IndexView) -> None:
        """Point the retriever, checks and answerers at one generation."""
        self.generation = generation
        self.retriever = Retriever(generation, self.embedder)
        checks = Checks(generation)
        self.answerer = ExtractiveAnswerer(checks, self.settings.OCR_MIN_CONFIDENCE, self.scorer)
        self.comparisons = ComparisonAnswerer(self.answerer)
        self.llm: LLMAnswerer | None = None
        if self.client is not None:
            self.llm = make_llm_answerer(self.settings, self.client, self.answerer)

    def with_generation(self, generation: IndexView) -> Pipeline:
        """The same pipeline over another view of the index (its vectors merged, say)."""
        new = copy.copy(self)
        new._bind(generation)
        return new

    def search(self, question: str, top_k: int, filters: Filters | None = None) -> list[Passage]:
        return self.retriever.search(question, top_k, filters)

    async def ask(self, question: str, top_k: int = 5, filters: Filters | None = None) -> Result:
        passages: list[Passage] = []
        async for event in self.events(question, top_k, filters):
            if isinstance(event, CitationsEvent):
                passages = event.passages
            elif isinstance(event, FinalEvent):
                return Result(event.answer, passages, event.latency_ms, event.reason)
        raise RuntimeError("the answer stream ended without a final event")

    def ask_sync(self, question: str, top_k: int = 5, filters: Filters | None = None) -> Result:
        """For the CLI and scripts: one question, its own event loop."""
        return asyncio.run(self.ask(question, top_k, filters))

    async def events(
        self, question: str, top_k: int = 5, filters: Filters | None = None
    ) -> AsyncIterator[Event]:
        t0 = time.perf_counter()
        query = await to_thread.run_sync(self.retriever.parse, question)
        # A comparison retrieves each of its sides itself: the whole question's passages are not needed.
        compared = await to_thread.run_sync(self.compare, query, top_k, filters)
        if compared is not None:
            draft, passages = compared
            yield CitationsEvent(passages)
            answer = self._grounded(
                draft.text, draft.abstained, "extractive", dict(enumerate(passages, start=1))
            )
            yield DeltaEvent(answer.text)
            yield FinalEvent(answer, (time.perf_counter() - t0) * 1000, draft.reason)
            return
        passages = await to_thread.run_sync(self.retriever.search_query, query, top_k, filters)
        yield CitationsEvent(passages)
        numbered = dict(enumerate(passages, start=1))
        streamed: list[str] = []
        model: Draft | None = None
        usage: LLMUsage | None = None
        fallback: str | None = None
        if self.llm is not None and passages:
            if not self.breaker.allow():
                fallback = (
                    f"LLM paused after {self.breaker.failures} failures in a row: {self.breaker.last_error}"
                )
            else:
                usage = LLMUsage(model=self.llm.client.model)
                try:
                    async for item in self.llm.stream(query, passages, usage):
                        if isinstance(item, str):
                            streamed.append(item)
                            yield DeltaEvent(item)
                        else:
                            model = item
                    self.breaker.success()
                except LLMError as exc:
                    self.breaker.failure(exc.reason)
                    fallback = exc.reason
                except Unverified as exc:
                    fallback = str(exc)
        extractive: Draft | None = None
        if model is None or model.abstained:
            extractive = await to_thread.run_sync(self.answerer.answer, query, passages)
        switch, why = use_extractive(model, extractive)
        if switch:
            assert extractive is not None
            answer = self._grounded(extractive.text, extractive.abstained, "extractive", numbered)
            answer.fallback_reason = why or fallback or answer.fallback_reason
            answer.corrected = bool(streamed)
            answer.confidence = extractive.confidence
            if not streamed:
                yield DeltaEvent(answer.text)  # the extractive answer streams too: one parser for clients
        else:
            assert model is not None
            answer = self._grounded(model.text, model.abstained, "llm", numbered)
            answer.llm = usage
        if fallback and switch:
            log.warning("LLM answer not used: %s", fallback)
        reason = extractive.reason if extractive is not None else None
        yield FinalEvent(answer, (time.perf_counter() - t0) * 1000, reason)

    def compare(
        self, query: Query, top_k: int, filters: Filters | None
    ) -> tuple[Draft, list[Passage]] | None:
        """A question asking for a computation or a comparison, answered from one figure per side (each
        side retrieved on its own, so both documents of a cross-document question are found). None
        for any other question. Computed figures are written out, so the checks can recompute them."""
        comparison = self.comparisons.parse(query)
        if comparison is None:
            return None
        return self.comparisons.answer(comparison, lambda text: self.retrieve(text, top_k, filters))

    def retrieve(self, question: str, top_k: int, filters: Filters | None) -> tuple[Query, list[Passage]]:
        """The parsed question and its passages: what both answerers (and the calibration) start from."""
        query = self.retriever.parse(question)
        return query, self.retriever.search_query(query, top_k, filters)

    def _grounded(self, text: str, abstained: bool, mode: str, numbered: dict[int, Passage]) -> Answer:
        """Ground a draft; an extractive draft with an unverified figure (a bug) says nothing instead."""
        if abstained:
            return Answer(text=ABSTAIN_TEXT, abstained=True, mode=mode, citations=[])
        figures = ground(text, numbered, self.settings.OCR_MIN_CONFIDENCE)
        if any(not f.verified for f in figures):
            return Answer(
                text=ABSTAIN_TEXT,
                abstained=True,
                mode=mode,
                citations=[],
                fallback_reason="unverified figure",
            )
        citations = [Citation(n, numbered[n]) for n in cited_ids(text) if n in numbered]
        if any(c.passage.chunk.ocr is not None for c in citations) and not _SAYS_SCAN.search(text):
            text += f" {_SCAN_NOTE}"  # the reader must know a figure may carry a misread digit
        return Answer(text=text, abstained=False, mode=mode, citations=citations, figures=figures)
