"""Office files: blocks in, .docx out; a `Sheet` in, .xlsx out (with the values Excel would cache).

python-docx and openpyxl stamp the clock into their zip packages and metadata; here every timestamp
is fixed, so a rebuild gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from evaluation.genre_docs.model import FIXED, B, Sheet, Table

ZIP_TIME = (2025, 12, 1, 8, 0, 0)


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


# --- XLSX ----------------------------------------------------------------------------------------


def _vn(value: float, fmt: str) -> str:
    """A number as Excel shows it in a Vietnamese locale: '.' thousands, ',' decimals."""
    if fmt.endswith("%"):
        return f"{value * 100:.1f}".replace(".", ",") + "%"
    digits = 1 if fmt.endswith(".0") else 0
    s = f"{value:,.{digits}f}"
    return s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _with_cached_values(wb, cached: dict[str, dict[str, float]]) -> bytes:
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


def write_xlsx(
    sheet: Sheet, path: Path, doc_title: str, author: str, created: dt.datetime
) -> list[list[str]]:
    """Write the sheet; returns its data rows as Excel shows them (what a reader must keep)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet.name
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    last_col = get_column_letter(len(sheet.header))
    ws["A1"] = sheet.title
    ws.merge_cells(f"A1:{last_col}1")
    ws["A1"].font = Font(bold=True, size=13)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws["A2"] = sheet.subtitle
    ws.merge_cells(f"A2:{last_col}2")
    ws["A2"].alignment = Alignment(horizontal="center")
    ws["A2"].font = Font(italic=True)
    ws.append([])
    ws.append(list(sheet.header))
    first = 5
    cached: dict[str, float] = {}
    shown: list[list[str]] = []
    since = 0  # the first row a total adds up: the table's first, or the one after the last total
    for i, row in enumerate(sheet.rows):
        r = first + i
        ws.cell(r, 1, i + 1)
        ws.cell(r, 2, row.label)
        ws.cell(r, 3, row.unit)
        if row.plan is None or row.actual is None:  # a total: a formula over the rows above it
            ws.cell(r, 4, f"=SUM(D{first + since}:D{r - 1})")
            ws.cell(r, 5, f"=SUM(E{first + since}:E{r - 1})")
            above = sheet.rows[since:i]
            plan, actual = sum(x.plan or 0 for x in above), sum(x.actual or 0 for x in above)
            cached[f"D{r}"], cached[f"E{r}"] = plan, actual
            since = i + 1
        else:
            plan, actual = row.plan, row.actual
            ws.cell(r, 4, plan)
            ws.cell(r, 5, actual)
        ws.cell(r, 4).number_format = row.number_format
        ws.cell(r, 5).number_format = row.number_format
        ws.cell(r, 6, f"=E{r}/D{r}")
        ws.cell(r, 6).number_format = "0.0%"
        ratio = round(actual / plan, 6)
        cached[f"F{r}"] = ratio
        fmt = row.number_format
        shown.append([str(i + 1), row.label, row.unit, _vn(plan, fmt), _vn(actual, fmt), _vn(ratio, "0.0%")])
    last = first + len(sheet.rows) - 1
    for k, note in enumerate(sheet.notes):
        ws.cell(last + 2 + k, 2, note)
    for row_cells in ws.iter_rows(min_row=4, max_row=last, max_col=len(sheet.header)):
        for c in row_cells:
            c.border = box
    for c in ws[4]:
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center", wrap_text=True)
    for col, width in enumerate(sheet.widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    wb.properties.created = wb.properties.modified = created
    wb.properties.creator = wb.properties.lastModifiedBy = author
    wb.properties.title = doc_title
    path.write_bytes(_with_cached_values(wb, {"xl/worksheets/sheet1.xml": cached}))
    return shown
