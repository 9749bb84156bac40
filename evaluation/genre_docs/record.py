"""The source record of a genre document: its blocks in, `sources/<file>.json` out.

The record lists the exact text a document was built from, so the eval can measure ingest against it:
`content` (every heading, sentence, list item and table data cell that must survive), `chrome` (lines a
reader must remove, each with the reason a user expects), `table_headers` and `tables`, and
`ocr_pages` (the pages that are images, whose text only OCR can recover).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.genre_docs.model import B, Line, Table

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[\"“(]?[A-ZĐÀ-Ỹ])")


def sentences(text: str) -> list[str]:
    """A paragraph's sentences (split after . ! ? before a capital), for the `content` list."""
    parts = [s.strip() for s in _SENTENCE_BREAK.split(text)]
    out = []
    for s in parts:
        # never split after an enumerator ("1.", "II.") or an abbreviation ("KT." before a title)
        if out and re.fullmatch(r"(?:\d{1,3}|[IVXLC]+|[A-ZĐ]{1,3})\.", out[-1]):
            out[-1] = f"{out[-1]} {s}"
        else:
            out.append(s)
    return [s for s in out if s]


@dataclass
class Record:
    """What `sources/<file>.json` holds for one document."""

    file: str
    genre: str
    description: str
    content: list[str] = field(default_factory=list)
    chrome: list[dict[str, str]] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)
    table_headers: list[str] = field(default_factory=list)  # header cells, as written (units included)
    ocr_pages: list[int] = field(default_factory=list)  # 1-based pages that are images (no text layer)

    def add(self, text: str, split: bool = True) -> None:
        for s in sentences(text) if split else [text]:
            if s and s not in self.content and s not in {"-", "–"}:
                self.content.append(s)

    def add_blocks(self, blocks: list[B]) -> None:
        for b in blocks:
            if b.kind == "table" and b.table is not None:
                self.add_table(b.table)
            elif b.kind in ("title", "h", "sig"):
                self.add(b.text, split=False)
            elif b.text:
                self.add(b.text)

    def add_scan(self, lines: list[Line]) -> None:
        """A scanned page's lines; only body paragraphs (regular type in the text column) are split
        into sentences, headings, signatures and header columns are kept whole."""
        for ln in lines:
            self.add(ln.text, split=ln.size >= 13 and not ln.bold and ln.x0 == Line.x0)

    def add_table(self, t: Table) -> None:
        """Data cells (values, row labels, group labels) are content; header cells go to
        `table_headers`: a reader that writes each row with its headers may move a header's unit
        onto the values ("Đơn giá (đồng)" -> "Đơn giá: 410.000 đồng"), so only their labels count."""
        if t.caption:
            self.add(t.caption, split=False)
        numbering = t.columns()[0] in {"TT", "STT"}  # the row-number column carries no content
        for r, c, placed in t.grid():
            if r < len(t.header):
                if placed.text not in self.table_headers:
                    self.table_headers.append(placed.text)
            elif not (numbering and c == 0 and placed.colspan == 1):
                self.add(placed.text, split=False)
        if t.note:
            self.add(t.note, split=False)
        self.tables.append({"caption": t.caption, "columns": t.columns(), "rows": t.data_rows()})

    def chrome_line(self, text: str, reason: str) -> None:
        if not any(c["text"] == text for c in self.chrome):
            self.chrome.append({"text": text, "reason": reason})

    def as_json(self) -> dict:
        out = {
            "file": self.file,
            "genre": self.genre,
            "description": self.description,
            "content": self.content,
            "chrome": self.chrome,
        }
        if self.tables:
            out["table_headers"] = self.table_headers
            out["tables"] = self.tables
        if self.ocr_pages:
            out["ocr_pages"] = self.ocr_pages
        return out

    def write(self, folder: Path) -> None:
        (folder / f"{self.file}.json").write_text(
            json.dumps(self.as_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
