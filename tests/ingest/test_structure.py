"""Heading paths, list items and named removals on documents that are not news reports: a
regulation, a contract, Markdown, DOCX headings, and an HTML news page whose chrome must be named."""

from __future__ import annotations

import io

import docx

from app.chunk import chunk_document
from app.ingest import document_from_bytes, document_from_text
from app.models import Document

REGULATION = """QUY CHẾ ĐÀO TẠO TRÌNH ĐỘ ĐẠI HỌC
Chương I
QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
Quy chế này quy định về chương trình đào tạo, tổ chức đào tạo và đánh giá kết quả học tập.
Điều 2. Đối tượng áp dụng
Quy chế áp dụng đối với sinh viên hệ chính quy.
Chương II
TỔ CHỨC ĐÀO TẠO
Điều 6. Thi kết thúc học phần
1. Mỗi học phần có một kỳ thi chính và một kỳ thi phụ.
2. Sinh viên được dự thi lại trong các trường hợp sau:
a) Có điểm học phần dưới 4,0;
b) Vắng thi có lý do chính đáng.
3. Sinh viên không được thi lại quá hai lần.
Điều 7. Cách tính điểm
Điểm học phần là tổng điểm các thành phần nhân với trọng số tương ứng."""

CONTRACT = """HỢP ĐỒNG LAO ĐỘNG
Điều 1. Các bên
Bên A: Công ty TNHH Minh Phát
Bên B: Ông Trần Văn Hùng
Điều 2. Nghĩa vụ
a) Bên B làm việc đúng giờ;
b) Bên B giữ bí mật kinh doanh;
Điều 3. Tiền lương
Mức lương: 12.500.000 đồng/tháng."""


def _paths(doc: Document) -> dict[str, str]:
    return {doc.text[s.start : s.end]: " › ".join(s.path) for s in doc.spans}


def test_contract_loses_no_line() -> None:
    """The lines the old cleaner deleted without a word: parties and short obligations."""
    doc = document_from_text("hd", CONTRACT)
    for line in CONTRACT.splitlines():
        assert line in doc.text
    assert doc.removed == ()
    paths = _paths(doc)
    assert paths["Bên A: Công ty TNHH Minh Phát"] == "Điều 1"
    assert paths["b) Bên B giữ bí mật kinh doanh;"] == "Điều 2 › Điểm b"


def test_regulation_heading_paths() -> None:
    doc = document_from_text("qc", REGULATION)
    for line in REGULATION.splitlines():
        assert line in doc.text
    paths = _paths(doc)
    assert paths["QUY ĐỊNH CHUNG"] == "Chương I"
    assert paths["Quy chế áp dụng đối với sinh viên hệ chính quy."] == "Chương I › Điều 2"
    assert paths["1. Mỗi học phần có một kỳ thi chính và một kỳ thi phụ."] == "Chương II › Điều 6 › Khoản 1"
    assert paths["a) Có điểm học phần dưới 4,0;"] == "Chương II › Điều 6 › Khoản 2 › Điểm a"
    assert paths["3. Sinh viên không được thi lại quá hai lần."] == "Chương II › Điều 6 › Khoản 3"
    kinds = {doc.text[s.start : s.end]: s.kind for s in doc.spans}
    assert kinds["Điều 6. Thi kết thúc học phần"] == "heading"
    assert kinds["TỔ CHỨC ĐÀO TẠO"] == "heading"
    assert kinds["b) Vắng thi có lý do chính đáng."] == "item"


def test_chunks_never_mix_articles_and_carry_their_path() -> None:
    doc = document_from_text("qc", REGULATION)
    chunks = chunk_document(doc, max_chars=900)
    for c in chunks:
        articles = {
            p for s in doc.spans if c.start <= s.start < c.end for p in s.path if p.startswith("Điều")
        }
        assert len(articles) <= 1, (c.text, articles)
    six = next(c for c in chunks if "kỳ thi phụ" in c.text)
    assert six.path == "Chương II › Điều 6"
    assert six.header.endswith("› Chương II › Điều 6")
    assert "Sinh viên không được thi lại quá hai lần." in six.text  # one article fits one chunk


