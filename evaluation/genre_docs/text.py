"""Text files: blocks in, .md (headings, emphasis, pipe tables) or .txt (as copied out of Word) out."""

from __future__ import annotations

import re
from pathlib import Path

from evaluation.genre_docs.model import B, Table


def _md_table(t: Table) -> list[str]:
    """A pipe table: spans are repeated (Markdown has none), one header row of column paths."""
    lines = ["| " + " | ".join(t.columns()) + " |", "|" + "---|" * t.ncols]
    for row in t.data_rows():
        lines.append("| " + " | ".join(row + [""] * (t.ncols - len(row))) + " |")
    return lines


def write_md(blocks: list[B], path: Path) -> None:
    out: list[str] = []
    for b in blocks:
        if b.kind == "title":
            out.append(f"# {b.text}")
        elif b.kind == "h":
            out.append("#" * (b.level + 1) + f" {b.text}")
        elif b.kind == "table" and b.table is not None:
            if b.table.caption:
                out.append(f"**{b.table.caption}**")
                out.append("")
            out.extend(_md_table(b.table))
            if b.table.note:
                out += ["", f"*{b.table.note}*"]
        elif b.style == "italic":
            out.append(f"*{b.text}*")
        elif b.style == "bold":
            out.append(f"**{b.text}**")
        else:
            out.append(b.text)
        out.append("")
    path.write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")


def write_txt(blocks: list[B], path: Path) -> None:
    """Plain text as copied out of a Word file: one paragraph a line, a blank line before headings."""
    out: list[str] = []
    for b in blocks:
        if b.kind == "h" and out and out[-1] != "" and not re.match(r"^Chương [IVX]+$", out[-1]):
            out.append("")
        out.append(b.text)
    path.write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")
