"""OCR through the Tesseract CLI: the one place that runs `tesseract`, for images and scanned PDF pages.

Why a subprocess and not a binding: the Debian binary is all we need, its TSV output carries the
per-word confidences, a stuck page can be killed by a timeout, and each page runs in its own
process, so OCR never holds the GIL of the server and pages go side by side on separate cores.

Why more than one pass: Tesseract's page layout (psm 3) finds text columns (two-column body text
reads back at 0.9995 where one uniform block, psm 6, scrambles it to 0.33), but on a numbered list it
can drop, or split off as a column, the narrow margin strip of item numbers and one-word wrapped
lines. Ink no word covers, and such split-off strips, are read again as one block (psm 6) together
with their neighbours only; words read with low confidence are read again alone (psm 8). Each pass
is one extra process over small crops, run only when needed. Junk tokens (specks) are dropped and
counted.

Error messages here name no file (they do not know it): readers prefix `f"{name}: "`.

Settings: readers get no `Settings`, so the module-level defaults below (equal to the `OCR_*`
defaults of `app.config.Settings`) are what they use; `configure(settings)` copies a `Settings`
into them once at startup, and every function also takes them as keyword arguments.
"""

from __future__ import annotations

import contextvars
import functools
import io
import itertools
import os
import re
import shutil
import statistics
import subprocess
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.ingest.blocks import Block, Removed
from app.ingest.errors import CorruptDocument, NoTextLayer
from app.text import nfc

if TYPE_CHECKING:
    from PIL import Image

    from app.config import Settings

__all__ = [
    "PDFIUM_LOCK",
    "PageBlocks",
    "TesseractMissing",
    "configure",
    "ocr_image",
    "ocr_images",
    "ocr_pdf_pages",
    "ocr_progress",
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

# Who wants to hear of each page OCRed: (pages done, pages in all or None while unknown). Set by
# the upload queue's reader process, so a 50-page scan shows how far it is; a context variable,
# since a reader knows nothing of the queue and several readers may run in one process.
ocr_progress: contextvars.ContextVar[Callable[[int, int | None], None] | None] = contextvars.ContextVar(
    "ocr_progress", default=None
)

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


Box = tuple[int, int, int, int]  # left, top, right, bottom in pixels


@dataclass
class _Word:
    block: int
    par: int
    line: int
    text: str
    conf: float
    left: int
    top: int
    width: int
    height: int

    @property
    def box(self) -> Box:
        return (self.left, self.top, self.left + self.width, self.top + self.height)


def _tesseract_tsv(
    images: list[Image.Image], lang: str, dpi: float | None, page: int | None, psm: int = 3
) -> list[list[_Word]]:
    """Words of each image, in Tesseract's reading order; several images go as one multi-page TIFF,
    so a second pass over many small crops pays for one process and one model load (~0.1 s)."""
    buf = io.BytesIO()
    if len(images) == 1:
        images[0].save(buf, format="PPM")  # binary PGM: no compression, so the fastest hand-over
    else:
        images[0].save(buf, format="TIFF", save_all=True, append_images=images[1:])
    cmd = ["tesseract", "stdin", "stdout", "-l", lang, "--psm", str(psm)]
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
    words: list[list[_Word]] = [[] for _ in images]
    for row in proc.stdout.decode("utf-8", "replace").splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) != 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        conf = float(cols[10])
        if not text or conf < 0:
            continue
        image, block, par, line, _word, left, top, width, height = (int(c) for c in cols[1:10])
        if 1 <= image <= len(images):
            words[image - 1].append(_Word(block, par, line, nfc(text), conf, left, top, width, height))
    return words


