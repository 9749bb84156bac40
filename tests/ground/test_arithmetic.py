"""Computed figures are checked by computing them again from what the cited passages hold."""

from __future__ import annotations

import pytest

from app.ground import figures_with_citations, ground
from app.ground.arithmetic import computations, derived
from app.models import Chunk, Passage


def _passage(text: str, n: int = 1) -> Passage:
    chunk = Chunk(
        chunk_id=f"d{n}#0", doc_id=f"d{n}", position=0, start=0, end=len(text), text=text, header=""
    )
    return Passage(chunk=chunk, score=1.0, title="t")


@pytest.mark.parametrize(
    ("text", "right"),
    [
        ("Chênh lệch: 348,5 - 310,2 = 38,3 tỷ đồng.", True),
        ("Chênh lệch: 348,5 - 310,2 = 38,4 tỷ đồng.", False),
        ("Tổng: 1.860 + 2.140 = 4.000 ha.", True),
        ("Tổng: 1.860 + 2.140 = 4.100 ha.", False),
        ("Tỷ lệ: 7.420 / 9.850 = 75,3%.", True),  # a share is written as a percentage
        ("Tỷ lệ: 7.420 / 9.850 = 75%.", True),  # rounded to what it writes
        ("Tỷ lệ: 7.420 / 9.850 = 75,4%.", False),
        ("Tỷ lệ: 7.420 / 9.850 ≈ 75,4%.", True),  # said to be approximate: within its last digit
        ("Thay đổi: (1.243 - 1.186) / 1.186 = 4,8%.", True),
        ("Gấp: 2.874 / 402 = 7,1 lần.", True),
        ("So sánh: 41,2 > 37,8, nên Hòa Bình cao hơn.", True),
        ("So sánh: 37,8 > 41,2, nên Tân Phú cao hơn.", False),
        # Two documents' scales, each as written: compared and divided in base units.
        ("So sánh: 318,6 tỷ > 41.236 triệu, nên An Thịnh cao hơn.", True),
        ("Gấp: 318,6 tỷ / 41.236 triệu = 7,7 lần.", True),
        ("Gấp: 318,6 / 41.236 = 7,7 lần.", False),  # without them, 318,6 is not 7,7 times 41.236
        ("Chênh lệch: 1,2 tỷ - 850 triệu = 350 triệu đồng.", True),
        ("Chênh lệch: 1,2 tỷ - 850 triệu = 0,35 tỷ đồng.", True),
        ("Bình quân: 4.985 / 71 = 70,2 đảng viên.", True),
    ],
)
def test_written_computations_recompute(text: str, right: bool) -> None:
    (c,) = computations(text)
    assert c.correct is right


def test_a_range_is_not_a_subtraction() -> None:
    assert computations("mức hỗ trợ từ 90 - 100 triệu đồng mỗi hộ") == []


def test_ground_checks_operands_against_the_cited_passages_and_recomputes_the_result() -> None:
    passages = {
        1: _passage("Tổng thu ngân sách năm 2025 là 348,5 tỷ đồng.", 1),
        2: _passage("Tổng thu ngân sách năm 2024 là 310,2 tỷ đồng.", 2),
    }
    quoted = "Năm 2025: “… 348,5 tỷ đồng.” [1]; năm 2024: “… 310,2 tỷ đồng.” [2]\n"
    good = ground(quoted + "Chênh lệch: 348,5 - 310,2 = 38,3 tỷ đồng.", passages)
    assert all(f.verified for f in good)
    assert [f.text for f in good if f.computed] == ["38,3 tỷ đồng"]
    wrong_total = ground(quoted + "Chênh lệch: 348,5 - 310,2 = 40 tỷ đồng.", passages)
    assert [f.text for f in wrong_total if not f.verified] == ["40 tỷ đồng"]
    # An operand no cited passage holds makes the result unverified too, however well it adds up.
    invented = ground(quoted + "Chênh lệch: 348,5 - 300,2 = 48,3 tỷ đồng.", passages)
    assert {f.text for f in invented if not f.verified} == {"300,2", "48,3 tỷ đồng"}


@pytest.mark.parametrize(
    ("tail", "accepted"),
    [
        ("tăng 38,3 tỷ đồng.", True),
        ("tăng khoảng 38 tỷ đồng.", True),
        ("tăng 12,3%.", True),  # the percent change
        ("tăng 12,5%.", False),
        ("tổng cộng 658,7 tỷ đồng.", True),
        ("gấp 1,1 lần.", True),
        ("và 38,3 tỷ đồng.", False),  # no word says it was computed: an unsupported figure
        ("tăng 40 tỷ đồng.", False),
    ],
)
def test_a_computation_said_in_words_is_recomputed_from_the_answers_own_figures(
    tail: str, accepted: bool
) -> None:
    text = f"Năm 2025 đạt 348,5 tỷ đồng [1], năm 2024 là 310,2 tỷ đồng [2], {tail}"
    stated = [q for q, _ in figures_with_citations(text) if q.kind != "year"]
    assert derived(stated[-1], text, stated[:-1]) is accepted


def test_a_total_must_add_up_what_the_answer_listed() -> None:
    text = (
        "Phát triển thêm 8 sản phẩm OCOP 3 sao và 2 sản phẩm OCOP 4 sao [1]. Tổng cộng {} sản phẩm OCOP [1]."
    )
    source = "Phát triển thêm 8 sản phẩm OCOP 3 sao, 2 sản phẩm OCOP 4 sao trở lên; 11 sản phẩm đạt chuẩn."
    passages = {1: _passage(source)}
    # "11" stands in the passage, as another figure: as the total of 8 and 2 it is wrong.
    assert [f.text for f in ground(text.format(11), passages) if not f.verified] == ["11 sản phẩm"]
    assert all(f.verified for f in ground(text.format(10), passages) if f.text != "10 sản phẩm")
