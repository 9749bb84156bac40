"""Loaders on real files built here (PDF via fpdf2, DOCX via python-docx, HTML by hand): every format must
reach `clean` shaped like a seed .txt, and every broken input must fail with its own, explained error."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from app.ingest import load_document
from app.ingest.loaders import (
    SUPPORTED,
    CorruptDocument,
    DocumentError,
    EmptyDocument,
    NoTextLayer,
    UnsupportedFormat,
    join_pdf_lines,
    read_bytes,
    read_text,
)
from app.text import nfc

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
needs_font = pytest.mark.skipif(
    not FONT.exists(), reason=f"{FONT} missing (apt install fonts-dejavu-core): no Vietnamese PDF font"
)

TITLE = "Báo cáo kinh tế - xã hội phường Thử Nghiệm năm 2025"
FIGURE = "Tổng thu ngân sách phường Thử Nghiệm năm 2025 đạt 123,4 tỷ đồng."
WRAPPED = [
    "Các khoản chi thường xuyên được thực hiện đúng dự toán, bảo đảm",
    "kinh phí cho giáo dục, y tế và an sinh xã hội trên địa bàn",
    "phường trong suốt năm 2025.",
]
JOINED = " ".join(WRAPPED)


def _pdf(path: Path, blocks: list[list[str]]) -> Path:
    """One line per `cell`, an empty line between blocks: pypdf then sees hard line breaks."""
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=11)
    for block in blocks:
        for line in block:
            pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
    pdf.output(str(path))
    return path


@pytest.fixture
def pdf_file(tmp_path: Path) -> Path:
    return _pdf(tmp_path / "bao-cao.pdf", [[TITLE], [FIGURE], WRAPPED])


@pytest.fixture
def image_pdf(tmp_path: Path) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 120, 80, style="F")
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    return path


@pytest.fixture
def docx_file(tmp_path: Path) -> Path:
    d = docx.Document()
    d.add_heading(TITLE, level=1)
    d.add_paragraph(FIGURE)
    d.add_paragraph(JOINED)
    table = d.add_table(rows=2, cols=2)
    for r, (a, b) in enumerate([("Chỉ tiêu", "Kết quả"), ("Thu ngân sách", "123,4 tỷ đồng")]):
        table.cell(r, 0).text = a
        table.cell(r, 1).text = b
    d.add_paragraph("Ủy ban nhân dân phường tiếp tục theo dõi tiến độ giải ngân vốn đầu tư công năm 2026.")
    path = tmp_path / "bao-cao.docx"
    d.save(str(path))
    return path


HTML = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Cổng thông tin điện tử phường</title>
<script>var trackingCode = "SCRIPTTEXT";</script><style>.x {{ color: red }}</style></head>
<body class="has-sidebar">
<header><div class="logo">Cổng thông tin HEADERTEXT</div></header>
<nav><ul><li><a href="/">Trang chủ NAVTEXT</a></li><li><a href="/tin">Tin tức</a></li></ul></nav>
<div class="main-menu"><a href="/a">Giới thiệu MENUTEXT</a></div>
<div class="breadcrumb">Trang chủ &gt; Kinh tế BREADCRUMBTEXT</div>
<div id="sidebar"><p>Tin nổi bật SIDEBARTEXT năm 2025 với rất nhiều nội dung khác nhau</p></div>
<article>
  <div class="meta">Ngày 12/3/2025 lúc 08:00</div>
  <h1>{TITLE}</h1>
  <p>{FIGURE}</p>
  <p>Các khoản chi thường xuyên được thực hiện <b>đúng dự toán</b>, bảo đảm kinh phí cho giáo dục,&nbsp;y tế
     và an sinh xã hội trên địa bàn phường trong suốt năm 2025.<br>Dòng thứ hai sau thẻ br ghi nhận 15 dự án
     hoàn thành.</p>
  <table><tr><th>Chỉ tiêu</th><th>Kết quả</th></tr>
    <tr><td>Thu ngân sách</td><td>123,4 tỷ đồng</td></tr></table>
  <div class="share-buttons">Chia sẻ SHARETEXT 2025</div>
  <div id="comments"><p>Bình luận COMMENTTEXT 2025 của bạn đọc về bài viết này rất dài</p></div>
</article>
<aside><p>Liên kết ASIDETEXT 2025</p></aside>
<footer>Bản quyền FOOTERTEXT 2025</footer>
<noscript>NOSCRIPTTEXT</noscript>
</body></html>
"""
CHROME_WORDS = [
    "SCRIPTTEXT", "HEADERTEXT", "NAVTEXT", "MENUTEXT", "BREADCRUMBTEXT", "SIDEBARTEXT", "SHARETEXT",
    "COMMENTTEXT", "ASIDETEXT", "FOOTERTEXT", "NOSCRIPTTEXT", "Cổng thông tin",
]  # fmt: skip


