"""Blocks -> blocks with their heading path: "Chương II › Điều 6 › Khoản 2 › Điểm a", or the
headings of a Markdown / DOCX / HTML document, so a chunk can say where in the original it sits.

Vietnamese legal drafting numbers its parts the same way in every regulation, resolution and
contract: Phần > Chương > Mục > Điều > khoản "1." > điểm "a)". A khoản or điểm is only one inside an
article (elsewhere "1." is a numbered list item). Headings from markup (levels 1-6) nest by level.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from app.ingest.blocks import Block
from app.text.numbers import extract_quantities

_ROMAN = r"[IVXLC]+"
# (depth, label prefix, pattern): the label is "<prefix> <number>".
_LEGAL: tuple[tuple[int, str, re.Pattern[str]], ...] = (
    (0, "Phần", re.compile(rf"^(?:PHẦN|Phần)\s+(thứ\s+\w+|THỨ\s+\w+|{_ROMAN}|\d+)\b")),
    (1, "Chương", re.compile(rf"^(?:CHƯƠNG|Chương)\s+({_ROMAN}|\d+)\b")),
    (2, "Mục", re.compile(rf"^(?:MỤC|Mục)\s+(\d+|{_ROMAN})(?:[.:]|\s*$|\s+[A-ZĐÀ-Ỹ])")),
    (3, "Điều", re.compile(r"^(?:Điều|ĐIỀU)\s+(\d+[a-z]?)\s*[.:]?(?:\s|$)")),
)
_ARTICLE_DEPTH = 3
_KHOAN = re.compile(r"^(\d{1,2})[.)]\s+\S")
_DIEM = re.compile(r"^([a-zđ])[)]\s+\S")
_BULLET = re.compile(r"^[-–•*+▪●◦]\s+\S")
_ROMAN_HEADING = re.compile(rf"^({_ROMAN})[.)]\s+\S")
_SENTENCE_END = re.compile(r"[.!?…;:,]$")
_MAX_LABEL = 80


@dataclass(frozen=True)
class Placed:
    block: Block
    path: tuple[str, ...]


def _label(text: str) -> str:
    text = text.rstrip(" .:")
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1].rsplit(" ", 1)[0] + "…"


def _states(rest: str) -> bool:
    """What follows "Điều 3." is a statement, not a heading: a contract's "Điều 3. Giá thuê kho là
    27 triệu đồng mỗi tháng, thanh toán trước ngày 5 hằng tháng." says what the article rules in
    one line. A heading names a subject ("Giá thuê và phương thức thanh toán"): no figure, no
    full stop after a clause."""
    rest = rest.strip()
    if not rest:
        return False
    if any(q.kind != "date" or q.unit for q in extract_quantities(rest)):
        return True
    return rest.endswith(".") and "," in rest and len(rest.split()) >= 12


def _upper_title(text: str) -> bool:
    """A line in capitals ("QUY ĐỊNH CHUNG", "I. KẾT QUẢ THỰC HIỆN"): a title in plain text and PDFs."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters) and len(text.split()) <= 20


class _Paths:
    """The running heading path: legal levels at fixed depths, markup headings by their level."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.legal: dict[int, str] = {}  # depth -> label
        self.khoan: str | None = None
        self.diem: str | None = None
        self.markup: dict[int, str] = {}  # heading level -> text
        self.after_legal_heading = False  # a title line may follow "Chương I" on its own line

    def path(self) -> tuple[str, ...]:
        parts = [self.markup[k] for k in sorted(self.markup)]
        parts += [self.legal[k] for k in sorted(self.legal)]
        if self.khoan:
            parts.append(self.khoan)
        if self.diem:
            parts.append(self.diem)
        return tuple(parts)

    def place(self, b: Block) -> Placed:
        text = b.text
        if b.table is not None:  # table rows and captions keep the path of where the table sits
            self.after_legal_heading = False
            return Placed(b, self.path())
        for depth, prefix, pattern in _LEGAL:
            if m := pattern.match(text):
                number = m[1].lower() if m[1].lower().startswith("thứ") else m[1]
                self.legal = {k: v for k, v in self.legal.items() if k < depth}
                self.legal[depth] = f"{prefix} {number}"
                self.khoan = self.diem = None
                self.after_legal_heading = depth < _ARTICLE_DEPTH
                if depth == _ARTICLE_DEPTH and _states(text[m.end() :]):
                    return Placed(b, self.path())  # opens the article, and is its first statement
                return Placed(dataclasses.replace(b, kind="heading"), self.path())
        if self.after_legal_heading and _upper_title(text):
            return Placed(dataclasses.replace(b, kind="heading"), self.path())  # "QUY ĐỊNH CHUNG"
        self.after_legal_heading = False
        in_article = _ARTICLE_DEPTH in self.legal
        if in_article and (m := _KHOAN.match(text)):
            self.khoan, self.diem = f"Khoản {m[1]}", None
            return Placed(b, self.path())
        if in_article and (m := _DIEM.match(text)):
            self.diem = f"Điểm {m[1]}"
            return Placed(dataclasses.replace(b, kind="item"), self.path())
        if b.kind == "heading" and b.level:
            if b.level == 1 and text == self.title:
                return Placed(b, self.path())  # the document's own title is not a section
            self.markup = {k: v for k, v in self.markup.items() if k < b.level}
            self.markup[b.level] = _label(text)
            self.legal, self.khoan, self.diem = {}, None, None
            return Placed(b, self.path())
        if b.kind == "para" and not self.legal and _ROMAN_HEADING.match(text) and _upper_title(text):
            self.markup = {1: _label(text)}  # "II. NHIỆM VỤ NĂM 2026" in a plain-text or PDF report
            return Placed(dataclasses.replace(b, kind="heading", level=1), self.path())
        if b.kind == "para" and (
            _BULLET.match(text) or (not in_article and (_KHOAN.match(text) or _DIEM.match(text)))
        ):
            return Placed(dataclasses.replace(b, kind="item"), self.path())
        return Placed(b, self.path())


def place_blocks(blocks: list[Block], title: str) -> list[Placed]:
    """Each block with the heading path it sits under (legal structure and markup headings)."""
    paths = _Paths(title)
    return [paths.place(b) for b in blocks]
