"""The computation line of a comparison: "Chênh lệch: 41.236 - 38.450 = 2.786 triệu đồng."

The operands are written as their documents write them (with their scale words when the documents'
scales differ: "318,6 tỷ / 41.236 triệu"), so `app.ground.arithmetic` can find each in its passage
and recompute the result. Differences and sums are exact; shares, ratios, changes and averages have
one decimal, rounded half up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.answer.comparison_question import Comparison
from app.answer.question import MEASURES
from app.text import fold
from app.text.numbers import Quantity, decimal_of

_DECIMALS_PERCENT = 1


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
    measures = {u for u in units if fold(u) in MEASURES or u in ("%", "lần")}
    if same_unit and len(units) > 1 and (measures or "" in units):
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


def compute(comparison: Comparison, figures: list[Quantity]) -> str | None:
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
