"""Renderers for the genre documents: one content model, written as .docx, .md, .txt, .pdf, .xlsx, .png.

A document is a list of blocks (`B`): headings with a level, paragraphs, list items / clauses, tables
(`Table`, with column and row spans) and signature lines. Every renderer here is deterministic: fixed
dates in the file metadata and fixed timestamps in zip packages, so re-running the build gives the
same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FIXED = dt.datetime(2025, 12, 1, 8, 0, 0, tzinfo=dt.UTC)
ZIP_TIME = (2025, 12, 1, 8, 0, 0)


@dataclass(frozen=True)
class C:
    """A table cell; `colspan`/`rowspan` like HTML."""

    text: str
    colspan: int = 1
    rowspan: int = 1


def _cell(c: C | str) -> C:
    return c if isinstance(c, C) else C(c)


@dataclass
class Table:
    header: list[list[C | str]]  # header rows (a multi-row header uses spans)
    rows: list[list[C | str]]  # data rows; a group label row is one cell spanning columns
    caption: str | None = None  # the line above the table ("Bảng 1. ...")
    note: str | None = None  # the line under it ("Nguồn: ...")
    col_widths: tuple[float, ...] | None = None  # relative widths, for PDF and DOCX

    @property
    def ncols(self) -> int:
        return sum(_cell(c).colspan for c in self.header[0])

    def grid(self) -> list[tuple[int, int, C]]:
        """(row, col, cell) placements of header and data rows, spans resolved as HTML does."""
        taken: set[tuple[int, int]] = set()
        out = []
        for r, row in enumerate(self.header + self.rows):
            col = 0
            for raw in row:
                cell = _cell(raw)
                while (r, col) in taken:
                    col += 1
                out.append((r, col, cell))
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        taken.add((r + dr, col + dc))
                col += cell.colspan
        return out

    def columns(self) -> list[str]:
        """Each column's header path, top to bottom ("Năm 2025 › Thực hiện")."""
        paths: list[list[str]] = [[] for _ in range(self.ncols)]
        for r, col, cell in self.grid():
            if r >= len(self.header):
                break
            for c in range(col, col + cell.colspan):
                if cell.text and cell.text not in paths[c]:
                    paths[c].append(cell.text)
        return [" › ".join(p) for p in paths]

    def data_rows(self) -> list[list[str]]:
        n = len(self.header)
        rows: dict[int, list[str]] = {}
        for r, _col, cell in self.grid():
            if r >= n:
                rows.setdefault(r, []).append(cell.text)
        return [rows[r] for r in sorted(rows)]


@dataclass(frozen=True)
class B:
    """One block. kind: title | h | p | item | table | sig | meta.

    `level` is the heading level (1 = Chương, 2 = Mục, 3 = Điều ...), `align` a hint for DOCX/PDF
    (left, center, right), `style` an extra DOCX/Markdown hint (italic, bold)."""

    kind: str
    text: str = ""
    level: int = 0
    align: str = "left"
    style: str = ""
    table: Table | None = None


def title(text: str) -> B:
    return B("title", text, align="center")


def h(level: int, text: str, align: str = "left") -> B:
    return B("h", text, level=level, align=align)


def p(text: str, align: str = "left", style: str = "") -> B:
    return B("p", text, align=align, style=style)


def item(text: str) -> B:
    return B("item", text)


def sig(text: str, align: str = "right", style: str = "bold") -> B:
    return B("sig", text, align=align, style=style)


def table(t: Table) -> B:
    return B("table", table=t)


# --- the source record ---------------------------------------------------------------------------

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
            elif b.kind in ("title", "h", "sig", "meta"):
                self.add(b.text, split=False)
            elif b.text:
                self.add(b.text)

    def add_table(self, t: Table) -> None:
        """Data cells (values, row labels, group labels) are content; header cells go to
        `table_headers`: a reader that writes each row with its headers may move a header's unit
        onto the values ("Đơn giá (đồng)" -> "Đơn giá: 410.000 đồng"), so only their labels count."""
        if t.caption:
            self.add(t.caption, split=False)
        numbering = t.columns()[0] in {"TT", "STT"}  # the row-number column carries no content
        for r, c, cell in t.grid():
            if r < len(t.header):
                if cell.text not in self.table_headers:
                    self.table_headers.append(cell.text)
            elif not (numbering and c == 0 and cell.colspan == 1):
                self.add(cell.text, split=False)
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


# --- zip packages (docx, xlsx): fixed timestamps -------------------------------------------------


def _fix_zip(data: bytes, patch: dict[str, bytes] | None = None) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = (patch or {}).get(info.filename, src.read(info.filename))
            z = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            z.compress_type = zipfile.ZIP_DEFLATED
            z.external_attr = 0o644 << 16
            dst.writestr(z, body)
    return out.getvalue()


# --- DOCX ----------------------------------------------------------------------------------------


