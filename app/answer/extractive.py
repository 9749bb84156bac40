"""The default answerer: quote the sentence of the retrieved passages that answers the question.

No language model: every word of the answer is copied from a passage, so every figure is the
passage's own. The hard part is saying nothing when the passages do not answer: a candidate must be
about the place the question names (the document's main locality, not one it mentions in passing),
about the period it names, carry the kind of answer asked for (a figure, a percentage, a date, a
name), and cover the question's content words well enough. Otherwise the answerer abstains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.answer.base import ABSTAIN_TEXT, Draft
from app.answer.checks import Checks
from app.answer.evidence import lead_in
from app.answer.question import Question, stop_folded
from app.answer.scoring import Scorer
from app.ground.claims import asked_gap
from app.ground.kind import holds_kind, name_runs
from app.ground.misread import misread
from app.ground.parts import in_part
from app.models import Passage, Span
from app.retrieve import Query
from app.text import fold

_QUOTE_MAX = 360
# When the runner-up is the sentence right before or after the best one and scores nearly as well
# (its odds at least e**-1 of the best's), the answer spans both: "ông được giao chặn đường sông."
# then "Ông cho quân đóng cọc ..." Quoting both costs a sentence and loses nothing the best one said.
_NEIGHBOUR_MARGIN = 1.0
_FIGURE_KINDS = ("figure", "money", "percent")


@dataclass
class Candidate:
    """A clause of a retrieved sentence that could answer, with what the scorer reads about it."""

    passage: Passage
    rank: int  # 0-based position among the passages given; the citation is [rank + 1]
    sentence: str
    clause: str
    reason: str | None  # why it can never answer (wrong period, part, unreadable scan), None if it can
    features: tuple[float, ...] = ()  # what the scorer reads (scoring.FEATURES)
    where: Span | None = None  # the paragraph (heading path, table row, page, OCR) it comes from
    span: int | None = None  # that paragraph's index in the document's spans
    index: int = 0  # the sentence's position in its passage


class ExtractiveAnswerer:
    mode = "extractive"

    def __init__(self, checks: Checks, min_ocr_confidence: float = 0.0, scorer: Scorer | None = None) -> None:
        self.checks = checks
        self.generation = checks.generation
        self.scorer = scorer or Scorer.load()
        self.min_ocr_confidence = min_ocr_confidence
        # Document frequencies come from the lexical index (its folded syllables), so nothing here
        # is counted over the corpus when a generation is loaded.
        self._chunks = max(self.generation.chunk_count, 1)
        self._idf: dict[str, float] = {}
        self._idf_unknown = math.log((self._chunks + 1) / 0.5)

    def analyse(self, query: Query) -> Question:
        return self.checks.analyse(query)

    def answer(self, query: Query, passages: list[Passage]) -> Draft:
        question = self.analyse(query)
        if question.unknown_localities:
            return Draft(ABSTAIN_TEXT, True, f"no document about {', '.join(question.unknown_localities)}")
        usable = [c for c in self.candidates(question, passages) if c.reason is None]
        if not usable:
            return Draft(ABSTAIN_TEXT, True, "no passage matches the question's place, period and part")
        features = np.array([c.features for c in usable])
        row, confidence = self.scorer.choose(features)
        if confidence < self.scorer.threshold:
            return Draft(
                ABSTAIN_TEXT,
                True,
                f"best evidence scores {confidence:.2f} < {self.scorer.threshold:.2f}",
                confidence=confidence,
            )
        best = usable[row]
        neighbour = _neighbour(usable, self.scorer.candidate.logits(features), row)
        if neighbour is not None and question.kind not in _FIGURE_KINDS and not self.items_after(best):
            quote = self.quote_pair(best, neighbour)
        else:
            quote = self.quote(best, question.kind)
        return Draft(quote, False, None, confidence=confidence)

    def best(self, question: Question, passages: list[Passage]) -> tuple[Candidate, float] | None:
        """The clause the answer would quote and its calibrated confidence; None when it would abstain."""
        if question.unknown_localities:
            return None
        usable = [c for c in self.candidates(question, passages) if c.reason is None]
        if not usable:
            return None
        row, confidence = self.scorer.choose(np.array([c.features for c in usable]))
        return (usable[row], confidence) if confidence >= self.scorer.threshold else None

    def candidates(self, question: Question, passages: list[Passage]) -> list[Candidate]:
        """Every clause of every passage, scored; those that can never answer carry a `reason`."""
        known = [p.similarity for p in passages if p.similarity is not None]
        floor = min(known, default=0.0)  # a passage found only lexically is at most as close as the last
        out: list[Candidate] = []
        for rank, passage in enumerate(passages):
            if self.checks.about_elsewhere(question, passage):
                continue
            similarity = passage.similarity if passage.similarity is not None else floor
            out += self._candidates(question, passage, rank, similarity)
        return out

    def _candidates(
        self, question: Question, passage: Passage, rank: int, similarity: float
    ) -> list[Candidate]:
        doc = self.generation.documents[passage.chunk.doc_id]
        folded = not question.query.written
        absent = (
            len(self.checks.missing_names(question, [doc.doc_id])) / len(question.names)
            if question.names
            else 0.0
        )
        asked_words = frozenset(question.words)
        out: list[Candidate] = []
        for index, sentence in enumerate(self.checks.sentences(passage)):
            where = doc.spans[sentence.span] if sentence.span is not None else None
            if where is not None and where.kind == "heading":
                continue  # a heading names what follows; its words count for the sentences under it
            reason = None
            if not self.checks.period_ok(question, sentence, doc):
                reason = "about another period"
            elif self.checks.about_other_places(question, sentence, doc.doc_id):
                reason = "about another place"
            path = where.path if where is not None else ()
            if not in_part(question.parts, path, sentence.text, self.checks.numbered(doc.doc_id)):
                reason = "outside the part the question names"  # "Điều 15" is not answered from Điều 1
            if (
                reason is None
                and question.role
                and f" {' '.join(question.role)} " not in f" {' '.join(sentence.words)} "
            ):
                reason = "names no one in the role asked"  # "Bí thư Thị ủy" is not "Bí thư Đảng ủy"
            unsure_ocr = where is not None and where.ocr is not None and where.ocr < self.min_ocr_confidence
            own_terms, context = sentence.terms(folded), sentence.context(folded)
            own = self._share(question, own_terms)
            focus = self._focus(question, own_terms, doc.doc_id)
            slot = _slot(question, sentence.words, asked_words)
            missing = [self._weight(t) for t in question.terms if t not in own_terms and t not in context]
            rarest = max(missing, default=0.0) / self._idf_unknown
            # A lead-in ("... gồm các điều kiện sau:") is quoted with its items: for a list or a
            # procedure it is the answer, wherever the items repeat the question's words or not.
            lead = float(question.kind in ("list", "how") and sentence.text.rstrip().endswith(":"))
            pairs = (
                sum(p in own_terms for p in question.pairs) / len(question.pairs) if question.pairs else own
            )
            names_missing = (
                sum(n not in own_terms and n not in context for n in question.names) / len(question.names)
                if question.names
                else 0.0
            )
            novel = self._novelty(question, sentence.words)
            # "Ai ...?": a name the question does not already say ("Võ Minh Tâm" under a letter).
            new_name = float(
                question.kind == "who"
                and any(not set(run) <= asked_words for run in name_runs(sentence.text))
            )
            for clause in sentence.clauses:
                why = reason
                if why is None and unsure_ocr and clause.quantities:
                    why = "a figure on a scanned page read with low confidence"
                if (
                    why is None
                    and where is not None
                    and where.doubtful
                    and misread(clause.text, _words(doc.text, where), self.min_ocr_confidence)
                ):
                    why = "a figure OCR read with low confidence"
                kind_text = (
                    clause.text if question.kind in ("figure", "money", "percent", "when") else sentence.text
                )
                kind_quantities = clause.quantities if kind_text is clause.text else sentence.quantities
                kind_missing = not holds_kind(question.kind, kind_text, kind_quantities)
                gap = asked_gap(question.asked, clause.folded_seq, clause.quantities)
                if why is None and kind_missing and question.kind in ("figure", "money", "percent"):
                    why = "states no figure of the kind asked"  # its quote could not answer "bao nhiêu"
                if why is None and gap == 1.0:
                    why = "counts something else than what was asked"  # "hộ nghèo" for "hộ cận nghèo"
                features = (
                    self._coverage(question, clause.terms(folded), own_terms, context),
                    own,
                    pairs,
                    names_missing,
                    float(kind_missing),
                    gap,
                    similarity,
                    1.0 / (1 + rank),
                    float(self.checks.front_matter(doc.doc_id, sentence.offset)),
                    novel,
                    focus,
                    slot,
                    lead,
                    float(novel == 0.0),
                    rarest,
                    absent,
                    new_name,
                )
                out.append(
                    Candidate(
                        passage,
                        rank,
                        sentence.text,
                        clause.text,
                        why,
                        features,
                        where,
                        sentence.span,
                        index,
                    )
                )
        return out

    @staticmethod
    def _novelty(question: Question, words: tuple[str, ...]) -> float:
        """Share of the sentence's content words the question does not have: a title or letterhead that
        merely repeats the question's names says nothing new, an answer does."""
        asked = set(question.terms) | {fold(t) for t in question.terms}
        content = [w for w in words if w not in stop_folded() and not w[0].isdigit()]
        if not content:
            return 0.0
        return sum(w not in asked for w in content) / len(content)

    def _weight(self, term: str) -> float:
        """A question word's idf in the corpus (folded; a word the corpus never uses weighs most)."""
        folded = fold(term)
        idf = self._idf.get(folded)
        if idf is None:
            if len(self._idf) > 50_000:
                self._idf.clear()
            df = self.generation.doc_freq(folded) if " " not in folded else 0
            idf = self._idf[folded] = math.log((self._chunks + 1) / (df + 0.5))
        return idf

    def _share(self, question: Question, found: frozenset[str]) -> float:
        """idf-weighted share of the question's words in `found`."""
        if not question.terms:
            return 0.0
        weights = [(self._weight(t), t in found) for t in question.terms]
        return sum(w for w, hit in weights if hit) / sum(w for w, _ in weights)

    def _focus(self, question: Question, found: frozenset[str], doc_id: str) -> float:
        """The share of the question's words in the sentence, each weighted by how rare it is in the
        corpus and how well it tells this document's paragraphs apart: the words that say which part
        of a document answers, not which document."""
        total = got = 0.0
        for t in question.terms:
            w = self._weight(t) * min(self.checks.specificity(doc_id, part) for part in fold(t).split())
            total += w
            got += w * (t in found)
        return got / total if total else 0.0

    def _coverage(
        self, question: Question, clause: frozenset[str], sentence: frozenset[str], context: frozenset[str]
    ) -> float:
        """idf-weighted share of the question's words found in the clause, its sentence, or its context."""
        if not question.terms:
            return 0.0
        total = got = 0.0
        for t in question.terms:
            w = self._weight(t)
            total += w
            got += w * self._credit(t, clause, sentence, context)
        if not question.pairs:
            return got / total
        pair_hits = sum(self._credit(p, clause, sentence, context) for p in question.pairs)
        return 0.75 * got / total + 0.25 * pair_hits / len(question.pairs)

    @staticmethod
    def _credit(
        term: str, clause: frozenset[str], sentence: frozenset[str], context: frozenset[str]
    ) -> float:
        return 1.0 if term in clause else 0.75 if term in sentence else 0.5 if term in context else 0.0

    def items_after(self, best: Candidate) -> list[str]:
        """The list a lead-in ("... trong các trường hợp sau:") announces, as far as the cited passage
        holds it: quoting the lead-in alone would answer nothing."""
        if best.span is None or not best.sentence.rstrip().endswith(":"):
            return []
        chunk = best.passage.chunk
        doc = self.generation.documents[chunk.doc_id]
        i = best.span + 1
        items: list[str] = []
        while i < len(doc.spans) and doc.spans[i].kind == "item" and doc.spans[i].end <= chunk.end:
            items.append(doc.text[doc.spans[i].start : doc.spans[i].end])
            i += 1
        return items

    def with_items(self, best: Candidate) -> str | None:
        """A lead-in followed by the items it announces (as many as a quote holds); None if it is none."""
        items = self.items_after(best)
        if not items:
            return None
        quote = best.sentence.rstrip()
        for item in items:
            if len(quote) + len(item) > 3 * _QUOTE_MAX:
                return quote + " …"
            quote += f" {item}"
        return quote

    def quote(self, best: Candidate, kind: str) -> str:
        """Quote the sentence (a lead-in with its items); for a figure, only its clause (with the
        list's lead-in, if any)."""
        if listed := self.with_items(best):
            return self._cite(best, listed)
        quote = best.sentence
        row = best.where is not None and best.where.kind == "row" and len(quote) <= 2 * _QUOTE_MAX
        # A table row is quoted whole: its label and column headers are what say what the figure is.
        focused = not row and (kind in ("figure", "money", "percent") or len(quote) > _QUOTE_MAX)
        if focused and best.clause != best.sentence:
            lead, colon, rest = best.sentence.partition(":")
            clause = best.clause.rstrip(".;")
            if colon and best.clause in rest:
                lead = lead.strip()
                if len(lead) > 120:  # keep the part that says whose list this is
                    lead = "… " + lead.rsplit(", ", 1)[-1]
                quote = f"{lead}: … {clause} …"
            else:
                quote = f"… {clause}" + ("" if best.sentence.endswith(best.clause) else " …")
        if lead := self._lead_in(best):  # an item says little without what its list is of
            quote = f"{lead} … {quote}"
        return self._cite(best, quote)

    def quote_pair(self, best: Candidate, neighbour: Candidate) -> str:
        """Two adjacent sentences of one passage, in their order, cited as one."""
        first, second = sorted((best, neighbour), key=lambda c: c.index)
        return self._cite(best, f"{first.sentence.strip()} {second.sentence.strip()}")

    def _lead_in(self, best: Candidate) -> str | None:
        """The lead-in of the list an item belongs to, when the cited passage holds it (so that every
        word quoted is checked against what is cited)."""
        chunk = best.passage.chunk
        doc = self.generation.documents[chunk.doc_id]
        index = lead_in(doc, best.span)
        if index is None:
            return None
        text = doc.text[doc.spans[index].start : doc.spans[index].end].strip()
        return text if text in chunk.text or text in chunk.header else None

    @staticmethod
    def _cite(best: Candidate, quote: str) -> str:
        source = f"ngày {_vn_date(best.passage.date)}" if best.passage.date else f"“{best.passage.title}”"
        return f"Theo tài liệu {source}{_location(best)}: “{quote}” [{best.rank + 1}]"


