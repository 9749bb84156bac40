"""PDF -> blocks: paragraphs from the text layer (lines the page wrapped joined back), ruled tables as
row blocks, running headers, footers and page numbers named in `removed`, scanned pages OCR'd.

Why two libraries: pdfium (pypdfium2) reads a page's text in about a millisecond, pdfplumber takes
~50-150 ms a page but finds ruled tables and their cells. So every page is read with pdfium, and
pdfplumber runs only on pages whose vector graphics could draw a table (enough horizontal and
vertical rules); on those, text and tables both come from pdfplumber so their positions agree.
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from app.ingest.blocks import Block, Extracted, Removed, captions_table
from app.ingest.errors import CorruptDocument, DocumentError, EmptyDocument, NoTextLayer
from app.ingest.formats.text import normalize
from app.ingest.tables import Spanned, caption_unit, header_like, header_rows, table_blocks

_PDF_MAGIC = b"%PDF-"


_SENTENCE_END = re.compile(r"[.!?…:;]['\"”’)]*$")
_LIST_ITEM = re.compile(r"^(?:[-–•*▪●◦]\s|\(?\d{1,3}[.)]\s|[a-zđ][.)]\s)")


def _starts_lower(line: str) -> bool:
    return bool(line) and line[0].islower()


def _continues(current: str, line: str, *, full: bool = False) -> bool:
    """Does `line` carry on the paragraph `current` ends with? Yes if it starts in lower case and
    `current` has not ended its sentence. With `full` (the previous line ran to the right margin,
    so the page wrapped it), also when `line` starts with a figure or a capitalised word
    ("... đạt\\n92,1% kế hoạch", "... của\\nỦy ban nhân dân"), though not an all-caps heading."""
    if not current or not line or _SENTENCE_END.search(current) or _LIST_ITEM.match(line):
        return False
    if _starts_lower(line):
        return True
    mid_sentence = current[-1].isalpha() or current[-1] == ","
    return full and mid_sentence and (line[0].isdigit() or (line[0].isupper() and not line.isupper()))


def join_pdf_lines(text: str) -> str:
    """pypdf breaks lines where the page wrapped; rejoin a paragraph's lines, never list items."""
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        current = ""
        for line in (ln.strip() for ln in block.split("\n")):
            if not line:
                continue
            if _continues(current, line):
                current = f"{current} {line}"
            else:
                if current:
                    paragraphs.append(current)
                current = line
        if current:
            paragraphs.append(current)
    return "\n\n".join(paragraphs)


# --- reading pages --------------------------------------------------------------------------------


@dataclass
class _Line:
    text: str
    top: float  # points from the page's top edge
    bottom: float
    x0: float
    x1: float


@dataclass
class _Table:
    top: float
    bottom: float
    grid: list[list[str | None]]


@dataclass
class _Page:
    number: int
    height: float
    lines: list[_Line]
    ruled: bool = False  # enough straight rules to draw a table: worth pdfplumber's time
    needs_ocr: bool = False  # no text layer, or a scan with a few stray characters over it
    tables: list[_Table] = field(default_factory=list)


_MIN_RULES = 3  # horizontal and vertical rules each: a 2x2 table already has 3 of both
_SCANNED_CHARS = 30  # fewer text characters than this over a full-page image: a scan with a stamp


def _pdfium_page(pdf: object, index: int) -> _Page:
    """One page through pdfium: its text lines with positions, and what its graphics suggest."""
    import pypdfium2 as pdfium

    page = pdf[index]  # type: ignore[index]
    try:
        left, bottom, right, top = page.get_bbox()
        width, height = right - left, top - bottom
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
            lines = _pdfium_lines(textpage, text, top)
            chars = len(text.strip())
        finally:
            textpage.close()
        horizontal = vertical = 0  # rules, or boxes (a cell's border drawn as one rectangle)
        image_area = 0.0
        n_objects = 0
        for obj in page.get_objects():
            n_objects += 1
            if obj.type == pdfium.raw.FPDF_PAGEOBJ_PATH:
                x0, y0, x1, y1 = obj.get_bounds()
                w, h = x1 - x0, y1 - y0
                box = w > 5 and h > 5
                horizontal += box or (w > 10 and h <= 3)
                vertical += box or (h > 10 and w <= 3)
            elif obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE and chars < _SCANNED_CHARS:
                x0, y0, x1, y1 = obj.get_bounds()
                image_area += max(0.0, x1 - x0) * max(0.0, y1 - y0)
    finally:
        page.close()
    scanned = chars < _SCANNED_CHARS and image_area >= 0.5 * width * height
    return _Page(
        number=index + 1,
        height=height,
        lines=lines,
        ruled=horizontal >= _MIN_RULES and vertical >= _MIN_RULES and not scanned,
        needs_ocr=scanned or (not chars and n_objects > 0),
    )


