"""Questions whose answer is computed from two figures, or needs one figure from each of two places.

"Thu ngân sách năm 2025 tăng bao nhiêu so với năm 2024?", "Chênh lệch giữa dự toán và thực hiện?",
"Phường nào thu ngân sách cao hơn, Quy Nhơn hay Quy Nhơn Nam?", "Chi đầu tư chiếm bao nhiêu phần
trăm tổng chi?": no sentence states the answer, so the extractive answerer alone would quote a figure
that is present but not asked, or abstain.

Here the question is split into its sides (two years, two places, or two phrases it names), each side
is asked on its own (retrieved on its own, so a second document is found), and each side's figure is
the one its best sentence binds to that side: in a table row, the value under the side's column; in
prose, the figure the side's words stand before. Then the service writes the computation out
("348,5 - 310,2 = 38,3 tỷ đồng"), which `app.ground.arithmetic` checks by recomputing it from the
quoted figures. A side that no passage answers makes the whole answer an abstention: half a
comparison is not an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import numpy as np

from app.answer.base import ABSTAIN_TEXT, Draft
from app.answer.evidence import Clause, clauses_of
from app.answer.extractive import Candidate, ExtractiveAnswerer
from app.answer.question import STOP_WRITTEN, Question
from app.answer.scoring import FEATURES
from app.ground.binding import label as label_of
from app.ground.binding import words
from app.ground.claims import counts_asked, phrase
from app.ground.kind import is_answer_figure
from app.models import Passage
from app.retrieve import Query
from app.text import fold, has_diacritics, match_words
from app.text.numbers import Quantity, decimal_of, extract_quantities

Op = Literal["difference", "sum", "share", "ratio", "change", "which", "each", "average", "span"]
# "thọ bao nhiêu tuổi", "được xây dựng trong bao nhiêu năm": the years between two years one sentence gives.
_SPAN = re.compile(r"\b(?:bao nhieu|may)\s+(nam|tuoi)\b")
# "Bình quân mỗi chi bộ có bao nhiêu đảng viên?": a count over a count, both in one passage.
_AVERAGE = re.compile(r"\b(?:binh quan|trung binh)\s+(?:moi|mot|1)\s+(\w+(?:\s+\w+)?)")
# "X của phường A và của phường B?", "Ai là Bí thư phường A, còn phường B?": one answer per place.
_EACH = re.compile(r"\b(?:va|con|moi noi|moi phuong|moi xa|tung)\b")
Search = Callable[[str], tuple[Query, list[Passage]]]

_HOW_MANY = r"(?:bao nhieu|may)"
_MORE = ("cao", "lon", "nhieu", "dai", "rong", "dong", "manh")
_LESS = ("thap", "nho", "it", "ngan", "hep", "yeu")
_WHICH_CUE = re.compile(rf"\b(?:{'|'.join(_MORE + _LESS)})\s+(?:\S+\s+){{0,3}}?hon\b")
_WHICH_WORD = re.compile(r"\b(?:nao|ai)\b")
_CUES: tuple[tuple[Op, re.Pattern[str]], ...] = (
    ("ratio", re.compile(rf"\bgap\s+{_HOW_MANY}\s+lan\b")),
    (
        "share",
        re.compile(
            rf"\b(?:chiem|bang)\s+(?:khoang\s+)?{_HOW_MANY}\s*(?:phan tram|%)"
            rf"|\bchiem\s+(?:ty|ti)\s+le\s+(?:la\s+)?{_HOW_MANY}"
        ),
    ),
    ("change", re.compile(rf"\b(?:tang|giam)\s+(?:them\s+)?{_HOW_MANY}\s*(?:phan tram|%)")),
    (
        "difference",
        re.compile(
            rf"\b(?:tang|giam|hut|thieu|vuot|tiet\s+kiem)\s+(?:them\s+|duoc\s+)?{_HOW_MANY}\b|\bchenh\s+lech\b"
            rf"|\b(?:(?:nhieu|it|cao|thap|lon|nho|dat|re)\s+hon|vuot|kem)\s+(?:\S+\s+){{0,12}}?{_HOW_MANY}\b"
        ),
    ),
    ("sum", re.compile(r"\b(?:tong\s+cong|cong\s+lai|gop\s+lai|ca\s+hai)\b|^\s*tong\s+(?:cua\s+)?")),
)
_YEAR_AT = r"(?:(?:so\s+voi|voi|va|hay|hoac|,)\s+)?(?:(?:nam|nam\s+tai\s+chinh)\s+)?{y}\b"
_ASKING = re.compile(
    rf"\b(?:la\s+)?{_HOW_MANY}(?:\s+(?:diem\s+phan\s+tram|phan\s+tram|%|lan))?|\?|\b(?:thi|vay)\b\s*$"
)
# "nơi nào", "phường nào", "bên nào", "ai": the question word of a "which" question, and its noun.
_WHICH_PHRASE = re.compile(r"\b(?:(?:noi|ben|cai|don vi|phuong|xa|truong|hop dong|khoan)\s+)?(?:nao|ai)\b")
_EDGE_WORDS = re.compile(r"^(?:\s|,|cua|la|va|hay|thi|so voi|voi|trong|o|tai)+|(?:\s|,|cua|la|va|hay|thi)+$")
_DECIMALS_PERCENT = 1
_NAMES_MISSING = FEATURES.index("names_missing")
# Words a report labels planned figures with; a question that names neither gets the achieved one.
_PLAN_WORDS = frozenset({"kế", "hoạch", "dự", "toán", "ke", "hoach", "du", "toan"})


@dataclass(frozen=True)
class Side:
    label: str  # how the answer names it ("Quy Nhơn Nam", "dự toán"); "" when its quote says it
    question: str  # the question asked for this side alone
    mark: frozenset[str]  # words that tell this side's figure from the other's
    fallback: str = ""  # asked when `question` finds no figure bound to this side


@dataclass(frozen=True)
class Comparison:
    op: Op
    sides: tuple[Side, ...]
    places: bool  # the sides are places: each needs its own document
    more: bool = True  # "which": the larger wins ("cao hơn"), else the smaller ("thấp hơn")
    cue: str = ""  # "which": the comparison as the question words it ("cao hơn")


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    for s, e in sorted(spans, reverse=True):
        text = text[:s] + " " + text[e:]
    return " ".join(text.split())


def _tidy(text: str) -> str:
    """A phrase without the question's asking words and the joining words at its edges."""
    folded = fold(text)
    text = _cut(text, [m.span() for m in _ASKING.finditer(folded)])
    while True:
        folded = fold(text)
        m = _EDGE_WORDS.search(folded)
        if not m or m.start() == m.end():
            return text.strip(" ,")
        text = (text[: m.start()] + text[m.end() :]).strip()


