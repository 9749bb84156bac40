"""What a comparison question asks: its operation, and its sides, each with the question to ask it.

"Thu ngân sách năm 2025 tăng bao nhiêu so với năm 2024?" is a difference with two sides, the years;
"Phường nào thu ngân sách cao hơn, Quy Nhơn hay Quy Nhơn Nam?" a "which" with two places; "Chênh lệch
giữa dự toán và thực hiện …?" a difference between two phrases. Each side gets a question of its own
("… năm 2024 là bao nhiêu?") and the words that tell its figure from the other side's. A question
that asks for no computation, or whose sides cannot be told apart, reads as None and is answered
as any other (`app.answer.comparison` answers the rest).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from app.answer.question import Question, stop_written
from app.ground.binding import words
from app.text import fold, has_diacritics, match_words

Op = Literal["difference", "sum", "share", "ratio", "change", "which", "each", "average", "span"]
# "thọ bao nhiêu tuổi", "được xây dựng trong bao nhiêu năm": the years between two years one sentence gives.
_SPAN = re.compile(r"\b(?:bao nhieu|may)\s+(nam|tuoi)\b")
# "Bình quân mỗi chi bộ có bao nhiêu đảng viên?": a count over a count, both in one passage.
_AVERAGE = re.compile(r"\b(?:binh quan|trung binh)\s+(?:moi|mot|1)\s+(\w+(?:\s+\w+)?)")
# "X của phường A và của phường B?", "Ai là Bí thư phường A, còn phường B?": one answer per place.
_EACH = re.compile(r"\b(?:va|con|moi noi|moi phuong|moi xa|tung)\b")

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
        content = " ".join(w for w in match_words(_tidy(phrase), False) if w.lower() not in stop_written())
        return words(content, written) - shared

    wa, wb = own(a), own(b)
    if not wa or not wb or wa == wb:
        return None
    return [
        Side(_tidy(a), ask_a, frozenset(wa - wb) or frozenset(wa)),
        Side(_tidy(b), ask_b, frozenset(wb - wa) or frozenset(wb), fallback_b if fallback_b != ask_b else ""),
    ]