def _small_word_px(words: list[_Word]) -> float | None:
    heights = sorted(w.height for w in words if len(w.text) >= 2)
    return heights[len(heights) // 4] if len(heights) >= 4 else None


# ------------------------------------------------------------------------------- junk and missed text

# Specks and scanner dust come back as "—_", "'" or "|" with low confidence, or as a lone "." or ":"
# (marks that never stand alone in text) with a middling one; a printed bullet or dash reads at 90+.
# Such tokens are not content: they are dropped and counted (`PageBlocks.dropped`).
_JUNK_CONF = 50.0
_DOTS = frozenset(".,:;'`\"_")
_DOTS_CONF = 80.0
# Words a re-read adds where psm 3 saw no text must average this: letters, not a stamp or signature.
_NEW_TEXT_CONF = 70.0


def _is_junk(word: _Word) -> bool:
    if any(c.isalnum() for c in word.text):
        return False
    return word.conf < (_DOTS_CONF if set(word.text) <= _DOTS else _JUNK_CONF)


def _line_px(words: list[_Word]) -> int:
    """Median word height: the unit for every distance below (about the font's body size)."""
    return max(8, round(statistics.median(w.height for w in words)))


def _otsu(hist: list[int]) -> int:
    """Grey level splitting ink from paper (Otsu's method on a 256-bin histogram)."""
    total = sum(hist)
    sum_all = sum(i * h for i, h in enumerate(hist))
    best, best_var, weight, acc = 128, -1.0, 0, 0
    for level in range(255):
        weight += hist[level]
        acc += level * hist[level]
        if weight == 0 or weight == total:
            continue
        mean_lo, mean_hi = acc / weight, (sum_all - acc) / (total - weight)
        var = weight * (total - weight) * (mean_lo - mean_hi) ** 2
        if var > best_var:
            best, best_var = level, var
    return best + 1


def _runs(indices: Iterable[int], gap: int) -> list[tuple[int, int]]:
    """Sorted indices -> (first, last) runs, bridging holes of up to `gap`."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and i - runs[-1][1] <= gap + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _uncovered_ink(gray: Image.Image, words: list[_Word], unit: int) -> list[Box]:
    """Text-like ink that no word box covers: lines (or a line's start) the layout pass threw away.

    Tesseract's page layout (psm 3 and 4 alike) can take a narrow column of short pieces at the left
    edge of a list - item numbers "1.", "2." and wrapped one-word lines "đồng." - for non-text and
    drop it. Ink left after blanking every word box is grouped into line-high pieces; specks, table
    rules and page-edge shadows (too small, too thin, too dense, touching the border) are ignored.
    """
    import numpy as np

    pixels = np.asarray(gray)
    ink = pixels < _otsu(gray.histogram())
    pad = max(2, unit // 4)  # anti-aliasing and diacritics just outside a word's box
    for w in words:
        ink[max(0, w.top - pad) : w.top + w.height + pad, max(0, w.left - pad) : w.left + w.width + pad] = (
            False
        )
    height, width = ink.shape
    pieces: list[Box] = []
    for y0, y1 in _runs(np.flatnonzero(np.count_nonzero(ink, axis=1) >= 2).tolist(), gap=unit // 3):
        band = ink[y0 : y1 + 1]
        for x0, x1 in _runs(np.flatnonzero(band.any(axis=0)).tolist(), gap=unit):
            piece = band[:, x0 : x1 + 1]
            rows = np.flatnonzero(piece.any(axis=1))
            top, bottom = y0 + int(rows[0]), y0 + int(rows[-1]) + 1
            area = (bottom - top) * (x1 + 1 - x0)
            dots = int(np.count_nonzero(piece))
            if (
                bottom - top < 0.4 * unit
                or x1 + 1 - x0 < 0.15 * unit
                or dots < 0.05 * unit * unit
                or (dots > 0.6 * area and bottom - top > 2 * unit)  # a photo or a shadow, not letters
                or x0 <= 1
                or top <= 1
                or x1 >= width - 2
                or bottom >= height - 1
            ):
                continue
            pieces.append((x0, top, x1 + 1, bottom))
    return pieces


def _union(boxes: Iterable[Box]) -> Box:
    lefts, tops, rights, bottoms = zip(*boxes, strict=True)
    return min(lefts), min(tops), max(rights), max(bottoms)


def _gap(a: Box, b: Box) -> float:
    """Distance between two boxes (0 when they touch or overlap)."""
    dx = max(0, a[0] - b[2], b[0] - a[2])
    dy = max(0, a[1] - b[3], b[1] - a[3])
    return (dx * dx + dy * dy) ** 0.5


def _intersects(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _crop_alone(gray: Image.Image, region: Box, blank: list[Box], paper: int) -> Image.Image:
    """`region` of the page with the boxes in `blank` painted paper-coloured: what is read there is
    only what belongs to it, not a neighbour's edge."""
    from PIL import ImageDraw

    crop = gray.crop(region)
    draw = ImageDraw.Draw(crop)
    x, y = region[0], region[1]
    for box in blank:
        if _intersects(box, region):
            draw.rectangle((box[0] - x - 1, box[1] - y - 1, box[2] - x + 1, box[3] - y + 1), fill=paper)
    return crop


def _recover_missed(
    gray: Image.Image, words: list[_Word], lang: str, dpi: float | None, page: int | None
) -> tuple[list[_Word], list[str]]:
    """Read again, as one uniform block (psm 6), the psm 3 blocks beside ink psm 3 left out.

    psm 6 keeps the short lines and item numbers that psm 3 drops, but on a whole page it would run
    the columns of a two-column letterhead into each other; here it reads only a region made of the
    missed ink and the blocks it touches, with every other word blanked out. A piece far from any
    block is read on its own. A re-read replaces those blocks only when it keeps what psm 3 read
    there and what it adds is confident text. Returns the words and the junk tokens it dropped.
    """
    unit = _line_px(words)
    pieces = _uncovered_ink(gray, words, unit)
    by_block: dict[int, list[_Word]] = {}
    for w in words:
        by_block.setdefault(w.block, []).append(w)
    boxes = {b: _union(w.box for w in ws) for b, ws in by_block.items()}
    strips = _strips(boxes, unit)
    # blocks with strips running beside them, when there are two or more such lines on the page:
    # psm 3 split a list's edge off
    edge_lines = Counter(
        b
        for s, b in strips.items()
        if min(boxes[s][3], boxes[b][3]) > max(boxes[s][1], boxes[b][1])
        for _ in {(w.par, w.line) for w in by_block[s]}
    )
    split = list(edge_lines) if sum(edge_lines.values()) >= 2 else []
    if not pieces and not split:
        return words, []
    fresh = itertools.count(max(by_block) + 1)
    # block -> the missed pieces nearest to it (strays get new numbers); a split block is read too
    beside: dict[int, list[Box]] = {b: [] for b in split}
    for piece in pieces:
        near = min(boxes, key=lambda b: _gap(piece, boxes[b]))
        if _gap(piece, boxes[near]) > 1.5 * unit:
            near = next(fresh)
        beside.setdefault(strips.get(near, near), []).append(piece)
    reach = {b: _union([*ps, boxes[b]] if b in boxes else ps) for b, ps in beside.items()}
    areas = {**boxes, **reach}
    groups: list[set[int]] = []  # blocks read together: a piece beside one block may reach into another
    for b in reach:
        members: set[int] = set()
        grown = {b}
        while grown != members:  # until no other block overlaps the region and no strip is left behind
            members = grown
            area = _union([areas[c] for c in members])
            grown = members | {c for c, box in areas.items() if _joins(box, area, unit)}
            grown |= {s for s, beside_of in strips.items() if beside_of in grown}
        for group in [g for g in groups if g & members]:
            groups.remove(group)
            members |= group
        groups.append(members)
    hist = gray.histogram()
    paper = hist.index(max(hist))
    margin = unit // 2
    crops, regions = [], []
    for group in groups:
        left, top, right, bottom = _union([areas[b] for b in group])
        region = (
            max(0, left - margin),
            max(0, top - margin),
            min(gray.width, right + margin),
            min(gray.height, bottom + margin),
        )
        blank = [w.box for w in words if w.block not in group]
        blank += [p for b, ps in beside.items() if b not in group for p in ps]
        regions.append(region)
        crops.append(_crop_alone(gray, region, blank, paper))
    dropped: list[str] = []
    out = list(words)
    for group, region, found in zip(
        groups, regions, _tesseract_tsv(crops, lang, dpi, page, psm=6), strict=True
    ):
        block = next(fresh)
        new = []
        for w in found:
            w.block, w.left, w.top = block, w.left + region[0], w.top + region[1]
            if _is_junk(w):
                dropped.append(w.text)
            else:
                new.append(w)
        old = [w for w in out if w.block in group]
        if not _keeps(old, new, [p for b in group for p in beside.get(b, [])]):
            continue
        # the re-read goes where its first block began (psm 3 may put a split-off list edge first);
        # pieces alone go before the first word below them
        top = min(w.top for w in new)
        at = next((i for i, w in enumerate(out) if w.block in group and w.block not in strips), None)
        if at is None:
            at = next((i for i, w in enumerate(out) if w.top > top), len(out))
        out = (
            [w for w in out[:at] if w.block not in group]
            + new
            + [w for w in out[at:] if w.block not in group]
        )
    return out, dropped


_NARROW = 5  # a block at most this many line heights wide is a list's edge, not a column of text


def _joins(box: Box, area: Box, unit: int) -> bool:
    """A block goes into a re-read region it touches, or comes near if narrow (a list's edge)."""
    return _gap(box, area) <= (1.5 * unit if box[2] - box[0] <= _NARROW * unit else unit / 2)


def _strips(boxes: dict[int, Box], unit: int) -> dict[int, int]:
    """Narrow blocks right beside a wider one: a list's left edge that psm 3 split off as a column.

    Where psm 3 does not drop the narrow column of item numbers and wrapped words ("1.", "đồng.",
    "2.", ...) it may read it as a column of its own: all of it first, then the items without it.
    When the wider block is read again, such blocks go with it. Returns each one with its neighbour.
    """
    wide = {b: box for b, box in boxes.items() if box[2] - box[0] > _NARROW * unit}
    strips: dict[int, int] = {}
    for b, box in boxes.items():
        if b in wide or not wide:
            continue
        near = min(wide, key=lambda c: _gap(box, wide[c]))
        if _gap(box, wide[near]) <= 3 * unit:
            strips[b] = near
    return strips


def _keeps(old: list[_Word], new: list[_Word], pieces: list[Box]) -> bool:
    """A re-read is taken when it keeps nearly all words psm 3 read and what it adds in the missed
    pieces is confidently text, not a stamp or a signature read as letters."""
    if not new:
        return False
    kept = sum((Counter(w.text for w in old) & Counter(w.text for w in new)).values())
    if kept < 0.9 * len(old):
        return False
    if not pieces:  # a split-off column read back in place: nothing new to vouch for
        return True
    added = [w for w in new if any(_intersects(w.box, p) for p in pieces)]
    return bool(added) and statistics.fmean(w.conf for w in added) >= _NEW_TEXT_CONF


# A word read with low confidence is read again alone (psm 8): in its line, the LSTM reads a list's
# "5." as "9." at 67, alone it reads "5." at 97. The new reading is taken only when it is confident
# and clearly more so than the old one, and as long; at most _MAX_REREADS words a page.
_DOUBT_CONF = 80.0
_SURE_CONF = 85.0
_MAX_REREADS = 40


def _reread_doubtful(
    gray: Image.Image, words: list[_Word], lang: str, dpi: float | None, page: int | None
) -> list[_Word]:
    """Each doubtful word read again on its own, neighbours blanked out; `words`, updated in place."""
    doubtful = sorted(
        (w for w in words if w.conf < _DOUBT_CONF and any(c.isalnum() for c in w.text)), key=lambda w: w.conf
    )[:_MAX_REREADS]
    if not doubtful:
        return words
    unit = _line_px(words)
    pad = max(4, unit // 4)
    hist = gray.histogram()
    paper = hist.index(max(hist))
    boxes = [w.box for w in words]
    crops = []
    for w in doubtful:
        left, top, right, bottom = w.box
        region = (
            max(0, left - pad),
            max(0, top - pad),
            min(gray.width, right + pad),
            min(gray.height, bottom + pad),
        )
        crops.append(_crop_alone(gray, region, [b for b in boxes if b != w.box], paper))
    for w, found in zip(doubtful, _tesseract_tsv(crops, lang, dpi, page, psm=8), strict=True):
        if len(found) != 1:
            continue
        text, conf = found[0].text, found[0].conf
        if conf >= _SURE_CONF and conf >= w.conf + 10 and abs(len(text) - len(w.text)) <= 1:
            w.text, w.conf = text, conf
    return words


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


# "4. ", "4) ", "a) ", "II. ", "1.2. ": a list item's number at the start of a line.
_LIST_MARKER = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3})*|[a-zđA-Z]|[IVXL]{1,5})[.)]\s")