def _ask(*parts: str) -> str:
    text = " ".join(p for p in (_tidy(x) for x in parts) if p)
    text = re.sub(r"(?i)\b(\w+)(\s+\1\b)+", r"\1", text)  # "ngân sách phường phường An Thịnh"
    # Asked the way it was typed: a question without diacritics stays without, so it is restored.
    return text + (" là bao nhiêu?" if has_diacritics(text) else " la bao nhieu?")


def _op(folded: str) -> tuple[Op, re.Match[str]] | None:
    if _WHICH_WORD.search(folded) and (m := _WHICH_CUE.search(folded)):
        return "which", m
    for op, cue in _CUES:
        if m := cue.search(folded):
            return op, m
    return None


def parse(question: Question, written_place: Callable[[str], str]) -> Comparison | None:
    """The comparison a question asks for, with its sides, or None when it asks for no computation
    (or its sides cannot be told apart: then the question is answered as any other)."""
    text = question.query.text  # as typed: each side's question is read (and restored) on its own
    # A closing aside "(số ước thực hiện)" qualifies the whole question: both sides are asked with it.
    aside = re.search(r"\s*\(([^()]*)\)\s*(\??)\s*$", text)
    if aside:
        text = text[: aside.start()] + aside[2]
    folded = fold(text)
    if len(folded) != len(text):
        return None  # positions below are read on the folded text
    found = _op(folded)
    if found is None and (span := _SPAN.search(folded)):
        noun = "tuổi" if span[1] == "tuoi" else "năm"
        return Comparison("span", (Side(noun, text, frozenset()),), False)
    if found is None and (per := _AVERAGE.search(folded)) and question.asked:
        unit = [w for w in per[1].split() if w not in ("co", "la", "duoc", "thi", "cua")][:2]
        if unit and set(unit) != set(question.asked):
            counted = Side(" ".join(question.asked), text, frozenset(words(" ".join(question.asked), False)))
            per_unit = Side(" ".join(unit), text, frozenset(unit))
            return Comparison("average", (counted, per_unit), False)
    if found is None:
        if len(question.localities) < 2 or not _EACH.search(folded):
            return None
        sides = _place_sides(text, folded, question, [], written_place, asking=True)
        return Comparison("each", tuple(sides), True) if sides else None
    op, cue = found
    more = not any(re.match(rf"{w}\b", cue[0]) for w in _LESS)
    cue_text = text[cue.start() : cue.end()]
    if op == "which":  # "nhiều đảng viên hơn": the words between are what is compared, kept
        adjective = re.match(r"\S+", folded[cue.start() :])
        cues = [
            (cue.start(), cue.start() + (adjective.end() if adjective else 0)),
            (cue.end() - 3, cue.end()),
        ]
        cue_text = f"{text[cues[0][0] : cues[0][1]]} hơn"
    else:
        cues = [m.span() for m in dict(_CUES)[op].finditer(folded)]
    places = False
    sides = _year_sides(text, folded, question, cues)
    if sides is None:
        sides = _place_sides(text, folded, question, cues, written_place)
        places = sides is not None
    if sides is None:
        sides = _phrase_sides(text, folded, op, cue, question.query.written, cues)
    if not sides or len(sides) < 2:
        return None
    if op == "which" and (compared := text[cues[0][1] : cues[1][0]].strip()):
        # "nhiều đảng viên hơn": each side is asked how many of what is compared
        sides = [replace(s, question=_counting(s.question, compared)) for s in sides]
    if aside:
        sides = [
            replace(s, question=_with(s.question, aside[1]), fallback=_with(s.fallback, aside[1]))
            for s in sides
        ]
    return Comparison(op, tuple(sides), places, more, cue_text)


