"""OCR through the Tesseract CLI: the one place that runs `tesseract`, for images and scanned PDF pages.

Why a subprocess and not a binding: the Debian binary is all we need, its TSV output carries the
per-word confidences, a stuck page can be killed by a timeout, and each page runs in its own
process, so OCR never holds the GIL of the server and pages go side by side on separate cores.

Error messages here name no file (they do not know it): readers prefix `f"{name}: "`.

Settings: readers get no `Settings`, so the module-level defaults below (equal to the `OCR_*`
defaults of `app.config.Settings`) are what they use; `configure(settings)` copies a `Settings`
into them once at startup, and every function also takes them as keyword arguments.
"""

from __future__ import annotations

import functools
import io
import os
import re
import shutil
import statistics
import subprocess
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.ingest.blocks import Block
from app.ingest.errors import CorruptDocument, NoTextLayer
from app.text import nfc

if TYPE_CHECKING:
    from PIL import Image

    from app.config import Settings

__all__ = [
    "PDFIUM_LOCK",
    "TesseractMissing",
    "configure",
    "ocr_image",
    "ocr_images",
    "ocr_pdf_pages",
    "tesseract_available",
]

# Defaults for callers that get no Settings (the readers); `configure` overrides them.
OCR_LANG = "vie"
OCR_DPI = 300
OCR_WORKERS = 2
# One OpenMP thread per tesseract process (bench/ocr.py, 2 cores): a second thread gained nothing on
# an idle machine (2.4 s a page either way) and made a page 4-13x slower beside any other busy process
# (OpenMP threads spin waiting for a descheduled partner). Parallelism comes from OCR_WORKERS instead.
OCR_THREADS = 1
PAGE_TIMEOUT_S = 180.0  # one page at 300 dpi takes ~1-3 s; far past that the image is pathological

# Tesseract's LSTM reads text best at ~30 px letter height; below ~20 px accuracy falls quickly
# (diacritics merge into letters), so small text is upscaled and read again. Measured on word
# boxes' lower quartile (~ the x-height words "ban", "cao"), which is 23-24 px for 30 px type; the
# tall end is unreliable on tiny text, where Tesseract boxes several lines together.
_TARGET_WORD_PX = 24
_MIN_WORD_PX = 15
_MAX_UPSCALE = 4.0
_MAX_PIXELS = 60_000_000  # past this (e.g. a 600 dpi A3 poster) downscale: time grows with pixels
_MAX_SIDE = 32_000  # Leptonica refuses wider or taller images

# PDFium is not thread-safe, not even across documents, and uploads are read on several threads.
PDFIUM_LOCK = threading.Lock()

_INSTALL_HINT = "install Debian packages tesseract-ocr and tesseract-ocr-vie"


class TesseractMissing(NoTextLayer):
    """The file needs OCR but this server cannot run it; only an administrator can fix that."""


def configure(settings: Settings) -> None:
    """Copy the OCR_* settings into the module defaults (call once where Settings are built)."""
    global OCR_LANG, OCR_DPI, OCR_WORKERS
    OCR_LANG = settings.OCR_LANG
    OCR_DPI = settings.OCR_DPI
    OCR_WORKERS = settings.OCR_WORKERS


