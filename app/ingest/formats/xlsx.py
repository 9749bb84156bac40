"""XLSX -> blocks: each sheet a level-2 heading, then its tables as caption and row blocks.

Why a reader of its own: statistics offices publish their figures as spreadsheets, and a figure is
only quotable with its row label, column header and unit (`app.ingest.tables`). Cells are read the
way Excel shows them, in Vietnamese notation: 348.5 -> "348,5", 4985 -> "4.985", 1.094 under a
percent format -> "109,4%", formulas by their saved result. A formula with no saved result (a file
written by a script and never opened in Excel) cannot be computed here, so it is named in `removed`
rather than dropped silently.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import io
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal

from app.ingest.blocks import Block, Extracted, Removed
from app.ingest.errors import CorruptDocument
from app.ingest.tables import Spanned, header_like, table_blocks

_ZIP_MAGIC = b"PK\x03\x04"
_DEFAULT_SHEET = re.compile(r"(?:sheet|trang tính|feuil|tabelle|hoja)\s*\d*", re.IGNORECASE)
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+):([A-Z]+\d+)"')
# A formula cell with no cached <v> (or an empty one): data_only reads it as empty.
_UNCACHED = re.compile(
    rb'<(?:\w+:)?c\s+r="([A-Z]+\d+)"[^>]*>\s*<(?:\w+:)?f(?:\s[^>]*)?(?:/>|>([^<]*)</(?:\w+:)?f>)'
    rb"\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def _group(digits: str) -> str:
    """Thousands with dots, the Vietnamese way: "4985" -> "4.985"."""
    head = len(digits) % 3 or 3
    return ".".join([digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))])


@functools.lru_cache(maxsize=256)
def _number_format(number_format: str) -> tuple[bool, int | None, bool, bool]:
    """(percent, fixed decimals or None for "General", optional decimals ("0.##"), group thousands)
    of a number format's positive section; parsed once per distinct format."""
    section = _QUOTED.sub("", (number_format or "General").split(";")[0])
    percent = "%" in section
    if section.strip().lower() in ("general", "@", "") or not re.search(r"[0#?]", section):
        return percent, None, False, True
    m = re.search(r"\.([0#?]+)", section)
    return percent, len(m[1]) if m else 0, bool(m) and "0" not in m[1], "," in section.split(".")[0]


def vn_number(value: float, number_format: str = "General") -> str:
    """A numeric cell as Excel would show it, in Vietnamese notation (decimal comma, thousands dot).
    An explicit format's decimals and percent are followed; "General" shows up to 9 decimals and
    groups thousands, except for integers that look like years (2025 stays "2025")."""
    percent, decimals, optional, grouping = _number_format(number_format)
    if percent:
        value *= 100
    negative = value < 0
    value = abs(value)
    if decimals is None:
        integral = float(value).is_integer()
        text = str(int(value)) if integral else format(Decimal(repr(round(value, 9))), "f")
        grouping = not (integral and 1900 <= value <= 2100 and not percent)  # a year: "2025"
    else:
        step = Decimal(1).scaleb(-decimals)
        text = format(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP), "f")  # as Excel rounds
        if optional:
            text = text.rstrip("0").rstrip(".")
    whole, _, frac = text.partition(".")
    whole = _group(whole) if grouping and len(whole) > 3 else whole
    out = f"{whole},{frac}" if frac else whole
    return f"{'-' if negative and out.strip('0,.') else ''}{out}{'%' if percent else ''}"


def _text(cell: object) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return vn_number(value, getattr(cell, "number_format", "General"))
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M" if value.time() != dt.time() else "%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)


def _sheet_xml(archive: zipfile.ZipFile, ws: object) -> bytes:
    path = getattr(ws, "_worksheet_path", None)
    try:
        return archive.read(path.lstrip("/")) if path else b""
    except KeyError:
        return b""