def _counting(question: str, compared: str) -> str:
    """A side's question asking for a count of what is compared: "... có bao nhiêu đảng viên?"."""
    for asking in (" là bao nhiêu?", " la bao nhieu?"):
        if question.endswith(asking):
            return f"{question[: -len(asking)]} có bao nhiêu {compared}?"
    return question


def _with(question: str, aside: str) -> str:
    """A side's question with the whole question's aside, before its asking words."""
    if not question:
        return question
    head, sep, tail = (
        question.rpartition(" là bao nhiêu?")
        if " là bao" in question
        else question.rpartition(" la bao nhieu?")
    )
    return f"{head} {aside}{sep}{tail}" if sep else question


def _year_sides(text: str, folded: str, question: Question, cues: list[tuple[int, int]]) -> list[Side] | None:
    years = list(dict.fromkeys(question.years))
    if len(years) < 2:
        return None
    spans = [m.span() for y in years for m in re.finditer(_YEAR_AT.format(y=y), folded)]
    rest = _cut(text, [*spans, *cues])
    rest = _cut(rest, [m.span() for m in re.finditer(r"\b(?:nao|ai)\b", fold(rest))])
    return [Side("", _ask(rest, f"năm {y}"), frozenset({str(y)})) for y in years[:3]]


def _place_sides(
    text: str,
    folded: str,
    question: Question,
    cues: list[tuple[int, int]],
    written_place: Callable[[str], str],
    asking: bool = False,
) -> list[Side] | None:
    """One side per place the question names (a known locality), each asked about its own. With
    `asking`, each side keeps the question's own asking words ("ai", "là gì"): it is answered as the
    question is, not as a figure."""
    if len(question.localities) < 2:
        return None
    spans, names = [], []
    for key in question.localities:
        m = re.search(
            rf"(?:(?:phuong|xa|thi tran|huyen|quan|tinh|thanh pho)\s+)?\b{re.escape(key)}\b", folded
        )
        if m is None:
            return None
        before = re.search(r"(?:(?:va|hay|hoac|voi|so voi|cua|,)\s*)+$", folded[: m.start()])
        spans.append((before.start() if before else m.start(), m.end()))
        names.append(text[m.start() : m.end()])
    rest = _cut(text, [*spans, *cues])
    if not asking:
        rest = _cut(rest, [m.span() for m in _WHICH_PHRASE.finditer(fold(rest))]).strip(" ,")
    # What joined the places is left dangling: "tổng thu ngân sách của và của ," -> "tổng thu ngân sách".
    rest = re.sub(r"(?:\s*,)?(?:\s+(?:của|và|cua|va|hay|với|voi))+\s*(?=,|$)", "", rest).strip(" ,")
    # "Phường nào ..., Quy Nhơn hay Quy Nhơn Nam?": the kind goes with each name it was asked of.
    kind = re.match(
        r"(?:phường|xã|thị trấn|huyện|quận|tỉnh|phuong|xa|huyen|quan|tinh)\s+", rest, re.IGNORECASE
    )
    if kind:
        rest = rest[kind.end() :]
        names = [n if fold(n).startswith(fold(kind[0])) else f"{kind[0].strip().lower()} {n}" for n in names]
    if asking:
        rest = re.sub(r"(?:\s*,)?\s+(?:còn|con)\s*(?=[?,]|$)", "", rest.rstrip(" ?")).strip(" ,")
        return [
            Side(written_place(key), f"{rest} {name}?", frozenset())
            for key, name in zip(question.localities, names, strict=True)
        ]
    return [
        # No mark: each place's figure comes from its own document, found by its own question; its
        # name's words in a label would mislead ("Hòa Bình" against "bình quân").
        Side(written_place(key), _ask(rest, name), frozenset())
        for key, name in zip(question.localities, names, strict=True)
    ]


