"""Figures in Vietnamese text, parsed by value, so every figure an answer states can be checked against
the passage it cites.

Vietnamese notation: "." groups thousands and "," marks decimals ("348,5 tỷ" = 348.5e9, "4.985" = 4985).
Stripping non-digits would turn "348,5" into 3485, so numerals are parsed whole (babel, locale "vi").

Choices callers can rely on:
- `Quantity.text` is numeral + scale word + unit only; qualifiers before it ("hơn", "trên", "gần",
  "khoảng", "từ") are left out: "hơn 519 tỷ đồng" -> text "519 tỷ đồng".
- Year ranges ("2026-2030", "2025 - 2030") are kind "range" with value/high the years and unit None.
- Dates: "yyyy-mm-dd"; "--mm-dd" when no year is written (ISO 8601 month-day); "yyyy-mm" for "3/2024".
  A day-month ("11.7", "21/11", "11-12") is a date only after ngày/sáng/chiều/tối/trưa/đêm/hôm or right
  after another date joined by "-", "đến", "và" ("ngày 1.7 - 12.8" gives two dates).
- Ambiguous numerals ("11.7", "1.5" outside a date context) are kept as kind "number" with value None:
  the figure is there but has no trustworthy value, so it only matches verbatim in `figure_in_text`.
- A bare 4-digit integer 1900-2100 with no scale and no unit is kind "year"; "2000 người" is a number.
- Skipped, never figures: times ("19:52"), document codes ("57-NQ/TW", "123/QĐ-UBND"), digits glued to
  letters ("217B", the "2" of "km2", "COVID-19").
- Input is NFC; text typed without diacritics ("348,5 ty dong") is understood and gives the same units.
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date as _date
from decimal import Decimal
from functools import cache, lru_cache
from typing import Literal

from babel.numbers import NumberFormatError, parse_decimal

from app.profiles import Profile, active

Kind = Literal["number", "percent", "fraction", "range", "date", "year"]


@dataclass(frozen=True)
class Quantity:
    """One figure as found in a text; offsets let a checker point at it."""

    text: str  # the matched span exactly as written
    start: int
    end: int
    kind: Kind
    value: float | None  # base units: 348.5e9 for "348,5 tỷ đồng"; low end of a range; None for dates
    high: float | None = None  # range upper bound
    denominator: float | None = None  # fraction denominator
    unit: str | None = None  # canonical unit ("đồng", "%", "%/năm", "đảng viên"); None when none follows
    date: str | None = None  # kind "date": "yyyy-mm-dd", "--mm-dd" or "yyyy-mm"

    @property
    def period(self) -> bool:
        """A span of years ("2026 - 2030"), not an amount ("90 - 100 triệu đồng" is 9e7 and up)."""
        return self.kind == "range" and self.unit is None and 1900 <= (self.value or 0) <= 2100


SCALE_WORDS: dict[str, float] = {
    "nghìn": 1e3, "ngàn": 1e3, "triệu": 1e6, "tỷ": 1e9, "tỉ": 1e9,
    "nghin": 1e3, "ngan": 1e3, "trieu": 1e6, "ty": 1e9, "ti": 1e9,
}  # fmt: skip


def _fold(s: str) -> str:
    """Lower-case, diacritic-free, and the same length as `s`, so regex offsets on it index `s`."""
    out = []
    for ch in s:
        low = ch.lower() if len(ch.lower()) == 1 else ch
        dec = unicodedata.normalize("NFKD", low)
        base = dec[0] if dec and len(dec[0]) == 1 and all(unicodedata.combining(c) for c in dec[1:]) else low
        out.append("d" if base == "đ" else base)
    return "".join(out)


def _lexicon(words: dict[str, tuple[str, ...]]) -> tuple[dict[str, str], re.Pattern[str]]:
    """Spelling (as written, lower case, and folded) -> canonical, plus a regex over the folded forms."""
    table: dict[str, str] = {}
    for canon, aliases in words.items():
        for a in (canon, *aliases):
            table[a.lower()] = table[_fold(a)] = canon
    alts = sorted({_fold(k) for k in table}, key=len, reverse=True)  # longest first: "lượt khách" > "lượt"
    if not alts:
        return table, re.compile(r"(?!)")  # a profile without units: nothing is one
    # `(?!\w)`: a unit is a whole word ("ha" but not the "ha" of "hai").
    return table, re.compile("(?:" + "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in alts) + r")(?!\w)")


@dataclass(frozen=True)
class _Units:
    """The profile's units (its `units` part): spelling -> canonical unit, and rate denominators."""

    table: dict[str, str]
    rx: re.Pattern[str]
    per_table: dict[str, str]
    per_rx: re.Pattern[str]
    no_prefix: frozenset[str]  # "đồng" is not a kind of "đồng chí"


