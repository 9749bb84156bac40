"""A table (a grid of cell texts) -> rows a reader can quote: each value with its column header and
its row's label, "Tổng thu ngân sách — Thực hiện 2025: 348,5 tỷ đồng; So với dự toán: 109,4%".

A row read alone (as retrieval and the answerer see it) must still say what each figure is, so the
header travels with every value; the caption or the title before the table goes in a caption block.
"""

from __future__ import annotations

import re

from app.ingest.blocks import Block

_WS = re.compile(r"\s+")


def _cell(value: object) -> str:
    return _WS.sub(" ", "" if value is None else str(value)).strip()


def table_blocks(
    grid: list[list[str | None]], table: int, caption: str | None = None, page: int | None = None
) -> list[Block]:
    """Caption block, then one block per data row. The first row is the header; the first column
    the row's label."""
    rows = [[_cell(c) for c in r] for r in grid]
    rows = [r for r in rows if any(r)]
    out: list[Block] = []
    if caption:
        out.append(Block(_cell(caption), "caption", page=page, table=table))
    if not rows:
        return out
    header, body = rows[0], rows[1:]
    if not body:
        return [*out, Block(" | ".join(c for c in header if c), "row", page=page, table=table, row=1)]
    for n, r in enumerate(body, start=1):
        label = r[0]
        parts = []
        for i, value in enumerate(r[1:], start=1):
            if not value:
                continue
            head = header[i] if i < len(header) else ""
            parts.append(f"{head}: {value}" if head else value)
        text = f"{label} — {'; '.join(parts)}" if label and parts else label or "; ".join(parts)
        if text:
            out.append(Block(text, "row", page=page, table=table, row=n))
    return out


def html_grid(table: object) -> list[list[str | None]]:
    """An HTML <table> node -> its grid of cell texts (rows of <td>/<th>)."""
    grid: list[list[str | None]] = []
    for tr in table.css("tr"):  # type: ignore[attr-defined]
        grid.append([_cell(c.text(separator=" ")) for c in tr.css("td, th")])
    return grid


def docx_grid(table: object) -> list[list[str | None]]:
    """A python-docx Table -> its grid; a merged cell repeats its text in every cell it spans."""
    return [[_cell(c.text) for c in row.cells] for row in table.rows]  # type: ignore[attr-defined]
