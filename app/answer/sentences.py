"""The sentence protocol: the model picks the sentences that answer, the service writes the answer.

Free text from a small model cannot be checked claim by claim: it restates figures with another
unit, pins a neighbouring ward's figure on the ward asked, or answers with a bare "[1]". Here the
passages go to the model as numbered sentences ("(2.3)": passage 2, sentence 3) and it returns JSON,
`{"cau": ["2.3"], "tra_loi": "..."}`: the ids it relies on and a short answer. The answer shown is
the service's own: the selected sentences quoted with their [n], led by the model's short answer only
when every word of it is in those sentences (or the question), so no claim is the model's words.
Only sentences the extractive answerer could quote for the question (the place, period and part
asked, a figure of the kind asked) are offered, the few the scorer ranks highest: a 1.5B model
picked a usable sentence for 3 of 15 seed questions among every sentence of five passages, and for
11 of 15 among eight. A pick the scorer is far less sure of than of its own first choice is
refused (`OUTDONE`): most often another indicator's figure. A pick that was not offered is dropped;
none left, a name of the question missing from the chosen documents, or a reply that is not the
JSON asked for is `Unverified`, and the extractive answer is used.

Chosen by `LLM_PROTOCOL=sentences` (the default); `free` keeps the free-text path for large models.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from anyio import to_thread

from app.answer.base import ABSTAIN_TEXT, Draft
from app.answer.extractive import Candidate, ExtractiveAnswerer
from app.answer.generative import LLMAnswerer, Unverified, abstains
from app.answer.llm import LLMClient
from app.answer.prompts import SentencePrompts
from app.answer.question import Question
from app.answer.scoring import Scorer
from app.chunk import split_sentences
from app.ground import ground
from app.ground.binding import labelled
from app.ground.claims import figure_answers
from app.ground.kind import is_answer_figure
from app.models import LLMUsage, Passage
from app.retrieve import Query
from app.text import match_words
from app.text.numbers import extract_quantities, figure_in_text

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        # A pattern, so that a server decoding by grammar can only write ids ("2.3"), never prose.
        "cau": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{1,2}[.][0-9]{1,3}$"}},
        "tra_loi": {"type": "string"},
    },
    "required": ["cau", "tra_loi"],
    "additionalProperties": False,
}
# OpenAI, vLLM and llama.cpp's own server take the first; llama-cpp-python's server the second.
FORMATS: tuple[dict[str, Any], ...] = (
    {"type": "json_schema", "json_schema": {"name": "cau_tra_loi", "schema": _SCHEMA}},
    {"type": "json_object", "schema": _SCHEMA},
)
_ID = re.compile(r"(\d{1,2})\s*[.,:]\s*(\d{1,3})")
_OBJECT = re.compile(r"\{.*\}", re.S)
_IDS_KEYS = ("cau", "câu", "sentences", "ids", "cau_chon")
_ANSWER_KEYS = ("tra_loi", "trả_lời", "answer", "tra loi")
_JUNK = re.compile(r"[\[\]{}<>]")
# Sentences offered to the model: the answerable ones the scorer ranks highest.
SHOWN = 8
# How much surer of its own first choice the scorer may be than of the model's pick.
OUTDONE = 0.2


def sentences_of(passage: Passage) -> list[str]:
    text = passage.chunk.text
    return [text[s:e].strip() for s, e in split_sentences(text, len(text) + 1)]


def parse_reply(text: str) -> tuple[list[tuple[int, int]], str] | None:
    """(passage, sentence) ids and the short answer from what the model wrote: the JSON asked for,
    or the same inside prose or a code fence (servers that ignore `response_format`). None when no
    object with ids can be found: the reply is not an answer in this protocol."""
    found = _OBJECT.search(text)
    if found is None:
        return None
    try:
        data = json.loads(found.group(0))
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    raw_ids = next((data[k] for k in _IDS_KEYS if k in data), None)
    answer = next((data[k] for k in _ANSWER_KEYS if k in data), "")
    if raw_ids is None or not isinstance(raw_ids, list):
        return None
    ids: list[tuple[int, int]] = []
    for item in raw_ids:
        m = _ID.search(str(item))
        if m and (pair := (int(m[1]), int(m[2]))) not in ids:
            ids.append(pair)
    return ids, answer if isinstance(answer, str) else ""


def _grounded_words(short: str, said: str, question: str) -> bool:
    """Every word of the short answer is in the selected sentences or the question: it restates,
    never adds ("giảm" for a sentence that says "tăng" is a word of its own)."""
    allowed = set(match_words(said, True)) | set(match_words(question, True))
    words = match_words(short, True)
    return bool(words) and all(w in allowed for w in words)


def _bound(question: Question, sentences: list[str]) -> bool:
    """Some figure of the kind asked, in the chosen sentences, is labelled with a word of the question
    (`app.ground.binding`): "A. KINH TẾ › 3." holds a number, but of nothing that was asked."""
    terms = set(question.terms)
    return any(
        is_answer_figure(q, question.kind) and words & terms
        for sentence in sentences
        for q, words in labelled(sentence, question.query.written)
    )


def _best_sentences(usable: list[Candidate], scorer: Scorer, k: int) -> set[tuple[int, int]]:
    """The ids "(n.k)" of the k sentences whose best clause the scorer ranks highest."""
    logits = scorer.candidate.logits(np.array([c.features for c in usable]))
    best: dict[tuple[int, int], float] = {}
    for c, logit in zip(usable, logits, strict=True):
        key = (c.rank + 1, c.index + 1)
        best[key] = max(best.get(key, -np.inf), float(logit))
    return set(sorted(best, key=best.__getitem__, reverse=True)[:k])


def _figures_held(short: str, said: str) -> bool:
    return all(figure_in_text(q, said) for q in extract_quantities(short))


@dataclass(frozen=True)
class _Offer:
    question: Question
    said: list[list[str]]  # each passage's sentences
    usable: list[Candidate]  # the clauses the extractive answerer could quote
    shown: set[tuple[int, int]]  # the sentence ids offered to the model
    first: tuple[int, int]  # the sentence the scorer would quote
    sure: float  # how sure the scorer is of it (the extractive answer's confidence)


class SentenceAnswerer(LLMAnswerer):
    """The LLM answerer of the sentence protocol; same interface and checks as the free-text one."""

    def __init__(
        self,
        client: LLMClient,
        prompts: SentencePrompts,
        extractive: ExtractiveAnswerer,
        deadline_s: float,
        min_ocr: float = 0.0,
        agree_min: float = 1.0,
    ) -> None:
        super().__init__(client, extractive.checks, deadline_s, min_ocr, extractive)
        self.prompts = prompts
        self.extractive = extractive
        self.agree_min = agree_min  # 1.0: the model's agreement never lowers the bar

    async def stream(
        self, query: Query, passages: list[Passage], usage: LLMUsage
    ) -> AsyncIterator[str | Draft]:
        """Yield the written answer once it passed its checks (one delta), then its `Draft`; raise
        `LLMError` on faults and `Unverified` when the reply cannot be used."""
        # Reading the passages and checking the reply are CPU work: off the event loop.
        offer = await to_thread.run_sync(self._offer, query, passages)
        messages = [
            {"role": "system", "content": self.prompts.system},
            {
                "role": "user",
                "content": self.prompts.render_user(query.text, passages, offer.said, offer.shown),
            },
        ]
        deadline = time.monotonic() + self.deadline_s
        reply = "".join(
            [d async for d in self.client.stream(messages, usage, deadline, response_formats=FORMATS)]
        )
        text = await to_thread.run_sync(self._written, query, passages, offer, reply)
        if text is None:
            yield Draft(ABSTAIN_TEXT, True)
            return
        yield text
        yield Draft(text, False)

    def _offer(self, query: Query, passages: list[Passage]) -> _Offer:
        """What the model is shown, and what its reply is checked against."""
        said = [sentences_of(p) for p in passages]
        question = self.checks.analyse(query)
        if question.unknown_localities:
            raise Unverified(f"no document is about {', '.join(question.unknown_localities)}")
        # Only sentences the extractive answerer could quote for this question are offered: of the
        # place, period and part asked, holding a figure of the kind asked ("bao nhiêu phần trăm" is
        # not answered by "348,5 tỷ đồng"). A small model picks well among a handful and badly among
        # fifty; what it could pick wrongly is not put before it.
        usable = [c for c in self.extractive.candidates(question, passages) if c.reason is None]
        if not usable:
            raise Unverified("no sentence of the passages could answer what was asked")
        scorer = self.extractive.scorer
        top, sure = scorer.choose(np.array([c.features for c in usable]))
        first = (usable[top].rank + 1, usable[top].index + 1)
        return _Offer(question, said, usable, _best_sentences(usable, scorer, SHOWN), first, sure)

    def _written(self, query: Query, passages: list[Passage], offer: _Offer, reply: str) -> str | None:
        """The answer written from the model's reply, None for an abstention; `Unverified` when the
        reply cannot be used."""
        question, said, usable, shown = offer.question, offer.said, offer.usable, offer.shown
        numbered = dict(enumerate(passages, start=1))
        parsed = parse_reply(reply)
        if parsed is None:
            if abstains(reply):
                return None
            raise Unverified("the model's reply is not the JSON of sentence ids asked for")
        ids, short = parsed
        if not ids:
            return None
        # An id that was not offered (a guess, or a sentence of another place or period) is dropped;
        # the answer stands on the offered ones it chose, if any.
        chosen = [pair for pair in ids if pair in shown]
        if not chosen:
            raise Unverified(f"the model chose none of the sentences offered: {ids}")
        # A name the question says ("làng chạm gỗ Đông Thạch") that no chosen sentence's document
        # holds: the sentences are about something else, however well their figure is labelled.
        absent = self.checks.missing_names(question, {passages[n - 1].chunk.doc_id for n, _ in chosen})
        if absent:
            raise Unverified(f"the question names {', '.join(absent)}, which the chosen documents do not")
        # The chosen sentences must convince the calibrated scorer as much as the extractive answer
        # must (its operating point): a labelled figure of the kind asked can still be another
        # target's ("100% chi bộ" for "bao nhiêu phần trăm tổ dân phố"), and nothing as checkable as
        # a figure binds a name, a list or a reason to the question.
        scorer = self.extractive.scorer
        picked = [c for c in usable if (c.rank + 1, c.index + 1) in chosen]
        best, confidence = scorer.choose(np.array([c.features for c in picked]))
        # With `agree_min` below 1, the model choosing the sentence the scorer ranks first counts as
        # a second vote and less of the scorer's confidence is needed (the eight are shown in
        # passage order, not the scorer's). Off by default: when the documents do not say, a small
        # model and the scorer are drawn to the same sentence by the same words. A pick the scorer
        # is far less sure of than of its own first choice is refused: what it states is most often
        # another indicator's figure.
        agreed = offer.first in chosen
        if confidence < scorer.threshold and not (agreed and offer.sure >= self.agree_min):
            raise Unverified(
                f"the chosen sentences score {confidence:.2f} < {scorer.threshold:.2f} as the answer"
            )
        if not agreed and offer.sure - confidence > OUTDONE:
            raise Unverified(
                f"the chosen sentences score {confidence:.2f}, the scorer's own choice {offer.sure:.2f}"
            )
        together = " ".join(said[n - 1][k - 1] for n, k in chosen)
        if question.kind in ("figure", "money", "percent") and not _bound(
            question, [said[n - 1][k - 1] for n, k in chosen]
        ):
            raise Unverified("no figure of the chosen sentences is labelled with what the question asks")
        if any(
            is_answer_figure(q, question.kind)
            and not figure_answers(q, together, question.kind, question.asked)
            for q in extract_quantities(short)
        ):
            short = ""  # its figure is one of the sentences', but not the one asked: quote alone
        if not all(figure_in_text(q, picked[best].clause) for q in extract_quantities(short)):
            # The lead says which figure answers; the checks vouch only for the clause the scorer
            # chose ("Năm 2025 › Thực hiện: 318,6", not the same row's "Thực hiện 2024: 286,4"). The
            # sentences are still quoted whole, with every label.
            short = ""
        # A lead-in ("… nộp các giấy tờ sau:") is quoted with the items it announces, as the
        # extractive answer quotes it: alone it answers nothing.
        quoted = [list(sentences) for sentences in said]
        for c in usable:
            key = (c.rank + 1, c.index + 1)
            if key in chosen and (listed := self.extractive.with_items(c)):
                quoted[key[0] - 1][key[1] - 1] = listed
        text = self.write(query.text, short, chosen, quoted)
        unverified = [f.text for f in ground(text, numbered, self.min_ocr) if not f.verified]
        if unverified:
            raise Unverified(f"figures not in the passages cited: {', '.join(unverified)}")
        return text

    @staticmethod
    def write(question: str, short: str, chosen: list[tuple[int, int]], said: list[list[str]]) -> str:
        """The answer: the model's short answer when it restates the chosen sentences, then each
        passage's chosen sentences quoted, in the passage's order, with its [n]."""
        by_passage: dict[int, list[int]] = {}
        for n, k in chosen:
            by_passage.setdefault(n, []).append(k)
        quotes = []
        for n, ks in by_passage.items():
            quoted = " … ".join(said[n - 1][k - 1] for k in sorted(ks))
            quotes.append(f"“{quoted}” [{n}]")
        body = "; ".join(quotes)
        short = " ".join(short.split()).strip(" .:;")
        together = " ".join(said[n - 1][k - 1] for n, k in chosen)
        usable = (
            short
            and not _JUNK.search(short)
            and not set(match_words(short, True)) <= set(match_words(question, True))  # an echo
            and _grounded_words(short, together, question)
            and _figures_held(short, together)
        )
        return f"{short[0].upper()}{short[1:]}: {body}" if usable else f"Theo tài liệu: {body}"
