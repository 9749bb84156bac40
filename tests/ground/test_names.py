"""Names an answer states must be in the passages it cites (folded: case, diacritics, tone placement)."""

from __future__ import annotations

from app.ground.names import stated_names, unsupported_names
from app.models import Chunk, Passage

TEXT = "Chủ tịch UBND phường Quy Nhơn Nam là bà Nguyễn Thị Bích Hoa. Khách mời có ông Hendrik Baerle."


def _passage(text: str = TEXT, header: str = "Báo cáo của Trường Đại học Duyên Hải") -> Passage:
    return Passage(Chunk("d#0", "d", 0, 0, len(text), text, header), 1.0)


def test_a_name_from_outside_is_caught() -> None:
    assert unsupported_names("Tổng thống Mỹ là Donald Trump [1].", [_passage()]) == ["Donald Trump"]


def test_names_held_by_the_passage_pass_however_typed() -> None:
    answer = (
        "Chủ tịch là bà Nguyễn Thị Bích Hoa [1]; chu tich la Nguyen Thi Bich Hoa; "
        "Quy Nhơn Nam; Hendrik Baerle; Trường Đại học Duyên Hải."
    )
    assert unsupported_names(answer, [_passage()]) == []


def test_only_cited_passages_count() -> None:
    assert unsupported_names("Đó là bà Nguyễn Thị Bích Hoa [2].", [_passage("Một đoạn khác.")]) == [
        "Nguyễn Thị Bích Hoa"
    ]


def test_a_sentence_capital_is_not_part_of_a_name() -> None:
    """ "Theo Nghị quyết": one capitalised word after the sentence's own capital is no name run, and
    "Theo Hendrik Baerle" passes on "Hendrik Baerle"."""
    assert unsupported_names("Theo Nghị quyết số 57. Theo Hendrik Baerle, cảng rất lớn.", [_passage()]) == []
    assert ("BÁO CÁO", False) not in stated_names("Xem BÁO CÁO UBND năm 2025.")  # capitals: not looked up


def test_words_in_lower_case_with_diacritics_end_a_run() -> None:
    """ "Đảng ủy" is a capitalised word and a lower-case one ("ủ" is lower case), not a name."""
    names = [
        n for n, _ in stated_names("Phó Bí thư Thường trực Đảng ủy phường Quy Nhơn Nam là Nguyễn Duy Tuấn.")
    ]
    assert names == ["Phó Bí", "Quy Nhơn Nam", "Nguyễn Duy Tuấn"]