def _phrase_sides(
    text: str, folded: str, op: Op, cue: re.Match[str], written: bool, cues: list[tuple[int, int]]
) -> list[Side] | None:
    """Two phrases the question names: "giữa A và B", "A hay B", "A so với B", "A vượt B", "A chiếm
    ... B", "A gấp ... lần B", "tổng A và B". Where the sides qualify one indicator (two columns of a
    row: "dự toán" and "thực hiện"), both are asked with the whole question and told apart by their
    own words; where they are two indicators (a part and its total), each is asked on its own."""
    end = len(folded.rstrip(" ?"))
    whole = _cut(text, [cue.span()])
    if m := re.search(r"\bgiua\s+(.+?)\s+va\s+(.+?)(?=\s+(?:cua|o|tai|trong|la|nam|thi)\b|[,?]|$)", folded):
        a, b = text[m.start(1) : m.end(1)], text[m.start(2) : m.end(2)]
        whole = _cut(text, [cue.span(), (m.start(), m.start(1))])
        return _two(a, b, _ask(whole), _ask(whole), written)
    if op == "which" and (m := re.search(r",\s*([^,]+?)\s+(?:hay|hoac)\s+([^,?]+?)\s*\??\s*$", folded)):
        a, b = text[m.start(1) : m.end(1)], text[m.start(2) : m.end(2)]
        rest = _cut(text, [(m.start(), len(text)), *cues])
        rest = _cut(rest, [x.span() for x in re.finditer(r"\b(?:nao|ai)\b", fold(rest))])
        return _two(a, b, _ask(rest, a), _ask(rest, b), written)
    if op in ("difference", "change") and (m := re.search(r"\bso\s+voi\s+(.+?)\s*\??\s*$", folded)):
        a = text[: min(cue.start(), m.start())]
        b = text[m.start(1) : m.end(1)]
        return _two(a, b, _ask(a), _ask(b, a), written, _ask(b, _context(a, b)))
    if op == "difference" and (
        m := re.search(
            r"^(.+?)\s+(?:vuot|kem|(?:nhieu|it|cao|thap|lon|nho)\s+hon)\s+(.+?)\s+(?:la\s+)?" + _HOW_MANY,
            folded,
        )
    ):
        a, b = text[m.start(1) : m.end(1)], text[m.start(2) : m.end(2)]
        return _two(a, b, _ask(a), _ask(b, a), written, _ask(b, _context(a, b)))
    if op in ("share", "ratio"):
        a, b = text[: cue.start()], text[cue.end() : end]
        b = re.sub(r"^(?:\s*(?:của|trong|so với|cua|so voi)\s+)", "", b)
        if not _tidy(b):
            return None
        return _two(a, b, _ask(a, _context(b, a)), _ask(b, _context(a, b)), written)
    if op == "sum" and (m := re.search(r"^(.+?)\s+(?:va|cong)\s+(.+)$", folded[cue.end() : end])):
        off = cue.end()
        a, b = text[off + m.start(1) : off + m.end(1)], text[off + m.start(2) : off + m.end(2)]
        return _two(a, b, _ask(a, _context(b, a)), _ask(b, _context(a, b)), written)
    return None


