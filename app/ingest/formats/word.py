"""DOCX -> paragraphs and table rows, in document order."""

from __future__ import annotations

import io

from app.ingest.errors import CorruptDocument

_ZIP_MAGIC = b"PK\x03\x04"


def read_docx(name: str, data: bytes) -> str:
    if not data.startswith(_ZIP_MAGIC):
        raise CorruptDocument(
            f"{name}: not a DOCX file (not a zip package); it may be damaged, an old .doc, or another "
            "format renamed. Save it from Word as .docx and try again."
        )
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for item in document.iter_inner_content():  # paragraphs and tables in document order
            if isinstance(item, Table):
                for row in item.rows:
                    cells: list[str] = []
                    for cell in row.cells:
                        text = " ".join(cell.text.split())
                        if text and (not cells or cells[-1] != text):  # merged cells repeat
                            cells.append(text)
                    if cells:
                        blocks.append(" | ".join(cells))
            elif item.text.strip():
                blocks.append(item.text)
    except Exception as e:
        raise CorruptDocument(
            f"{name}: the DOCX could not be read ({type(e).__name__}: {e}). "
            "It may be damaged; open it in Word, save it again as .docx and retry."
        ) from e
    return "\n\n".join(blocks)
