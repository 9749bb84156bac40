"""Chunking: offsets map back exactly, no number or list item is cut."""

from __future__ import annotations

import re

from app.chunk import chunk_document, split_sentences
from app.ingest import document_from_text
from app.models import Document

NUMBER = re.compile(r"\d+(?:[.,/-]\d+)*(?:-[A-Z]+/[A-Z]+)?")


def _assert_chunks_sound(doc: Document, max_chars: int) -> None:
    chunks = chunk_document(doc, max_chars=max_chars, overlap=1)
    assert chunks, doc.doc_id
    for i, c in enumerate(chunks):
        assert c.position == i and c.chunk_id == f"{doc.doc_id}#{i}"
        assert doc.text[c.start : c.end] == c.text
        assert c.text == c.text.strip()
        assert doc.title in c.header
    # Every number sits whole inside at least one chunk, and no boundary falls inside one.
    for m in NUMBER.finditer(doc.text):
        assert any(c.start <= m.start() and m.end() <= c.end for c in chunks), m.group(0)
        for c in chunks:
            assert not (m.start() < c.start < m.end()) and not (m.start() < c.end < m.end()), m.group(0)
    # Together the chunks cover all content (only white space between them).
    covered = [False] * len(doc.text)
    for c in chunks:
        covered[c.start : c.end] = [True] * (c.end - c.start)
    assert all(covered[i] or doc.text[i].isspace() for i in range(len(doc.text)))


def test_seed_chunks_are_sound(seed_docs: list[Document]) -> None:
    for doc in seed_docs:
        for max_chars in (300, 900):
            _assert_chunks_sound(doc, max_chars)


def test_numbers_with_dots_are_not_sentence_ends() -> None:
    text = (
        "Phường tổ chức gặp mặt vào ngày 11.7. Tổng thu đạt 348,5 tỷ đồng. Có 1.648 triệu USD. "
        "Thực hiện Nghị quyết số 57-NQ/TW ngày 22.12.2024 của Bộ Chính trị. TP. Quy Nhơn phát triển."
    )
    doc = document_from_text("t", f"Tiêu đề\n\n{text}")
    sentences = [doc.text[s:e] for s, e in split_sentences(doc.text, 900)]
    assert "Phường tổ chức gặp mặt vào ngày 11.7." in sentences
    assert "Thực hiện Nghị quyết số 57-NQ/TW ngày 22.12.2024 của Bộ Chính trị." in sentences
    assert "TP. Quy Nhơn phát triển." in sentences


def test_target_list_items_are_whole_units() -> None:
    items = [f"- Chỉ tiêu số {i} đạt {i},5% trở lên so với năm 2025." for i in range(1, 30)]
    doc = document_from_text("t", "Các chỉ tiêu\n\nCác chỉ tiêu chủ yếu gồm: " + " ".join(items))
    sentences = [doc.text[s:e] for s, e in split_sentences(doc.text, 200)]
    for item in items:
        assert item in sentences
    for c in chunk_document(doc, max_chars=200):
        assert c.text.count("- Chỉ tiêu") == c.text.count("trở lên so với năm 2025.")


def test_long_semicolon_list_is_cut_between_items() -> None:
    items = [f"chỉ tiêu {i} đạt {i},25%" for i in range(40)]
    doc = document_from_text("t", "Tiêu đề\n\nMục tiêu gồm: " + "; ".join(items) + ".")
    chunks = chunk_document(doc, max_chars=250, overlap=0)
    assert len(chunks) > 3
    for item in items:
        assert any(item in c.text for c in chunks)
    for c in chunks:
        assert len(c.text) <= 250


def test_a_chunk_never_runs_from_one_scanned_page_into_the_next() -> None:
    """Each chunk of a scan cites one page: what page 2 says is never cited as page 1."""
    from app.models import Span

    paragraphs = [
        (1, "Ủy ban nhân dân xã Phước Sơn báo cáo kết quả năm 2025."),
        (1, "Xã trồng mới 120 ha rừng."),
        (2, "Năm 2025, xã xây mới 23 phòng học."),
        (2, "Tổng thu ngân sách xã đạt 52,7 tỷ đồng."),
    ]
    text, spans, offset = "", [], 0
    for page, para in paragraphs:
        if text:
            text += "\n\n"
            offset += 2
        spans.append(Span(offset, offset + len(para), page=page, ocr=91.0))
        text += para
        offset += len(para)
    doc = Document(doc_id="scan", title="Báo cáo xã Phước Sơn", text=text, spans=tuple(spans))
    chunks = chunk_document(doc, max_chars=900, overlap=1)
    assert len(chunks) == 2
    for c in chunks:
        pages = {s.page for s in spans if c.start <= s.start < c.end}
        assert pages == {c.page}, (c.text, pages, c.page)
    assert "23 phòng học" in chunks[1].text and chunks[1].page == 2
