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

from app.answer.base import ABSTAIN_TEXT, Draft
from app.answer.evidence import Clause, clauses_of
from app.answer.extractive import Candidate, ExtractiveAnswerer
from app.answer.question import STOP_WRITTEN, Question
from app.models import Passage
from app.retrieve import Query
from app.text import fold, match_words
from app.text.numbers import Quantity, decimal_of

Op = Literal["difference", "sum", "share", "ratio", "change", "which"]
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
            rf"\b(?:tang|giam)\s+(?:them\s+)?{_HOW_MANY}\b|\bchenh\s+lech\b"
            rf"|\b(?:(?:nhieu|it|cao|thap|lon|nho)\s+hon|vuot|kem)\s+(?:\S+\s+){{0,6}}?{_HOW_MANY}\b"
        ),
    ),
    ("sum", re.compile(r"\b(?:tong\s+cong|cong\s+lai|gop\s+lai|ca\s+hai)\b|^\s*tong\s+(?:cua\s+)?")),
)
_YEAR_AT = r"(?:(?:so\s+voi|voi|va|hay|hoac|,)\s+)?(?:(?:nam|nam\s+tai\s+chinh)\s+)?{y}\b"
_ASKING = re.compile(rf"\b(?:la\s+)?{_HOW_MANY}(?:\s+(?:phan tram|%|lan))?|\?|\b(?:thi|vay)\b\s*$")
_EDGE_WORDS = re.compile(r"^(?:\s|,|cua|la|va|hay|thi|so voi|voi|trong|o|tai)+|(?:\s|,|cua|la|va|hay|thi)+$")
_DECIMALS_PERCENT = 1


@dataclass(frozen=True)
class Side:
    label: str  # how the answer names it ("Quy Nhơn Nam", "dự toán"); "" when its quote says it
    question: str  # the question asked for this side alone
    mark: frozenset[str]  # folded words that tell this side's figure from the other's


@dataclass(frozen=True)
class Comparison:
    op: Op
    sides: tuple[Side, ...]
    places: bool  # the sides are places: each needs its own document
    more: bool = True  # "which": the larger wins ("cao hơn"), else the smaller ("thấp hơn")
    cue: str = ""  # "which": the comparison as the question words it ("cao hơn")


def _words(text: str, written: bool) -> set[str]:
    """Words as the question is compared: as written (lower case) when it has diacritics, so "bình
    quân" is not "Hòa Bình"; folded when it was typed without them."""
    return {w.lower() for w in match_words(text, not written)}


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
    return " ".join(p for p in (_tidy(x) for x in parts) if p) + " là bao nhiêu?"


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
    text = question.query.text if question.query.written else question.query.restored
    folded = fold(text)
    if len(folded) != len(text):
        return None  # positions below are read on the folded text
    found = _op(folded)
    if found is None:
        return None
    op, cue = found
    more = not any(re.match(rf"{w}\b", cue[0]) for w in _LESS)
    cue_text = text[cue.start() : cue.end()]
    cues = [m.span() for m in dict(_CUES)[op].finditer(folded)] if op != "which" else [cue.span()]
    places = False
    sides = _year_sides(text, folded, question, cues)
    if sides is None:
        sides = _place_sides(text, folded, question, cues, written_place)
        places = sides is not None
    if sides is None:
        sides = _phrase_sides(text, folded, op, cue, question.query.written)
    if not sides or len(sides) < 2:
        return None
    return Comparison(op, tuple(sides), places, more, cue_text)


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
) -> list[Side] | None:
    if len(question.localities) < 2:
        return None
    spans, names = [], []
    for key in question.localities:
        m = re.search(
            rf"(?:(?:phuong|xa|thi tran|huyen|quan|tinh|thanh pho)\s+)?\b{re.escape(key)}\b", folded
        )
        if m is None:
            return None
        before = re.search(r"(?:(?:va|hay|hoac|voi|so voi|,)\s*)$", folded[: m.start()])
        spans.append((before.start() if before else m.start(), m.end()))
        names.append(text[m.start() : m.end()])
    rest = _cut(text, [*spans, *cues])
    rest = _cut(rest, [m.span() for m in re.finditer(r"\b(?:nao|ai)\b", fold(rest))]).strip(" ,")
    # "Phường nào ..., Quy Nhơn hay Quy Nhơn Nam?": the kind goes with each name it was asked of.
    kind = re.match(
        r"(?:phường|xã|thị trấn|huyện|quận|tỉnh|phuong|xa|huyen|quan|tinh)\s+", rest, re.IGNORECASE
    )
    if kind:
        rest = rest[kind.end() :]
        names = [n if fold(n).startswith(fold(kind[0])) else f"{kind[0].strip().lower()} {n}" for n in names]
    return [
        # No mark: each place's figure comes from its own document, found by its own question; its
        # name's words in a label would mislead ("Hòa Bình" against "bình quân").
        Side(written_place(key), _ask(rest, name), frozenset())
        for key, name in zip(question.localities, names, strict=True)
    ]


