"""What kind of answer a question asks for, and whether a piece of text holds one.

Genre-neutral: a figure is any number, a time any date, year (of any era: "năm 938", "thế kỷ XV"),
or period; a person or organisation any run of capitalised words, not a list of surnames. Used by
the extractive answerer to score sentences and by the LLM validator to check answers.
"""

from __future__ import annotations

import re
from typing import Literal

from app.text import canonical, fold
from app.text.numbers import Quantity

Kind = Literal["figure", "money", "percent", "when", "who", "where", "why", "how", "list", "yes_no", "other"]

# Read over the folded question (so a question typed without diacritics is read the same), in order:
# the first that matches decides. Those marked `_WRITTEN` are read with diacritics instead.
_FOLDED, _WRITTEN = False, True
_ASKS: tuple[tuple[Kind, re.Pattern[str], bool], ...] = (
    (
        "when",
        re.compile(
            r"\b(khi nao|ngay nao|bao gio|thang nao|nam nao|thoi gian nao|luc nao|nhiem ky nao|"
            r"thoi diem nao|the ky nao|thoi ky nao|giai doan nao|dien ra ngay|vao ngay|thoi han nao)\b"
        ),
        _FOLDED,
    ),
    (
        "who",
        re.compile(r"\b(la ai|ai la|nhung ai|ai da|ai duoc|ai co|ten la gi|ho ten|ten gi)\b|^ai\b"),
        _FOLDED,
    ),
    # A rate of growth is a percentage: "tốc độ tăng giá trị sản phẩm đạt bao nhiêu" is not money.
    ("percent", re.compile(r"\b(ty le|phan tram|toc do tang)\b|%"), _FOLDED),
    # Money is read as written: folded, "giá" (price) is "gia" as in "gia đình", "tham gia"; "lương
    # thực" is food, not pay.
    (
        "money",
        re.compile(
            r"\b(bao nhiêu tiền|tiền \w+ (là )?bao nhiêu|(mức )?(lương(?! thực)|phí|giá|kinh phí|"
            r"chi phí|học phí|lệ phí|giá trị|giá thuê|giá bán|tiền \w+)( \w+){0,10} (là |bao |ở )?"
            r"(bao nhiêu|mức nào))\b"
        ),
        _WRITTEN,
    ),
    ("figure", re.compile(r"\b(bao nhieu|muc nao|so luong|dat bao)\b"), _FOLDED),
    # "mấy" as written: folded, it is "máy" (a machine: "nhà máy", "máy tính").
    ("figure", re.compile(r"\bmấy\b"), _WRITTEN),
    (
        "where",
        re.compile(r"\b(o dau|tai dau|noi nao|cho nao|dia diem nao|dia ban nao|vung nao|khu vuc nao)\b"),
        _FOLDED,
    ),
    # "đến đâu", "ra đâu", "về đâu" as written: folded, "đâu" is also "đầu" (first, head), "dầu" (oil).
    ("where", re.compile(r"(?<!vì )\bđâu\b"), _WRITTEN),
    (
        "why",
        re.compile(r"\b(vi sao|tai sao|ly do|nguyen nhan|vi dau|de lam gi|nham muc dich gi|muc dich)\b"),
        _FOLDED,
    ),
    (
        "how",
        re.compile(r"\b(nhu the nao|the nao|bang cach nao|ra sao|cach nao|thu tuc|trinh tu|cac buoc)\b"),
        _FOLDED,
    ),
    (
        "list",
        re.compile(
            r"\b((nhung|cac)( \w+){1,4} (nao|gi)|gom nhung|bao gom nhung|gom co|gom nhung gi|nhung gi)\b|"
            r"^nhung\b.* la gi\b"
        ),
        _FOLDED,
    ),
    (
        "yes_no",
        re.compile(r"\b(co (?:\w+ ){0,12}(khong|chua))\s*\??$|\b(phai khong|dung khong|hay khong)\b"),
        _FOLDED,
    ),
)