def _docx_align(paragraph, align: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph.alignment = {
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }.get(align, WD_ALIGN_PARAGRAPH.LEFT)


def _docx_table(document, t: Table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    nrows = len(t.header) + len(t.rows)
    tbl = document.add_table(rows=nrows, cols=t.ncols)
    tbl.style = "Table Grid"
    for r, col, cell in t.grid():
        target = tbl.cell(r, col)
        if cell.colspan > 1 or cell.rowspan > 1:
            target = target.merge(tbl.cell(r + cell.rowspan - 1, col + cell.colspan - 1))
        target.text = cell.text
        for para in target.paragraphs:
            for run in para.runs:
                run.font.size = Pt(10)
                run.bold = r < len(t.header) or (cell.colspan > 2 and r >= len(t.header))
    for r in range(len(t.header)):  # header rows repeat on every page, as Word users set them
        tr_pr = tbl.rows[r]._tr.get_or_add_trPr()
        el = OxmlElement("w:tblHeader")
        el.set(qn("w:val"), "true")
        tr_pr.append(el)


def write_docx(blocks: list[B], path: Path, doc_title: str, author: str) -> None:
    import docx
    from docx.shared import Cm, Pt

    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(13)
    for b in blocks:
        if b.kind == "title":
            para = document.add_paragraph(b.text, style="Title")
        elif b.kind == "h":
            para = document.add_heading(b.text, level=min(b.level, 9))
        elif b.kind == "table" and b.table is not None:
            if b.table.caption:
                cap = document.add_paragraph()
                cap.add_run(b.table.caption).bold = True
                _docx_align(cap, "center")
            _docx_table(document, b.table)
            if b.table.note:
                note = document.add_paragraph()
                note.add_run(b.table.note).italic = True
            continue
        else:
            para = document.add_paragraph()
            run = para.add_run(b.text)
            run.bold = b.style == "bold"
            run.italic = b.style == "italic"
            if b.kind == "item":
                para.paragraph_format.left_indent = Cm(0.75)
        _docx_align(para, b.align)
    props = document.core_properties
    props.title = doc_title
    props.author = author
    props.last_modified_by = author
    props.created = FIXED.replace(tzinfo=None)
    props.modified = FIXED.replace(tzinfo=None)
    props.revision = 1
    buf = io.BytesIO()
    document.save(buf)
    path.write_bytes(_fix_zip(buf.getvalue()))


# --- Markdown and plain text ---------------------------------------------------------------------


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


# --- PDF (fpdf2) ---------------------------------------------------------------------------------


def new_pdf(header: str | None = None, footer_pages: bool = True, title_: str = "", author: str = ""):
    from fpdf import FPDF

    class Doc(FPDF):
        def header(self) -> None:  # running header on every page: chrome a reader must drop
            if header:
                self.set_font("DejaVuSerif", "I", 9)
                self.cell(0, 6, header, align="C", new_x="LMARGIN", new_y="NEXT")
                self.ln(3)

        def footer(self) -> None:
            if footer_pages:
                self.set_y(-15)
                self.set_font("DejaVuSerif", "I", 9)
                self.cell(0, 10, f"Trang {self.page_no()}", align="C")

    pdf = Doc(unit="mm", format="A4")
    pdf.set_margins(25, 18, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("DejaVuSerif", "", str(FONT_DIR / "DejaVuSerif.ttf"))
    pdf.add_font("DejaVuSerif", "B", str(FONT_DIR / "DejaVuSerif-Bold.ttf"))
    pdf.add_font("DejaVuSerif", "I", str(FONT_DIR / "DejaVuSerif-Italic.ttf"))
    pdf.add_font("DejaVuSerif", "BI", str(FONT_DIR / "DejaVuSerif-BoldItalic.ttf"))
    pdf.set_creation_date(FIXED)
    pdf.set_title(title_)
    pdf.set_author(author)
    pdf.set_producer("fpdf2")
    pdf.set_creator("evals/genres/build.py")
    return pdf


def pdf_blocks(pdf, blocks: list[B], size: float = 11.5) -> None:
    from fpdf.fonts import FontFace

    for b in blocks:
        align = {"center": "C", "right": "R", "justify": "J"}.get(b.align, "L")
        if b.kind == "table" and b.table is not None:
            t = b.table
            if t.caption:
                pdf.set_font("DejaVuSerif", "B", size)
                pdf.multi_cell(0, 6, t.caption, align="C", new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1)
            pdf.set_font("DejaVuSerif", "", 9)
            widths = t.col_widths or tuple([1] * t.ncols)
            with pdf.table(
                col_widths=widths,
                num_heading_rows=len(t.header),
                repeat_headings=1,
                headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
                line_height=4.6,
                text_align="CENTER",
                borders_layout="ALL",
            ) as pt:
                for row in t.header + t.rows:
                    r = pt.row()
                    for raw in row:
                        cell = _cell(raw)
                        style = FontFace(emphasis="BOLD") if cell.colspan > 2 else None
                        r.cell(cell.text, colspan=cell.colspan, rowspan=cell.rowspan, style=style)
            if t.note:
                pdf.set_font("DejaVuSerif", "I", 9)
                pdf.multi_cell(0, 5, t.note, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
            continue
        if b.kind == "title":
            pdf.set_font("DejaVuSerif", "B", size + 2)
        elif b.kind == "h":
            pdf.set_font("DejaVuSerif", "B", size)
        elif b.kind == "sig":
            pdf.set_font("DejaVuSerif", "B" if b.style == "bold" else "", size)
        else:
            pdf.set_font("DejaVuSerif", "I" if b.style == "italic" else "", size)
        if b.kind == "h":
            pdf.ln(1.5)
        pdf.multi_cell(0, 6, b.text, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


# --- scanned pages (PIL) -------------------------------------------------------------------------

DPI = 300
A4_PX = (2480, 3508)


def _font(size_pt: float, bold: bool = False, italic: bool = False):
    from PIL import ImageFont

    name = "DejaVuSerif" + ("-Bold" if bold else "") + ("Italic" if italic and bold else "")
    if italic and not bold:
        name = "DejaVuSerif-Italic"
    return ImageFont.truetype(str(FONT_DIR / f"{name}.ttf"), round(size_pt * DPI / 72))


@dataclass(frozen=True)
class Line:
    """One element of a scanned page: text placed in a column (x0..x1 in px), aligned, wrapped."""

    text: str
    size: float = 13
    bold: bool = False
    italic: bool = False
    align: str = "left"  # left | center | justify
    x0: int = 354  # 3 cm left margin
    x1: int = 2244  # 2 cm right margin
    indent: int = 0  # first-line indent
    gap: float = 0.35  # space after, in line heights


def _wrap(draw, text: str, font, width: int, indent: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        trial = f"{cur} {w}".strip()
        avail = width - (indent if not lines else 0)
        if cur and draw.textlength(trial, font=font) > avail:
            lines.append(cur)
            cur = w
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


def render_scan(columns: list[list[Line]], body: list[Line], skew_deg: float = 0.35):
    """A page as a 300-dpi greyscale scan: header columns side by side, then the body, then a slight
    skew and blur the way a flatbed scanner leaves it. No text layer, of course."""
    from PIL import Image, ImageDraw, ImageFilter

    img = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(img)

    def place(lines: list[Line], y: int) -> int:
        for ln in lines:
            font = _font(ln.size, ln.bold, ln.italic)
            height = round(ln.size * DPI / 72 * 1.32)
            for i, piece in enumerate(_wrap(draw, ln.text, font, ln.x1 - ln.x0, ln.indent)):
                width = draw.textlength(piece, font=font)
                if ln.align == "center":
                    x = ln.x0 + (ln.x1 - ln.x0 - width) / 2
                else:
                    x = ln.x0 + (ln.indent if i == 0 else 0)
                draw.text((x, y), piece, font=font, fill=25)
                y += height
            y += round(height * ln.gap)
        return y

    top = 236  # 2 cm
    y = max(place(col, top) for col in columns) if columns else top
    y = place(body, y + 40)
    img = img.rotate(skew_deg, resample=Image.BICUBIC, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(0.7))
    # a scanner's paper tone: light grey, quantised so the PNG stays small
    img = img.point(lambda v: 242 if v > 235 else v)
    return img.quantize(colors=16, dither=Image.Dither.NONE).convert("L")


def png_bytes(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True, dpi=(DPI, DPI))
    return buf.getvalue()


def pdf_scan_page(pdf, img) -> None:
    """An image-only page: the scan fills the A4 page, no text is drawn."""
    pdf.add_page()
    pdf.image(io.BytesIO(png_bytes(img)), x=0, y=0, w=210, h=297)


# --- XLSX ----------------------------------------------------------------------------------------


def xlsx_with_cached_values(wb, cached: dict[str, dict[str, float]]) -> bytes:
    """openpyxl writes formulas without their results; Excel files always carry them, so add the
    values (`cached[sheet_xml_name][cell_ref]`) the way Excel would have saved them."""
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    patch = {}
    for part, values in cached.items():
        xml = src.read(part).decode("utf-8")
        for ref, value in values.items():
            pattern = re.compile(rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/?>(?:</v>)?')
            xml, n = pattern.subn(lambda m, v=value: f"{m[1]}{m[2]}<v>{v!r}</v>", xml)
            if n != 1:
                raise RuntimeError(f"{part}: formula cell {ref} not found for its cached value")
        patch[part] = xml.encode("utf-8")
    core = src.read("docProps/core.xml").decode("utf-8")  # openpyxl stamps "modified" with the clock
    patch["docProps/core.xml"] = re.sub(
        r"(<dcterms:modified[^>]*>)[^<]*", rf"\g<1>{FIXED:%Y-%m-%dT%H:%M:%SZ}", core
    ).encode("utf-8")
    return _fix_zip(buf.getvalue(), patch)