def test_list_items_keep_their_lead_in_when_a_chunk_is_cut() -> None:
    items = "\n".join(f"- Xã Hòa Bình {i} đạt chuẩn nông thôn mới nâng cao năm 2025;" for i in range(30))
    doc = document_from_text("ds", f"Danh sách\nCác xã được công nhận trong các trường hợp sau:\n{items}")
    chunks = chunk_document(doc, max_chars=400, overlap=0)
    assert len(chunks) > 2
    lead = "Các xã được công nhận trong các trường hợp sau:"
    in_list = [c for c in chunks if c.start > doc.text.index(lead)]
    assert in_list
    for c in in_list:  # a chunk that starts inside the list reads it with its lead-in
        assert lead in c.text or c.header.endswith(lead), (c.header, c.text[:80])


def test_markdown_headings_and_lists() -> None:
    md = (
        "# Sổ tay sinh viên\n\n## Học bổng\n\nHọc bổng được xét mỗi học kỳ.\n\n"
        "### Điều kiện\n\n- Điểm trung bình từ 3,2 trở lên;\n- Không bị kỷ luật.\n\n"
        "## Ký túc xá\n\nGiá phòng 450.000 đồng/tháng."
    )
    doc = document_from_bytes("so-tay.md", md.encode())
    paths = _paths(doc)
    assert doc.title == "Sổ tay sinh viên" and doc.format == "markdown"
    assert paths["- Điểm trung bình từ 3,2 trở lên;"] == "Học bổng › Điều kiện"
    assert paths["Giá phòng 450.000 đồng/tháng."] == "Ký túc xá"
    chunks = chunk_document(doc)
    assert not any("Giá phòng" in c.text and "Học bổng được xét" in c.text for c in chunks)


def test_docx_heading_styles_give_the_path() -> None:
    d = docx.Document()
    d.add_heading("Báo cáo tổng kết năm 2025", level=1)
    d.add_heading("Phần I. Kết quả", level=2)
    d.add_paragraph("Thu ngân sách đạt 120 tỷ đồng.")
    d.add_paragraph("Rà soát hồ sơ", style="List Bullet")
    buf = io.BytesIO()
    d.save(buf)
    doc = document_from_bytes("bc.docx", buf.getvalue())
    paths = _paths(doc)
    assert paths["Thu ngân sách đạt 120 tỷ đồng."] == "Phần I"  # legal numbering wins over the style
    kinds = {doc.text[s.start : s.end]: s.kind for s in doc.spans}
    assert kinds["Rà soát hồ sơ"] == "item"


def test_html_news_page_names_what_it_removes() -> None:
    page = """<html><head><title>Tin tức</title></head><body>
    <nav><a>Trang chủ</a> <a>Thời sự</a></nav>
    <div class="share-bar">Chia sẻ Facebook</div>
    <article><h1>Phường An Hòa khánh thành trường học mới</h1>
    <p>Sáng 5/9, phường An Hòa khánh thành trường tiểu học với tổng vốn 45 tỷ đồng.</p>
    <figure><img src="a.jpg">
    <figcaption>Các đại biểu cắt băng khánh thành. Ảnh: Minh Anh</figcaption></figure>
    <p>Trường có 24 phòng học.</p></article>
    <footer>Bản quyền thuộc Báo An Hòa</footer></body></html>"""
    doc = document_from_bytes("tin.html", page.encode())
    assert "45 tỷ đồng" in doc.text and "24 phòng học" in doc.text
    reasons = {r.text: r.reason for r in doc.removed}
    assert reasons["Trang chủ Thời sự"].startswith("site menu")
    assert reasons["Chia sẻ Facebook"].startswith("share bar")
    assert reasons["Bản quyền thuộc Báo An Hòa"].startswith("page footer")
    assert reasons["Các đại biểu cắt băng khánh thành. Ảnh: Minh Anh"] == "photo caption"
    for removed in reasons:
        assert removed not in doc.text


