"""Questions whose answer is computed from two figures, or needs one figure from each of two places.

"Thu ngân sách năm 2025 tăng bao nhiêu so với năm 2024?", "Chênh lệch giữa dự toán và thực hiện?",
"Phường nào thu ngân sách cao hơn, Quy Nhơn hay Quy Nhơn Nam?", "Chi đầu tư chiếm bao nhiêu phần
trăm tổng chi?": no sentence states the answer, so the extractive answerer alone would quote a figure
that is present but not asked, or abstain.

The question is read into its sides (`app.answer.comparison_question`); each side is asked on its own
(retrieved on its own, so a second document is found), and each side's figure is the one its best
sentence binds to that side: in a table row, the value under the side's column; in prose, the figure
the side's words stand before. Then the computation is written out (`app.answer.computation`:
"348,5 - 310,2 = 38,3 tỷ đồng"), which `app.ground.arithmetic` checks by recomputing it from the
quoted figures. A side that no passage answers makes the whole answer an abstention: half a
comparison is not an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from app.answer.base import ABSTAIN_TEXT, Draft
from app.answer.comparison_question import Comparison, Side, parse
from app.answer.computation import compute
from app.answer.evidence import Clause, clauses_of
from app.answer.extractive import Candidate, ExtractiveAnswerer
from app.answer.question import Question, stop_written
from app.answer.scoring import FEATURES
from app.ground.binding import label as label_of
from app.ground.binding import words
from app.ground.claims import counts_asked, phrase
from app.ground.kind import is_answer_figure
from app.models import Passage
from app.retrieve import Query
from app.text import fold, match_words
from app.text.numbers import Quantity, extract_quantities

Search = Callable[[str], tuple[Query, list[Passage]]]
_NAMES_MISSING = FEATURES.index("names_missing")
# Words a report labels planned figures with; a question that names neither gets the achieved one.
_PLAN_WORDS = frozenset({"kế", "hoạch", "dự", "toán", "ke", "hoach", "du", "toan"})


@dataclass
class _Found:
    side: Side
    candidate: Candidate
    figure: Quantity
    passages: list[Passage]


_Option = tuple[tuple[int, int, int, int], Quantity, frozenset[str]]


def _options(
    candidate: Candidate, question: Question, side: Side, other: frozenset[str], percent: bool
) -> list[_Option]:
    """The figures of the side's best sentence that could be its operand, best first, each with its
    label (see `_label`): the most of the side's own words and the fewest of the other side's, then
    the most of the question's words, then the clause the answerer chose. Only figures of the kind
    asked ("phí" asks an amount: "phòng 4 người" holds a count) and not themselves a side's mark
    ("4" in "phòng 4 người"). Offsets are within the sentence."""
    written = question.query.written
    marks = side.mark | other
    out: list[_Option] = []
    offset = 0
    sentence_seq = phrase(candidate.sentence)  # a row's label is in its first clause only
    for clause in _clauses(candidate):
        offset = candidate.sentence.find(clause.text, offset)
        previous = 0
        for q in clause.quantities:
            if q.kind in ("year", "date"):
                continue  # "Năm 2024: 1.186": the year is the next figure's label
            kind_ok = q.kind == "percent" if percent else q.kind == "number" and q.unit != "%"
            if question.kind == "money" and not is_answer_figure(q, "money"):
                kind_ok = False
            numeral = re.match(r"[0-9]+(?:[.,][0-9]+)*", q.text)
            if question.asked and not counts_asked(question.asked, sentence_seq, [q]):
                kind_ok = False  # "bao nhiêu đảng viên" is not answered by "5 năm"
            if kind_ok and q.value is not None and not (numeral and numeral[0] in marks):
                label = frozenset(label_of(clause.text, q, previous, written))
                # A year in the label must be the one asked ("Năm 2025 › Thực hiện", not "Thực hiện 2024").
                label_years = {w for w in label if re.fullmatch(r"(?:19|20)\d\d", w)}
                asked_years = {str(y) for y in question.years}
                years = len(label_years & asked_years) - len(label_years - asked_years) if asked_years else 0
                # Words right next to it the question does not use qualify it as something else
                # ("76 đảng viên mới" for "bao nhiêu đảng viên"): the fewer, the better.
                near = match_words(clause.text[max(previous, q.start - 30) : q.start], not written)[-3:]
                near += match_words(clause.text[q.end : q.end + 30], not written)[:3]
                unasked = {w.lower() for w in near} - set(question.terms) - side.mark - stop_written()
                key = (
                    len(label & side.mark) - len(label & other) + years,
                    len(label & set(question.terms)),
                    -len(unasked),
                    int(clause.text == candidate.clause),
                )
                out.append((key, replace(q, start=offset + q.start, end=offset + q.end), label))
            previous = q.end
    out.sort(key=lambda o: o[0], reverse=True)
    return [o for o in out if o[0][0] >= 0]  # a figure bound to the other side only is never taken


def _pair(
    first: list[_Option], second: list[_Option], marks: frozenset[str], planned: frozenset[str]
) -> tuple[Quantity, Quantity] | None:
    """Both sides' figures, chosen together: two different figures, each bound to its side, and
    measuring the same thing. In order: bound to its side; labelled with the question's words;
    unless the question asks for a plan, not labelled as one (`planned`: "kế hoạch", "dự toán"),
    so a result comes first; labels alike once the sides' own words are set aside ("Thực hiện
    2024" goes with "Năm 2025 › Thực hiện")."""
    best: tuple[tuple[int, ...], Quantity, Quantity] | None = None
    for ka, qa, la in first:
        for kb, qb, lb in second:
            if qa is qb or (qa.start == qb.start and qa.text == qb.text and la == lb):
                continue
            plans = len(la & planned) + len(lb & planned)
            key = (
                ka[0] + kb[0],
                ka[1] + kb[1],
                -plans,
                len((la - marks) & (lb - marks)),
                ka[2] + kb[2],
                ka[3] + kb[3],
            )
            if best is None or key > best[0]:
                best = (key, qa, qb)
    return None if best is None else (best[1], best[2])