@pytest.fixture
def html_file(tmp_path: Path) -> Path:
    path = tmp_path / "bao-cao.html"
    path.write_text(HTML, encoding="utf-8")
    return path


def _text(path: Path) -> str:
    return "\n\n".join(b.text for b in read_text(path).blocks)


# --- PDF -------------------------------------------------------------------------------------------


@needs_font
def test_pdf_keeps_vietnamese_and_figure_and_rejoins_lines(pdf_file: Path) -> None:
    text = _text(pdf_file)
    assert text.split("\n\n") == [TITLE, FIGURE, JOINED]


@needs_font
def test_pdf_document_title_and_text(pdf_file: Path) -> None:
    doc = load_document(pdf_file)
    assert doc.title == TITLE
    assert FIGURE in doc.text
    assert JOINED in doc.text
    assert doc.source == "bao-cao.pdf"


def test_pdf_line_joining_rules() -> None:
    raw = "Kế hoạch gồm các việc\nsau đây:\na) rà soát hồ sơ\nb) lập danh sách\n\nđoạn mới bắt đầu"
    assert join_pdf_lines(raw).split("\n\n") == [
        "Kế hoạch gồm các việc sau đây:",
        "a) rà soát hồ sơ",
        "b) lập danh sách",
        "đoạn mới bắt đầu",
    ]
    assert join_pdf_lines("Câu đã xong.\nhết") == "Câu đã xong.\n\nhết"
    assert join_pdf_lines("Danh mục\n- một\n• hai\n1. ba") == "Danh mục\n\n- một\n\n• hai\n\n1. ba"


def test_image_only_pdf_needs_ocr(image_pdf: Path) -> None:
    with pytest.raises(NoTextLayer, match=r"scan\.pdf.*OCR"):
        read_text(image_pdf)


# --- DOCX ------------------------------------------------------------------------------------------


def test_docx_paragraphs_and_table_in_order(docx_file: Path) -> None:
    extracted = read_text(docx_file)
    paras = [b.text for b in extracted.blocks]
    assert paras[0] == TITLE and extracted.blocks[0].kind == "heading"
    assert paras[1:3] == [FIGURE, JOINED]
    header = extracted.blocks[3]  # the table's header line, then its one data row with that header
    assert header.kind == "header" and header.text == "Chỉ tiêu | Kết quả"
    row = extracted.blocks[4]
    assert row.kind == "row" and row.table == 1 and row.row == 1
    assert row.text.startswith("Thu ngân sách") and "Kết quả: 123,4 tỷ đồng" in row.text
    assert paras[5].startswith("Ủy ban nhân dân phường")
    doc = load_document(docx_file)
    assert doc.title == TITLE
    assert row.text in doc.text


def test_docx_without_text_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.docx"
    docx.Document().save(str(path))
    with pytest.raises(EmptyDocument, match=r"blank\.docx"):
        read_text(path)


# --- HTML ------------------------------------------------------------------------------------------


def test_html_keeps_only_article_with_h1_first(html_file: Path) -> None:
    text = _text(html_file)
    for word in CHROME_WORDS:
        assert word not in text
    paras = text.split("\n\n")
    assert paras[0] == TITLE
    assert FIGURE in paras
    assert "đúng dự toán, bảo đảm kinh phí cho giáo dục, y tế và an sinh" in text  # inline tag, nbsp
    assert "Dòng thứ hai sau thẻ br ghi nhận 15 dự án hoàn thành." in paras  # <br> -> own line
    assert any(p.startswith("Thu ngân sách") and "123,4 tỷ đồng" in p for p in paras)
    assert "Ngày 12/3/2025 lúc 08:00" in paras
    removed = read_text(html_file).removed
    assert removed and all(r.reason for r in removed)
    assert {w for w in CHROME_WORDS if any(w in r.text for r in removed)}, "chrome is named, not dropped"
    doc = load_document(html_file)
    assert doc.title == TITLE
    assert FIGURE in doc.text