def _pdfium_lines(textpage: object, text: str, page_top: float) -> list[_Line]:
    """pdfium's text with its line breaks, each line placed by the boxes of a few of its chars."""
    import pypdfium2 as pdfium

    n_chars = textpage.count_chars()  # type: ignore[attr-defined]
    same = len(text) == n_chars

    def char_index(i: int) -> int:
        return i if same else pdfium.raw.FPDFText_GetCharIndexFromTextIndex(textpage.raw, i)  # type: ignore[attr-defined]

    lines: list[_Line] = []
    for m in re.finditer(r"[^\r\n]+", text):
        raw = m.group()
        stripped = raw.strip()
        if not stripped:
            continue
        first = m.start() + len(raw) - len(raw.lstrip())
        last = first + len(stripped) - 1
        boxes = [
            textpage.get_charbox(ci, loose=True)  # type: ignore[attr-defined]
            for ci in {char_index(first), char_index((first + last) // 2), char_index(last)}
            if 0 <= ci < n_chars
        ]
        if not boxes:
            continue
        lines.append(
            _Line(
                stripped,
                top=page_top - max(b[3] for b in boxes),
                bottom=page_top - min(b[1] for b in boxes),
                x0=min(b[0] for b in boxes),
                x1=max(b[2] for b in boxes),
            )
        )
    return lines


def _plumber_grid(table: object) -> list[list[str | None]]:
    """pdfplumber's cell texts, with the positions a merged cell covers (None there) filled by a
    `Spanned` copy of the merged cell's text, found by geometry."""
    texts = table.extract()  # type: ignore[attr-defined]
    rows = table.rows  # type: ignore[attr-defined]
    columns = table.columns  # type: ignore[attr-defined]
    grid: list[list[str | None]] = []
    for r, row in enumerate(texts):
        out: list[str | None] = []
        for c, value in enumerate(row):
            if value is not None or rows[r].cells[c] is not None:
                out.append(value or "")
                continue
            y = (rows[r].bbox[1] + rows[r].bbox[3]) / 2
            x = (columns[c].bbox[0] + columns[c].bbox[2]) / 2 if c < len(columns) else -1
            hit = next(
                (
                    (rr, cc)
                    for rr in range(r, -1, -1)
                    for cc in range(c, -1, -1)
                    if (box := rows[rr].cells[cc]) is not None
                    and box[0] <= x <= box[2]
                    and box[1] <= y <= box[3]
                ),
                None,
            )
            if hit is None:
                out.append("")
            else:
                out.append(Spanned(texts[hit[0]][hit[1]] or "", down=hit[0] < r, across=hit[1] < c))
        grid.append(out)
    return grid


def _plumber_page(plumber: object, page: _Page) -> None:
    """Tables of a ruled page, and its text outside them, both in pdfplumber's coordinates."""
    pp = plumber.pages[page.number - 1]  # type: ignore[attr-defined]
    try:
        found = [t for t in pp.find_tables() if len(t.cells) > 1]  # a lone box is a frame, not a table
        if not found:
            return
        boxes = [t.bbox for t in found]

        def outside(obj: dict) -> bool:
            if obj.get("object_type") != "char":
                return True
            x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
            return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

        lines = pp.filter(outside).extract_text_lines(strip=True, return_chars=False)
        page.lines = [
            _Line(d["text"].strip(), d["top"], d["bottom"], d["x0"], d["x1"])
            for d in lines
            if d["text"].strip()
        ]
        page.tables = [_Table(t.bbox[1], t.bbox[3], _plumber_grid(t)) for t in found]
        page.height = pp.height
    finally:
        pp.close()


# --- running headers, footers, page numbers -------------------------------------------------------

_PAGE_NUMBER = re.compile(
    r"(?:[-–—]\s*)?(?:(?:trang|page|tr\.)\s*)?\d{1,4}(?:\s*(?:/|trên|of)\s*\d{1,4})?(?:\s*[-–—])?",
    re.IGNORECASE,
)
_EDGE_LINES = 2  # lines at the top and at the bottom of a page that can be running headers/footers
_EDGE_ZONE = 0.2  # ... if they lie within this fraction of the page height from its edge


def _edges(page: _Page) -> list[tuple[str, _Line, bool]]:
    """The lines a running header or footer can be: the first and last 2 lines of the page (by
    position, not content order), if they lie near its top or bottom edge; each with whether it
    flows into the body (the line after a top one, or before a bottom one, carries on its
    sentence), which a running header or footer never does."""
    ordered = sorted(page.lines, key=lambda ln: ln.top)
    left = min((ln.x0 for ln in ordered), default=0.0)
    right = max((ln.x1 for ln in ordered), default=0.0)
    out: list[tuple[str, _Line, bool]] = []
    for i, ln in enumerate(ordered[:_EDGE_LINES]):
        if ln.top <= _EDGE_ZONE * page.height:
            flows = i + 1 < len(ordered) and _flows(ln, ordered[i + 1], left, right)
            out.append(("top", ln, flows))
    taken = {id(ln) for _, ln, _ in out}
    for i in range(max(len(ordered) - _EDGE_LINES, 0), len(ordered)):
        ln = ordered[i]
        if ln.bottom >= (1 - _EDGE_ZONE) * page.height and id(ln) not in taken:
            out.append(("bottom", ln, i > 0 and _flows(ordered[i - 1], ln, left, right)))
    return out


def _key(text: str) -> str:
    """Equal for a running header's occurrences: case, spaces and the digits ("Trang 3/20") aside."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text.casefold()))


def _strip_running_lines(pages: list[_Page]) -> list[Removed]:
    """Remove lone page numbers at a page's top or bottom, and lines recurring there on most pages
    (3 or more, or both pages of a 2-page document), naming each removal. An occurrence that flows
    into the body text is not counted: a paragraph recurring at page tops is not a header."""
    text_pages = [p for p in pages if p.lines]
    counts: Counter[tuple[str, str]] = Counter()
    for page in text_pages:
        counts.update({(zone, _key(ln.text)) for zone, ln, flows in _edges(page) if not flows})
    n = len(text_pages)
    needed = math.inf if n < 2 else 2 if n == 2 else max(3, math.ceil(n / 2))
    removed: list[Removed] = []
    for page in text_pages:
        found: list[tuple[_Line, str]] = []
        for zone, ln, _ in _edges(page):
            if _PAGE_NUMBER.fullmatch(ln.text):
                found.append((ln, "page number"))
            elif counts[(zone, _key(ln.text))] >= needed and re.search(r"[^\W\d_]", ln.text):
                found.append((ln, "page header" if zone == "top" else "page footer"))
        if len(found) == len(page.lines) and not page.tables:  # the page holds nothing else: keep it
            found = [(ln, reason) for ln, reason in found if reason == "page number"]
        removed.extend(Removed(ln.text, reason) for ln, reason in found)
        drop = {id(ln) for ln, _ in found}
        page.lines = [ln for ln in page.lines if id(ln) not in drop]
    return removed


# --- blocks ---------------------------------------------------------------------------------------

_UNIT_LINE = re.compile(r"\(?\s*(?:đơn vị tính|đvt|đơn vị)\s*:", re.IGNORECASE)


def _wrapped(prev: _Line, ln: _Line, left: float, right: float) -> bool:
    """Did the page wrap `prev` into `ln`? Yes if `prev` runs from the left margin (maybe indented)
    to near the right one and `ln` starts at the left margin: not a centred title, not a
    right-aligned signature block. `left`/`right`: the text's margins on the page."""
    width = max(right - left, 1.0)
    indent, short = prev.x0 - left, right - prev.x1
    centred = indent > 0.02 * width and abs(indent - short) < 0.02 * width
    return short <= 0.15 * width and indent <= 0.1 * width and not centred and ln.x0 - left <= 0.02 * width


def _flows(prev: _Line, ln: _Line, left: float, right: float) -> bool:
    """`ln` carries on `prev`'s sentence on the very next line (no gap wider than a line)."""
    height = max(prev.bottom - prev.top, 1.0)
    near = -height / 2 < ln.top - prev.bottom < 0.8 * height
    return near and _continues(prev.text, ln.text, full=_wrapped(prev, ln, left, right))


def _paragraphs(lines: list[_Line]) -> list[str]:
    """Lines -> paragraphs. A gap clearly wider than the page's usual line gap, or a jump back up
    (a new column), ends a paragraph; otherwise `_continues` decides."""
    if not lines:
        return []
    gaps = sorted(b.top - a.bottom for a, b in itertools.pairwise(lines) if b.top > a.top)
    usual = gaps[len(gaps) // 2] if gaps else 0.0
    right = max(ln.x1 for ln in lines)
    left = min(ln.x0 for ln in lines)
    paragraphs: list[str] = []
    current = ""
    prev: _Line | None = None
    for ln in lines:
        text = normalize(ln.text)
        if prev is not None:
            height = max(prev.bottom - prev.top, 1.0)
            broken = ln.top < prev.top - height / 2 or ln.top - prev.bottom > usual + 0.5 * height
            if not broken and _continues(current, text, full=_wrapped(prev, ln, left, right)):
                current = f"{current} {text}"
                prev = ln
                continue
            paragraphs.append(current)
        current = text
        prev = ln
    paragraphs.append(current)
    return [p for p in paragraphs if p]


@dataclass
class _TableRun:
    """The last table read, so a table the page break cut goes on under the same number, with the
    header rows it had on the page before (Word repeats them only if asked to)."""

    number: int = 0
    header: list[list[str | None]] = field(default_factory=list)
    width: int = 0
    rows: int = 0  # data rows emitted so far
    unit: str | None = None  # the unit its caption declared
    carry: dict[str, str] = field(default_factory=dict)  # the section its last rows were in
    open: bool = False  # the table was the last thing on the page before


def _width(grid: list[list[str | None]]) -> int:
    return max((len(r) for r in grid), default=0)


def _table(
    grid: list[list[str | None]], caption: list[str], at_top: bool, run: _TableRun, page: int
) -> list[Block]:
    """Row blocks of one ruled table: a new table, or the one the previous page ended with when
    this one opens the page with the same columns and no caption of its own."""
    rows = [r for r in grid if any(r)]
    continued = run.open and at_top and not caption and rows and _width(grid) == run.width
    if continued and run.header and rows[0] == run.header[0]:  # the header repeated on this page
        blocks = table_blocks(
            grid, run.number, page=page, first_row=run.rows + 1, unit=run.unit, carry=run.carry
        )
    elif continued and run.header and not header_like(rows[0]):  # header on the first page only
        blocks = table_blocks(
            [*run.header, *grid],
            run.number,
            page=page,
            first_row=run.rows + 1,
            unit=run.unit,
            carry=run.carry,
        )
    else:
        run.number += 1
        run.rows = 0
        run.width = _width(grid)
        run.header = header_rows(grid)
        run.unit = caption_unit(caption)
        run.carry = {}
        blocks = table_blocks(
            grid, run.number, caption="\n".join(caption) or None, page=page, carry=run.carry
        )
    run.rows += sum(b.kind == "row" for b in blocks)
    return blocks


def _page_blocks(page: _Page, run: _TableRun) -> list[Block]:
    """A page's paragraphs and tables, top to bottom. The paragraph just above a table names it
    when it would for the other readers (`captions_table`: "Bảng 2. Thu chi ngân sách", a line
    ending in ":"), as does a unit line ("Đơn vị tính: tỷ đồng") between that title and the table."""
    items: list[tuple[float, _Line | _Table]] = [(ln.top, ln) for ln in page.lines]
    if page.tables:
        items += [(t.top, t) for t in page.tables]
        items.sort(key=lambda item: item[0])
    blocks: list[Block] = []
    segment: list[_Line] = []
    for _, item in items:
        if isinstance(item, _Line):
            segment.append(item)
            continue
        paragraphs = [Block(p, page=page.number) for p in _paragraphs(segment)]
        caption: list[str] = []
        if paragraphs and _UNIT_LINE.match(paragraphs[-1].text):
            caption.append(paragraphs.pop().text)
        if paragraphs and captions_table(paragraphs[-1]):
            caption.insert(0, paragraphs.pop().text)
        at_top = not blocks and not paragraphs
        blocks.extend(paragraphs)
        segment = []
        blocks.extend(_table(item.grid, caption, at_top, run, page.number))
        run.open = True
    if segment:
        blocks.extend(Block(p, page=page.number) for p in _paragraphs(segment))
        run.open = False
    elif not page.tables:
        run.open = False
    return blocks


def _join_across_pages(blocks: list[Block]) -> list[Block]:
    """A paragraph the page break cut ("... bảo đảm" | next page: "kinh phí ...") is one block,
    on the page where it starts."""
    out: list[Block] = []
    for b in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == b.kind == "para"
            and prev.table is None
            and b.table is None
            and prev.ocr is None
            and b.ocr is None
            and prev.page is not None
            and b.page == prev.page + 1
            and _continues(prev.text, b.text)
        ):
            out[-1] = Block(f"{prev.text} {b.text}", page=prev.page)
        else:
            out.append(b)
    return out


def _ocr(name: str, data: bytes, pages: list[int], has_text: bool) -> dict[int, list[Block]]:
    """OCR the scanned pages, or say plainly why not."""
    try:
        from app.ingest.ocr import ocr_pdf_pages, tesseract_available
    except ImportError:
        available = False
    else:
        available = tesseract_available()
    if not available:
        if not has_text:
            raise NoTextLayer(
                f"{name}: the PDF has no text layer (it looks scanned or image-only). "
                "Run OCR on it (e.g. ocrmypdf) and upload the result."
            )
        listed = ", ".join(map(str, pages))
        raise NoTextLayer(
            f"{name}: page{'s' if len(pages) > 1 else ''} {listed} of the PDF "
            f"{'have' if len(pages) > 1 else 'has'} no text layer (scanned), and OCR is not available "
            "on this server. Run OCR on the file (e.g. ocrmypdf) and upload the result, or ask the "
            "administrator to install Tesseract."
        )
    try:
        return ocr_pdf_pages(data, pages)
    except DocumentError as e:
        raise type(e)(f"{name}: {e}") from e


def read_pdf(name: str, data: bytes) -> Extracted:
    if _PDF_MAGIC not in data[:1024]:
        raise CorruptDocument(
            f"{name}: not a PDF (no %PDF- header); the file may be damaged or another format renamed "
            "to .pdf. Export it again as PDF."
        )
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if getattr(e, "err_code", None) == pdfium.raw.FPDF_ERR_PASSWORD:
            raise CorruptDocument(
                f"{name}: the PDF is password-protected. Remove the password and upload it again."
            ) from e
        raise CorruptDocument(
            f"{name}: the PDF could not be read ({type(e).__name__}: {e}). "
            "It may be damaged; export or download it again."
        ) from e
    try:
        pages = [_pdfium_page(pdf, i) for i in range(len(pdf))]
    except Exception as e:
        raise CorruptDocument(
            f"{name}: the PDF could not be read ({type(e).__name__}: {e}). "
            "It may be damaged; export or download it again."
        ) from e
    finally:
        pdf.close()
    if not pages:
        raise EmptyDocument(f"{name}: the PDF has no pages. Check that you chose the right file.")

    ruled = [p for p in pages if p.ruled and p.lines]
    if ruled:
        import pdfplumber

        try:
            with pdfplumber.open(io.BytesIO(data)) as plumber:
                for page in ruled:
                    try:
                        _plumber_page(plumber, page)
                    except Exception:  # a page pdfplumber cannot parse keeps pdfium's text
                        continue
        except Exception:  # pdfplumber cannot open what pdfium could: keep pdfium's text
            pass

    has_text = any(p.lines for p in pages if not p.needs_ocr)
    scanned = [p.number for p in pages if p.needs_ocr]
    if not has_text and not scanned:
        raise NoTextLayer(
            f"{name}: the PDF has no text layer (it looks scanned or image-only). "
            "Run OCR on it (e.g. ocrmypdf) and upload the result."
        )
    ocr = _ocr(name, data, scanned, has_text) if scanned else {}

    removed: list[Removed] = []
    for page in pages:
        if page.needs_ocr:  # a scan's stray text layer (a stamp, a page number): OCR reads the page
            removed.extend(
                Removed(ln.text, "text layer of a scanned page, read again by OCR") for ln in page.lines
            )
            page.lines = []
    removed += _strip_running_lines(pages)
    blocks: list[Block] = []
    run = _TableRun()
    for page in pages:
        if page.number in ocr:
            from app.ingest.ocr import noise_removed

            blocks.extend(ocr[page.number])
            removed.extend(noise_removed(ocr[page.number], page.number))
            run.open = False
            continue
        blocks.extend(_page_blocks(page, run))
    blocks = _join_across_pages(blocks)
    if not blocks:
        raise NoTextLayer(
            f"{name}: the PDF has no text layer and OCR found no text in it (it looks scanned or "
            "image-only, and the scan may be blank or unreadable). Check the file, or run OCR on it "
            "(e.g. ocrmypdf) and upload the result."
        )
    return Extracted(blocks, "pdf", removed=removed)