def _all_caps(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def _split_lines(lines: list[tuple[str, int, int]]) -> list[list[str]]:
    """Split a Tesseract paragraph where its lines clearly are separate units.

    Tesseract groups short centred or ragged lines (a letter's header, "Số: .../V/v ...", a
    signature block) into one paragraph. A line that ends well short of the paragraph's width, or
    an all-caps line, followed by a line starting with a capital, digit or bullet, ends a unit;
    so does a full line ending a sentence before a line that starts with a list number ("4. "),
    as list items of even length are set. Full-width wrapped lines of running text never do.
    """
    width = max(right for _, _, right in lines) - min(left for _, left, _ in lines)
    groups: list[list[str]] = []
    prev: tuple[str, int, int] | None = None
    for line in lines:
        text = line[0]
        if prev is not None and _starts_new(text):
            short = prev[2] - prev[1] < 0.75 * width
            item = _LIST_MARKER.match(text) is not None and prev[0].endswith((".", ";", ":", "!", "?"))
            if short or item or (_all_caps(prev[0]) and not _all_caps(text)):
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
        line_words = list(by_line.values())
        lines = [
            (" ".join(w.text for w in ws), min(w.left for w in ws), max(w.left + w.width for w in ws))
            for ws in line_words
        ]
        taken = 0
        for group in _split_lines(lines):  # consecutive lines, in order
            group_words = [w for ws in line_words[taken : taken + len(group)] for w in ws]
            taken += len(group)
            text = _join_lines(group)
            if text.strip():
                doubtful = tuple(
                    (w.text, round(w.conf, 1))
                    for w in group_words
                    if w.conf < _DOUBT_CONF and any(c.isalnum() for c in w.text)
                )
                blocks.append(Block(text, "para", page=page, ocr=conf, doubtful=doubtful))
    return blocks


class PageBlocks(list[Block]):
    """One page's blocks, plus `dropped`: the OCR tokens discarded as junk (specks read as "—_"); junk
    is not content, but it is not thrown away unseen either: readers list it as removed."""

    dropped: list[str]

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.dropped = []


def noise_removed(blocks: list[Block], page: int | None) -> list[Removed]:
    """The junk a page's OCR dropped, as one named removal (so nothing goes unseen)."""
    dropped = getattr(blocks, "dropped", [])
    if not dropped:
        return []
    where = f" on page {page}" if page is not None else ""
    return [
        Removed(
            " ".join(dropped), f"OCR noise{where}: marks without a letter or digit, read with low confidence"
        )
    ]


def ocr_image(
    image: Image.Image,
    page: int | None = None,
    *,
    lang: str | None = None,
    dpi: float | None = None,
) -> PageBlocks:
    """One page image -> its paragraphs as "para" blocks, each carrying the page's mean confidence.

    `dpi` is the image's resolution when the caller knows it (a rendered PDF page); otherwise the
    image's own metadata, if plausible. Text too small for Tesseract is read a second time upscaled;
    text the layout pass left out and words read with low confidence are read again (both cheap
    passes over small crops, run only when needed).
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
    (words,) = _tesseract_tsv([gray], lang, dpi, page)
    word_px = _small_word_px(words)
    if word_px is not None and word_px < _MIN_WORD_PX:
        factor = min(_TARGET_WORD_PX / max(word_px, 1), _MAX_UPSCALE)
        if gray.width * gray.height * factor**2 <= _MAX_PIXELS and max(gray.size) * factor <= _MAX_SIDE:
            gray, dpi = _resize(gray, factor), (dpi * factor if dpi else None)
            (words,) = _tesseract_tsv([gray], lang, dpi, page)
    result = PageBlocks()
    kept = [w for w in words if not _is_junk(w)]
    result.dropped = [w.text for w in words if _is_junk(w)]
    if not kept:
        return result
    words, dropped = _recover_missed(gray, kept, lang, dpi, page)
    result.dropped.extend(dropped)
    words = _reread_doubtful(gray, words, lang, dpi, page)
    conf = round(statistics.fmean(w.conf for w in words), 1)
    result.extend(_paragraphs(words, page, conf))
    return result


def ocr_images(
    pages: Iterable[tuple[int | None, Image.Image]],
    *,
    workers: int | None = None,
    lang: str | None = None,
    dpi: float | None = None,
    total: int | None = None,
) -> Iterator[tuple[int | None, PageBlocks]]:
    """OCR (page, image) pairs `workers` at a time, yielding results in input order.

    Each page is its own tesseract process, so threads here only wait; at most `workers + 1` images
    are held at once, so a 200-page scan does not sit in memory while the first pages are read.
    `total` (the pages to come, when known) is passed on to `ocr_progress` with each page done.
    """
    lang = lang or OCR_LANG
    _require(lang)
    workers = max(1, workers or OCR_WORKERS)
    report = ocr_progress.get()
    if report is not None:
        report(0, total)
    done = 0

    def finished(page: int | None, blocks: PageBlocks) -> tuple[int | None, PageBlocks]:
        nonlocal done
        done += 1
        if report is not None:
            report(done, total)
        return page, blocks

    if workers == 1:
        for page, image in pages:
            yield finished(page, ocr_image(image, page, lang=lang, dpi=dpi))
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr") as pool:
        pending: deque[tuple[int | None, Future[PageBlocks]]] = deque()
        try:
            for page, image in pages:
                pending.append((page, pool.submit(ocr_image, image, page, lang=lang, dpi=dpi)))
                while len(pending) > workers:
                    done_page, future = pending.popleft()
                    yield finished(done_page, future.result())
            while pending:
                done_page, future = pending.popleft()
                yield finished(done_page, future.result())
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
) -> dict[int, PageBlocks]:
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
            for n, blocks in ocr_images(rendered(), workers=workers, lang=lang, dpi=dpi, total=len(pages))
            if n is not None
        }
    finally:
        with PDFIUM_LOCK:
            pdf.close()