def _clauses(candidate: Candidate) -> tuple[Clause, ...]:
    """Every clause of the chosen sentence: a row's other columns may hold the side's figure."""
    return clauses_of(candidate.sentence)


class ComparisonAnswerer:
    """Answers a comparison from one best sentence per side, found by the extractive answerer."""

    mode = "extractive"

    def __init__(self, extractive: ExtractiveAnswerer) -> None:
        self.extractive = extractive

    @staticmethod
    def _planned(comparison: Comparison) -> frozenset[str]:
        """The words that label a plan rather than a result, less those the question itself uses."""
        asked = set().union(*(words(s.question, True) | words(s.question, False) for s in comparison.sides))
        return frozenset(_PLAN_WORDS - asked)

    def parse(self, query: Query) -> Comparison | None:
        question = self.extractive.analyse(query)
        known = self.extractive.checks.places.known
        return parse(question, lambda key: known.get(key, key))

    def answer(self, comparison: Comparison, search: Search) -> tuple[Draft, list[Passage]] | None:
        """The computed answer and the passages it numbers; None when the sides could not be told
        apart in what was found and the question should be answered as any other."""
        if comparison.op == "each":
            return self._each(comparison, search)
        if comparison.op == "span":
            return self._span(comparison.sides[0], search)
        percent = comparison.op in ("difference", "which") and any(
            re.search(r"\b(?:ty le|ti le|phan tram)\b", fold(s.question)) for s in comparison.sides
        )
        found: list[_Found] = []
        options: list[list[_Option]] = []
        for i, side in enumerate(comparison.sides):
            other = frozenset().union(*(s.mark for j, s in enumerate(comparison.sides) if j != i))
            for asked in filter(None, (side.question, side.fallback)):
                query, passages = search(asked)
                question = self.extractive.analyse(query)
                best = self.extractive.best(question, passages)
                choices = _options(best[0], question, side, other - side.mark, percent) if best else []
                if choices:
                    break
            if not choices or best is None:
                if comparison.places:
                    why = f"no passage gives the figure for {side.label or side.question}"
                    return Draft(ABSTAIN_TEXT, True, why), passages
                return None
            options.append(choices)
            found.append(_Found(side, best[0], choices[0][1], passages))
        if len(found) == 2:  # two figures of one table or sentence: chosen together
            marks = frozenset().union(*(s.mark for s in comparison.sides))
            pair = _pair(options[0], options[1], marks, self._planned(comparison))
            if pair is None:
                return None
            found[0].figure, found[1].figure = pair
        if len({(f.candidate.passage.chunk.chunk_id, f.figure.start) for f in found}) < len(found):
            return None  # both sides landed on one figure: nothing tells them apart
        return self._write(comparison, found)

    def _span(self, side: Side, search: Search) -> tuple[Draft, list[Passage]] | None:
        """Years between the two years of the sentence that answers "when" for the question: a life
        "(1734 – 1802)", "xây dựng từ năm 1983 đến năm 1990", "hoạt động từ năm 1962 … đến 15/10/2025".
        None (answered as any other question) when the best such sentence does not hold two years."""
        query, passages = search(side.question)
        # Asked as "when": its answer is years ("tuổi" counts nothing a sentence would state).
        question = replace(self.extractive.analyse(query), kind="when", asked=())
        spanning = [
            c
            for c in self.extractive.candidates(question, passages)
            if c.reason is None and _two_years(c.sentence) is not None
        ]
        if not spanning:
            return None
        scorer = self.extractive.scorer
        row, confidence = scorer.choose(np.array([c.features for c in spanning]))
        candidate = spanning[row]
        # The scorer reads "bao nhiêu tuổi" against a sentence of years as a poor match; the names the
        # question asks about ("Lương Khắc Tuân"), all in the sentence's own words, say it is the one.
        named = bool(question.names) and candidate.features[_NAMES_MISSING] == 0.0
        if confidence < scorer.threshold and not named:
            return None
        first, last = _two_years(candidate.sentence) or (0, 0)
        quote = self.extractive.quote(candidate, "when")
        return Draft(
            f"{quote}\nKhoảng cách: {last} - {first} = {last - first} {side.label}.", False
        ), passages

    def _each(self, comparison: Comparison, search: Search) -> tuple[Draft, list[Passage]]:
        """One quoted answer per place, each from its own document; none if any place has none."""
        found: list[tuple[Side, Candidate, str]] = []
        for side in comparison.sides:
            query, passages = search(side.question)
            question = self.extractive.analyse(query)
            best = self.extractive.best(question, passages)
            if best is None:
                return Draft(ABSTAIN_TEXT, True, f"no passage answers for {side.label}"), passages
            found.append((side, best[0], question.kind))
        merged: list[Passage] = []
        for _, candidate, _ in found:
            if all(p.chunk.chunk_id != candidate.passage.chunk.chunk_id for p in merged):
                merged.append(candidate.passage)
        lines = []
        for side, candidate, kind in found:
            chunk_id = candidate.passage.chunk.chunk_id
            rank = next(i for i, p in enumerate(merged) if p.chunk.chunk_id == chunk_id)
            lines.append(f"– {side.label}: {self.extractive.quote(replace(candidate, rank=rank), kind)}")
        return Draft("\n".join(lines), False, None), merged

    def _write(self, comparison: Comparison, found: list[_Found]) -> tuple[Draft, list[Passage]] | None:
        merged: list[Passage] = []
        for f in found:
            if all(p.chunk.chunk_id != f.candidate.passage.chunk.chunk_id for p in merged):
                merged.append(f.candidate.passage)
        for f in found:
            for p in f.passages[:2]:
                if all(p.chunk.chunk_id != m.chunk.chunk_id for m in merged):
                    merged.append(p)
        lines, quoted = [], set()
        for f in found:
            key = (f.candidate.passage.chunk.chunk_id, f.candidate.sentence)
            if key in quoted:
                continue  # both sides in one row or sentence: quoted once
            quoted.add(key)
            chunk_id = f.candidate.passage.chunk.chunk_id
            rank = next(i for i, p in enumerate(merged) if p.chunk.chunk_id == chunk_id)
            quote = self.extractive.quote(replace(f.candidate, rank=rank), "figure")
            alone = sum((g.candidate.passage.chunk.chunk_id, g.candidate.sentence) == key for g in found) == 1
            label = f.side.label
            named = alone and label and len(label.split()) <= 5 and not re.search(r"\d", label)
            lines.append(f"– {label}: {quote}" if named else f"– {quote}")
        computed = compute(comparison, [f.figure for f in found])
        if computed is None:
            return None
        lines.append(computed)
        return Draft("\n".join(lines), False, None), merged


def _two_years(sentence: str) -> tuple[int, int] | None:
    """The two years a sentence spans, earlier first: a range of years, or exactly two distinct years."""
    found: list[int] = []
    for q in extract_quantities(sentence):
        if q.kind == "range" and q.value and q.high and 1000 <= q.value < q.high <= 2100:
            return int(q.value), int(q.high)
        if q.kind == "year" and q.value:
            found.append(int(q.value))  # a date's year is not an operand the passage states alone
    distinct = sorted(set(found))
    return (distinct[0], distinct[1]) if len(distinct) == 2 else None