_KIND = re.compile(
    r"\b(?:phường|xã|thị trấn|huyện|quận|tỉnh|thành phố|phuong|xa|huyen|quan|tinh)\s+", re.IGNORECASE
)


def _context(text: str, other: str) -> str:
    """The places ("xã An Phú": a kind and capitalised words) and years a phrase names that the other
    side does not, to ask it about the same ones."""
    found = []
    for m in _KIND.finditer(text):
        name = [m[0].strip()]
        for w in text[m.end() :].split():
            if not w[:1].isupper():
                break
            name.append(w.strip(",.?"))
        if len(name) > 1:
            found.append(" ".join(name))
    found += [m[0].lower() for m in re.finditer(r"(?i:năm|nam)\s+\d{4}\b", text)]  # "năm": not a name's
    has = fold(other)
    return " ".join(f for f in found if fold(f) not in has)


def _two(a: str, b: str, ask_a: str, ask_b: str, written: bool, fallback_b: str = "") -> list[Side] | None:
    """Two sides, each marked by its own words: not the other's, not the places and years both are
    asked about, not function words."""
    shared = words(_context(f"{a} {b}", ""), written)

    def own(phrase: str) -> set[str]:
        content = " ".join(w for w in match_words(_tidy(phrase), False) if w.lower() not in STOP_WRITTEN)
        return words(content, written) - shared

    wa, wb = own(a), own(b)
    if not wa or not wb or wa == wb:
        return None
    return [
        Side(_tidy(a), ask_a, frozenset(wa - wb) or frozenset(wa)),
        Side(_tidy(b), ask_b, frozenset(wb - wa) or frozenset(wb), fallback_b if fallback_b != ask_b else ""),
    ]


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
                unasked = {w.lower() for w in near} - set(question.terms) - side.mark - STOP_WRITTEN
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
        computed = _compute(comparison, [f.figure for f in found])
        if computed is None:
            return None
        lines.append(computed)
        return Draft("\n".join(lines), False, None), merged


def _numeral(q: Quantity) -> str:
    m = re.match(r"[0-9]+(?:[.,][0-9]+)*", q.text)
    return m[0] if m else q.text


def _unit_text(q: Quantity) -> str:
    return q.text[len(_numeral(q)) :].strip()


def _vn(d: Decimal, decimals: int) -> str:
    """A Decimal in Vietnamese notation: "1.234,5"."""
    d = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    whole, _, frac = f"{abs(d):f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    frac = frac.rstrip("0")
    return ("-" if d < 0 else "") + grouped + (f",{frac}" if frac else "")


_SCALE_WORDS = {10**3: "nghìn", 10**6: "triệu", 10**9: "tỷ"}
_MEASURES = frozenset({"đồng", "usd", "%", "ha", "km2", "km", "m2", "m3", "m", "tấn", "kg", "lần"})


@dataclass(frozen=True)
class _Term:
    written: str  # as the expression writes it: "348,5", or "318,6 tỷ" when scales differ
    value: Decimal  # in base units
    scale: Decimal  # what its numeral is multiplied by ("tỷ" -> 1e9)
    unit: str  # what follows the numeral and its scale word ("đồng", "%", "ha")
    decimals: int