@cache
def _units(profile: Profile) -> _Units:
    part = profile.part("units")
    rates = part.get("rates", {})
    table, rx = _lexicon({canon: tuple(aliases) for canon, aliases in part.get("units", {}).items()})
    per_table, per_rx = _lexicon({p: () for p in rates.get("per", ())})
    return _Units(table, rx, per_table, per_rx, frozenset(rates.get("no_prefix", ())))


_SCALE_TABLE, _SCALE_RE = _lexicon({w: () for w in SCALE_WORDS})

_SP = r"[ \u00a0]"
_OPT_SP = re.compile(rf"{_SP}?")
_PCT = re.compile(rf"{_SP}?%")  # "99%", "93 %"
_START = re.compile(r"(?<![0-9])[0-9]")
_NUMERAL = re.compile(r"[0-9]+(?:[.,][0-9]+)*")  # digits with inner "." / "," groups: "1.234.567,8"
_SHAPE = re.compile(r"[0-9](?:[0-9.,]*[0-9])?")
_GLUED_BEFORE = re.compile(r"[^\W\d_]-?$")  # letter, or letter + "-", right before: "km2", "COVID-19"
_RUN = re.compile(r"[\w.,/-]*")  # what to skip after a glued or code-like numeral
# Document codes, matched on the original text because case matters: "57-NQ/TW", "05/2023/NĐ-CP".
_CODE = re.compile(r"[0-9]+(?:[./-][0-9]+)*[/-][A-ZĐ]{2,}(?![^\W\d_])(?:[/-][A-ZĐ]+)*")
_TIME = re.compile(r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?![0-9])")  # "19:52", skipped
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?![0-9])")  # "2025-12-11"
_DMY = re.compile(r"([0-9]{1,2})([./-])([0-9]{1,2})\2([0-9]{4})(?![0-9])")  # "22.12.2024", "15/03/2023"
# "15 tháng 8 năm 1962", "ngày 11 tháng 12" (folded): the way official letters write dates.
_DMY_WORDS = re.compile(r"([0-9]{1,2})\s+thang\s+([0-9]{1,2})(?:\s*,?\s*nam\s+([0-9]{4}))?(?![0-9])")
_MY = re.compile(r"([0-9]{1,2})/([0-9]{4})(?![0-9]|[./][0-9])")  # "3/2024" = March 2024
_DM = re.compile(r"([0-9]{1,2})([./-])([0-9]{1,2})(?![0-9]|[./-][0-9])")  # "11.7", "21/11": needs context
# The word before a day-month that makes it a date ("Sáng 21/11", "ngày 15/3"), on folded text.
_YEAR_CUE = re.compile(r"\bnam\s+$")
_DATE_CUE = re.compile(r"\b(?:ngay|sang|chieu|toi|trua|dem|hom)\s+$")
_DATE_LINK = re.compile(r"\s*(?:[-–—,]|den|toi|va)\s*")  # between two dates: "1.7 - 12.8"
_DASH = re.compile(rf"{_SP}*[-–—]{_SP}*")
_INT = r"[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+"  # an integer, maybe dot-grouped: "1.500"
_FRACTION = re.compile(rf"({_INT})/({_INT})(?![0-9]|[./,][0-9])")  # "20/21", "4/135"; not "1/2/3"


def _decimal(s: str) -> Decimal | None:
    """Vietnamese-notation numeral -> Decimal; None when the grouping is not Vietnamese ("11.7")."""
    if not _SHAPE.fullmatch(s):
        return None  # babel alone would accept ",5", "1," and "-5"
    try:
        return parse_decimal(s, locale="vi", strict=True)  # strict: dot groups must be 3 digits
    except NumberFormatError:
        return None


def decimal_of(s: str) -> Decimal | None:
    """A bare numeral as an exact Decimal, read the Vietnamese way (for arithmetic that must recompute)."""
    return _decimal(s.strip())


def parse_number(s: str) -> float | None:
    """A bare numeral read the Vietnamese way, so "348,5" is 348.5 and "4.985" is 4985, never 3485/4.985."""
    d = _decimal(s.strip())
    return None if d is None else float(d)


def _scale(text: str, f: str, pos: int) -> tuple[int, int]:
    """Scale words after a numeral ("tỷ", "nghìn tỷ"): their end and the product; (pos, 1) if none."""
    factor = 1
    for _ in range(2):
        w = _SCALE_RE.match(f, _OPT_SP.match(f, pos).end())
        if not w or text[w.start() : w.end()].lower() not in _SCALE_TABLE:  # "tí" (a little) is no scale
            break
        factor *= int(SCALE_WORDS[_SCALE_TABLE[text[w.start() : w.end()].lower()]])
        pos = w.end()
    return pos, factor


