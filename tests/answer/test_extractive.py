"""The extractive answerer's judgement, on the real seed index: place, period, kind, what is counted."""

from __future__ import annotations

import pytest

from app.config import Settings
from app.embed import Embedder
from app.pipeline import Pipeline


@pytest.fixture(scope="module")
def pipeline(seed_index: Settings, embedder: Embedder) -> Pipeline:
    return Pipeline.open(seed_index, embedder)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Phường Quy Nhơn Nam có diện tích tự nhiên bao nhiêu km2?", "36,36 km2"),
        ("Mục tiêu kim ngạch xuất khẩu năm 2026 của phường Quy Nhơn là bao nhiêu?", "150,7 triệu USD"),
        ("Kim ngạch xuất khẩu năm 2025 của phường Quy Nhơn đạt bao nhiêu?", "139 triệu USD"),
        ("Phường Quang Trung đã chuyển đổi bao nhiêu ha đất trồng lúa kém hiệu quả?", "98,6ha"),
        ("Chủ tịch UBND phường Quy Nhơn Nam là ai?", "Nguyễn Thị Bích Hoa"),
        ("Chủ tịch Ủy ban nhân dân phường Quy Nhơn Nam là ai?", "Nguyễn Thị Bích Hoa"),
        ("Phó Bí thư Thường trực Đảng ủy phường Quy Nhơn Nam là ai?", "Nguyễn Duy Tuấn"),
        (
            "Giải ngân đầu tư công năm 2026 của phường Quy Nhơn đạt bao nhiêu?",
            "giải ngân đầu tư công đạt 100%",
        ),
    ],
)
def test_answers(pipeline: Pipeline, question: str, expected: str) -> None:
    a = pipeline.ask_sync(question).answer
    assert not a.abstained and expected in a.text, a.text
    assert all(f.verified for f in a.figures)


@pytest.mark.parametrize(
    "question",
    [
        "Phường Quy Nhơn Nam hiện còn bao nhiêu hộ cận nghèo?",  # only "hộ nghèo" is counted there
        "Tỷ lệ thu gom rác thải của phường Quy Nhơn Nam năm 2025 đạt bao nhiêu?",  # that is Quy Nhơn's
        "Phường Quy Nhơn đặt mục tiêu tổng thu ngân sách năm 2027 là bao nhiêu?",
        "Tổng thu ngân sách của phường Pleiku năm 2025 là bao nhiêu?",  # named once, not reported on
        "Tổng thu ngân sách của xã Không Có Thật là bao nhiêu?",
        "GDP của Việt Nam năm 2024 tăng trưởng bao nhiêu phần trăm?",
        "Chủ tịch UBND phường Hạc Thành là ai?",  # its report names the chair of the HĐND, not the UBND
        "Ai là Bí thư Đảng ủy phường Quang Trung?",  # only the town's Bí thư Thị ủy is named
    ],
)
def test_abstains(pipeline: Pipeline, question: str) -> None:
    result = pipeline.ask_sync(question)
    assert result.answer.abstained, result.answer.text
    assert result.reason


def test_year_is_not_a_ward(pipeline: Pipeline) -> None:
    """ "Quy Nhơn năm 2025" is the ward Quy Nhơn in 2025, not "Quy Nhơn Nam", typed either way."""
    for q in (
        "Tỷ lệ thu gom rác thải phường Quy Nhơn năm 2025",
        "ty le thu gom rac thai phuong Quy Nhon nam 2025",
    ):
        a = pipeline.ask_sync(q).answer
        assert "99%" in a.text and a.citations[0].passage.chunk.doc_id == "000_ba4ab6dccccf8163", a.text
