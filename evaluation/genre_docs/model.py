"""The genre documents' content model: what a spec file (evals/genres/spec/*.yaml) is read into and
every writer takes.

A document is a list of blocks (`B`): headings with a level, paragraphs, list items / clauses, tables
(`Table`, with column and row spans) and signature lines; a scanned page is a list of `Line`s placed on
the page. The writers are deterministic: fixed dates in the file metadata (`FIXED`) and fixed
timestamps in zip packages, so re-running the build gives the same bytes on one machine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FIXED = dt.datetime(2025, 12, 1, 8, 0, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class C:
    """A table cell; `colspan`/`rowspan` like HTML."""

    text: str
    colspan: int = 1
    rowspan: int = 1


def cell(c: C | str) -> C:
    return c if isinstance(c, C) else C(c)


@dataclass
class Table:
    header: list[list[C | str]]  # header rows (a multi-row header uses spans)
    rows: list[list[C | str]]  # data rows; a group label row is one cell spanning columns
    caption: str | None = None  # the line above the table ("Bảng 1. ...")
    note: str | None = None  # the line under it ("Nguồn: ...")
    col_widths: tuple[float, ...] | None = None  # relative widths, for PDF and DOCX

    @property
    def ncols(self) -> int:
        return sum(cell(c).colspan for c in self.header[0])

    def grid(self) -> list[tuple[int, int, C]]:
        """(row, col, cell) placements of header and data rows, spans resolved as HTML does."""
        taken: set[tuple[int, int]] = set()
        out = []
        for r, row in enumerate(self.header + self.rows):
            col = 0
            for raw in row:
                placed = cell(raw)
                while (r, col) in taken:
                    col += 1
                out.append((r, col, placed))
                for dr in range(placed.rowspan):
                    for dc in range(placed.colspan):
                        taken.add((r + dr, col + dc))
                col += placed.colspan
        return out

    def columns(self) -> list[str]:
        """Each column's header path, top to bottom ("Năm 2025 › Thực hiện")."""
        paths: list[list[str]] = [[] for _ in range(self.ncols)]
        for r, col, placed in self.grid():
            if r >= len(self.header):
                break
            for c in range(col, col + placed.colspan):
                if placed.text and placed.text not in paths[c]:
                    paths[c].append(placed.text)
        return [" › ".join(p) for p in paths]

    def data_rows(self) -> list[list[str]]:
        n = len(self.header)
        rows: dict[int, list[str]] = {}
        for r, _col, placed in self.grid():
            if r >= n:
                rows.setdefault(r, []).append(placed.text)
        return [rows[r] for r in sorted(rows)]


@dataclass(frozen=True)
class B:
    """One block. kind: title | h | p | item | table | sig.

    `level` is the heading level (1 = Chương, 2 = Mục, 3 = Điều ...), `align` a hint for DOCX/PDF
    (left, center, right), `style` an extra DOCX/Markdown hint (italic, bold)."""

    kind: str
    text: str = ""
    level: int = 0
    align: str = "left"
    style: str = ""
    table: Table | None = None


# What a block of each kind looks like unless its spec says otherwise.
BLOCK_DEFAULTS: dict[str, dict[str, str]] = {
    "title": {"align": "center"},
    "h": {},
    "p": {},
    "item": {},
    "sig": {"align": "right", "style": "bold"},
}


@dataclass(frozen=True)
class Line:
    """One element of a scanned page: text placed in a column (x0..x1 in px), aligned, wrapped."""

    text: str
    size: float = 13
    bold: bool = False
    italic: bool = False
    align: str = "left"  # left | center | justify
    x0: int = 354  # 3 cm left margin
    x1: int = 2244  # 2 cm right margin
    indent: int = 0  # first-line indent
    gap: float = 0.35  # space after, in line heights


@dataclass(frozen=True)
class ScanPage:
    """A scanned page: header columns side by side, the body, then a closing block (a signature)
    under it; `skew` in degrees, as the scanner left it."""

    columns: tuple[tuple[Line, ...], ...] = ()
    body: tuple[Line, ...] = ()
    closing: tuple[Line, ...] = ()
    skew: float = 0.35


@dataclass(frozen=True)
class SheetRow:
    """One indicator of a plan-versus-actual sheet; no figures: the total of the rows above it."""

    label: str
    unit: str
    plan: float | None
    actual: float | None
    number_format: str


@dataclass(frozen=True)
class Sheet:
    """A spreadsheet as a commune officer lays one out: a merged title and subtitle, a header row,
    one row per indicator (STT, label, unit, plan, actual, actual/plan as a formula), notes under it."""

    name: str
    title: str
    subtitle: str
    header: tuple[str, ...]
    rows: tuple[SheetRow, ...]
    notes: tuple[str, ...]
    widths: tuple[float, ...]


@dataclass(frozen=True)
class Site:
    """The chrome a website puts around each of its pages: its name, main menu and footer lines."""

    name: str
    menu: tuple[str, ...]
    footer: tuple[str, ...]


@dataclass(frozen=True)
class Article:
    """An encyclopedia article: lead paragraphs, an infobox, sections (level, heading, paragraphs),
    its categories and the "last modified" line of its footer."""

    title: str
    lead: tuple[str, ...]
    infobox: tuple[tuple[str, str], ...]
    sections: tuple[tuple[int, str, tuple[str, ...]], ...]
    categories: tuple[str, ...]
    modified: str


@dataclass(frozen=True)
class Figure:
    """A photo placed after paragraph `after` (0-based), with its caption."""

    after: int
    src: str
    caption: str


@dataclass(frozen=True)
class NewsPage:
    """A news article on a local government's portal, with the portal's chrome around it."""

    title: str
    site_title: str  # after the article's title in <title>
    banner: str
    published: str  # ISO time of the <meta> published_time
    time: str  # ISO time of the shown date's <time>
    date: str  # the date as the page shows it
    breadcrumb: tuple[tuple[str, str], ...]  # (text, href)
    menu: tuple[str, ...]
    share: tuple[str, ...]
    sapo: str
    paragraphs: tuple[str, ...]
    figures: tuple[Figure, ...]
    byline: str
    related_heading: str
    related: tuple[str, ...]
    footer: tuple[str, ...]