def test_html_without_h1_uses_title_and_body(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_text(
        "<html><head><title>Thông báo lịch tiếp dân</title></head><body><nav>Menu</nav>"
        "<div>Lịch tiếp công dân tháng 3 năm 2025 của phường.</div></body></html>",
        encoding="utf-8",
    )
    assert _text(path) == "Thông báo lịch tiếp dân\n\nLịch tiếp công dân tháng 3 năm 2025 của phường."
    assert [(r.text, r.reason) for r in read_text(path).removed] == [("Menu", "site menu (<nav>)")]


# --- read_bytes == read_text -----------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["pdf_file", "docx_file", "html_file"])
def test_read_bytes_matches_read_text(fixture: str, request: pytest.FixtureRequest) -> None:
    if fixture == "pdf_file" and not FONT.exists():
        pytest.skip(f"{FONT} missing (apt install fonts-dejavu-core): no Vietnamese PDF font")
    path: Path = request.getfixturevalue(fixture)
    assert read_bytes(path.name, path.read_bytes()) == read_text(path)


def test_seeds_read_line_for_line(seed_paths: list[Path]) -> None:
    for path in seed_paths:
        lines = [" ".join(ln.split()) for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        assert [b.text for b in read_text(path).blocks] == [nfc(ln) for ln in lines]
        assert read_bytes(path.name, path.read_bytes()) == read_text(path)


# --- errors ----------------------------------------------------------------------------------------


def _error(path: Path) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        read_text(path)
    assert path.name in str(info.value)
    return info.value


@pytest.mark.parametrize("suffix", SUPPORTED)
def test_empty_file_of_each_type(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    err = _error(path)
    assert type(err) is EmptyDocument
    assert "empty" in str(err)


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html"])
def test_whitespace_only_text_is_empty(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"blank{suffix}"
    path.write_bytes(b"\xef\xbb\xbf  \r\n\n\t ")
    assert type(_error(path)) is EmptyDocument


def test_random_bytes_named_pdf(tmp_path: Path) -> None:
    path = tmp_path / "random.pdf"
    path.write_bytes(random.Random(0).randbytes(4096))
    err = _error(path)
    assert type(err) is CorruptDocument
    assert "not a PDF" in str(err)


def test_exe_renamed_pdf(tmp_path: Path) -> None:
    path = tmp_path / "setup.pdf"
    path.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"PE\x00\x00")
    err = _error(path)
    assert type(err) is CorruptDocument
    assert "renamed" in str(err)


def test_pdf_header_with_garbage_body(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + random.Random(1).randbytes(2048))
    err = _error(path)
    assert type(err) is CorruptDocument
    assert "could not be read" in str(err)


def test_garbage_named_docx(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(b"this is not a word document at all")
    err = _error(path)
    assert type(err) is CorruptDocument
    assert "DOCX" in str(err)


def test_zip_that_is_not_docx(tmp_path: Path) -> None:
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "xin chào")
    err = _error(path)
    assert type(err) is CorruptDocument
    assert "could not be read" in str(err)


def test_unsupported_suffix_lists_supported(tmp_path: Path) -> None:
    path = tmp_path / "tool.exe"
    path.write_bytes(b"MZ\x90\x00")
    err = _error(path)
    assert type(err) is UnsupportedFormat
    assert isinstance(err, ValueError)
    for suffix in SUPPORTED:
        assert suffix in str(err)
    with pytest.raises(UnsupportedFormat):
        read_bytes("noext", b"abc")


def test_latin1_text_is_rejected_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Báo cáo tài chính, Ñandú, garçon".encode("latin-1"))
    err = _error(path)
    assert type(err) is CorruptDocument
    assert "UTF-8" in str(err)