def _word(text: str, f: str, pos: int, rx: re.Pattern[str], table: dict[str, str]) -> tuple[int, str] | None:
    m = rx.match(f, pos)
    # Look the spelling up as written: "đông" (winter) folds like "đồng" but is not a unit.
    key = " ".join(text[pos : m.end()].lower().split()) if m else ""
    return (m.end(), table[key]) if m and key in table else None


def _tail(text: str, f: str, pos: int) -> tuple[int, str | None]:
    """A percent sign or a unit after a numeral, with rate denominators: ("%/năm", "đồng/người/năm")."""
    units = _units(active())
    if m := _PCT.match(f, pos):
        end, unit = m.end(), "%"
    else:
        hit = _word(text, f, _OPT_SP.match(f, pos).end(), units.rx, units.table)
        if not hit:
            return pos, None
        end, unit = hit
    while f[end : end + 1] == "/" and (per := _word(text, f, end + 1, units.per_rx, units.per_table)):
        end, unit = per[0], f"{unit}/{per[1]}"
    return end, unit


def _iso(y: int | None, mo: int, d: int | None) -> str | None:
    """Normalised date string, or None when the parts are not a calendar date."""
    try:
        _date(y or 2000, mo, d or 1)  # 2000: a leap year, so "29.2" without a year is allowed
    except ValueError:
        return None
    if y is not None and not 1900 <= y <= 2100:
        return None
    if y is None:
        return f"--{mo:02d}-{d:02d}"
    return f"{y:04d}-{mo:02d}" if d is None else f"{y:04d}-{mo:02d}-{d:02d}"


def _date_at(f: str, i: int, in_context: bool) -> tuple[int, str] | None:
    if m := _ISO.match(f, i):
        iso = _iso(int(m[1]), int(m[2]), int(m[3]))
    elif m := _DMY.match(f, i):
        iso = _iso(int(m[4]), int(m[3]), int(m[1]))
    elif (m := _DMY_WORDS.match(f, i)) and (m[3] or in_context):
        iso = _iso(int(m[3]) if m[3] else None, int(m[2]), int(m[1]))
    elif m := _MY.match(f, i):
        iso = _iso(int(m[2]), int(m[1]), None)
    elif in_context and (m := _DM.match(f, i)):
        iso = _iso(None, int(m[3]), int(m[1]))
    else:
        return None
    return (m.end(), iso) if iso else None


def _read(text: str, f: str, i: int, in_context: bool) -> tuple[Quantity | None, int]:
    """The figure starting at digit `i`, and where scanning resumes."""
    if i and _GLUED_BEFORE.search(f, max(0, i - 2), i):
        return None, _RUN.match(f, i).end()
    if m := (_CODE.match(text, i) or _TIME.match(f, i)):
        return None, m.end()
    if d := _date_at(f, i, in_context):
        return Quantity(text[i : d[0]], i, d[0], "date", None, date=d[1]), d[0]
    num = _NUMERAL.match(f, i)
    a = _decimal(num[0])
    after_a, fa = _scale(text, f, num.end())
    # Range "90 - 100 triệu đồng": a scale after the second numeral applies to both.
    if a is not None and (dash := _DASH.match(f, after_a)) and (nb := _NUMERAL.match(f, dash.end())):
        b, (after_b, fb) = _decimal(nb[0]), _scale(text, f, nb.end())
        if b is not None and (fa == 1 or fb != 1) and a * (fa if fa != 1 else fb) < b * fb:
            end, unit = _tail(text, f, after_b)
            if not (end == after_b and f[end : end + 1].isalnum()):
                lo, hi = float(a * (fa if fa != 1 else fb)), float(b * fb)
                return Quantity(text[i:end], i, end, "range", lo, high=hi, unit=unit), end
    if (fr := _FRACTION.match(f, i)) and (den := _decimal(fr[2])):
        end, unit = _tail(text, f, fr.end())
        if not (end == fr.end() and f[end : end + 1].isalnum()):
            num_ = float(Decimal(fr[1].replace(".", "")))
            return Quantity(text[i:end], i, end, "fraction", num_, denominator=float(den), unit=unit), end
    if fa == 1 and len(num[0]) == 4 and a is not None and 1000 <= a <= 2100 and _YEAR_CUE.search(f, 0, i):
        # "năm 2025 phường Quy Nhơn", "năm 1871": after "năm" it is a year, of any era, whatever follows
        return Quantity(text[i : num.end()], i, num.end(), "year", float(a)), num.end()
    end, unit = _tail(text, f, after_a)
    if end == after_a and f[end : end + 1].isalnum():  # "217B", "5G": a name, not a figure
        return None, _RUN.match(f, i).end()
    value = None if a is None else float(a * fa)
    kind: Kind = "number"
    if unit and unit.startswith("%"):
        kind = "percent"
    elif value is not None and fa == 1 and unit is None and len(num[0]) == 4 and 1900 <= value <= 2100:
        kind = "year"
    return Quantity(text[i:end], i, end, kind, value, unit=unit), end


