"""PDF -> text from its text layer, with lines the page wrapped joined back into paragraphs."""

from __future__ import annotations

import io
import re

from app.ingest.blocks import Block, Extracted
from app.ingest.errors import CorruptDocument, DocumentError, EmptyDocument, NoTextLayer
from app.ingest.formats.text import normalize

_PDF_MAGIC = b"%PDF-"


_SENTENCE_END = re.compile(r"[.!?…:;]['\"”’)]*$")
_LIST_ITEM = re.compile(r"^(?:[-–•*▪●◦]\s|\(?\d{1,3}[.)]\s|[a-zđ][.)]\s)")


def _starts_lower(line: str) -> bool:
    return bool(line) and line[0].islower()


def join_pdf_lines(text: str) -> str:
    """pypdf breaks lines where the page wrapped; rejoin a paragraph's lines, never list items."""
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        current = ""
        for line in (ln.strip() for ln in block.split("\n")):
            if not line:
                continue
            if (
                current
                and not _SENTENCE_END.search(current)
                and _starts_lower(line)
                and not _LIST_ITEM.match(line)
            ):
                current = f"{current} {line}"
            else:
                if current:
                    paragraphs.append(current)
                current = line
        if current:
            paragraphs.append(current)
    return "\n\n".join(paragraphs)


def read_pdf(name: str, data: bytes) -> Extracted:
    if _PDF_MAGIC not in data[:1024]:
        raise CorruptDocument(
            f"{name}: not a PDF (no %PDF- header); the file may be damaged or another format renamed "
            "to .pdf. Export it again as PDF."
        )
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorruptDocument(
                f"{name}: the PDF is password-protected. Remove the password and upload it again."
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except Exception as e:
        raise CorruptDocument(
            f"{name}: the PDF could not be read ({type(e).__name__}: {e}). "
            "It may be damaged; export or download it again."
        ) from e
    if not pages:
        raise EmptyDocument(f"{name}: the PDF has no pages. Check that you chose the right file.")
    blocks = [
        Block(para, page=n)
        for n, page in enumerate(pages, start=1)
        for para in join_pdf_lines(normalize(page)).split("\n\n")
        if para.strip()
    ]
    if not blocks:
        raise NoTextLayer(
            f"{name}: the PDF has no text layer (it looks scanned or image-only). "
            "Run OCR on it (e.g. ocrmypdf) and upload the result."
        )
    return Extracted(blocks, "pdf")
