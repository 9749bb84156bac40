"""The PDF reader on real files built here with fpdf2: paragraphs and ruled tables in page order with
page numbers, header rows merged across and down, tables continued over a page break, running
headers/footers and page numbers removed and named, scanned pages sent to OCR (or refused plainly)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fpdf import FPDF

from app.ingest.blocks import Block
from app.ingest.errors import NoTextLayer
from app.ingest.formats.pdf import join_pdf_lines
from app.ingest.loaders import read_bytes

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BOLD = FONT.with_name("DejaVuSans-Bold.ttf")
pytestmark = pytest.mark.skipif(
    not (FONT.exists() and BOLD.exists()),
    reason=f"{FONT} missing (apt install fonts-dejavu-core): no Vietnamese PDF font",
)

HEADER = "ỦY BAN NHÂN DÂN PHƯỜNG THỬ NGHIỆM"
TITLE = "Báo cáo kinh tế - xã hội năm 2025"
WRAPPED = (
    "Năm 2025, phường Thử Nghiệm triển khai đồng bộ các giải pháp phát triển kinh tế - xã hội, tổng "
    "thu ngân sách đạt 348,5 tỷ đồng, bằng 109,4% dự toán, giải ngân vốn đầu tư công của phường đạt "
    "92,1% kế hoạch năm."
)
# Justified, it wraps before "1.250": a line that starts with a figure but goes on the sentence.
FIGURE_WRAP = (
    "Bản kế hoạch cải cách hành chính và chuyển đổi số năm 2026 của phường đã được gửi đến "
    "1.250 hộ gia đình trên địa bàn để lấy ý kiến."
)
LINE = {"new_x": "LMARGIN", "new_y": "NEXT"}


class Report(FPDF):
    """A4 report: a running header on every page, "Trang N" (or `footer_text`) at the bottom."""

    def __init__(self, footer_text: str = "Trang {n}", header_text: str | None = HEADER) -> None:
        super().__init__()
        self.footer_text = footer_text
        self.header_text = header_text
        self.add_font("DejaVu", fname=str(FONT))
        self.add_font("DejaVu", style="B", fname=str(BOLD))
        self.set_font("DejaVu", size=11)

    def header(self) -> None:
        if self.header_text:
            self.set_font("DejaVu", size=9)
            self.cell(0, 6, self.header_text, align="C")
            self.ln(12)
            self.set_font("DejaVu", size=11)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("DejaVu", size=9)
        self.cell(0, 10, self.footer_text.format(n=self.page_no()), align="C")
        self.set_font("DejaVu", size=11)

    def para(self, text: str) -> None:
        self.multi_cell(0, 6, text, align="J", **LINE)
        self.ln(4)


def _report() -> bytes:
    pdf = Report()
    pdf.add_page()
    pdf.cell(0, 8, TITLE, **LINE)
    pdf.ln(4)
    pdf.para(WRAPPED)
    pdf.cell(0, 8, "Bảng 1. Kết quả thu chi ngân sách năm 2025", **LINE)
    pdf.cell(0, 6, "Đơn vị tính: tỷ đồng", **LINE)
    with pdf.table(col_widths=(60, 30, 30, 30), num_heading_rows=2) as t:
        r = t.row()
        r.cell("Chỉ tiêu", rowspan=2)
        r.cell("Năm 2025", colspan=2)
        r.cell("So với dự toán (%)", rowspan=2)
        r = t.row()
        r.cell("Dự toán")
        r.cell("Thực hiện")
        for values in [
            ("Tổng thu ngân sách", "318,6", "348,5", "109,4"),
            ("Tổng chi ngân sách", "4.985", "4.720,3", "94,7"),
        ]:
            r = t.row()
            for value in values:
                r.cell(value)
    pdf.ln(4)
    pdf.para("Sau bảng là nhận xét về tình hình thu chi ngân sách của phường.")
    pdf.add_page()
    pdf.para("Trang hai trình bày tình hình văn hóa - xã hội trên địa bàn phường.")
    pdf.para(FIGURE_WRAP)
    pdf.para("Công tác chăm lo an sinh xã hội được thực hiện đầy đủ, kịp thời cho 1.250 hộ gia đình")
    pdf.add_page()
    pdf.para("chính sách, bảo đảm đúng đối tượng, đúng chế độ theo quy định.")
    pdf.cell(0, 8, "Bảng 2. Dân số và lao động:", **LINE)
    with pdf.table(col_widths=(60, 40, 40)) as t:
        for values in [
            ("Chỉ tiêu", "Năm 2024 (người)", "Năm 2025 (người)"),
            ("Dân số trung bình", "12.000", "12.480"),
        ]:
            r = t.row()
            for value in values:
                r.cell(value)
    return bytes(pdf.output())


def _rows(blocks: list[Block]) -> list[tuple[int | None, int | None, int | None, str]]:
    return [(b.page, b.table, b.row, b.text) for b in blocks if b.kind == "row"]


def test_pdf_paragraphs_tables_pages_and_running_lines() -> None:
    extracted = read_bytes("bao-cao.pdf", _report())
    blocks = extracted.blocks
    assert extracted.source == "pdf"
    assert next(b.text for b in blocks if b.kind == "header") == (
        "Chỉ tiêu | Năm 2025 › Dự toán | Năm 2025 › Thực hiện | So với dự toán (%)"
    )
    assert [(b.page, b.kind, b.text) for b in blocks if b.kind not in ("row", "header")] == [
        (1, "para", TITLE),
        (1, "para", WRAPPED),  # the lines the page wrapped, joined
        (1, "caption", "Bảng 1. Kết quả thu chi ngân sách năm 2025"),
        (1, "caption", "Đơn vị tính: tỷ đồng"),
        (1, "para", "Sau bảng là nhận xét về tình hình thu chi ngân sách của phường."),
        (2, "para", "Trang hai trình bày tình hình văn hóa - xã hội trên địa bàn phường."),
        (2, "para", FIGURE_WRAP),  # joined though its second line starts with a figure
        (  # a paragraph the page break cut is one block, on the page where it starts
            2,
            "para",
            "Công tác chăm lo an sinh xã hội được thực hiện đầy đủ, kịp thời cho 1.250 hộ gia đình "
            "chính sách, bảo đảm đúng đối tượng, đúng chế độ theo quy định.",
        ),
        (3, "caption", "Bảng 2. Dân số và lao động:"),
    ]
    assert _rows(blocks) == [
        (1, 1, 1, "Tổng thu ngân sách — Năm 2025 › Dự toán: 318,6 tỷ đồng; "
                  "Năm 2025 › Thực hiện: 348,5 tỷ đồng; So với dự toán: 109,4%"),
        (1, 1, 2, "Tổng chi ngân sách — Năm 2025 › Dự toán: 4.985 tỷ đồng; "
                  "Năm 2025 › Thực hiện: 4.720,3 tỷ đồng; So với dự toán: 94,7%"),
        (3, 2, 1, "Dân số trung bình — Năm 2024: 12.000 người; Năm 2025: 12.480 người"),
    ]  # fmt: skip
    # rows sit between their caption and the paragraph after the table
    kinds = [b.kind for b in blocks if b.page == 1 and b.kind != "header"]
    assert kinds == ["para", "para", "caption", "caption", "row", "row", "para"]
    text = "\n".join(b.text for b in blocks)
    for cell in ["Năm 2025", "Dự toán", "Thực hiện", "So với dự toán", "318,6", "348,5", "109,4", "4.985",
                 "4.720,3", "94,7", "Dân số trung bình", "12.000", "12.480", "Năm 2024"]:  # fmt: skip
        assert cell in text
    assert HEADER not in text and "Trang 1" not in text
    assert [(r.text, r.reason) for r in extracted.removed] == [
        (HEADER, "page header"),
        ("Trang 1", "page number"),
        (HEADER, "page header"),
        ("Trang 2", "page number"),
        (HEADER, "page header"),
        ("Trang 3", "page number"),
    ]


def test_running_footer_of_a_two_page_document() -> None:
    pdf = Report(footer_text="Báo cáo kinh tế - xã hội năm 2025 - trang {n}/2", header_text=None)
    pdf.add_page()
    pdf.para("Nội dung trang một của báo cáo.")
    pdf.add_page()
    pdf.para("Nội dung trang hai của báo cáo.")
    extracted = read_bytes("hai-trang.pdf", bytes(pdf.output()))
    assert [(b.page, b.text) for b in extracted.blocks] == [
        (1, "Nội dung trang một của báo cáo."),
        (2, "Nội dung trang hai của báo cáo."),
    ]
    assert [(r.text, r.reason) for r in extracted.removed] == [
        ("Báo cáo kinh tế - xã hội năm 2025 - trang 1/2", "page footer"),
        ("Báo cáo kinh tế - xã hội năm 2025 - trang 2/2", "page footer"),
    ]


def test_lone_page_numbers() -> None:
    pdf = Report(footer_text="- {n} -", header_text=None)
    for n in range(1, 4):
        pdf.add_page()
        pdf.para(f"Kết quả cụ thể của kỳ báo cáo thứ {n}.")
    extracted = read_bytes("ky.pdf", bytes(pdf.output()))
    assert [b.text for b in extracted.blocks] == [
        f"Kết quả cụ thể của kỳ báo cáo thứ {n}." for n in (1, 2, 3)
    ]
    assert [(r.text, r.reason) for r in extracted.removed] == [(f"- {n} -", "page number") for n in (1, 2, 3)]


def test_table_continued_on_next_page_keeps_header_and_numbering() -> None:
    pdf = Report()
    pdf.add_page()
    pdf.cell(0, 8, "Bảng 1. Thu ngân sách theo khoản", **LINE)
    with pdf.table(col_widths=(70, 40, 40), repeat_headings=0) as t:
        for values in [("Khoản thu", "Dự toán (tỷ đồng)", "Thực hiện (tỷ đồng)")] + [
            (f"Khoản thu số {k}", f"{100 + k},5", f"{110 + k},2") for k in range(1, 41)
        ]:
            r = t.row()
            for value in values:
                r.cell(value)
    blocks = read_bytes("dai.pdf", bytes(pdf.output())).blocks
    rows = [b for b in blocks if b.kind == "row"]
    assert len(rows) == 40 and {b.table for b in rows} == {1}
    assert [b.row for b in rows] == list(range(1, 41))
    assert {b.page for b in rows} == {1, 2}
    assert rows[-1].page == 2
    assert rows[-1].text == "Khoản thu số 40 — Dự toán: 140,5 tỷ đồng; Thực hiện: 150,2 tỷ đồng"


def test_line_joining_rules_unchanged_without_positions() -> None:
    assert (
        join_pdf_lines("Tổng thu đạt\n348,5 tỷ đồng") == "Tổng thu đạt\n\n348,5 tỷ đồng"
    )  # no position known
    assert join_pdf_lines("Các việc gồm:\nrà soát") == "Các việc gồm:\n\nrà soát"
    assert join_pdf_lines("gửi tới\nphường") == "gửi tới phường"


# --- pages without a text layer -------------------------------------------------------------------


def _scan() -> io.BytesIO:
    from PIL import Image, ImageDraw

    image = Image.new("L", (827, 1170), 255)  # A4 at 100 dpi
    ImageDraw.Draw(image).rectangle((100, 150, 700, 200), fill=0)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    buf.seek(0)
    return buf


def _mixed(scanned_pages: set[int], pages: int = 3, stamp: str = "") -> bytes:
    pdf = Report(header_text=None, footer_text="")
    for n in range(1, pages + 1):
        pdf.add_page()
        if n in scanned_pages:
            pdf.image(_scan(), x=0, y=0, w=210, h=297)
            if stamp:  # a few characters of text layer over the scan, as a scanner's stamp
                pdf.set_xy(150, 250)
                pdf.cell(text=stamp)
        else:
            pdf.para(f"Trang {n} có lớp chữ: báo cáo kinh tế năm 2025.")
    return bytes(pdf.output())


@pytest.fixture
def ocr(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Stands in for Tesseract: `state["available"]` toggles it, `state["calls"]` records pages."""
    module = pytest.importorskip("app.ingest.ocr")
    state: dict = {"available": True, "calls": []}

    def fake_pdf_pages(data: bytes, pages: list[int], **_: object) -> dict[int, list[Block]]:
        state["calls"].append(list(pages))
        return {n: [Block(f"Chữ đọc bằng OCR ở trang {n}.", page=n, ocr=91.5)] for n in pages}

    monkeypatch.setattr(module, "tesseract_available", lambda *a, **k: state["available"])
    monkeypatch.setattr(module, "ocr_pdf_pages", fake_pdf_pages)
    return state


