"""A figure whose own word OCR read below the threshold is neither stated nor verified."""

from __future__ import annotations

from app.ground import ground
from app.ground.misread import misread
from app.models import Chunk, Passage


def test_misread_matches_the_doubted_number_only() -> None:
    doubtful = (("198,4%", 45.0), ("Hưởng,", 52.0), ("2025", 75.0))
    assert misread("bằng 198,4% dự toán", doubtful, 60)
    assert misread("tăng 198,4 %", doubtful, 60)
    assert not misread("diện tích 4 ha", doubtful, 60)  # the 4 of 198,4 is not a number of its own
    assert not misread("năm 2025", doubtful, 60)  # doubted, but above the threshold
    assert misread("năm 2025", doubtful, 80)
    assert not misread("bằng 198,4% dự toán", (), 60)


def test_a_doubted_figure_does_not_verify() -> None:
    text = "Tổng thu ngân sách đạt 348,5 tỷ đồng, bằng 198,4% dự toán."
    chunk = Chunk("d#0", "d", 0, 0, len(text), text, "", ocr=94.0, doubtful=(("198,4%", 45.0),))
    numbered = {1: Passage(chunk=chunk, score=1.0, title="Công văn", date=None)}
    answer = "Thu 348,5 tỷ đồng, bằng 198,4% dự toán [1]."
    figures = {f.text: f.verified for f in ground(answer, numbered, 60)}
    assert figures == {"348,5 tỷ đồng": True, "198,4%": False}, figures
