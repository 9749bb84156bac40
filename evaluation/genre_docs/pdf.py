"""PDF files (fpdf2): blocks in, pages with a text layer out; a scan in, an image-only page out.

A text PDF carries what a printed report does, a running header and "Trang N" footers, so the eval
measures that a reader drops them; a mixed PDF is typed pages followed by scanned ones.
"""

from __future__ import annotations

import io

from evaluation.genre_docs.model import FIXED, FONT_DIR, B, cell
from evaluation.genre_docs.scan import png_bytes

CREATOR = "python -m evaluation genre-docs"


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
    pdf.set_creator(CREATOR)
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
                        placed = cell(raw)
                        style = FontFace(emphasis="BOLD") if placed.colspan > 2 else None
                        r.cell(placed.text, colspan=placed.colspan, rowspan=placed.rowspan, style=style)
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


def pdf_scan_page(pdf, img) -> None:
    """An image-only page: the scan fills the A4 page, no text is drawn."""
    pdf.add_page()
    pdf.image(io.BytesIO(png_bytes(img)), x=0, y=0, w=210, h=297)