def _grid(ws: object, xml: bytes) -> list[list[str]]:
    """The sheet's used range as text, merged ranges filled with `Spanned` copies of their text."""
    from openpyxl.utils import range_boundaries

    ws.reset_dimensions()  # type: ignore[attr-defined]  # trust the cells, not a stale <dimension>
    grid = [[_text(c) for c in row] for row in ws.iter_rows(min_row=1, min_col=1)]  # type: ignore[attr-defined]
    while grid and not any(grid[-1]):
        grid.pop()
    width = max((max((i + 1 for i, c in enumerate(r) if c), default=0) for r in grid), default=0)
    grid = [(r + [""] * width)[:width] for r in grid]
    for first, last in _MERGE.findall(xml):
        c0, r0, c1, r1 = range_boundaries(f"{first.decode()}:{last.decode()}")
        if r0 > len(grid) or c0 > width or not grid[r0 - 1][c0 - 1]:
            continue
        text = grid[r0 - 1][c0 - 1]
        for r in range(r0, min(r1, len(grid)) + 1):
            for c in range(c0, min(c1, width) + 1):
                if (r, c) != (r0, c0):
                    grid[r - 1][c - 1] = Spanned(text, down=r > r0, across=c > c0)
    return grid


def _tables(grid: list[list[str]]) -> list[list[list[str]]]:
    """Split a sheet at blank rows where what follows starts a table of its own (a title row or a
    header filling most columns); other blank rows are just spacing inside one table."""
    width = max((len(r) for r in grid), default=0)
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    blank = False
    for row in grid:
        if not any(row):
            blank = True
            continue
        filled = [c for c in row if c]
        new_table = len(set(filled)) == 1 or (header_like(row) and len(filled) >= max(2, width / 2))
        titles_only = all(len(set(filter(None, r))) == 1 for r in current)  # titles go with the table below
        if current and blank and new_table and not titles_only:
            tables.append(current)
            current = []
        current.append(row)
        blank = False
    if current:
        tables.append(current)
    return tables


def read_xlsx(name: str, data: bytes) -> Extracted:
    if not data.startswith(_ZIP_MAGIC):
        raise CorruptDocument(
            f"{name}: not an XLSX file (not a zip package); it may be damaged, an old .xls, or another "
            "format renamed. Save it from Excel or LibreOffice as .xlsx and try again."
        )
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:
        raise CorruptDocument(
            f"{name}: the XLSX could not be read ({type(e).__name__}: {e}). "
            "It may be damaged; open it in Excel or LibreOffice, save it again as .xlsx and retry."
        ) from e
    blocks: list[Block] = []
    removed: list[Removed] = []
    title = None
    try:
        title = (wb.properties.title or "").strip() or None
        n_tables = 0
        for ws in wb.worksheets:
            xml = _sheet_xml(archive, ws)
            grid = _grid(ws, xml)
            for ref, formula in _UNCACHED.findall(xml):
                removed.append(
                    Removed(
                        f"{ws.title}!{ref.decode()}: ={html.unescape(formula.decode(errors='replace'))}",
                        "formula with no saved result (open the file in Excel or LibreOffice and save it)",
                    )
                )
            if not any(any(r) for r in grid):
                continue
            if _DEFAULT_SHEET.fullmatch(ws.title.strip()):
                removed.append(Removed(ws.title, "default sheet name"))
            else:
                blocks.append(Block(ws.title.strip(), "heading", level=2))
            for table in _tables(grid):
                n_tables += 1
                if title is None and len(table) >= 3 and len(set(filter(None, table[0]))) == 1:
                    title = next(c for c in table[0] if c).replace("\n", " ")  # the title row
                blocks.extend(table_blocks(table, n_tables))
    except Exception as e:
        raise CorruptDocument(
            f"{name}: the XLSX could not be read ({type(e).__name__}: {e}). "
            "It may be damaged; open it in Excel or LibreOffice, save it again as .xlsx and retry."
        ) from e
    finally:
        wb.close()
        archive.close()
    if title is None:
        title = next((b.text for b in blocks if b.kind == "heading"), None)
    return Extracted(blocks, "xlsx", title=title, removed=removed)
