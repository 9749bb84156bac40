"""What a question asks for, whether a text holds it, and whether a figure is the one asked about.

Synthetic sentences of several genres (a regulation, a contract, an encyclopedia article, a report):
nothing here depends on the seed reports.
"""

from __future__ import annotations

import pytest

from app.ground.claims import asked_gap, counts_asked, figure_answers, phrase
from app.ground.kind import asked_kind, has_names, holds_kind
from app.ground.period import NO_TIME, TimeMarks, in_period
from app.text.numbers import extract_quantities


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Ai là người sáng lập trường?", "who"),
        ("Hợp đồng do ai ký?", "other"),  # "ai" inside the sentence without a cue stays free text
        ("Trường được thành lập vào năm nào?", "when"),
        ("Truong duoc thanh lap nam nao?", "when"),
        ("Sao la được phát hiện vào thời gian nào?", "when"),
        ("Sinh viên được đăng ký tối đa bao nhiêu tín chỉ?", "figure"),
        ("Giá thuê nhà mỗi tháng là bao nhiêu?", "money"),
        ("Phải nộp bao nhiêu tiền để cấp lại thẻ?", "money"),
        ("Có bao nhiêu người tham gia lễ hội?", "figure"),  # "tham gia" is no price ("giá")
        ("Tỷ lệ hộ nghèo là bao nhiêu?", "percent"),
        ("Chùa Hải Quang nằm ở đâu?", "where"),
        ("Vì sao lễ hội bị hoãn?", "why"),
        ("Thủ tục đăng ký khai sinh như thế nào?", "how"),
        ("Hồ sơ gồm những giấy tờ nào?", "list"),
        ("Bên A có được đơn phương chấm dứt hợp đồng trước thời hạn không?", "yes_no"),
        ("Điều 5 quy định gì?", "other"),
        ("Nhà máy thủy điện do doanh nghiệp nào đầu tư?", "other"),  # "máy" is no "mấy"
        ("Trường có mấy khoa?", "figure"),
        ("Muốn nộp hồ sơ trực tiếp thì đến đâu?", "where"),
        ("Ai đứng đầu trường?", "who"),  # "đầu" is no "đâu"
        ("Bên B có những nghĩa vụ gì?", "list"),
        ("Những tác phẩm chính của ông là gì?", "list"),
    ],
)
def test_the_kind_asked(question: str, kind: str) -> None:
    assert asked_kind(question) == kind


def test_a_time_of_any_era_is_a_time() -> None:
    for text in ("Năm 938, Ngô Quyền đánh tan quân Nam Hán.", "Làng có từ thế kỷ XV.", "Đền dựng thời Lê."):
        assert holds_kind("when", text, tuple(extract_quantities(text))), text
    assert not holds_kind("when", "Làng nằm bên sông.", ())


def test_a_name_is_any_capitalised_word_after_the_sentence_start() -> None:
    assert has_names("Trận đánh do tướng Hendrik Baerle chỉ huy.")
    assert has_names("Người chủ trì là bà Lò Thị Xuân.")  # a surname on no list
    assert not has_names("Sinh viên phải đóng học phí trước ngày thi.")


def test_a_list_number_is_not_a_figure_but_a_count_in_words_is() -> None:
    assert holds_kind("figure", "Ông có hai người con trai.", ())
    assert not holds_kind(
        "money", "Giá thuê là 18 tháng.", tuple(extract_quantities("Giá thuê là 18 tháng."))
    )
    text = "Giá thuê nhà là 18.500.000 đồng/tháng."
    assert holds_kind("money", text, tuple(extract_quantities(text)))


def test_a_count_must_count_what_was_asked() -> None:
    asked = ("ho", "can", "ngheo")
    near = "Sinh viên thuộc hộ nghèo được giảm 50 hộ"
    right = "Còn 120 hộ cận nghèo trên địa bàn"
    assert counts_asked(asked, phrase(right), extract_quantities(right))
    assert not counts_asked(asked, phrase(near), extract_quantities(near))
    loose = "Sẵn sàng di dời 326 hộ với 1.142 nhân khẩu"
    assert asked_gap(("ho", "dan"), phrase(loose), tuple(extract_quantities(loose))) == 0.5
    assert asked_gap(("ho", "dan"), phrase(right), tuple(extract_quantities(right))) == 0.5
    assert asked_gap(("tin", "chi"), phrase(loose), tuple(extract_quantities(loose))) == 1.0
    sibling = "Tỷ lệ hộ nghèo còn 0% (giảm 21/21 hộ nghèo)"
    assert asked_gap(asked, phrase(sibling), tuple(extract_quantities(sibling))) == 1.0


def test_a_place_name_is_not_what_is_counted() -> None:
    """Folded, "Tân" is "tấn" and "Hòa An" holds "an": a place's name never counts the figure."""
    noodles = "Xã Tân Thành đã cấp 1.260 thùng mì cho các hộ bị ngập"
    assert not counts_asked(("tan",), phrase(noodles), extract_quantities(noodles))
    rice = "Xã Tân Thành đã cấp 198,4 tấn gạo cho các hộ bị ngập"
    assert counts_asked(("tan",), phrase(rice), extract_quantities(rice))
    assert counts_asked(("ho",), phrase(noodles), extract_quantities(noodles))


def test_a_figure_true_of_its_passage_can_answer_another_question() -> None:
    passage = "Tổng thu ngân sách là 348,5 tỷ đồng, đạt 109,4% dự toán; kết nạp 32 đảng viên mới."
    money, percent, members = (extract_quantities(t)[0] for t in ("348,5 tỷ đồng", "109,4%", "32"))
    assert figure_answers(percent, passage, "percent", ())
    assert not figure_answers(money, passage, "percent", ())
    assert figure_answers(members, passage, "figure", ("dang", "vien", "moi"))
    assert not figure_answers(money, passage, "figure", ("dang", "vien", "moi"))
    assert figure_answers(money, passage, "other", ())  # free-text questions state figures freely


def test_a_period_is_the_sentences_own_then_its_paragraphs_then_the_documents() -> None:
    own, none = TimeMarks.of("Năm 2024 đạt 12 tỷ đồng."), TimeMarks.of("Đạt 12 tỷ đồng.")
    assert not in_period((2025,), (), own, NO_TIME, NO_TIME, None)
    assert in_period((2024,), (), own, NO_TIME, NO_TIME, None)
    assert in_period((2025,), (), none, TimeMarks.of("Theo báo cáo, năm 2025,"), NO_TIME, None)
    assert in_period((2025,), (), none, NO_TIME, NO_TIME, "2025-12-11")
    assert not in_period((2025,), (), none, NO_TIME, NO_TIME, "2023-03-15")
    assert in_period((), ((2025, 2030),), none, NO_TIME, TimeMarks.of("nhiệm kỳ 2025 - 2030"), None)