# A time in words: "thế kỷ XV", "thập niên 1990", "năm 938", "thời Lý", "triều Nguyễn", "ngày 10",
# a month of the lunar calendar ("tháng Tư âm lịch", "tháng Giêng"), a year of the sexagenary cycle
# ("năm Ất Dậu"), a year in brackets after an event ("(1285)"), a season ("mùa xuân").
_TIME_WORDS = re.compile(
    r"\b(?i:thế kỷ|thế kỉ)\s+[IVXLC\d]+|\b(?i:thập niên|năm|nam)\s+\d{2,4}\b|"
    r"\b(?:thời|triều|đời|niên hiệu)\s+[A-ZĐÀ-Ỹ]|\b(?i:ngày|đêm|sáng|chiều|tối)\s+\d{1,2}\b|"
    r"\b(?i:tháng)\s+(?:Giêng|Chạp|Hai|Ba|Tư|Năm|Sáu|Bảy|Tám|Chín|Mười)\b|"
    r"\b(?i:năm)\s+(?:Giáp|Ất|Bính|Đinh|Mậu|Kỷ|Canh|Tân|Nhâm|Quý)\s+[A-ZĐÀ-Ỹ]|"
    r"\(\d{3,4}\)|\b(?i:mùa)\s+(?:xuân|hạ|hè|thu|đông|khô|mưa|lũ)\b"
)
_NUMBER_WORDS = re.compile(
    r"\b(?i:một|hai|ba|bốn|sáu|bảy|tám|chín|mười|mươi|trăm|nghìn|ngàn|triệu|tỷ|vài|nửa)\b"
    r"(?=\s+\w)"
)
_REASON = re.compile(
    r"\b(?i:vì|do|bởi|nhờ|nhằm|để|nên|nguyên nhân|lý do|lí do|nếu|giải thích|lập luận|cho rằng)\b"
)
_WORD = re.compile(r"[^\W\d_]+")


def asked_kind(question: str) -> Kind:
    """The kind of answer a question asks for, read from its folded form (a question typed without
    diacritics has had them restored before it gets here; money is read as written)."""
    folded = " ".join(fold(question).replace("?", " ? ").split())
    written = " ".join(canonical(question).lower().replace("?", " ? ").split())
    for kind, pattern, as_written in _ASKS:
        if pattern.search(written if as_written else folded):
            return kind
    return "other"


def _is_figure(q: Quantity) -> bool:
    return q.kind in ("number", "percent", "fraction") or (q.kind == "range" and not q.period)


_MONEY = re.compile(r"(?i)đồng|usd|vnd|eur|\$|€")


def is_answer_figure(q: Quantity, kind: Kind) -> bool:
    """Whether a figure can answer a question of this kind: a percentage for "tỷ lệ", a date or year
    for "khi nào", an amount of money for "bao nhiêu tiền", a count or amount for "bao nhiêu"."""
    if kind == "money":
        return _is_figure(q) and bool(q.unit and _MONEY.search(q.unit))
    if kind == "percent":
        return q.kind == "percent"
    if kind == "when":
        return q.kind in ("date", "year") or (q.kind == "range" and q.unit is None)
    return _is_figure(q)


def has_names(text: str) -> bool:
    """A capitalised word that does not merely open the text or a sentence: a name of some kind."""
    for m in _WORD.finditer(text):
        before = text[: m.start()].rstrip()
        if m[0][0].isupper() and before and before[-1] not in '.!?:;\n“"(-–':
            return True
    return False


def name_runs(text: str) -> list[tuple[str, ...]]:
    """Runs of two or more capitalised words, folded: ("vo", "minh", "tam") in "ông Võ Minh Tâm".
    Words in capitals throughout (a title line, "ĐTM") are not names; punctuation ends a run."""
    runs: list[tuple[str, ...]] = []
    current: list[str] = []
    end = 0  # where the previous word ended
    for m in _WORD.finditer(text):
        w = m[0]
        capitalised = w[0].isupper() and not (len(w) > 1 and w.isupper())
        joined = text[end : m.start()] == " "
        end = m.end()
        if not (capitalised and (joined or not current)):
            if len(current) >= 2:
                runs.append(tuple(current))
            current = []
        if capitalised:
            current.append(fold(w))
    if len(current) >= 2:
        runs.append(tuple(current))
    return runs


def holds_kind(kind: Kind, text: str, quantities: tuple[Quantity, ...]) -> bool:
    """Whether `text` (with its parsed `quantities`) holds an answer of the kind asked. Kinds whose
    answer is free text (what, how, a list, yes/no) are held by any text."""
    if kind in ("percent", "figure", "money"):
        return any(is_answer_figure(q, kind) for q in quantities) or (
            kind == "figure" and bool(_NUMBER_WORDS.search(text))
        )
    if kind == "when":
        return any(is_answer_figure(q, kind) for q in quantities) or bool(_TIME_WORDS.search(text))
    if kind in ("who", "where"):
        return has_names(text)
    if kind == "why":
        return bool(_REASON.search(text))
    return True