@functools.cache
def _available(lang: str) -> bool:
    exe = shutil.which("tesseract")
    if exe is None:
        return False
    try:
        out = subprocess.run(
            [exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    installed = {line.strip() for line in out.splitlines()[1:]}
    return all(part in installed for part in lang.split("+"))


def tesseract_available(lang: str | None = None) -> bool:
    """Binary on PATH and every language of `lang` installed; cached, it costs a process start."""
    return _available(lang or OCR_LANG)


def _missing(lang: str) -> TesseractMissing:
    return TesseractMissing(
        f"this file needs OCR (text recognition), but OCR is not available on this server (Tesseract "
        f"with language {lang!r} not found). Ask the administrator to {_INSTALL_HINT}, "
        "or upload a PDF or DOCX that contains its text."
    )


def _require(lang: str) -> None:
    if not tesseract_available(lang):
        raise _missing(lang)


# --------------------------------------------------------------------------------------------- images


def _grayscale(image: Image.Image) -> Image.Image:
    """8-bit grayscale on white: Tesseract binarises itself, but transparency would read as black."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image) or image  # phone photos carry their rotation in EXIF
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit/float scans: stretch to 0-255
        lo, hi = image.getextrema()
        scale = 255 / (hi - lo) if hi > lo else 1
        image = image.point(lambda v: (v - lo) * scale).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = PILImage.alpha_composite(white, rgba)
    return image if image.mode == "L" else image.convert("L")


def _image_dpi(image: Image.Image) -> float | None:
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        return None
    return value if 50 <= value <= 2400 else None  # 1 or 72 "dpi" is a placeholder, not a scan


def _resize(image: Image.Image, factor: float) -> Image.Image:
    from PIL import Image as PILImage

    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, PILImage.Resampling.LANCZOS)


@dataclass
class _Word:
    block: int
    par: int
    line: int
    text: str
    conf: float
    left: int
    width: int
    height: int


def _tesseract_tsv(gray: Image.Image, lang: str, dpi: float | None, page: int | None) -> list[_Word]:
    buf = io.BytesIO()
    gray.save(buf, format="PPM")  # binary PGM: no compression, so the fastest hand-over
    cmd = ["tesseract", "stdin", "stdout", "-l", lang, "--psm", "3"]
    if dpi:
        cmd += ["--dpi", str(round(dpi))]
    cmd.append("tsv")
    env = {**os.environ, "OMP_THREAD_LIMIT": str(OCR_THREADS)}
    where = f"page {page}" if page is not None else "the image"
    try:
        proc = subprocess.run(
            cmd, input=buf.getvalue(), capture_output=True, env=env, timeout=PAGE_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise CorruptDocument(
            f"OCR of {where} took over {PAGE_TIMEOUT_S:.0f} s and was stopped; the image may be damaged "
            "or extremely large. Scan it again at 300 dpi, or upload a PDF that contains text."
        ) from None
    except FileNotFoundError:
        _available.cache_clear()
        raise _missing(lang) from None
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CorruptDocument(
            f"OCR could not read {where} ({detail[-1] if detail else f'exit {proc.returncode}'}). "
            "The image may be damaged; save or scan it again as PNG, JPEG or PDF."
        )
    words = []
    for row in proc.stdout.decode("utf-8", "replace").splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) != 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        conf = float(cols[10])
        if not text or conf < 0:
            continue
        block, par, line, _word, left, _top, width, height = (int(c) for c in cols[2:10])
        words.append(_Word(block, par, line, nfc(text), conf, left, width, height))
    return words


def _small_word_px(words: list[_Word]) -> float | None:
    heights = sorted(w.height for w in words if len(w.text) >= 2)
    return heights[len(heights) // 4] if len(heights) >= 4 else None


# Only a Latin-letter word split at a line end is rejoined without its hyphen ("manage-" + "ment"):
# Vietnamese is written in separate syllables and never hyphenates inside one, so "tế-" + "xã"
# is a compound ("kinh tế-xã hội") and keeps its hyphen.
_ASCII_WORD_HYPHEN = re.compile(r"[A-Za-z]{2,}-$")
_ASCII_LOWER_START = re.compile(r"^[a-z]{2,}")
_WORD_HYPHEN = re.compile(r"\w-$")


def _join_lines(lines: list[str]) -> str:
    """Lines -> one line; a hyphen at a line end joins its halves without a space."""
    text = ""
    for line in lines:
        if not text:
            text = line
        elif _ASCII_WORD_HYPHEN.search(text) and _ASCII_LOWER_START.match(line):
            text = text[:-1] + line
        elif _WORD_HYPHEN.search(text):
            text += line  # "Bà Rịa-" + "Vũng Tàu", "COVID-" + "19"
        else:
            text = f"{text} {line}"
    return text


def _starts_new(line: str) -> bool:
    """A capital, a digit or a bullet: what a new line, item or heading starts with."""
    return line[:1].isupper() or line[:1].isdigit() or line[:1] in "-–•+*▪●("


def _all_caps(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def _split_lines(lines: list[tuple[str, int, int]]) -> list[list[str]]:
    """Split a Tesseract paragraph where its lines clearly are separate units.

    Tesseract groups short centred or ragged lines (a letter's header, "Số: .../V/v ...", a
    signature block) into one paragraph. A line that ends well short of the paragraph's width, or
    an all-caps line, followed by a line starting with a capital, digit or bullet, ends a unit;
    full-width wrapped lines of running text never do.
    """
    width = max(right for _, _, right in lines) - min(left for _, left, _ in lines)
    groups: list[list[str]] = []
    prev: tuple[str, int, int] | None = None
    for line in lines:
        text = line[0]
        if prev is not None and _starts_new(text):
            short = prev[2] - prev[1] < 0.75 * width
            if short or (_all_caps(prev[0]) and not _all_caps(text)):
                groups.append([])
        if not groups:
            groups.append([])
        groups[-1].append(text)
        prev = line
    return groups


def _paragraphs(words: list[_Word], page: int | None, conf: float) -> list[Block]:
    paragraphs: dict[tuple[int, int], dict[int, list[_Word]]] = {}
    for w in words:  # TSV order is Tesseract's reading order
        paragraphs.setdefault((w.block, w.par), {}).setdefault(w.line, []).append(w)
    blocks = []
    for by_line in paragraphs.values():
        lines = [
            (" ".join(w.text for w in ws), min(w.left for w in ws), max(w.left + w.width for w in ws))
            for ws in by_line.values()
        ]
        for group in _split_lines(lines):
            text = _join_lines(group)
            if text.strip():
                blocks.append(Block(text, "para", page=page, ocr=conf))
    return blocks


def ocr_image(
    image: Image.Image,
    page: int | None = None,
    *,
    lang: str | None = None,
    dpi: float | None = None,
) -> list[Block]:
    """One page image -> its paragraphs as "para" blocks, each carrying the page's mean confidence.

    `dpi` is the image's resolution when the caller knows it (a rendered PDF page); otherwise the
    image's own metadata, if plausible. Text too small for Tesseract is read a second time upscaled.
    """
    lang = lang or OCR_LANG
    _require(lang)
    gray = _grayscale(image)
    dpi = dpi or _image_dpi(image)
    if dpi and dpi > 1.5 * OCR_DPI:  # a 600 dpi scan reads as well at 300 dpi, in a quarter the time
        gray, dpi = _resize(gray, OCR_DPI / dpi), OCR_DPI
    factor = min(1.0, (_MAX_PIXELS / (gray.width * gray.height)) ** 0.5, _MAX_SIDE / max(gray.size))
    if factor < 1:
        gray, dpi = _resize(gray, factor), (dpi * factor if dpi else None)
    words = _tesseract_tsv(gray, lang, dpi, page)
    word_px = _small_word_px(words)
    if word_px is not None and word_px < _MIN_WORD_PX:
        factor = min(_TARGET_WORD_PX / max(word_px, 1), _MAX_UPSCALE)
        if gray.width * gray.height * factor**2 <= _MAX_PIXELS and max(gray.size) * factor <= _MAX_SIDE:
            bigger = _resize(gray, factor)
            words = _tesseract_tsv(bigger, lang, dpi * factor if dpi else None, page)
    if not words:
        return []
    conf = round(statistics.fmean(w.conf for w in words), 1)
    return _paragraphs(words, page, conf)


def ocr_images(
    pages: Iterable[tuple[int | None, Image.Image]],
    *,
    workers: int | None = None,
    lang: str | None = None,
    dpi: float | None = None,
) -> Iterator[tuple[int | None, list[Block]]]:
    """OCR (page, image) pairs `workers` at a time, yielding results in input order.

    Each page is its own tesseract process, so threads here only wait; at most `workers + 1` images
    are held at once, so a 200-page scan does not sit in memory while the first pages are read.
    """
    lang = lang or OCR_LANG
    _require(lang)
    workers = max(1, workers or OCR_WORKERS)
    if workers == 1:
        for page, image in pages:
            yield page, ocr_image(image, page, lang=lang, dpi=dpi)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr") as pool:
        pending: deque[tuple[int | None, Future[list[Block]]]] = deque()
        try:
            for page, image in pages:
                pending.append((page, pool.submit(ocr_image, image, page, lang=lang, dpi=dpi)))
                while len(pending) > workers:
                    done_page, future = pending.popleft()
                    yield done_page, future.result()
            while pending:
                done_page, future = pending.popleft()
                yield done_page, future.result()
        finally:
            for _, future in pending:
                future.cancel()


def ocr_pdf_pages(
    data: bytes,
    pages: list[int],
    *,
    dpi: int | None = None,
    workers: int | None = None,
    lang: str | None = None,
) -> dict[int, list[Block]]:
    """Render the given 1-based pages of a PDF with pdfium at `dpi` and OCR them, pages side by side."""
    lang = lang or OCR_LANG
    _require(lang)
    dpi = dpi or OCR_DPI
    import pypdfium2 as pdfium

    try:
        with PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(data)
            count = len(pdf)
    except pdfium.PdfiumError as e:
        raise CorruptDocument(
            f"the PDF could not be opened for OCR ({e}). It may be damaged; export or download it again."
        ) from e

    def rendered() -> Iterator[tuple[int | None, Image.Image]]:
        """Pages rendered here one at a time under the lock; only the OCR runs in parallel."""
        for n in pages:
            if not 1 <= n <= count:
                raise ValueError(f"page {n} is not in this {count}-page PDF")
            with PDFIUM_LOCK:
                page = pdf[n - 1]
                try:
                    bitmap = page.render(scale=dpi / 72, grayscale=True)
                    image = bitmap.to_pil().copy()  # to_pil shares pdfium's buffer, freed with the bitmap
                    bitmap.close()
                except pdfium.PdfiumError as e:
                    raise CorruptDocument(
                        f"page {n} of the PDF could not be rendered for OCR ({e}). "
                        "It may be damaged; export or download it again."
                    ) from e
                finally:
                    page.close()
            yield n, image

    try:
        return {
            n: blocks
            for n, blocks in ocr_images(rendered(), workers=workers, lang=lang, dpi=dpi)
            if n is not None
        }
    finally:
        with PDFIUM_LOCK:
            pdf.close()
