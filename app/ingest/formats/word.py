"""DOCX -> blocks: headings (by style), list items, paragraphs and table rows, in document order."""

from __future__ import annotations

import io
import re

from app.ingest.blocks import Block, Extracted, captions_table
from app.ingest.errors import CorruptDocument

_ZIP_MAGIC = b"PK\x03\x04"
_HEADING_STYLE = re.compile(r"^(?:Heading|Đề mục|Tiêu đề)\s*(\d)$", re.IGNORECASE)
_WS = re.compile(r"\s+")


def _paragraph_block(paragraph: object) -> Block | None:
    text = _WS.sub(" ", paragraph.text).strip()  # type: ignore[attr-defined]
    if not text:
        return None
    style = (getattr(paragraph.style, "name", "") or "").strip()  # type: ignore[attr-defined]
    if style == "Title":
        return Block(text, "heading", level=1)
    if m := _HEADING_STYLE.match(style):
        return Block(text, "heading", level=int(m[1]))
    p_pr = paragraph._p.pPr  # type: ignore[attr-defined]
    if style.startswith("List") or (p_pr is not None and p_pr.numPr is not None):
        return Block(text, "item")
    return Block(text)


def read_docx(name: str, data: bytes) -> Extracted:
    if not data.startswith(_ZIP_MAGIC):
        raise CorruptDocument(
            f"{name}: not a DOCX file (not a zip package); it may be damaged, an old .doc, or another "
            "format renamed. Save it from Word as .docx and try again."
        )
    import docx
    from docx.table import Table

    from app.ingest.tables import docx_grid, table_blocks

    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[Block] = []
        tables = 0
        for item in document.iter_inner_content():  # paragraphs and tables in document order
            if isinstance(item, Table):
                tables += 1
                caption = None
                if blocks and captions_table(blocks[-1]):
                    caption = blocks.pop().text  # the title line just above the table
                blocks.extend(table_blocks(docx_grid(item), tables, caption=caption))
            elif block := _paragraph_block(item):
                blocks.append(block)
        title = (document.core_properties.title or "").strip() or None
    except Exception as e:
        raise CorruptDocument(
            f"{name}: the DOCX could not be read ({type(e).__name__}: {e}). "
            "It may be damaged; open it in Word, save it again as .docx and retry."
        ) from e
    return Extracted(blocks, "docx", title=title)