def _neighbour(usable: list[Candidate], logits: np.ndarray, row: int) -> Candidate | None:
    """The runner-up sentence, if it is next to the best one in the same passage and scores within
    `_NEIGHBOUR_MARGIN` of it; both short enough to quote together."""
    best = usable[row]
    for j in np.argsort(-logits):
        other = usable[j]
        if other.sentence == best.sentence:
            continue
        close = logits[row] - logits[j] <= _NEIGHBOUR_MARGIN
        adjacent = other.passage is best.passage and abs(other.index - best.index) == 1
        short = len(other.sentence) + len(best.sentence) <= 2 * _QUOTE_MAX
        return other if close and adjacent and short else None
    return None


def _slot(question: Question, words: tuple[str, ...], asked: frozenset[str]) -> float:
    """How much of the question's wording around its question word the sentence repeats with
    something new where the question word stood ("có hiệu lực từ ngày nào" -> "có hiệu lực từ ngày
    01 tháng 01"): 0 to 1, by the length of the longest such run (up to three words). `asked`: the
    question's words, folded."""
    seq = f" {' '.join(words)} "

    def new(w: str) -> bool:
        return w not in asked and (w[0].isdigit() or w not in stop_folded())

    best = 0
    for k in (3, 2, 1):
        if best:
            break
        left = question.before[-k:] if len(question.before) >= k else ()
        right = question.after[:k] if len(question.after) >= k else ()
        for gram, side in ((left, "left"), (right, "right")):
            if not gram or all(w in stop_folded() for w in gram) or f" {' '.join(gram)} " not in seq:
                continue
            for i in range(len(words) - k + 1):
                if words[i : i + k] != gram:
                    continue
                j = i + k if side == "left" else i - 1
                if 0 <= j < len(words) and new(words[j]):
                    best = k
                    break
    return best / 3


def _location(best: Candidate) -> str:
    """Where in the original the quote is ("Chương II › Điều 6 › Khoản 2"), so a person can find it.
    Page, table and row go in the citation, not here: a number in the answer must be a checked figure,
    and the heading path's numbers are in the passage header it is checked against."""
    path = best.passage.chunk.path
    return f" ({path})" if path else ""


def _vn_date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(d):02d}/{int(m):02d}/{y}"


def _words(text: str, span: Span) -> tuple[tuple[str, float], ...]:
    """A paragraph's doubtful OCR words as (word, confidence), from their stored offsets."""
    return tuple((text[span.start + a : span.start + b], conf) for a, b, conf in span.doubtful)
