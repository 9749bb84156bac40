"""What every reader returns: the document as typed blocks in reading order, plus what it dropped.

A block is one paragraph-like unit (a heading, a paragraph, a list item, a table row with its
headers, a table caption) with where it came from (page, table, row, OCR confidence). Readers never
drop text silently: what they leave out (an HTML menu, a repeated PDF page footer) goes into
`removed` with a reason a person understands, and `GET /documents/{id}` lists it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from app.models import Removed

__all__ = ["Block", "BlockKind", "Extracted", "Removed", "SourceKind", "captions_table"]

BlockKind = Literal["heading", "para", "item", "row", "caption", "header"]  # header: a table's column line
SourceKind = Literal["text", "markdown", "html", "pdf", "docx", "xlsx", "image", "api"]


@dataclass(frozen=True)
class Block:
    text: str  # one line, NFC, no newline
    kind: BlockKind = "para"
    level: int = 0  # heading level from markup (Markdown #, DOCX "Heading N", HTML hN); 0 = unknown
    page: int | None = None  # 1-based page (PDF, multi-page TIFF)
    table: int | None = None  # 1-based table number in the document, for rows and captions
    row: int | None = None  # 1-based data row within its table
    ocr: float | None = None  # mean OCR confidence (0-100) of the page this text was read from
    # Words OCR read with doubt, in reading order, each with its own confidence: (word, 0-100).
    doubtful: tuple[tuple[str, float], ...] = ()


@dataclass
class Extracted:
    blocks: list[Block]
    source: SourceKind
    title: str | None = None  # what the format itself calls the title (<h1>/<title>, DOCX core title)
    removed: list[Removed] = field(default_factory=list)


def captions_table(b: Block) -> bool:
    """The line just above a table names it ("Phụ lục: kết quả thực hiện các chỉ tiêu", "Bảng 2.
    Thu chi ngân sách:") when it is a heading, or a short line that ends in a colon or not in a
    full stop; a paragraph of prose above a table stays prose."""
    if b.table is not None or b.kind not in ("heading", "para"):
        return False
    short = len(b.text) <= 160
    return b.kind == "heading" or (short and (b.text.endswith(":") or not b.text.endswith((".", "!", "?"))))