def _terms(figures: list[Quantity], same_unit: bool = True) -> list[_Term] | None:
    """The operands, each as its document writes it; with its scale word only when the documents'
    scales differ ("318,6 Tỷ đồng" against "41.236 triệu đồng"), so the line recomputes as written."""
    raw = []
    for q in figures:
        numeral = _numeral(q)
        d = decimal_of(numeral)
        if d is None or q.value is None:
            return None
        scale = (Decimal(str(q.value)) / d).quantize(Decimal(1)) if d else Decimal(1)
        unit = _unit_text(q)
        word = _SCALE_WORDS.get(int(scale))
        if word and fold(unit).startswith(fold(word)):
            unit = unit[len(word) :].strip()
        raw.append((numeral, d, scale, unit, word))
    units = {r[3].lower() for r in raw}
    if same_unit and len(units) > 1 and (units & _MEASURES or "" in units):
        return None  # "ha" against "tấn": nothing to compute; "đảng viên" against "người" are both heads
    mixed = len({r[2] for r in raw}) > 1
    out = []
    for numeral, d, scale, unit, word in raw:
        if mixed and scale != 1 and not word:
            return None
        written = f"{numeral} {word}" if mixed and word else numeral
        out.append(
            _Term(written, d * scale, scale, unit, len(numeral.split(",", 1)[1]) if "," in numeral else 0)
        )
    return out


def _amount(value: Decimal, terms: list[_Term]) -> str:
    """A computed amount in the operands' scale (the smallest, when they differ), with its unit."""
    scale = min(t.scale for t in terms)
    decimals = max(t.decimals for t in terms)
    word = _SCALE_WORDS.get(int(scale), "") if scale != 1 else ""
    unit = " ".join(x for x in (word, terms[0].unit) if x)
    number = _vn(value / scale, decimals)
    return f"{number}{unit}" if unit.startswith("%") else f"{number} {unit}".rstrip()


def _compute(comparison: Comparison, figures: list[Quantity]) -> str | None:
    """The computation line: the operands as the documents write them, the result as it recomputes."""
    terms = _terms(figures, same_unit=comparison.op != "average")
    if terms is None:
        return None
    a, b = terms[0], terms[1]
    if comparison.op == "average":
        if b.value == 0 or a.scale != b.scale:
            return None
        unit = f" {a.unit}" if a.unit else ""
        return f"Bình quân: {a.written} / {b.written} = {_vn(a.value / b.value, _DECIMALS_PERCENT)}{unit}."
    if comparison.op == "which":
        pairs = list(zip(comparison.sides, terms, strict=False))
        pick = max if comparison.more else min
        win = pick(pairs, key=lambda t: t[1].value)
        lose = [t for t in pairs if t is not win]
        if any(t[1].value == win[1].value for t in lose):
            return f"So sánh: {' = '.join(t.written for t in terms)}: bằng nhau."
        sign = ">" if comparison.more else "<"
        chain = f" {sign} ".join(t[1].written for t in [win, *lose])
        return f"So sánh: {chain}, nên {win[0].label} {comparison.cue}."
    if comparison.op == "difference":
        big, small = (a, b) if a.value >= b.value else (b, a)
        return f"Chênh lệch: {big.written} - {small.written} = {_amount(big.value - small.value, terms)}."
    if comparison.op == "sum":
        total = sum((t.value for t in terms), Decimal(0))
        return f"Tổng: {' + '.join(t.written for t in terms)} = {_amount(total, terms)}."
    if b.value == 0:
        return None
    if comparison.op == "share":
        return f"Tỷ lệ: {a.written} / {b.written} = {_vn(a.value / b.value * 100, _DECIMALS_PERCENT)}%."
    if comparison.op == "ratio":
        return f"Gấp: {a.written} / {b.written} = {_vn(a.value / b.value, _DECIMALS_PERCENT)} lần."
    if a.scale != b.scale:
        return None
    change = (a.value - b.value) / b.value * 100
    return f"Thay đổi: ({a.written} - {b.written}) / {b.written} = {_vn(change, _DECIMALS_PERCENT)}%."


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
