"""Answers from documents that are not news reports: a table row, a clause under its heading path,
a scanned page (said so in the answer, and never quoted for a figure when read with low confidence)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import make_settings

from app.config import Settings
from app.embed import Embedder
from app.index import ingest_documents
from app.ingest import document_from_extracted, document_from_text
from app.ingest.blocks import Block, Extracted
from app.models import Document
from app.pipeline import Pipeline

REGULATION = """QUY CHẾ THI ĐUA KHEN THƯỞNG CỦA TRƯỜNG CAO ĐẲNG BẮC SƠN
Chương II
HÌNH THỨC KHEN THƯỞNG
Điều 6. Giấy khen của Hiệu trưởng
1. Giấy khen được tặng cho cá nhân hoàn thành xuất sắc nhiệm vụ trong năm học.
2. Mức tiền thưởng kèm theo Giấy khen là 450.000 đồng."""


def _scan(doc_id: str, confidence: float) -> Document:
    blocks = [
        Block("Công văn về việc hỗ trợ lũ lụt của xã Tân Thành", "para", page=1, ocr=confidence),
        Block("Xã Tân Thành đã cấp 1.260 thùng mì cho các hộ bị ngập.", "para", page=1, ocr=confidence),
    ]
    return document_from_extracted(doc_id, Extracted(blocks, "image"), source=f"{doc_id}.png")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Pipeline:
    settings: Settings = make_settings(tmp_path_factory.mktemp("sources"), OCR_MIN_CONFIDENCE=60)
    blocks = [
        Block("Báo cáo kết quả năm 2025 của xã Hòa Phong", "heading", level=1),
        Block("Phụ lục: kết quả thực hiện các chỉ tiêu", "caption", table=1),
        Block(
            "Tổng thu ngân sách — Thực hiện 2025: 61,8 tỷ đồng; So với dự toán: 112,3%", "row", table=1, row=1
        ),
        Block("Số hộ nghèo — Thực hiện 2025: 37 hộ; So với kế hoạch: 92,5%", "row", table=1, row=2),
    ]
    docs = [
        document_from_extracted("bao_cao", Extracted(blocks, "docx"), source="bao_cao.docx"),
        document_from_text("quy_che", REGULATION),
        _scan("cong_van_ro", 92.0),
        dataclasses.replace(_scan("cong_van_mo", 35.0), facets={}),
    ]
    ingest_documents(settings, embedder, docs)
    return Pipeline.open(settings, embedder)


def test_table_row_answer_cites_table_and_row(pipeline: Pipeline) -> None:
    result = pipeline.ask_sync("Tổng thu ngân sách xã Hòa Phong năm 2025 đạt bao nhiêu?")
    a = result.answer
    assert not a.abstained and "61,8 tỷ đồng" in a.text and "Tổng thu ngân sách — " in a.text, a.text
    assert all(f.verified for f in a.figures)
    chunk = a.citations[0].passage.chunk
    assert chunk.table == 1 and 1 in chunk.rows


def test_clause_answer_shows_its_heading_path(pipeline: Pipeline) -> None:
    a = pipeline.ask_sync(
        "Tiền thưởng kèm theo Giấy khen của Hiệu trưởng trường Bắc Sơn là bao nhiêu?"
    ).answer
    assert not a.abstained and "450.000 đồng" in a.text, a.text
    assert "(Chương II › Điều 6)" in a.text
    assert a.citations[0].passage.chunk.path == "Chương II › Điều 6"


def test_scanned_figure_is_flagged_and_low_confidence_is_not_quoted(pipeline: Pipeline) -> None:
    a = pipeline.ask_sync("Xã Tân Thành đã cấp bao nhiêu thùng mì cho các hộ bị ngập?").answer
    assert not a.abstained and "1.260 thùng" in a.text and "OCR" in a.text, a.text
    cited = a.citations[0].passage.chunk
    assert cited.doc_id == "cong_van_ro" and cited.ocr == 92.0
    assert all(f.verified for f in a.figures)


def test_only_a_low_confidence_scan_holds_the_figure(tmp_path: Path, embedder: Embedder) -> None:
    settings = make_settings(tmp_path, OCR_MIN_CONFIDENCE=60)
    ingest_documents(settings, embedder, [_scan("cong_van_mo", 35.0)])
    a = Pipeline.open(settings, embedder).ask_sync("Xã Tân Thành đã cấp bao nhiêu thùng mì?").answer
    assert a.abstained and "1.260" not in a.text, a.text


def test_an_article_the_documents_do_not_have_is_not_answered(pipeline: Pipeline) -> None:
    a = pipeline.ask_sync("Điều 15 Quy chế thi đua khen thưởng của trường Bắc Sơn quy định gì?").answer
    assert a.abstained, a.text
    b = pipeline.ask_sync(
        "Điều 6 Quy chế thi đua khen thưởng của trường Bắc Sơn quy định mức tiền thưởng bao nhiêu?"
    ).answer
    assert not b.abstained and "450.000 đồng" in b.text, b.text


def test_a_figure_ocr_doubted_on_a_well_read_page_is_not_stated(tmp_path: Path, embedder: Embedder) -> None:
    """The page reads at 94, but the figure's own word was read at 45: the answer must not state it,
    while another sentence of the same paragraph, read well, is still quoted for its figure."""
    text = (
        "Xã Phước Sơn đã cấp 1.260 thùng mì cho các hộ bị ngập. "
        "Huyện đã cấp 198,4 tấn gạo cho các hộ bị ngập."
    )
    blocks = [
        Block("Công văn về việc hỗ trợ lũ lụt của xã Phước Sơn", "para", page=1, ocr=94.0),
        Block(text, "para", page=1, ocr=94.0, doubtful=(("198,4", 45.0), ("ngập.", 71.0))),
    ]
    doc = document_from_extracted("cong_van", Extracted(blocks, "image"), source="cong_van.png")
    span = doc.spans[1]
    assert [doc.text[span.start + a : span.start + b] for a, b, _ in span.doubtful] == ["198,4", "ngập."]
    settings = make_settings(tmp_path, OCR_MIN_CONFIDENCE=60)
    ingest_documents(settings, embedder, [doc])
    pipeline = Pipeline.open(settings, embedder)
    rice = pipeline.ask_sync("Xã Phước Sơn đã cấp bao nhiêu tấn gạo cho các hộ bị ngập?").answer
    assert rice.abstained and "198,4" not in rice.text, rice.text
    noodles = pipeline.ask_sync("Xã Phước Sơn đã cấp bao nhiêu thùng mì cho các hộ bị ngập?").answer
    assert not noodles.abstained and "1.260 thùng" in noodles.text, noodles.text
    assert all(f.verified for f in noodles.figures)


def test_in_a_report_of_several_districts_the_figure_is_the_asked_ones(
    tmp_path: Path, embedder: Embedder
) -> None:
    """Each district's sentence holds its own figures: asked for huyện Đông Sơn, the sentence that
    names huyện Tây Sơn is never quoted, however well it matches; a province named beside a commune's
    figure ("theo giao của tỉnh") is no rival of the commune."""
    report = document_from_text(
        "nuoc_sach",
        "BÁO CÁO CẤP NƯỚC QUÝ III NĂM 2025 CỦA CÔNG TY CẤP NƯỚC HÀ MY\n"
        "Huyện Tây Sơn có 12.450 hộ sử dụng nước sạch, tỷ lệ thất thoát nước là 17,2%.\n"
        "Huyện Đông Sơn có 8.930 hộ sử dụng nước sạch, tỷ lệ thất thoát nước là 21,4%.\n"
        "Theo chỉ tiêu tỉnh Hà My giao, xã Bình Lâm có 1.205 hộ sử dụng nước sạch.",
    )
    settings = make_settings(tmp_path)
    ingest_documents(settings, embedder, [report])
    pipeline = Pipeline.open(settings, embedder)
    east = pipeline.ask_sync("Tỷ lệ thất thoát nước của huyện Đông Sơn là bao nhiêu?").answer
    assert not east.abstained and "21,4%" in east.text and "17,2%" not in east.text, east.text
    west = pipeline.ask_sync("Huyện Tây Sơn có bao nhiêu hộ sử dụng nước sạch?").answer
    assert not west.abstained and "12.450" in west.text and "8.930" not in west.text, west.text
    commune = pipeline.ask_sync("Xã Bình Lâm có bao nhiêu hộ sử dụng nước sạch?").answer
    assert not commune.abstained and "1.205" in commune.text, commune.text