def test_seed_removals_are_named(seed_docs: list[Document]) -> None:
    by_id = {d.doc_id[:3]: d for d in seed_docs}
    reasons = {r.reason for d in seed_docs for r in d.removed}
    assert {"crawler date header", "photo caption", "byline", "view counter"} & reasons
    assert any(r.reason == "weather widget" or "above the article" in r.reason for r in by_id["003"].removed)
    for d in seed_docs:
        for r in d.removed:
            assert r.text and r.reason


def test_official_documents_are_titled_by_type_and_subject() -> None:
    """Not by the letterhead: "ỦY BAN NHÂN DÂN XÃ AN PHÚ" says who wrote it, not what it is."""
    report = (
        "ỦY BAN NHÂN DÂN XÃ BÌNH MINH\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
        "Số: 12/BC-UBND\nBình Minh, ngày 3 tháng 4 năm 2025\nBÁO CÁO\nKết quả thu ngân sách quý I năm 2025\n"
        "Thu ngân sách quý I đạt 4,2 tỷ đồng."
    )
    doc = document_from_text("bc", report)
    assert doc.title == "Báo cáo kết quả thu ngân sách quý I năm 2025 (Ủy ban nhân dân xã Bình Minh)"
    assert doc.date == "2025-04-03"
    letter = (
        "ỦY BAN NHÂN DÂN PHƯỜNG AN LẠC\nSố: 88/UBND\nV/v tổ chức tiêm chủng đợt 2\nKính gửi: các tổ dân phố."
    )
    assert (
        document_from_text("cv", letter).title
        == "V/v tổ chức tiêm chủng đợt 2 (Ủy ban nhân dân phường An Lạc)"
    )
    assert document_from_text("hd", CONTRACT).title == "HỢP ĐỒNG LAO ĐỘNG"  # an article is no subject


def test_html_infobox_rows_are_name_value_pairs() -> None:
    page = """<html><head><title>Nguyễn Văn A – Bách khoa Mở</title></head><body><article>
    <h1>Nguyễn Văn A</h1><div>Bách khoa Mở</div>
    <table class="infobox"><caption>Nguyễn Văn A</caption>
    <tr><th scope="row">Sinh</th><td>1418, làng Hội Thủy</td></tr>
    <tr><th scope="row">Mất</th><td>1486</td></tr></table>
    <p>Ông đỗ Hoàng giáp năm 1448.</p></article></body></html>"""
    doc = document_from_bytes("a.html", page.encode())
    rows = [doc.text[s.start : s.end] for s in doc.spans if s.kind == "row"]
    assert rows == ["Sinh: 1418, làng Hội Thủy", "Mất: 1486"]
    assert ("Bách khoa Mở", "site name") in {(r.text, r.reason) for r in doc.removed}


def test_an_article_stated_in_one_line_is_content_under_its_own_number() -> None:
    """A contract's "Điều 3. Giá thuê ... là 27 triệu đồng mỗi tháng ..." opens Điều 3 and says what it
    rules: it is quoted as an answer, not skipped as a heading; a subject line stays a heading."""
    from app.ingest import document_from_text

    doc = document_from_text(
        "hop_dong",
        "Hợp đồng thuê kho\n\n"
        "Điều 3. Giá thuê kho Bến Lạc là 27 triệu đồng mỗi tháng, thanh toán trước ngày 5 hằng tháng.\n\n"
        "Điều 4. Quyền và nghĩa vụ của Bên A\n\n1. Bên A giao kho đúng hạn.\n\n"
        "Điều 5. Trách nhiệm của Ủy ban nhân dân các cấp.",
    )
    kinds = {doc.text[s.start : s.end].split(".")[0]: (s.kind, s.path) for s in doc.spans}
    assert kinds["Điều 3"] == ("para", ("Điều 3",))
    assert kinds["Điều 4"] == ("heading", ("Điều 4",))
    assert kinds["1"] == ("para", ("Điều 4", "Khoản 1"))
    assert kinds["Điều 5"] == ("heading", ("Điều 5",))
