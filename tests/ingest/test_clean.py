"""Cleaning on the real seed files: chrome and captions go, every figure line stays."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.ingest import document_from_text, load_document
from app.ingest.blocks import Extracted
from app.ingest.clean import clean
from app.ingest.formats.text import line_blocks
from app.ingest.localities import find_localities
from app.text import nfc

CHROME = ["thời tiết các vùng", "View count", "Ngày đăng", "Hoạt động từ các đơn vị", "Ảnh:", " date "]


def _raw_lines(path: Path) -> list[str]:
    return [ln.strip() for ln in nfc(path.read_text(encoding="utf-8")).splitlines() if ln.strip()]


def test_no_chrome_caption_or_byline_survives(seed_paths: list[Path]) -> None:
    for path in seed_paths:
        text = load_document(path).text
        for marker in CHROME:
            assert marker not in text, f"{path.name}: {marker!r} survived cleaning"
        for byline in ("Lê Thảo (CTV)", "HOÀNG PHƯƠNG"):
            assert byline not in text
        for caption in ("Quang cảnh hội nghị.", "Các đại biểu dự hội nghị.", "Các cá nhân được khen thưởng"):
            assert caption not in text
        assert "\nHà Nội\n" not in f"\n{text}\n" and "\nĐà Nẵng\n" not in f"\n{text}\n"


def test_every_figure_line_survives(seed_paths: list[Path]) -> None:
    """A raw line with a digit is content unless it is a caption, a date header or a view counter."""
    checked = 0
    for path in seed_paths:
        text = load_document(path).text
        for line in _raw_lines(path):
            if not re.search(r"\d", line) or "Ảnh:" in line or "View count" in line:
                continue
            line = re.sub(r"^date \d{4}-\d{2}-\d{2} (\(\w+\)- )?", "", line)
            assert line in text, f"{path.name}: figure line lost: {line[:80]}"
            checked += 1
    assert checked >= 30


@pytest.mark.parametrize(
    ("doc_id", "date", "title_start"),
    [
        ("000_ba4ab6dccccf8163", "2025-12-11", "Năm 2025, phường Quy Nhơn hoàn thành 20/21"),
        ("001_3f1230e1580dd915", "2025-08-16", "Đẩy mạnh cải cách hành chính"),
        ("002_65dc7c8ac4db1663", None, "Ban Chấp hành Đảng bộ phường Hạc Thành"),
        ("003_18c0cf6a5e024732", "2023-03-15", "Quang Trung sơ kết giữa nhiệm kỳ"),
        ("004_979beda71dc56cf9", "2025-11-17", "Xây dựng chương trình hành động"),
    ],
)
def test_date_and_title(seed_docs: list, doc_id: str, date: str | None, title_start: str) -> None:
    doc = next(d for d in seed_docs if d.doc_id == doc_id)
    assert doc.date == date
    assert doc.title.startswith(title_start)
    assert len(doc.title) <= 201
    assert doc.text.startswith(doc.title.rstrip("…")[:40])


def test_localities(seed_docs: list) -> None:
    by_id = {d.doc_id: d for d in seed_docs}
    assert by_id["000_ba4ab6dccccf8163"].facets["places"] == ("phường Quy Nhơn",)
    assert by_id["001_3f1230e1580dd915"].facets["places"][0] == "phường Quy Nhơn Nam"
    assert "xã Tuy Phước" in by_id["001_3f1230e1580dd915"].facets["places"]
    # Office holders named after "phường" are people, not places.
    assert not any("Nguyễn" in loc or "Đặng" in loc for loc in by_id["001_3f1230e1580dd915"].facets["places"])
    assert by_id["004_979beda71dc56cf9"].facets["places"] == ("phường Quang Trung",)


def test_find_localities_stops_at_lowercase_and_office_words() -> None:
    text = "UBND phường Hoà Bình đã họp; Chủ tịch UBND xã Nguyễn Văn An dự. Thị trấn: thị trấn Phú Mỹ."
    assert find_localities(text) == ("phường Hoà Bình", "thị trấn Phú Mỹ")


def test_nfc_and_content_hash_stable() -> None:
    import unicodedata

    raw = "Tiêu đề\n\nTổng thu ngân sách đạt 348,5 tỷ đồng."
    a = document_from_text("x", raw)
    b = document_from_text("x", unicodedata.normalize("NFD", raw))
    assert a.text == b.text and a.content_hash == b.content_hash
    assert document_from_text("x", raw + " Thêm.").content_hash != a.content_hash


def test_plain_text_without_news_markers_keeps_every_line() -> None:
    """No crawler header, credit or widget: not a news scrape, so a short closing name (the signer of
    a letter) is content, not a byline."""
    c = clean(
        Extracted(line_blocks("Một tiêu đề ngắn\n\nNội dung có 12,5% tăng trưởng.\n\nNGUYỄN VĂN A"), "text")
    )
    assert c.title == "Một tiêu đề ngắn" and c.date is None and c.profile is None
    assert [b.text for b in c.blocks][-1] == "NGUYỄN VĂN A" and c.removed == []