def _phrase_sides(text: str, folded: str, op: Op, cue: re.Match[str], written: bool) -> list[Side] | None:
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
        rest = _cut(text, [(m.start(), len(text)), cue.span()])
        rest = _cut(rest, [x.span() for x in re.finditer(r"\b(?:nao|ai)\b", fold(rest))])
        return _two(a, b, _ask(rest, a), _ask(rest, b), written)
    if op in ("difference", "change") and (m := re.search(r"\bso\s+voi\s+(.+?)\s*\??\s*$", folded)):
        a = text[: min(cue.start(), m.start())]
        b = text[m.start(1) : m.end(1)]
        return _two(a, b, _ask(a), _ask(b, a), written)
    if op == "difference" and (
        m := re.search(
            r"^(.+?)\s+(?:vuot|kem|(?:nhieu|it|cao|thap|lon|nho)\s+hon)\s+(.+?)\s+(?:la\s+)?" + _HOW_MANY,
            folded,
        )
    ):
        a, b = text[m.start(1) : m.end(1)], text[m.start(2) : m.end(2)]
        return _two(a, b, _ask(a), _ask(b, a), written)
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
    found += [m[0] for m in re.finditer(r"(?i:năm|nam)\s+\d{4}\b", text)]
    has = fold(other)
    return " ".join(f for f in found if fold(f) not in has)


def _two(a: str, b: str, ask_a: str, ask_b: str, written: bool) -> list[Side] | None:
    """Two sides, each marked by its own words: not the other's, not the places and years both are
    asked about, not function words."""
    shared = _words(_context(f"{a} {b}", ""), written)

    def own(phrase: str) -> set[str]:
        content = " ".join(w for w in match_words(_tidy(phrase), False) if w.lower() not in STOP_WRITTEN)
        return _words(content, written) - shared

    wa, wb = own(a), own(b)
    if not wa or not wb or wa == wb:
        return None
    return [
        Side(_tidy(a), ask_a, frozenset(wa - wb) or frozenset(wa)),
        Side(_tidy(b), ask_b, frozenset(wb - wa) or frozenset(wb)),
    ]


@dataclass
class _Found:
    side: Side
    candidate: Candidate
    figure: Quantity
    passages: list[Passage]


def _label(clause: str, q: Quantity, previous_end: int, written: bool) -> set[str]:
    """The words that say what a figure is: in a table row, its column header (what follows the row
    label's " — "); in prose, the words since the previous figure, and the few right after it."""
    head = clause[previous_end : q.start]
    if " — " in head:
        head = head.rsplit(" — ", 1)[1]
    tail = re.split(r"[,;.:(]", clause[q.end : q.end + 40], maxsplit=1)[0]
    return _words(head, written) | {w.lower() for w in match_words(tail, not written)[:3]}


def _operand(
    candidate: Candidate, question: Question, side: Side, other: frozenset[str], percent: bool
) -> Quantity | None:
    """The figure of the side's best sentence that is bound to that side (see `_label`): the most of
    its own words and the fewest of the other side's, then the most of the question's words, then
    the clause the answerer chose. A figure bound to the other side only is never taken. Its offsets
    are within the sentence."""
    written = question.query.written
    best: tuple[tuple[int, int, int], Quantity] | None = None
    offset = 0
    for clause in _clauses(candidate):
        offset = candidate.sentence.find(clause.text, offset)
        previous = 0
        for q in clause.quantities:
            if q.kind in ("year", "date"):
                continue  # "Năm 2024: 1.186": the year is the next figure's label
            kind_ok = q.kind == "percent" if percent else q.kind == "number" and q.unit != "%"
            if kind_ok and q.value is not None:
                label = _label(clause.text, q, previous, written)
                key = (
                    len(label & side.mark) - len(label & other),
                    len(label & set(question.terms)),
                    int(clause.text == candidate.clause),
                )
                if best is None or key > best[0]:
                    best = (key, replace(q, start=offset + q.start, end=offset + q.end))
            previous = q.end
    if best is None or best[0][0] < 0:
        return None
    return best[1]


