"""The LLM answerer: stream the model's answer, check every claim, ask for one repair, or give up.

Its checks are the extractive answerer's (`Checks`) plus the claim checks of `app.ground`: every
figure must be in the passage it cites, of the period asked, and the figure of what was asked; every
name must be in a cited passage; a cited passage must be about the place and the part asked. What
fails is named back to the model once; if the repair fails too, `Unverified` is raised and the
fallback policy (`app.answer.fallback`) answers extractively instead.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator

import numpy as np
from anyio import to_thread

from app.answer.base import ABSTAIN_TEXT, Draft
from app.answer.checks import Checks
from app.answer.extractive import ExtractiveAnswerer
from app.answer.llm import LLMClient
from app.answer.question import Question
from app.ground import as_stated, attribute, cited_ids, drop_unknown_markers, figures_with_citations, ground
from app.ground.binding import bound_elsewhere, labelled_years
from app.ground.claims import figure_answers
from app.ground.kind import is_answer_figure
from app.ground.names import unsupported_names
from app.models import Figure, LLMUsage, Passage
from app.retrieve import Query
from app.text import fold
from app.text.numbers import Quantity, figure_in_text

log = logging.getLogger("app.answer.generative")
_MARKERS = re.compile(r"\[\d+\]|[^\w]+")
_ENUMERATED = re.compile(r"(?m)^\s*\[\d+\]\s*\w")  # a line that opens with a marker


class Unverified(Exception):
    """The model kept stating something its citations do not support."""


def abstains(text: str) -> bool:
    return fold(ABSTAIN_TEXT).rstrip(".") in fold(text)


class LLMAnswerer:
    mode = "llm"

    def __init__(
        self,
        client: LLMClient,
        checks: Checks,
        deadline_s: float,
        min_ocr: float = 0.0,
        extractive: ExtractiveAnswerer | None = None,
    ) -> None:
        self.client = client
        self.checks = checks
        self.extractive = extractive
        self.deadline_s = deadline_s
        self.min_ocr = min_ocr

    async def stream(
        self, query: Query, passages: list[Passage], usage: LLMUsage
    ) -> AsyncIterator[str | Draft]:
        """Yield the model's deltas, then the checked `Draft`; raise `LLMError` on faults and
        `Unverified` when the repair fails its checks too."""
        numbered = dict(enumerate(passages, start=1))
        deadline = time.monotonic() + self.deadline_s
        messages = self.client.messages(query.text, passages)
        parts: list[str] = []
        async for delta in self.client.stream(messages, usage, deadline):
            parts.append(delta)
            yield delta
        # The checks read every passage and score its clauses: CPU work, off the event loop.
        question = await to_thread.run_sync(self.checks.analyse, query)
        text, problems = await to_thread.run_sync(self._checked, "".join(parts), numbered, question)
        if problems:
            usage.repaired = True
            repair = self.client.repair_messages(messages, text, problems)
            again = "".join([d async for d in self.client.stream(repair, usage, deadline)])
            text, still = await to_thread.run_sync(self._checked, again, numbered, question)
            if still:
                raise Unverified(f"LLM answer failed its checks after one repair: {'; '.join(still)}")
        log.info(
            "llm answer: model=%s latency_ms=%.0f first_token_ms=%s tokens=%s/%s attempts=%d repaired=%s",
            usage.model, usage.latency_ms, usage.first_token_ms, usage.prompt_tokens,
            usage.completion_tokens, usage.attempts, usage.repaired,
        )  # fmt: skip
        yield Draft(text, abstains(text))

    def _checked(self, reply: str, numbered: dict[int, Passage], question: Question) -> tuple[str, list[str]]:
        """The reply tidied, and what is wrong with it."""
        text = self._tidy(reply, numbered)
        return text, self.problems(text, numbered, question)

    def _tidy(self, text: str, numbered: dict[int, Passage]) -> str:
        """Drop markers that point at no passage; mark figures left unmarked where that is unambiguous."""
        return attribute(drop_unknown_markers(text, set(numbered)), numbered, self.min_ocr)

    def problems(self, text: str, numbered: dict[int, Passage], question: Question) -> list[str]:
        """What is wrong with a model answer, in words the repair request can quote back to it."""
        if abstains(text):
            return []
        if len(_MARKERS.sub(" ", text).split()) < 2:
            return ["câu trả lời không có nội dung"]
        problems = [
            f"“{f.text}” không có trong đoạn [{f.citation}]" if f.citation else f"“{f.text}” thiếu [n]"
            for f in ground(text, numbered, self.min_ocr)
            if not f.verified and not self._restated_year(f, question, numbered)
        ]
        # A figure the answer says it rounded is checked as the passage states it.
        stated = [
            (as_stated(q, text, numbered[n]), n) for q, n in figures_with_citations(text) if n in numbered
        ]
        # A verbatim figure of the right passage can still be of another year than the one asked...
        problems += [
            f"“{q.text}” trong đoạn [{n}] không thuộc năm hoặc nhiệm kỳ được hỏi"
            for q, n in stated
            if self.checks.out_of_period(question, numbered[n], q)
        ]
        # ... or the figure of something else than what was asked ("20/21 chỉ tiêu" for "bao nhiêu
        # đảng viên mới"; "348,5 tỷ đồng" for "bao nhiêu phần trăm").
        problems += self._figure_problems(question, stated, numbered)
        cited = [n for n in cited_ids(text) if n in numbered]
        # A figure can be true of its passage and still answer for the wrong ward.
        problems += [
            f"đoạn [{n}] nói về địa phương khác với địa phương được hỏi"
            for n in cited
            if self.checks.about_elsewhere(question, numbered[n])
        ]
        # "Điều 15 quy định gì?" is answered from Điều 15, or not at all.
        problems += [
            f"đoạn [{n}] không thuộc {', '.join(question.parts)} mà câu hỏi nêu"
            for n in cited
            if not self.checks.in_named_part(question, numbered[n])
        ]
        # A name (person, organisation, place) is a claim too: it must be in what the answer cites.
        problems += [
            f"“{name}” không có trong các đoạn được trích dẫn"
            for name in unsupported_names(
                text,
                [numbered[n] for n in cited],
                question.query.restored,
                tuple(self._document_text(numbered[n]) for n in cited),
            )
        ]
        if _ENUMERATED.search(text):
            # "[1] Thương mại\n[2] Dịch vụ": markers used to number a list cite nothing in particular.
            problems.append("dùng [n] để đánh số danh sách; [n] chỉ ghi sau ý lấy từ đoạn n")
        if not problems and not cited:
            problems.append("câu trả lời không ghi [n] của đoạn tài liệu nào")
        return problems

    def _unconvincing(
        self, question: Question, answering: list[tuple[Quantity, int]], numbered: dict[int, Passage]
    ) -> list[str]:
        """No answering figure sits in a sentence the extractive answerer could quote that convinces
        its calibrated scorer as much as its own answer must (all of the sentence's clauses weighed,
        as the sentence protocol weighs a chosen sentence): a labelled figure of the kind asked can
        still be another target's ("100% chi bộ" for "bao nhiêu phần trăm tổ dân phố")."""
        assert self.extractive is not None
        scorer = self.extractive.scorer
        candidates = self.extractive.candidates(question, list(numbered.values()))
        usable = [c for c in candidates if c.reason is None]
        for q, n in answering:
            holding = {c.index for c in usable if c.rank + 1 == n and figure_in_text(q, c.sentence)}
            for index in holding:
                clauses = [c.features for c in usable if c.rank + 1 == n and c.index == index]
                if scorer.choose(np.array(clauses))[1] >= scorer.threshold:
                    return []
        return [f"“{q.text}” trong đoạn [{n}] không phải số liệu của điều được hỏi" for q, n in answering]

    def _restated_year(self, figure: Figure, question: Question, numbered: dict[int, Passage]) -> bool:
        """A year the question itself names ("… vào năm 2023?"), restated by the answer, when the cited
        passage's document is of that year (its date or title): the user's words, not a claim."""
        if figure.value is None or int(figure.value) not in question.years or figure.citation not in numbered:
            return False
        if not re.fullmatch(r"\d{4}", figure.text):
            return False
        doc = self.checks.generation.documents[numbered[figure.citation].chunk.doc_id]
        year = int(figure.value)
        return bool(doc.date and doc.date.startswith(str(year))) or year in self.checks.title_time(doc).years

    def _of_question(self, question: Question, passage: Passage) -> str:
        """The passage's sentences about the place and period the question asks ("" if none)."""
        if self.checks.about_elsewhere(question, passage):
            return ""
        doc = self.checks.generation.documents[passage.chunk.doc_id]
        return " ".join(
            s.text for s in self.checks.sentences(passage) if self.checks.period_ok(question, s, doc)
        )

    def _document_text(self, passage: Passage) -> str:
        doc = self.checks.generation.documents[passage.chunk.doc_id]
        return f"{doc.title or ''}\n{doc.text}"

    def _figure_problems(self, question: Question, stated: list, numbered: dict[int, Passage]) -> list[str]:
        """For a figure, percentage, amount or date question: the answer states one, and each figure it
        states of that kind is, in its passage, the figure of what was asked."""
        kind = question.kind
        if kind not in ("figure", "money", "percent", "when"):
            return []
        answering = [(q, n) for q, n in stated if is_answer_figure(q, kind)]
        if not answering and kind in ("percent", "money"):  # counts and times may be said in words
            what = "tỷ lệ phần trăm" if kind == "percent" else "số tiền"
            return [f"câu trả lời không nêu {what} mà câu hỏi hỏi"]
        # One figure of the kind asked that its passage states as the figure asked is the answer; the
        # others are context a sentence brings along ("… cho bão số 12"). None such: every one is named.
        problems = [
            f"“{q.text}” trong đoạn [{n}] không phải số liệu của điều được hỏi"
            for q, n in answering
            if not figure_answers(q, numbered[n].chunk.text, kind, question.asked)
        ]
        if len(problems) < len(answering):
            problems = []
        # Every figure of the kind asked is one its passage labels with another year only ("Thực hiện
        # 2024: 286,4" for "năm 2025"); one of the year asked answers, the others are context ("tăng
        # 8,4% so với năm 2023").
        if question.years and answering:
            asked = set(question.years)
            others = [
                (q, n, years)
                for q, n in answering
                if (years := labelled_years(q, numbered[n].chunk.text, question.query.written))
                and not years & asked
            ]
            if len(others) == len(answering):
                problems += [f"“{q.text}” trong đoạn [{n}] là số liệu của năm {min(y)}" for q, n, y in others]
        # Every figure of the kind asked is labelled, in its passage, as the figure of something else
        # while another figure there carries the question's words. (One that is bound to the question
        # is the answer; the others are the context a quoted sentence brings along.)
        terms, written = set(question.terms), question.query.written
        # The sentences of the other passages it was given, of the place and period asked, compete:
        # a neighbouring passage's figure of the same thing.
        here = {m: self._of_question(question, p) for m, p in numbered.items()}
        if not problems and answering and self.extractive is not None:
            problems += self._unconvincing(question, answering, numbered)
        if answering and all(
            bound_elsewhere(
                q,
                numbered[n].chunk.text,
                terms,
                kind,
                written,
                tuple(t for m, t in here.items() if m != n and t),
                counting=bool(question.asked),
            )
            for q, n in answering
        ):
            problems += [f"“{q.text}” trong đoạn [{n}] là số liệu của chỉ tiêu khác" for q, n in answering]
        return problems
