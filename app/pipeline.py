"""ask = retrieve -> answer -> ground, as one stream of events. With `create_app`, the only wiring.

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
from app.answer.llm import LLMClient, LLMError
from app.answer.prompts import Prompts
from app.answer.question import Question
from app.config import Settings
from app.embed import Embedder, make_embedder
from app.ground import attribute, cited_ids, drop_unknown_markers, figures_with_citations, ground
from app.ground.names import unsupported_names
from app.index import Generation, load_generation, open_index
from app.models import Answer, Citation, LLMUsage, Passage
from app.retrieve import Filters, Query, Retriever
from app.text import fold

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


class Pipeline:
    """Everything loaded once: the embedder, one index generation, its retriever and answerers."""

    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, generation: Generation | None = None
    ) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings)
        self.generation: Generation = generation or open_index(settings, self.embedder)
        self.retriever = Retriever(self.generation, self.embedder)
        self.answerer = ExtractiveAnswerer(self.generation, settings.OCR_MIN_CONFIDENCE)
        self.llm: LLMClient | None = None
        if settings.LLM_BASE_URL:
            self.llm = LLMClient(settings, Prompts.load(settings.PROMPTS_DIR))
        self.breaker = CircuitBreaker(settings.LLM_BREAKER_FAILURES, settings.LLM_BREAKER_COOLDOWN_S)

    def reloaded(self) -> Pipeline:
        """The same pipeline over the index's current generation (after an upload or delete). Requests
        already running keep the old one, so each answers from one whole generation."""
        new = copy.copy(self)
        new.generation = load_generation(self.settings.INDEX_DIR, self.embedder.name)
        new.retriever = Retriever(new.generation, self.embedder)
        new.answerer = ExtractiveAnswerer(new.generation, self.settings.OCR_MIN_CONFIDENCE)
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
        query, passages = await to_thread.run_sync(self._retrieve, question, top_k, filters)
        yield CitationsEvent(passages)
        numbered = dict(enumerate(passages, start=1))
        streamed: list[str] = []
        answer: Answer | None = None
        fallback: str | None = None
        if self.llm is not None and passages:
            if not self.breaker.allow():
                fallback = (
                    f"LLM paused after {self.breaker.failures} failures in a row: {self.breaker.last_error}"
                )
            else:
                try:
                    async for item in self._llm_answer(query, passages, numbered):
                        if isinstance(item, str):
                            streamed.append(item)
                            yield DeltaEvent(item)
                        else:
                            answer = item
                    self.breaker.success()
                except LLMError as exc:
                    self.breaker.failure(exc.reason)
                    fallback = exc.reason
                except _Unverified as exc:
                    fallback = str(exc)
        reason = None
        if answer is None or answer.abstained:
            draft: Draft = await to_thread.run_sync(self.answerer.answer, query, passages)
            reason = draft.reason
            if answer is None or not draft.abstained:
                # No usable model answer; or the model found nothing where a passage verifiably answers:
                # the checked extractive answer beats a wrong "the documents do not say".
                if answer is not None:
                    fallback = "the LLM found no answer, but a passage answers the question"
                answer = self._grounded(draft.text, draft.abstained, "extractive", numbered)
                answer.fallback_reason = fallback or answer.fallback_reason
                answer.corrected = bool(streamed)
                if not streamed:
                    yield DeltaEvent(answer.text)  # the extractive answer streams too: one parser for clients
        if fallback:
            log.warning("LLM answer not used: %s", fallback)
        yield FinalEvent(answer, (time.perf_counter() - t0) * 1000, reason)

    def _retrieve(self, question: str, top_k: int, filters: Filters | None) -> tuple[Query, list[Passage]]:
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

    async def _llm_answer(
        self, query: Query, passages: list[Passage], numbered: dict[int, Passage]
    ) -> AsyncIterator[str | Answer]:
        """Stream the model's answer; ground it; one repair if a figure is off. Yields deltas, then the
        verified `Answer`; raises `LLMError` on faults and `_Unverified` if the repair fails too."""
        assert self.llm is not None
        deadline = time.monotonic() + self.settings.LLM_DEADLINE_S
        usage = LLMUsage(model=self.llm.model)
        messages = self.llm.messages(query.text, passages)
        parts: list[str] = []
        async for delta in self.llm.stream(messages, usage, deadline):
            parts.append(delta)
            yield delta
        question = self.answerer.analyse(query)
        text = self._tidy("".join(parts), numbered)
        problems = self._problems(text, numbered, question)
        if problems:
            usage.repaired = True
            repair = self.llm.repair_messages(messages, text, problems)
            text = self._tidy("".join([d async for d in self.llm.stream(repair, usage, deadline)]), numbered)
            still = self._problems(text, numbered, question)
            if still:
                raise _Unverified(f"LLM answer failed its checks after one repair: {'; '.join(still)}")
        log.info(
            "llm answer: model=%s latency_ms=%.0f first_token_ms=%s tokens=%s/%s attempts=%d repaired=%s",
            usage.model, usage.latency_ms, usage.first_token_ms, usage.prompt_tokens,
            usage.completion_tokens, usage.attempts, usage.repaired,
        )  # fmt: skip
        answer = self._grounded(text, _abstains(text), "llm", numbered)
        answer.llm = usage
        yield answer

    def _tidy(self, text: str, numbered: dict[int, Passage]) -> str:
        """Drop markers that point at no passage; mark figures left unmarked where that is unambiguous."""
        return attribute(
            drop_unknown_markers(text, set(numbered)), numbered, self.settings.OCR_MIN_CONFIDENCE
        )

    def _problems(self, text: str, numbered: dict[int, Passage], question: Question) -> list[str]:
        """What is wrong with a model answer, in words the repair request can quote back to it."""
        if _abstains(text):
            return []
        if len(_MARKERS.sub(" ", text).split()) < 2:
            return ["câu trả lời không có nội dung"]
        problems = [
            f"“{f.text}” không có trong đoạn [{f.citation}]" if f.citation else f"“{f.text}” thiếu [n]"
            for f in ground(text, numbered, self.settings.OCR_MIN_CONFIDENCE)
            if not f.verified
        ]
        # A verbatim figure of the right passage can still be of another year than the one asked.
        problems += [
            f"“{q.text}” trong đoạn [{n}] không thuộc năm hoặc nhiệm kỳ được hỏi"
            for q, n in figures_with_citations(text)
            if n in numbered and self.answerer.out_of_period(question, numbered[n], q)
        ]
        cited = [n for n in cited_ids(text) if n in numbered]
        # A figure can be true of its passage and still answer for the wrong ward.
        problems += [
            f"đoạn [{n}] nói về địa phương khác với địa phương được hỏi"
            for n in cited
            if self.answerer.about_elsewhere(question, numbered[n])
        ]
        # "Điều 15 quy định gì?" is answered from Điều 15, or not at all.
        problems += [
            f"đoạn [{n}] không thuộc {', '.join(question.parts)} mà câu hỏi nêu"
            for n in cited
            if not self.answerer.in_named_part(question, numbered[n])
        ]
        # A name (person, organisation, place) is a claim too: it must be in what the answer cites.
        problems += [
            f"“{name}” không có trong các đoạn được trích dẫn"
            for name in unsupported_names(text, [numbered[n] for n in cited])
        ]
        if not problems and not cited:
            problems.append("câu trả lời không ghi [n] của đoạn tài liệu nào")
        return problems


class _Unverified(Exception):
    """The model kept stating a figure its citation does not hold."""


_MARKERS = re.compile(r"\[\d+\]|[^\w]+")


def _abstains(text: str) -> bool:
    return fold(ABSTAIN_TEXT).rstrip(".") in fold(text)
