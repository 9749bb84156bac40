"""A figure is the answer only when the passage labels it with what was asked; a figure the answer
says it rounded is checked as the passage states it; a name the question says is the user's."""

from __future__ import annotations

from app.ground import as_stated
from app.ground.binding import bound_elsewhere, labelled
from app.ground.names import unsupported_names
from app.models import Chunk, Passage
from app.text.numbers import extract_quantities, rounding_of

PROSE = (
    "Năm 2025, tổng giá trị sản phẩm tăng 8,26%; tỷ lệ thu gom rác thải đạt 99%. "
    "Tổng thu ngân sách là 348,5 tỷ đồng, đạt 109,4% dự toán."
)
ROW = "Tổng thu ngân sách — Thực hiện 2024: 286,4 tỷ đồng; Năm 2025 › Thực hiện: 318,6 tỷ đồng"


def _q(text: str):
    return extract_quantities(text)[0]


def test_labels_are_the_words_before_a_figure_and_its_rows_label() -> None:
    labels = {q.text: words for q, words in labelled(PROSE.split(". ")[0], True)}
    assert {"tổng", "giá", "trị", "sản", "phẩm", "tăng"} <= labels["8,26%"]
    assert {"tỷ", "lệ", "thu", "gom", "rác", "thải"} <= labels["99%"]
    row = {q.text: words for q, words in labelled(ROW, True)}
    assert {"tổng", "thu", "ngân", "sách", "2025"} <= row["318,6 tỷ đồng"]  # the row's label travels


def test_a_span_of_years_labels_the_figure_after_it_and_an_amount_range_is_a_figure() -> None:
    from app.ground.kind import is_answer_figure

    text = "Tổng kinh phí thực hiện chính sách giai đoạn 2026 - 2030 là 4,2 tỷ đồng."
    labels = {q.text: words for q, words in labelled(text, True)}
    assert "2026 - 2030" not in labels  # a period, not a figure of its own
    assert {"kinh", "phí", "chính", "sách", "2026", "2030"} <= labels["4,2 tỷ đồng"]
    income = _q("thu nhập bình quân đạt 90 - 100 triệu đồng")
    assert income.kind == "range" and not income.period and is_answer_figure(income, "figure")
    assert _q("nhiệm kỳ 2025-2030").period and not is_answer_figure(_q("nhiệm kỳ 2025-2030"), "figure")


def test_a_figure_labelled_as_another_indicator_is_not_the_answer() -> None:
    terms = {"tỷ", "lệ", "thu", "gom", "rác", "thải"}
    assert bound_elsewhere(_q("8,26%"), PROSE, terms, "percent", True)
    assert not bound_elsewhere(_q("99%"), PROSE, terms, "percent", True)
    budget = {"tổng", "thu", "ngân", "sách"}
    assert not bound_elsewhere(_q("348,5 tỷ đồng"), PROSE, budget, "money", True)
    # "109,4%" of the budget: labelled "đạt ... dự toán", and no other percentage carries the words
    assert not bound_elsewhere(_q("109,4%"), PROSE, {"đạt", "dự", "toán"}, "percent", True)


def test_a_rounded_figure_is_read_as_the_passage_states_it() -> None:
    assert rounding_of(_q("348 tỷ đồng"), PROSE).text == "348,5 tỷ đồng"
    assert rounding_of(_q("8,3%"), PROSE).text == "8,26%"
    assert rounding_of(_q("360 tỷ đồng"), PROSE) is None
    assert rounding_of(_q("348 triệu đồng"), PROSE) is None  # another scale is another figure
    chunk = Chunk("d#0", "d", 0, 0, len(PROSE), PROSE, "")
    passage = Passage(chunk=chunk, score=1.0)
    said = "Tổng thu khoảng 348 tỷ đồng [1]."
    assert as_stated(extract_quantities(said)[0], said, passage).text == "348,5 tỷ đồng"
    plain = "Tổng thu 348 tỷ đồng [1]."  # not said to be rounded: a figure of its own
    assert as_stated(extract_quantities(plain)[0], plain, passage).text == "348 tỷ đồng"


def test_a_name_the_question_says_passes_when_the_cited_document_names_it() -> None:
    text = "Năm 2025, Đảng bộ kết nạp 76 đảng viên mới."
    chunk = Chunk("d#0", "d", 0, 0, len(text), text, "")
    cited = [Passage(chunk=chunk, score=1.0)]
    answer = "Phường Quy Nhơn Nam kết nạp 76 đảng viên mới [1]."
    question = "Phường Quy Nhơn Nam kết nạp bao nhiêu đảng viên mới?"
    doc = "Báo cáo của phường Quy Nhơn Nam. " + text
    assert unsupported_names(answer, cited, question, (doc,)) == []
    assert unsupported_names(answer, cited, question, (text,)) == ["Phường Quy Nhơn Nam"]
    assert unsupported_names(answer, cited) == ["Phường Quy Nhơn Nam"]  # nobody said it


def test_a_table_cell_is_of_the_year_its_header_names() -> None:
    from app.ground.binding import labelled_years

    assert labelled_years(_q("286,4 tỷ đồng"), ROW, True) == {2024}
    assert labelled_years(_q("318,6 tỷ đồng"), ROW, True) == {2025}
    assert labelled_years(_q("999 tỷ đồng"), ROW, True) is None  # not in the passage
