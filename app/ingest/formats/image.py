"""PNG/JPEG/TIFF scans and photos -> text by OCR; a multi-page TIFF gives one page per frame."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

from app.ingest.blocks import Block, Extracted, Removed
from app.ingest.errors import CorruptDocument, DocumentError, EmptyDocument
from app.ingest.ocr import TesseractMissing, noise_removed, ocr_images, tesseract_available

if TYPE_CHECKING:
    from PIL import Image

_MAX_FRAMES = 500  # a TIFF with more pages than this is not a scanned report


def _open(name: str, data: bytes) -> Image.Image:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.verify()  # checks structure and checksums without decoding; the image is unusable after
        return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as e:
        raise CorruptDocument(
            f"{name}: the image is too large to read ({e}). Scan or export it again at 300 dpi."
        ) from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise CorruptDocument(
            f"{name}: not a readable PNG, JPEG or TIFF image ({type(e).__name__}: {e}); the file may be "
            "damaged or another format renamed. Save or scan it again and retry."
        ) from e


def _frames(name: str, image: Image.Image) -> Iterator[tuple[int | None, Image.Image]]:
    """Each frame decoded now, so a truncated file fails here with its name, not inside OCR."""
    count = getattr(image, "n_frames", 1)
    if count > _MAX_FRAMES:
        raise CorruptDocument(
            f"{name}: the TIFF has {count} pages; split it into files of at most {_MAX_FRAMES} pages."
        )
    for index in range(count):
        try:
            image.seek(index)
            frame = image.copy()  # the next seek reuses `image`; OCR of this frame may still be running
        except (OSError, SyntaxError, ValueError) as e:
            where = f"page {index + 1} of the image" if count > 1 else "the image"
            raise CorruptDocument(
                f"{name}: {where} could not be decoded ({type(e).__name__}: {e}); the file may be "
                "truncated or damaged. Save or scan it again and retry."
            ) from e
        yield (index + 1 if count > 1 else None), frame


def read_image(name: str, data: bytes) -> Extracted:
    """Structure is checked before OCR availability, so a broken file is reported as broken."""
    image = _open(name, data)
    if not tesseract_available():
        raise TesseractMissing(
            f"{name}: an image is read by OCR (text recognition), which is not available on this server. "
            "Ask the administrator to install Debian packages tesseract-ocr and tesseract-ocr-vie, "
            "or upload the document as PDF or DOCX with its text."
        )
    blocks: list[Block] = []
    removed: list[Removed] = []
    try:
        for page, page_blocks in ocr_images(_frames(name, image), total=getattr(image, "n_frames", 1)):
            blocks.extend(page_blocks)
            removed.extend(noise_removed(page_blocks, page))
    except DocumentError as e:
        if str(e).startswith(f"{name}:"):
            raise
        raise type(e)(f"{name}: {e}") from e
    if not blocks:
        raise EmptyDocument(
            f"{name}: no text was recognised in the image. Check that it shows a printed document, "
            "upright, sharp and at about 300 dpi, then upload it again."
        )
    return Extracted(blocks, "image", removed=removed)
