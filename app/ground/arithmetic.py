"""Figures an answer computes rather than quotes: "348,5 - 310,2 = 38,3 tỷ đồng", "4.236 / 38.450 = 11%".

A computed figure stands in no passage, so it cannot be checked by looking it up. It is checked by
doing the sum again: the operands must each be a figure of a passage the answer cites, and the
result must be what they give, at the precision the answer writes it (one decimal: rounded half
up; "khoảng" / "≈": within one unit of its last digit). A wrong total is refused like a made-up figure.

Two ways of stating one are read:
- written out, as the service itself writes it: `A - B = R`, `A + B + C = R`, `A / B = R%` (a
  share: the ratio times 100), `(A - B) / B = R%` (a percent change), `A / B = R lần`, and the
  comparisons `A > B` / `A < B`;
- said in words, as a model writes it: "... 348,5 tỷ đồng [1] ... 310,2 tỷ đồng [2], tăng 38,3 tỷ
  đồng": a figure no passage holds is accepted when it is the difference, sum, share or percent
  change of two figures the same answer states and verifies, and a word for that computation is
  right before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.text import fold
from app.text.numbers import Quantity, decimal_of, extract_quantities

_NUM = r"[0-9]+(?:[.,][0-9]+)*"
# An operand may carry its scale word, so two documents' figures compare as written: "318,6 tỷ >
# 41.236 triệu".
_SCALES = {"nghìn": 1000, "ngàn": 1000, "triệu": 10**6, "tỷ": 10**9, "tỉ": 10**9}
_SCALED = rf"{_NUM}(?:\s+(?:{'|'.join(_SCALES)})(?!\w))?"
_OP = r"[-−–+×x*:/]"
# One expression: numerals, operators, brackets, then "=" (or "≈") and the result with its unit
# (what follows up to the end of the clause), or a comparison of two numerals.
_EXPR = re.compile(
    rf"(?<![\w.,])(?P<lhs>\(?\s*{_SCALED}(?:\s*\)?\s*{_OP}\s*\(?\s*{_SCALED}\s*\)?)+)"
    rf"\s*(?P<eq>=|≈|~)\s*(?P<about>(?:khoảng|xấp xỉ|gần)\s+)?(?P<res>{_NUM})"
)
_COMPARE = re.compile(rf"(?<![\w.,])(?P<a>{_SCALED})\s*(?P<op>[<>])\s*(?P<b>{_SCALED})(?!\w|[.,][0-9])")
_TOKEN = re.compile(rf"\s*({_SCALED}|[-−–+×x*:/()])")


def _scaled(token: str) -> Decimal | None:
    """A numeral with its scale word, as an exact Decimal: "318,6 tỷ" -> 318600000000."""
    numeral, _, scale = token.partition(" ")
    d = decimal_of(numeral)
    return None if d is None else d * _SCALES.get(scale.strip(), 1)


class _Bad(ValueError):
    pass


def _evaluate(expr: str) -> tuple[Decimal, list[str], bool]:
    """The exact value of an arithmetic expression in Vietnamese numerals, its numerals, and whether
    it divides. A tiny recursive-descent reader: only numbers, + - × / and brackets, never `eval`."""
    tokens = [m[1] for m in _TOKEN.finditer(expr)]
    if "".join(t.replace(" ", "") for t in tokens) != re.sub(r"\s+", "", expr):
        raise _Bad(expr)
    pos = 0
    numerals: list[str] = []
    divides = False

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def atom() -> Decimal:
        t = take() if peek() is not None else ""
        if t == "(":
            v = total()
            if take() != ")":
                raise _Bad(expr)
            return v
        d = _scaled(t)
        if d is None:
            raise _Bad(t)
        numerals.append(t)
        return d

    def product() -> Decimal:
        nonlocal divides
        v = atom()
        while peek() in ("×", "x", "*", ":", "/"):
            op = take()
            w = atom()
            if op in (":", "/"):
                if w == 0:
                    raise _Bad(expr)
                divides = True
                v = v / w
            else:
                v = v * w
        return v

    def total() -> Decimal:
        v = product()
        while peek() in ("+", "-", "−", "–"):
            op = take()
            w = product()
            v = v + w if op == "+" else v - w
        return v

    try:
        value = total()
    except (IndexError, InvalidOperation) as exc:
        raise _Bad(expr) from exc
    if pos != len(tokens):
        raise _Bad(expr)
    return value, numerals, divides


def _decimals(numeral: str) -> int:
    return len(numeral.split(",", 1)[1]) if "," in numeral else 0


def recomputes(exact: Decimal, stated: Decimal, decimals: int, approximate: bool) -> bool:
    """Whether `stated` is `exact` written to `decimals` places (half up), or within one unit of its
    last place when the answer says it is approximate."""
    step = Decimal(1).scaleb(-decimals)
    if approximate:
        return abs(exact - stated) <= step
    return exact.quantize(step, rounding=ROUND_HALF_UP) == stated


@dataclass(frozen=True)
class Computation:
    """One computation written in an answer: where it is, its operands (as written) and result."""

    start: int
    end: int
    operands: tuple[str, ...]
    result: Quantity | None  # None for a comparison ("420 > 348,5")
    correct: bool


def computations(text: str) -> list[Computation]:
    """Every written-out computation of `text`, each with whether its result is right."""
    out: list[Computation] = []
    for m in _EXPR.finditer(text):
        try:
            exact, numerals, divides = _evaluate(m["lhs"])
        except _Bad:
            continue
        # The result with its unit and scale, read as any figure is ("38,3 tỷ đồng", "11%").
        found = extract_quantities(text[m.start("res") :])
        if not found or found[0].start != 0:
            continue
        result = found[0]
        stated = decimal_of(m["res"])
        if stated is None:
            continue
        if result.unit == "%" and divides and "100" not in numerals:
            exact *= 100  # "4.236 / 38.450 = 11%": a share is written as a percentage
        elif (
            result.kind == "number"
            and result.value is not None
            and stated
            and any(" " in n for n in numerals)
        ):
            # Operands with scale words are in base units; the result is read in its own scale
            # ("1,2 tỷ - 850 triệu = 350 triệu đồng"). Bare operands share the result's scale.
            exact /= Decimal(str(result.value)) / stated
        approximate = m["eq"] != "=" or bool(m["about"])
        ok = recomputes(exact, stated, _decimals(m["res"]), approximate)
        end = m.start("res") + result.end
        shifted = Quantity(
            result.text,
            m.start("res"),
            end,
            result.kind,
            result.value,
            result.high,
            result.denominator,
            result.unit,
            result.date,
        )
        out.append(Computation(m.start(), end, tuple(numerals), shifted, ok))
    taken = [(c.start, c.end) for c in out]
    for m in _COMPARE.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        a, b = _scaled(m["a"]), _scaled(m["b"])
        if a is None or b is None:
            continue
        ok = a > b if m["op"] == ">" else a < b
        out.append(Computation(m.start(), m.end(), (m["a"], m["b"]), None, ok))
    return sorted(out, key=lambda c: c.start)


# Words that say a figure was computed from others, right before it: "tăng 38,3 tỷ", "chênh lệch
# 12 ha", "tổng cộng 1.200", "chiếm 11%", "gấp 2,5 lần", "nhiều hơn 300".
_DERIVED_CUE = re.compile(
    r"(?:tang|giam|chenh lech|tong cong|tong|cong lai|chiem|gap|hon|kem|vuot|thap hon|cao hon)"
    r"(?:\s+(?:them|khoang|la|duoc|xap xi|gan|muc|so voi|\w+\s+la))?\s*$"
)
_APPROXIMATE = re.compile(r"(?:khoang|xap xi|gan|~|≈)\s*$")


def derived(q: Quantity, text: str, verified: list[Quantity]) -> bool:
    """Whether a figure no passage holds is a computation of two figures the answer verified: the
    difference, sum, ratio ("lần"), share or percent change. Only when the words right before it say
    it was computed, so a figure that merely happens to equal a sum is still refused."""
    before = fold(text[max(0, q.start - 40) : q.start])
    if q.value is None or not _DERIVED_CUE.search(before):
        return False
    approximate = bool(_APPROXIMATE.search(before))
    numeral = re.match(_NUM, q.text)
    if numeral is None:
        return False
    stated = decimal_of(numeral[0])
    if stated is None:
        return False
    decimals = _decimals(numeral[0])
    # The stated figure's scale: its value over its numeral ("38,3 tỷ" -> 1e9).
    scale = Decimal(str(q.value)) / stated if stated else Decimal(1)
    # Amounts are computed from figures of their own unit (a count of "sản phẩm" is not summed from
    # "3 sao"); a percentage or a ratio from any two amounts.
    amount = q.kind == "number" and q.unit not in (None, "lần")
    values = [
        Decimal(str(v.value))
        for v in verified
        if v.value is not None and v.kind == "number" and (not amount or v.unit == q.unit)
    ]
    percents = [Decimal(str(v.value)) for v in verified if v.value is not None and v.kind == "percent"]
    candidates: list[Decimal] = []
    if q.kind == "percent":
        for a in values:
            for b in values:
                if a is not b and b:
                    candidates += [a / b * 100, (a - b) / b * 100]
        candidates += [abs(a - b) for a in percents for b in percents if a is not b]
    elif q.unit == "lần" or "lan" in fold(text[q.end : q.end + 5]):
        candidates += [a / b for a in values for b in values if a is not b and b]
    elif scale:
        candidates += [abs(a - b) / scale for a in values for b in values if a is not b]
        candidates += [(a + b) / scale for i, a in enumerate(values) for b in values[i + 1 :]]
        if len(values) > 2:
            candidates.append(sum(values, Decimal(0)) / scale)
    return any(recomputes(abs(c), stated, decimals, approximate) for c in candidates)


_TOTAL_CUE = re.compile(r"(?:tong cong|cong lai|tat ca|tong so|tong)\s*(?:la|co|gom|duoc)?\s*$")


def wrong_total(q: Quantity, text: str, earlier: list[Quantity]) -> bool:
    """Whether a figure the answer gives as a total ("Tổng cộng 11 sản phẩm") after two or more figures
    of the same unit is not their sum. It may stand in a passage as another figure; as the total of
    what the answer listed, it must add up."""
    if q.value is None or not _TOTAL_CUE.search(fold(text[max(0, q.start - 20) : q.start])):
        return False
    parts = [
        e
        for e in earlier
        if e.value is not None and e.kind == q.kind and (e.unit or None) == (q.unit or None)
    ]
    if len(parts) < 2:
        return False
    total = sum(Decimal(str(e.value)) for e in parts)
    return abs(total - Decimal(str(q.value))) > Decimal("1e-9") * max(abs(total), Decimal(1))