def _clauses(candidate: Candidate) -> tuple[Clause, ...]:
    """Every clause of the chosen sentence: a row's other columns may hold the side's figure."""
    return clauses_of(candidate.sentence)


class ComparisonAnswerer:
    """Answers a comparison from one best sentence per side, found by the extractive answerer."""

    mode = "extractive"

    def __init__(self, extractive: ExtractiveAnswerer) -> None:
        self.extractive = extractive

    def parse(self, query: Query) -> Comparison | None:
        question = self.extractive.analyse(query)
        known = self.extractive.checks.places.known
        return parse(question, lambda key: known.get(key, key))

    def answer(self, comparison: Comparison, search: Search) -> tuple[Draft, list[Passage]] | None:
        """The computed answer and the passages it numbers; None when the sides could not be told
        apart in what was found and the question should be answered as any other."""
        percent = comparison.op in ("difference", "which") and any(
            re.search(r"\b(?:ty le|ti le|phan tram)\b", fold(s.question)) for s in comparison.sides
        )
        found: list[_Found] = []
        for i, side in enumerate(comparison.sides):
            query, passages = search(side.question)
            question = self.extractive.analyse(query)
            best = self.extractive.best(question, passages)
            other = frozenset().union(*(s.mark for j, s in enumerate(comparison.sides) if j != i))
            figure = _operand(best[0], question, side, other - side.mark, percent) if best else None
            if figure is None:
                if comparison.places:
                    why = f"no passage gives the figure for {side.label or side.question}"
                    return Draft(ABSTAIN_TEXT, True, why), passages
                return None
            found.append(_Found(side, best[0], figure, passages))
        if len({(f.candidate.passage.chunk.chunk_id, f.figure.start) for f in found}) < len(found):
            return None  # both sides landed on one figure: nothing tells them apart
        return self._write(comparison, found)

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


def _compute(comparison: Comparison, figures: list[Quantity]) -> str | None:
    """The computation line: the operands as the documents write them, the result as it recomputes."""
    numerals = [_numeral(q) for q in figures]
    values = [decimal_of(n) for n in numerals]
    if any(v is None for v in values):
        return None
    units = {_unit_text(q) for q in figures}
    if len(units) > 1 and comparison.op not in ("share", "ratio"):
        return None  # "1,2 tỷ" against "850 triệu": not written out in one line
    a, b = values[0], values[1]
    unit = _unit_text(figures[0])
    decimals = max(len(n.split(",", 1)[1]) if "," in n else 0 for n in numerals)
    sep = "" if unit.startswith("%") or not unit else " "
    if comparison.op == "which":
        pairs = list(zip(comparison.sides, figures, values, strict=True))
        pick = max if comparison.more else min
        win = pick(pairs, key=lambda t: t[2])
        lose = [t for t in pairs if t is not win]
        if any(t[2] == win[2] for t in lose):
            return f"So sánh: {' = '.join(numerals)}: bằng nhau."
        sign = ">" if comparison.more else "<"
        chain = f" {sign} ".join(_numeral(t[1]) for t in [win, *lose])
        return f"So sánh: {chain}, nên {win[0].label} {comparison.cue}."
    if comparison.op == "difference":
        diff = abs(a - b)
        big, small = (numerals[0], numerals[1]) if a >= b else (numerals[1], numerals[0])
        return f"Chênh lệch: {big} - {small} = {_vn(diff, decimals)}{sep}{unit}."
    if comparison.op == "sum":
        total = sum((v for v in values if v is not None), Decimal(0))
        return f"Tổng: {' + '.join(numerals)} = {_vn(total, decimals)}{sep}{unit}."
    if b == 0:
        return None
    scale_a = Decimal(str(figures[0].value)) / a if a else Decimal(1)
    scale_b = Decimal(str(figures[1].value)) / b if b else Decimal(1)
    if scale_a != scale_b:
        return None  # written out, "1,2 / 850" would not say what was divided
    if comparison.op == "share":
        return f"Tỷ lệ: {numerals[0]} / {numerals[1]} = {_vn(a / b * 100, _DECIMALS_PERCENT)}%."
    if comparison.op == "ratio":
        return f"Gấp: {numerals[0]} / {numerals[1]} = {_vn(a / b, _DECIMALS_PERCENT)} lần."
    change = (a - b) / b * 100
    return f"Thay đổi: ({numerals[0]} - {numerals[1]}) / {numerals[1]} = {_vn(change, _DECIMALS_PERCENT)}%."
