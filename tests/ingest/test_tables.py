"""Tables read as self-describing rows, on real files built here (python-docx, openpyxl, HTML by hand):
each row carries its label, group label, column headers (joined across header rows) and the unit on
every bare figure, digits untouched; merged cells apply to all they span; nothing is lost."""

from __future__ import annotations

import io
import re
import zipfile

import docx
import pytest
from openpyxl import Workbook

from app.ingest.blocks import Block
from app.ingest.errors import CorruptDocument
from app.ingest.formats.xlsx import vn_number
from app.ingest.loaders import SUPPORTED, read_bytes
from app.ingest.tables import Spanned, is_unit, split_unit, table_blocks


def _rows(blocks: list[Block]) -> list[str]:
    return [b.text for b in blocks if b.kind == "row"]


def _survives(cells: list[str], blocks: list[Block]) -> None:
    text = "\n".join(b.text for b in blocks)
    lost = [c for c in cells if c not in text]
    assert not lost, f"cell text lost: {lost}"


# --- DOCX: two header rows, a header merged across, a group label merged down ---------------------


def _docx_with_merges() -> bytes:
    d = docx.Document()
    d.add_paragraph("Phần mở đầu của báo cáo.")
    d.add_paragraph("Bảng 1. Kết quả thu chi ngân sách năm 2025")
    t = d.add_table(rows=5, cols=5)
    t.cell(0, 0).merge(t.cell(1, 0))  # "Lĩnh vực" over both header rows
    t.cell(0, 1).merge(t.cell(1, 1))  # "Chỉ tiêu" over both header rows
    t.cell(0, 2).merge(t.cell(0, 3))  # "Năm 2025" over "Dự toán" and "Thực hiện"
    t.cell(0, 4).merge(t.cell(1, 4))
    t.cell(2, 0).merge(t.cell(3, 0))  # "Kinh tế" groups two rows
    cells = {
        (0, 0): "Lĩnh vực", (0, 1): "Chỉ tiêu", (0, 2): "Năm 2025", (0, 4): "So với dự toán (%)",
        (1, 2): "Dự toán (tỷ đồng)", (1, 3): "Thực hiện (tỷ đồng)",
        (2, 0): "Kinh tế", (2, 1): "Tổng thu ngân sách", (2, 2): "318,6", (2, 3): "348,5", (2, 4): "109,4",
        (3, 1): "Tổng chi ngân sách", (3, 2): "4.985", (3, 3): "4.720,3", (3, 4): "94,7",
        (4, 0): "Xã hội", (4, 1): "Chi an sinh xã hội", (4, 2): "15", (4, 3): "16,2", (4, 4): "108",
    }  # fmt: skip
    for (r, c), text in cells.items():
        t.cell(r, c).text = text
    d.add_paragraph("Ủy ban nhân dân phường tiếp tục theo dõi tiến độ.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_two_row_header_and_merged_group_label() -> None:
    extracted = read_bytes("bao-cao.docx", _docx_with_merges())
    blocks = extracted.blocks
    assert [b.kind for b in blocks] == ["para", "caption", "header", "row", "row", "row", "para"]
    assert blocks[2].text == (
        "Lĩnh vực | Chỉ tiêu | Năm 2025 › Dự toán (tỷ đồng) | Năm 2025 › Thực hiện (tỷ đồng) | "
        "So với dự toán (%)"
    )
    assert blocks[1].text == "Bảng 1. Kết quả thu chi ngân sách năm 2025" and blocks[1].table == 1
    assert _rows(blocks) == [
        "Kinh tế › Tổng thu ngân sách — Năm 2025 › Dự toán: 318,6 tỷ đồng; "
        "Năm 2025 › Thực hiện: 348,5 tỷ đồng; So với dự toán: 109,4%",
        "Kinh tế › Tổng chi ngân sách — Năm 2025 › Dự toán: 4.985 tỷ đồng; "
        "Năm 2025 › Thực hiện: 4.720,3 tỷ đồng; So với dự toán: 94,7%",
        "Xã hội › Chi an sinh xã hội — Năm 2025 › Dự toán: 15 tỷ đồng; "
        "Năm 2025 › Thực hiện: 16,2 tỷ đồng; So với dự toán: 108%",
    ]
    assert [(b.table, b.row) for b in blocks if b.kind == "row"] == [(1, 1), (1, 2), (1, 3)]
    data = ["Kinh tế", "Tổng thu ngân sách", "318,6", "348,5", "109,4", "Tổng chi ngân sách", "4.985",
            "4.720,3", "94,7", "Xã hội", "Chi an sinh xã hội", "15", "16,2", "108", "Năm 2025", "Dự toán",
            "Thực hiện", "So với dự toán", "tỷ đồng", "%"]  # fmt: skip
    _survives(data, blocks)


def test_docx_unit_column_stt_and_sections() -> None:
    d = docx.Document()
    grid = [
        ["STT", "Chỉ tiêu", "ĐVT", "Kế hoạch", "Thực hiện", "Tỷ lệ (%)"],
        ["I", "Kinh tế", "", "", "", ""],
        ["1", "Tổng thu ngân sách", "tỷ đồng", "318,6", "348,5", "109,4"],
        ["2", "Dân số trung bình", "người", "4.985", "5.001", "100,3"],
        ["II", "Xã hội", "", "", "", ""],
        ["1", "Tỷ lệ hộ nghèo", "%", "1,2", "0,9", "-"],
    ]
    t = d.add_table(rows=len(grid), cols=6)
    for r, row in enumerate(grid):
        for c, text in enumerate(row):
            t.cell(r, c).text = text
    buf = io.BytesIO()
    d.save(buf)
    assert _rows(read_bytes("chi-tieu.docx", buf.getvalue()).blocks) == [
        "I. Kinh tế",
        "I. Kinh tế › 1. Tổng thu ngân sách — Kế hoạch: 318,6 tỷ đồng; Thực hiện: 348,5 tỷ đồng; "
        "Tỷ lệ: 109,4%",
        "I. Kinh tế › 2. Dân số trung bình — Kế hoạch: 4.985 người; Thực hiện: 5.001 người; Tỷ lệ: 100,3%",
        "II. Xã hội",
        "II. Xã hội › 1. Tỷ lệ hộ nghèo — Kế hoạch: 1,2%; Thực hiện: 0,9%; Tỷ lệ: -",
    ]


def test_docx_layout_table_is_paragraphs() -> None:
    d = docx.Document()
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nPHƯỜNG THỬ NGHIỆM"
    t.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    t.cell(1, 0).text = "Số: 12/BC-UBND"
    t.cell(1, 1).text = "Thử Nghiệm, ngày 5 tháng 1 năm 2026"
    one = d.add_table(rows=1, cols=1)
    one.cell(0, 0).text = "Ghi chú: số liệu năm 2025 là số ước thực hiện."
    buf = io.BytesIO()
    d.save(buf)
    blocks = read_bytes("cong-van.docx", buf.getvalue()).blocks
    assert [(b.kind, b.text) for b in blocks] == [
        ("para", "ỦY BAN NHÂN DÂN"),
        ("para", "PHƯỜNG THỬ NGHIỆM"),
        ("para", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        ("para", "Độc lập - Tự do - Hạnh phúc"),
        ("para", "Số: 12/BC-UBND"),
        ("para", "Thử Nghiệm, ngày 5 tháng 1 năm 2026"),
        ("para", "Ghi chú: số liệu năm 2025 là số ước thực hiện."),
    ]


# --- HTML: colspan, rowspan, <caption>, a unit in the caption -------------------------------------

HTML = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Báo cáo</title></head><body>
<article><h1>Báo cáo kinh tế - xã hội năm 2025</h1>
<p>Kết quả thực hiện các chỉ tiêu chủ yếu như sau.</p>
<table>
  <caption>Bảng 2. Thu chi ngân sách (Đơn vị tính: tỷ đồng)</caption>
  <thead>
    <tr><th rowspan="2">Lĩnh vực</th><th rowspan="2">Chỉ tiêu</th><th colspan="2">Năm 2025</th>
        <th rowspan="2">Tỷ lệ (%)</th></tr>
    <tr><th>Kế hoạch</th><th>Thực hiện</th></tr>
  </thead>
  <tbody>
    <tr><td rowspan="2">Kinh tế</td><td>Tổng thu ngân sách</td><td>318,<b>6</b></td><td>348,5</td>
        <td>109,4</td></tr>
    <tr><td>Tổng chi</td><td colspan="2">Không giao chỉ tiêu</td><td>-</td></tr>
    <tr><td>Xã hội</td><td>Hộ nghèo<br>(hộ)</td><td>12</td><td>9</td><td>75</td></tr>
    <tr><td></td><td></td><td></td><td></td><td></td></tr>
  </tbody>
</table>
<table><tr><td>Ảnh: UBND phường</td></tr></table>
</article></body></html>"""


def test_html_colspan_rowspan_and_caption() -> None:
    blocks = read_bytes("bao-cao.html", HTML.encode()).blocks
    caption = next(b for b in blocks if b.kind == "caption")
    assert caption.text == "Bảng 2. Thu chi ngân sách (Đơn vị tính: tỷ đồng)" and caption.table == 1
    assert _rows(blocks) == [
        "Kinh tế › Tổng thu ngân sách — Năm 2025 › Kế hoạch: 318,6 tỷ đồng; "
        "Năm 2025 › Thực hiện: 348,5 tỷ đồng; Tỷ lệ: 109,4%",
        "Kinh tế › Tổng chi — Năm 2025 › Kế hoạch, Năm 2025 › Thực hiện: Không giao chỉ tiêu; Tỷ lệ: -",
        "Xã hội › Hộ nghèo (hộ) — Năm 2025 › Kế hoạch: 12 hộ; Năm 2025 › Thực hiện: 9 hộ; Tỷ lệ: 75%",
    ]
    assert blocks.index(caption) < next(i for i, b in enumerate(blocks) if b.kind == "row")
    assert blocks[-1].kind == "para" and blocks[-1].text == "Ảnh: UBND phường"  # a one-cell table


# --- XLSX: title row, header units, percent format, formulas ---------------------------------------


def _xlsx(cache_formula: bool = True) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "KT-XH 2025"
    ws.append(["BẢNG CHỈ TIÊU KINH TẾ - XÃ HỘI NĂM 2025"])
    ws.merge_cells("A1:E1")
    ws.append([])
    ws.append(["Chỉ tiêu", "Dự toán (tỷ đồng)", "Thực hiện (tỷ đồng)", "So với dự toán", "Dân số (người)"])
    ws.append(["Tổng thu ngân sách", 318.6, 348.5, "=C4/B4", 4985])
    ws["D4"].number_format = "0.0%"
    ws.append(["Tổng chi ngân sách", 300, 290.25, 0.9675, None])
    ws["D5"].number_format = "0.0%"
    ws.append(["Ghi chú", "số liệu ước", None, None, None])
    notes = wb.create_sheet("Sheet2")
    notes.append(["Nguồn: Chi cục Thống kê khu vực"])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if not cache_formula:
        return data
    # openpyxl writes no cached result for a formula; Excel would. Add the one Excel would save.
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body, n = re.subn(rb"(<f>C4/B4</f>)<v\s*/?>(</v>)?", rb"\g<1><v>1.0938480853735091</v>", body)
                assert n == 1
            dst.writestr(item, body)
    return out.getvalue()


def test_xlsx_title_row_units_percent_and_formula() -> None:
    extracted = read_bytes("chi-tieu.xlsx", _xlsx())
    blocks = extracted.blocks
    assert extracted.source == "xlsx"
    assert extracted.title == "BẢNG CHỈ TIÊU KINH TẾ - XÃ HỘI NĂM 2025"
    assert (blocks[0].kind, blocks[0].level, blocks[0].text) == ("heading", 2, "KT-XH 2025")
    assert (blocks[1].kind, blocks[1].table, blocks[1].text) == (
        "caption",
        1,
        "BẢNG CHỈ TIÊU KINH TẾ - XÃ HỘI NĂM 2025",
    )
    assert _rows(blocks) == [
        "Tổng thu ngân sách — Dự toán: 318,6 tỷ đồng; Thực hiện: 348,5 tỷ đồng; So với dự toán: 109,4%; "
        "Dân số: 4.985 người",
        "Tổng chi ngân sách — Dự toán: 300 tỷ đồng; Thực hiện: 290,25 tỷ đồng; So với dự toán: 96,8%",
        "Ghi chú — Dự toán: số liệu ước",
    ]
    assert blocks[-1].kind == "para" and blocks[-1].text == "Nguồn: Chi cục Thống kê khu vực"
    assert [(r.text, r.reason) for r in extracted.removed] == [("Sheet2", "default sheet name")]


def test_xlsx_formula_without_saved_result_is_named() -> None:
    extracted = read_bytes("chi-tieu.xlsx", _xlsx(cache_formula=False))
    assert "So với dự toán: 109,4%" not in extracted.blocks[2].text
    assert ("KT-XH 2025!D4: =C4/B4", "formula with no saved result") in [
        (r.text, r.reason.split(" (")[0]) for r in extracted.removed
    ]


def test_xlsx_numbers_the_vietnamese_way() -> None:
    assert vn_number(348.5) == "348,5"
    assert vn_number(4985) == "4.985"
    assert vn_number(2025) == "2025"  # a year, not "2.025"
    assert vn_number(1.094, "0.0%") == "109,4%"
    assert vn_number(0.1 + 0.2) == "0,3"
    assert vn_number(1234567.891, "#,##0.00") == "1.234.567,89"
    assert vn_number(12345, "0") == "12345"
    assert vn_number(-5.5) == "-5,5"


def test_xlsx_supported_and_corrupt() -> None:
    assert ".xlsx" in SUPPORTED
    with pytest.raises(CorruptDocument, match=r"bang\.xlsx.*not an XLSX.*\.xls"):
        read_bytes("bang.xlsx", b"\xd0\xcf\x11\xe0 an old binary .xls")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "xin chào")
    with pytest.raises(CorruptDocument, match=r"bang\.xlsx.*could not be read.*save it again"):
        read_bytes("bang.xlsx", buf.getvalue())


# --- table_blocks on plain grids ---------------------------------------------------------------------


def test_units_from_headers_and_caption() -> None:
    assert split_unit("Thực hiện (tỷ đồng)") == ("Thực hiện", "tỷ đồng")
    assert split_unit("Tỷ lệ (%)") == ("Tỷ lệ", "%")
    assert split_unit("Giá trị - ĐVT: triệu đồng") == ("Giá trị", "triệu đồng")
    assert split_unit("Kế hoạch (ước)") == ("Kế hoạch (ước)", None)  # a qualifier, not a unit
    assert is_unit("người/km²") and not is_unit("điều chỉnh")
    grid = [["Chỉ tiêu", "Thực hiện 2025", "So với dự toán (%)"], ["Tổng thu ngân sách", "348,5", "109,4"]]
    blocks = table_blocks(grid, 3, caption="Đơn vị tính: tỷ đồng", page=2)
    assert [(b.kind, b.text, b.table, b.page) for b in blocks] == [
        ("caption", "Đơn vị tính: tỷ đồng", 3, 2),
        ("header", "Chỉ tiêu | Thực hiện 2025 | So với dự toán (%)", 3, 2),
        ("row", "Tổng thu ngân sách — Thực hiện 2025: 348,5 tỷ đồng; So với dự toán: 109,4%", 3, 2),
    ]


def test_plain_grid_label_header_numbering_row_and_empty_rows() -> None:
    grid = [
        ["Phường", "Dân số", "Diện tích (km²)"],
        ["A", "1", "2"],
        ["", "", ""],
        ["Quy Nhơn", "12.000 người", "36,3"],
        [None, "", None],
        ["Ghềnh Ráng", "9.870 người", "-"],
    ]
    assert _rows(table_blocks(grid, 1)) == [
        "Phường: Quy Nhơn — Dân số: 12.000 người; Diện tích: 36,3 km²",
        "Phường: Ghềnh Ráng — Dân số: 9.870 người; Diện tích: -",
    ]


def test_header_spanning_columns_by_marks() -> None:
    grid = [
        ["Chỉ tiêu", "6 tháng", Spanned("6 tháng", across=True), "Cả năm"],
        [Spanned("Chỉ tiêu", down=True), "2024", "2025", "2025"],
        ["Thu ngân sách (tỷ đồng)", "150", "171,2", "348,5"],
    ]
    assert _rows(table_blocks(grid, 1)) == [
        "Thu ngân sách (tỷ đồng) — 6 tháng › 2024: 150 tỷ đồng; 6 tháng › 2025: 171,2 tỷ đồng; "
        "Cả năm › 2025: 348,5 tỷ đồng"
    ]


def test_headerless_and_single_row_tables() -> None:
    assert _rows(table_blocks([["Tổng thu", "348,5"], ["Tổng chi", "290"]], 1)) == [
        "Tổng thu — 348,5",
        "Tổng chi — 290",
    ]
    assert _rows(table_blocks([["Chỉ tiêu", "Kết quả"]], 1)) == ["Chỉ tiêu | Kết quả"]
    assert table_blocks([["", None]], 1, caption="Bảng trống") == [Block("Bảng trống", "caption", table=1)]


def test_markdown_pipe_table_through_the_reader() -> None:
    md = "Kết quả năm 2025:\n\n| Chỉ tiêu | Thực hiện (tỷ đồng) |\n|---|---|\n| Tổng thu | 348,5 |\n"
    blocks = read_bytes("bao-cao.md", md.encode()).blocks
    assert _rows(blocks) == ["Tổng thu — Thực hiện: 348,5 tỷ đồng"]