def extract_quantities(text: str) -> list[Quantity]:
    """Every figure in `text`, in order and non-overlapping, each with the exact span it came from."""
    f = _fold(text)
    out: list[Quantity] = []
    pos, last_date_end = 0, -1
    while m := _START.search(f, pos):
        i = m.start()
        chained = last_date_end >= 0 and _DATE_LINK.fullmatch(f, last_date_end, i) is not None
        q, pos = _read(text, f, i, chained or bool(_DATE_CUE.search(f, max(0, i - 12), i)))
        if q is not None:
            out.append(q)
            last_date_end = q.end if q.kind == "date" else -1
    return out


_FAMILY = {"number": "n", "year": "n", "percent": "p", "fraction": "f", "range": "r", "date": "d"}


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9))


def _units_compatible(u: str | None, v: str | None) -> bool:
    """A missing unit never blocks; otherwise the head units (before "/") agree, or one narrows the
    other ("lượt" / "lượt khách"), so "%/năm" is still "%" but "đồng" is never "USD"."""
    if not u or not v:
        return True
    short, long = sorted((u.split("/")[0], v.split("/")[0]), key=len)
    return short == long or (short not in _units(active()).no_prefix and long.startswith(short + " "))


def quantities_match(a: Quantity, b: Quantity) -> bool:
    """Same figure by value, so "348,5 tỷ đồng" == "348,5 ty dong" but != "348,5 triệu" or "3485 tỷ"."""
    if _FAMILY[a.kind] != _FAMILY[b.kind]:
        return False
    if a.kind == "date":
        return a.date is not None and a.date == b.date
    if a.value is None or b.value is None:
        return False
    return (
        _close(a.value, b.value)
        and _close(a.high, b.high)
        and _close(a.denominator, b.denominator)
        and _units_compatible(a.unit, b.unit)
    )


def _numeral(s: str) -> str:
    m = _NUMERAL.match(s)
    return m[0] if m else ""


def passage_quantities(text: str) -> tuple[Quantity, ...]:
    """Passages are checked again and again (every answer citing them): parse each once."""
    return _parsed(text, active())


@lru_cache(maxsize=4096)
def _parsed(text: str, profile: Profile) -> tuple[Quantity, ...]:  # the profile's units read them
    return tuple(extract_quantities(text))


def figure_in_text(q: Quantity, text: str) -> bool:
    """Whether a passage supports a figure from an answer. Beyond `quantities_match`, an answer quoting
    the bare numeral ("348,5" for "348,5 tỷ đồng") or a day-month of a dated passage is still quoting it."""
    found = passage_quantities(text)
    if any(quantities_match(q, p) for p in found):
        return True
    if q.kind == "date" and q.date and q.date.startswith("--"):
        return any(p.kind == "date" and p.date and p.date.endswith(q.date[1:]) for p in found)
    if q.kind in ("number", "year") and q.unit is None and q.text == _numeral(q.text):
        return any(
            (_numeral(p.text) == q.text and (p.kind in ("number", "percent", "year") or p.text == q.text))
            or (p.kind == "range" and q.text in _NUMERAL.findall(p.text))  # an end of "1734 – 1802"
            for p in found
        )
    return False


_APPROX = re.compile(r"(?:khoang|gan|hon|xap xi|tren|uoc|chung|~|≈)\s*$")


def approximate(text: str, q: Quantity) -> bool:
    """Whether `text` says the figure at `q` is rounded: "khoảng 348 tỷ", "gần 8,3%", "hơn 4.900"."""
    return bool(_APPROX.search(_fold(text[max(0, q.start - 12) : q.start])))


def rounding_of(q: Quantity, text: str) -> Quantity | None:
    """The figure of `text` that an approximate figure rounds: "khoảng 348 tỷ đồng" for "348,5 tỷ
    đồng", "8,3%" for "8,26%". Within one unit of the rounded figure's last digit (either rounding
    rule), of the same kind and unit, and within 5% of it (so "khoảng 3" is not any small number)."""
    if q.kind not in ("number", "percent") or q.value is None:
        return None
    numeral = _numeral(q.text)
    d = _decimal(numeral)
    if d is None or d == 0:
        return None
    decimals = len(numeral.split(",")[1]) if "," in numeral else 0
    step = 10.0**-decimals * (q.value / float(d))  # one unit of the last digit, at the figure's scale
    for p in passage_quantities(text):
        if _FAMILY[p.kind] != _FAMILY[q.kind] or p.value is None or not _units_compatible(p.unit, q.unit):
            continue
        if abs(p.value - q.value) <= step * (1 + 1e-9) and abs(p.value - q.value) <= 0.05 * abs(p.value):
            return p
    return None