def test_scanned_page_is_ocrd_in_page_order(ocr: dict) -> None:
    blocks = read_bytes("hon-hop.pdf", _mixed({2})).blocks
    assert ocr["calls"] == [[2]]
    assert [(b.page, b.text, b.ocr) for b in blocks] == [
        (1, "Trang 1 có lớp chữ: báo cáo kinh tế năm 2025.", None),
        (2, "Chữ đọc bằng OCR ở trang 2.", 91.5),
        (3, "Trang 3 có lớp chữ: báo cáo kinh tế năm 2025.", None),
    ]


def test_scanned_pages_without_tesseract_are_named(ocr: dict) -> None:
    ocr["available"] = False
    with pytest.raises(NoTextLayer, match=r"hon-hop\.pdf: pages 2, 3 of the PDF have no text layer.*OCR"):
        read_bytes("hon-hop.pdf", _mixed({2, 3}))
    with pytest.raises(NoTextLayer, match=r"scan\.pdf: the PDF has no text layer \(it looks scanned"):
        read_bytes("scan.pdf", _mixed({1, 2, 3}))
    assert ocr["calls"] == []


def test_scan_with_a_stray_text_layer_is_still_ocrd(ocr: dict) -> None:
    extracted = read_bytes("dong-dau.pdf", _mixed({2}, stamp="Đã ký số 02"))
    assert ocr["calls"] == [[2]]
    assert [b.page for b in extracted.blocks] == [1, 2, 3] and extracted.blocks[1].ocr == 91.5
    assert [(r.text, r.reason) for r in extracted.removed] == [
        ("Đã ký số 02", "text layer of a scanned page, read again by OCR")
    ]
