"""The default answerer: quote the sentence of the retrieved passages that answers the question.

No language model: every word of the answer is copied from a passage, so every figure is the
passage's own. The hard part is saying nothing when the passages do not answer: a candidate must be
about the place the question names (the document's main locality, not one it mentions in passing),
about the period it names, carry the kind of answer asked for (a figure, a percentage, a date, a
name), and cover the question's content words well enough. Otherwise the answerer abstains.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from app.answer.base import ABSTAIN_TEXT, Draft
from app.answer.evidence import Clause, Sentence, TimeMarks, analyse_chunk, terms
from app.answer.question import Question, analyse
from app.ground.parts import in_part, structured
from app.index import Generation
from app.ingest.localities import count_localities, find_localities, split_locality
from app.models import Document, Passage, Span
from app.retrieve import Query
from app.text import fold
from app.text.names import person_names
from app.text.numbers import Quantity, figure_in_text

# Share of the question's content (idf-weighted) a sentence must cover. Calibrated on evals/: the
# best unanswerable question scored 0.49, the weakest answered paraphrases 0.57; 0.55 sits between.
MIN_COVERAGE = 0.55
_QUOTE_MAX = 360


@dataclass
class _Candidate:
    score: float
    passage: Passage
    rank: int  # 0-based position among the passages given; the citation is [rank + 1]
    sentence: str
    clause: str
    reason: str | None  # why it cannot answer, None if it can
    where: Span | None = None  # the paragraph (heading path, table row, page, OCR) it comes from
    span: int | None = None  # that paragraph's index in the document's spans


def _is_answer_figure(q: Quantity, kind: str) -> bool:
    if kind == "percent":
        return q.kind == "percent"
    if kind == "when":
        return q.kind in ("date", "year") or (q.kind == "range" and q.unit is None)
    return q.kind in ("number", "percent", "fraction") or (q.kind == "range" and (q.value or 0) < 1900)


class ExtractiveAnswerer:
    mode = "extractive"

    def __init__(self, generation: Generation, min_ocr_confidence: float = 0.0) -> None:
        self.generation = generation
        self.min_ocr_confidence = min_ocr_confidence
        chunk_terms = [terms(f"{c.header} {c.text}", folded=True) for c in generation.chunks]
        df = Counter(t for terms in chunk_terms for t in terms if " " not in t)
        n = max(len(chunk_terms), 1)
        self._idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        self._idf_unknown = math.log((n + 1) / 0.5)
        # A report is about the places it names most (or in its title), not those it mentions once.
        self._primary: dict[str, set[str]] = {}
        self.known_localities: dict[str, str] = {}
        for doc in generation.documents.values():
            names: Counter[str] = Counter()
            for locality, count in count_localities(doc.text).items():
                name = split_locality(locality)[1]
                self.known_localities[fold(name)] = name
                names[fold(name)] += count
            top = max(names.values(), default=0)
            primary = {k for k, v in names.items() if v >= max(2, top / 3)}
            primary |= {fold(split_locality(n)[1]) for n in find_localities(doc.title)}
            self._primary[doc.doc_id] = primary
        self._title_time = {d.doc_id: TimeMarks.of(d.title) for d in generation.documents.values()}
        self._sentences: dict[str, tuple[Sentence, ...]] = {}  # chunk_id -> analysed once
        self._numbered = {
            d.doc_id: structured([s.path for s in d.spans]) for d in generation.documents.values()
        }

    def analyse(self, query: Query) -> Question:
        return analyse(query, self.known_localities)

    def about_elsewhere(self, question: Question, passage: Passage) -> bool:
        """The question names a place and this passage's document is about another one."""
        if question.unknown_localities:
            return True
        primary = self._primary.get(passage.chunk.doc_id, set())
        return bool(question.localities) and not set(question.localities) & primary

    def in_named_part(self, question: Question, passage: Passage) -> bool:
        """The passage holds a paragraph inside every part the question names ("khoản 2 Điều 9")."""
        if not question.parts:
            return True
        chunk = passage.chunk
        doc = self.generation.documents[chunk.doc_id]
        numbered = self._numbered.get(doc.doc_id, False)
        first, last = doc.span_index(chunk.start), doc.span_index(chunk.end - 1)
        if first is None or last is None:  # a document stored before spans
            return in_part(question.parts, (), chunk.text, numbered)
        return any(
            in_part(question.parts, s.path, doc.text[s.start : s.end], numbered)
            for s in doc.spans[first : last + 1]
        )

    def out_of_period(self, question: Question, passage: Passage, figure: Quantity) -> bool:
        """The question names a year or term, and no sentence of the passage that holds this figure is
        about it: "năm 2024" is not answered by the 2025 figure, however verbatim."""
        if not question.years and not question.ranges:
            return False
        doc = self.generation.documents[passage.chunk.doc_id]
        holding = [s for s in self._analysed(passage) if figure_in_text(figure, s.text)]
        return bool(holding) and not any(self._period_ok(question, s, doc) for s in holding)

    def _analysed(self, passage: Passage) -> tuple[Sentence, ...]:
        sentences = self._sentences.get(passage.chunk.chunk_id)
        if sentences is None:
            doc = self.generation.documents[passage.chunk.doc_id]
            sentences = self._sentences[passage.chunk.chunk_id] = analyse_chunk(passage.chunk, doc)
        return sentences

    def answer(self, query: Query, passages: list[Passage]) -> Draft:
        question = self.analyse(query)
        if question.unknown_localities:
            return Draft(ABSTAIN_TEXT, True, f"no document about {', '.join(question.unknown_localities)}")
        best: _Candidate | None = None
        for rank, passage in enumerate(passages):
            for cand in self._candidates(question, passage, rank):
                if cand.reason is None and (best is None or cand.score > best.score):
                    best = cand
        if best is None:
            return Draft(ABSTAIN_TEXT, True, "no passage matches the question's place, period and kind")
        if best.score < MIN_COVERAGE:
            return Draft(ABSTAIN_TEXT, True, f"best evidence covers {best.score:.2f} of the question")
        return Draft(self._format(best, question.kind), False, None)

    def _candidates(self, question: Question, passage: Passage, rank: int) -> list[_Candidate]:
        doc = self.generation.documents[passage.chunk.doc_id]
        if self.about_elsewhere(question, passage):
            return []
        folded = not question.query.written
        out: list[_Candidate] = []
        for sentence in self._analysed(passage):
            if not self._period_ok(question, sentence, doc):
                continue
            # Each "; "-separated clause is a candidate (the sentence itself when it has none): the rest
            # of its sentence counts a bit less, its paragraph and the title half.
            where = doc.spans[sentence.span] if sentence.span is not None else None
            if where is not None and where.kind == "heading":
                continue  # a heading names what follows; its words count for the sentences under it
            path = where.path if where is not None else ()
            if not in_part(question.parts, path, sentence.text, self._numbered.get(doc.doc_id, False)):
                continue  # "Điều 15 quy định gì?" is not answered from Điều 1
            unsure_ocr = where is not None and where.ocr is not None and where.ocr < self.min_ocr_confidence
            for clause in sentence.clauses:
                reason = None if self._kind_ok(question, clause) else "wrong kind"
                if reason is None and unsure_ocr and clause.quantities:
                    reason = "a figure on a scanned page read with low confidence"
                if reason is None and not self._asked_ok(question, clause):
                    reason = "does not count what was asked"
                score = self._coverage(
                    question, clause.terms(folded), sentence.terms(folded), sentence.context(folded)
                )
                out.append(
                    _Candidate(
                        score + 0.02 / (rank + 1),
                        passage,
                        rank,
                        sentence.text,
                        clause.text,
                        reason,
                        where,
                        sentence.span,
                    )
                )
        return out

    def _period_ok(self, question: Question, sentence: Sentence, doc: Document) -> bool:
        """The period asked must be the sentence's own; else the one its paragraph set before it
        ("Theo báo cáo, năm 2025, ..."); else the document's date or title."""
        if not question.years and not question.ranges:
            return True
        own = TimeMarks(frozenset(), frozenset()) if question.kind == "when" else sentence.time
        before, title = sentence.time_before, self._title_time[doc.doc_id]
        for r in question.ranges:  # "when": years in the sentence are the answer, not its period
            if r not in own.ranges | before.ranges | title.ranges:
                return False
        for y in question.years:
            if own:
                if y not in own.years:
                    return False
            elif before.years:
                if y not in before.years:
                    return False
            elif not (doc.date and doc.date.startswith(str(y))) and y not in title.years:
                return False
        return True

    @staticmethod
    def _asked_ok(question: Question, clause: Clause) -> bool:
        """What "bao nhiêu ..." counts must be counted here: "hộ cận nghèo" is not "hộ nghèo", "đảng viên"
        is not "Đảng ủy viên", and a percentage is not a head count."""
        if not question.asked:
            return True
        if not any(_is_answer_figure(q, "figure") and q.kind != "percent" for q in clause.quantities):
            return False
        head, rest = question.asked[:2], question.asked[2:]
        return f" {' '.join(head)} " in clause.folded_seq and all(f" {w} " in clause.folded_seq for w in rest)

    @staticmethod
    def _kind_ok(question: Question, clause: Clause) -> bool:
        if question.kind == "who":  # a person, named with the office asked about
            role = f" {' '.join(question.role)} "
            return bool(person_names(clause.text)) and role in clause.folded_seq
        if question.kind == "other":
            return True
        return any(_is_answer_figure(q, question.kind) for q in clause.quantities)

    def _coverage(
        self, question: Question, clause: frozenset[str], sentence: frozenset[str], context: frozenset[str]
    ) -> float:
        """idf-weighted share of the question's words found in the clause, its sentence, or its context."""
        if not question.terms:
            return 0.0
        total = got = 0.0
        for t in question.terms:
            w = self._idf.get(fold(t), self._idf_unknown)
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

    def _items_after(self, best: _Candidate) -> list[str]:
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

    def _format(self, best: _Candidate, kind: str) -> str:
        """Quote the sentence (a lead-in with its items); for a figure, only its clause (with the
        list's lead-in, if any)."""
        if items := self._items_after(best):
            quote = best.sentence.rstrip()
            for item in items:
                if len(quote) + len(item) > 3 * _QUOTE_MAX:
                    quote += " …"
                    break
                quote += f" {item}"
            return self._cite(best, quote)
        quote = best.sentence
        row = best.where is not None and best.where.kind == "row" and len(quote) <= 2 * _QUOTE_MAX
        # A table row is quoted whole: its label and column headers are what say what the figure is.
        focused = not row and (kind in ("figure", "percent") or len(quote) > _QUOTE_MAX)
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
        return self._cite(best, quote)

    @staticmethod
    def _cite(best: _Candidate, quote: str) -> str:
        source = f"ngày {_vn_date(best.passage.date)}" if best.passage.date else f"“{best.passage.title}”"
        return f"Theo tài liệu {source}{_location(best)}: “{quote}” [{best.rank + 1}]"


def _location(best: _Candidate) -> str:
    """Where in the original the quote is ("Chương II › Điều 6 › Khoản 2"), so a person can find it.
    Page, table and row go in the citation, not here: a number in the answer must be a checked figure,
    and the heading path's numbers are in the passage header it is checked against."""
    path = best.passage.chunk.path
    return f" ({path})" if path else ""


def _vn_date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(d):02d}/{int(m):02d}/{y}"
