"""Figures are checked by value, the Vietnamese way: "348,5" is 348.5, "4.985" is 4985, never 3485 / 4.985."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from app.text.numbers import (
    SCALE_WORDS,
    Quantity,
    extract_quantities,
    figure_in_text,
    parse_number,
    quantities_match,
)

SEEDS = sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt"))


def one(text: str) -> Quantity:
    """The single figure a snippet must yield."""
    qs = extract_quantities(text)
    assert len(qs) == 1, f"{text!r} -> {qs}"
    return qs[0]


# --- parse_number -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("348,5", 348.5),
        ("4.985", 4985.0),
        ("1.648", 1648.0),
        ("73.296", 73296.0),
        ("12,15", 12.15),
        ("1.234.567,8", 1234567.8),
        ("0,1", 0.1),
        ("100", 100.0),
        ("2.553", 2553.0),
        (" 36,36 ", 36.36),
        ("11.7", None),  # a dot group must be 3 digits: not 117, not 11.7
        ("1.5", None),
        ("12.3456", None),
        ("1.23", None),
        (",5", None),
        ("1,", None),
        ("-5", None),
        ("", None),
        ("abc", None),
    ],
)
def test_parse_number(s: str, expected: float | None) -> None:
    assert parse_number(s) == expected


def test_parse_number_never_strips_the_comma() -> None:
    assert parse_number("348,5") != 3485


def test_scale_words() -> None:
    assert SCALE_WORDS["tỷ"] == SCALE_WORDS["ty"] == SCALE_WORDS["tỉ"] == SCALE_WORDS["ti"] == 1e9
    assert SCALE_WORDS["triệu"] == SCALE_WORDS["trieu"] == 1e6
    assert SCALE_WORDS["nghìn"] == SCALE_WORDS["ngàn"] == SCALE_WORDS["nghin"] == SCALE_WORDS["ngan"] == 1e3


# --- extract_quantities: one figure per snippet -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "span", "kind", "value", "unit"),
    [
        ("tổng thu ngân sách là 348,5 tỷ đồng, đạt", "348,5 tỷ đồng", "number", 348.5e9, "đồng"),
        ("348,5 tỷ", "348,5 tỷ", "number", 348.5e9, None),
        ("xuất khẩu đạt 139 triệu USD, vượt", "139 triệu USD", "number", 139e6, "USD"),
        ("đạt 150,7 triệu USD;", "150,7 triệu USD", "number", 150.7e6, "USD"),
        ("đạt 1.648 triệu USD.", "1.648 triệu USD", "number", 1648e6, "USD"),
        ("tổng thu ngân sách hơn 519 tỷ đồng;", "519 tỷ đồng", "number", 519e9, "đồng"),
        ("ước thực hiện gần 860 tỷ đồng", "860 tỷ đồng", "number", 860e9, "đồng"),
        ("1,5 nghìn tỷ đồng", "1,5 nghìn tỷ đồng", "number", 1.5e12, "đồng"),
        ("100.000đ", "100.000đ", "number", 1e5, "đồng"),
        ("tăng 8,26%;", "8,26%", "percent", 8.26, "%"),
        ("đạt 109,4% dự toán", "109,4%", "percent", 109.4, "%"),
        ("đạt 12,15%;", "12,15%", "percent", 12.15, "%"),
        ("đạt 99%.", "99%", "percent", 99.0, "%"),
        ("100% người dân", "100%", "percent", 100.0, "%"),
        ("giảm bình quân hàng năm 0,1%...", "0,1%", "percent", 0.1, "%"),
        ("bình quân 13,5%/năm;", "13,5%/năm", "percent", 13.5, "%/năm"),
        ('"Gia đình văn hóa" là 93 % trở lên', "93 %", "percent", 93.0, "%"),
        ("với 4.985 đảng viên.", "4.985 đảng viên", "number", 4985.0, "đảng viên"),
        ("quy mô dân số 73.296 người.", "73.296 người", "number", 73296.0, "người"),
        ("diện tích tự nhiên 36,36 km2, quy", "36,36 km2", "number", 36.36, "km2"),
        ("diện tích 36,36 km²", "36,36 km²", "number", 36.36, "km2"),
        ("chuyển đổi 98,6ha diện tích", "98,6ha", "number", 98.6, "ha"),
        ("tập trung đất đai 152ha, cơ giới", "152ha", "number", 152.0, "ha"),
        ("Nam Bỉm Sơn (129ha).", "129ha", "number", 129.0, "ha"),
        ("hiện có hơn 1.500 DN hoạt động", "1.500 DN", "number", 1500.0, "doanh nghiệp"),
        ("thu hút 220 doanh nghiệp mới", "220 doanh nghiệp", "number", 220.0, "doanh nghiệp"),
        ("tiếp nhận 2.553 hồ sơ thủ tục", "2.553 hồ sơ", "number", 2553.0, "hồ sơ"),
        ("kết nạp được 76 đảng viên mới", "76 đảng viên", "number", 76.0, "đảng viên"),
        ("phường lên 292 người.", "292 người", "number", 292.0, "người"),
        ("hộ cận nghèo còn 15 hộ.", "15 hộ", "number", 15.0, "hộ"),
        ("Đảng bộ phường có 71 chi bộ, tổ chức", "71 chi bộ", "number", 71.0, "chi bộ"),
        ("thu hút 1 dự án mới", "1 dự án", "number", 1.0, "dự án"),
        ("có 11 chỉ tiêu vượt kế hoạch", "11 chỉ tiêu", "number", 11.0, "chỉ tiêu"),
        ("lưu trú bình quân đạt 2,5 ngày/khách.", "2,5 ngày/khách", "number", 2.5, "ngày/khách"),
        ("đạt từ 90 triệu đồng/người/năm;", "90 triệu đồng/người/năm", "number", 90e6, "đồng/người/năm"),
        ("đạt trên 10 triệu lượt khách;", "10 triệu lượt khách", "number", 10e6, "lượt khách"),
        ("View count: 55", "55", "number", 55.0, None),
        ("hội nghị lần thứ 2 nhằm", "2", "number", 2.0, None),
        ("năm 2025", "2025", "year", 2025.0, None),
        ("Năm 2021 UBND phường", "2021", "year", 2021.0, None),
        ("quý IV/2025", "2025", "year", 2025.0, None),
        ("năm 2026-năm đầu", "2026", "year", 2026.0, None),
        ("2000 người", "2000 người", "number", 2000.0, "người"),  # a unit makes it a count, not a year
        # typed without diacritics: same values, same canonical units
        ("348,5 ty dong", "348,5 ty dong", "number", 348.5e9, "đồng"),
        ("139 trieu USD", "139 trieu USD", "number", 139e6, "USD"),
        ("73.296 nguoi", "73.296 nguoi", "number", 73296.0, "người"),
        ("15 ho", "15 ho", "number", 15.0, "hộ"),
        ("4.985 dang vien", "4.985 dang vien", "number", 4985.0, "đảng viên"),
        ("10 trieu luot khach", "10 trieu luot khach", "number", 10e6, "lượt khách"),
        ("90 trieu dong/nguoi/nam", "90 trieu dong/nguoi/nam", "number", 90e6, "đồng/người/năm"),
        ("13,5%/nam", "13,5%/nam", "percent", 13.5, "%/năm"),
        ("10 tỉ", "10 tỉ", "number", 10e9, None),
        # look-alikes that are not units or scales
        ("5 đông", "5", "number", 5.0, None),
        ("5 tí", "5", "number", 5.0, None),
        ("có 2 đồng chí", "2 đồng chí", "number", 2.0, "đồng chí"),
    ],
)
def test_extract_single(text: str, span: str, kind: str, value: float, unit: str | None) -> None:
    q = one(text)
    assert (q.text, q.kind, q.value, q.unit) == (span, kind, value, unit)
    assert text[q.start : q.end] == q.text


@pytest.mark.parametrize(
    ("text", "span", "num", "den", "unit"),
    [
        ("hoàn thành 20/21 chỉ tiêu Nghị quyết", "20/21 chỉ tiêu", 20.0, 21.0, "chỉ tiêu"),
        ("xếp thứ 4/135 phường, xã", "4/135 phường", 4.0, 135.0, "phường"),
        ("xếp thứ 28/135 phường, xã", "28/135 phường", 28.0, 135.0, "phường"),
        ("(giảm 21/21 hộ nghèo)", "21/21 hộ", 21.0, 21.0, "hộ"),
        ("8/8 tổ dân phố văn hóa", "8/8 tổ dân phố", 8.0, 8.0, "tổ dân phố"),
        ("20/21 chi tieu", "20/21 chi tieu", 20.0, 21.0, "chỉ tiêu"),
        ("1.200/1.500 hộ", "1.200/1.500 hộ", 1200.0, 1500.0, "hộ"),
        ("lên tới 20/21 chỉ tiêu", "20/21 chỉ tiêu", 20.0, 21.0, "chỉ tiêu"),  # no 21st month: not a date
    ],
)
def test_extract_fraction(text: str, span: str, num: float, den: float, unit: str) -> None:
    q = one(text)
    assert (q.text, q.kind, q.value, q.denominator, q.unit) == (span, "fraction", num, den, unit)


@pytest.mark.parametrize(
    ("text", "span", "low", "high", "unit"),
    [
        ("đạt 90 - 100 triệu đồng.", "90 - 100 triệu đồng", 90e6, 100e6, "đồng"),
        ("3 tỷ - 5 tỷ đồng", "3 tỷ - 5 tỷ đồng", 3e9, 5e9, "đồng"),
        ("tăng 8-10%", "8-10%", 8.0, 10.0, "%"),
        ("giai đoạn 2026-2030.", "2026-2030", 2026.0, 2030.0, None),
        ("nhiệm kỳ 2025 - 2030, Đảng bộ", "2025 - 2030", 2025.0, 2030.0, None),
        ("giai đoạn 2021 - 2025 ước", "2021 - 2025", 2021.0, 2025.0, None),
        ("5 năm (2026-2030)", None, 2026.0, 2030.0, None),
    ],
)
def test_extract_range(text: str, span: str | None, low: float, high: float, unit: str | None) -> None:
    q = [q for q in extract_quantities(text) if q.kind == "range"]
    assert len(q) == 1
    assert (q[0].value, q[0].high, q[0].unit) == (low, high, unit)
    if span is not None:
        assert q[0].text == span


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("vào ngày 11.7.", ["--07-11"]),
        ("Nghị quyết số 57-NQ/TW ngày 22.12.2024 của Bộ Chính trị", ["2024-12-22"]),
        ("Ngày đăng 15/03/2023 | 19:52  | View", ["2023-03-15"]),
        ("Sáng 21/11, Ban Thường vụ", ["--11-21"]),
        ("Chiều 11-12, Ban Chấp hành", ["--12-11"]),
        ("Chiều ngày 15/3, Đảng ủy", ["--03-15"]),
        ("tối 2.9", ["--09-02"]),
        ("Tính từ ngày 1.7 - 12.8, phường", ["--07-01", "--08-12"]),
        ("ngày 1/7 đến 15/8", ["--07-01", "--08-15"]),
        (" date 2025-12-11 (GLO)", ["2025-12-11"]),
        ("tháng 3/2024", ["2024-03"]),
        ("ngày 29.2", ["--02-29"]),
        ("ngay 22.12.2024", ["2024-12-22"]),
    ],
)
def test_extract_dates(text: str, dates: list[str]) -> None:
    qs = extract_quantities(text)
    assert [q.kind for q in qs] == ["date"] * len(dates)
    assert [q.date for q in qs] == dates
    assert all(q.value is None for q in qs)


@pytest.mark.parametrize(
    "text",
    [
        "Nghị quyết số 57-NQ/TW",
        "Quyết định 123/QĐ-UBND",
        "Nghị định 05/2023/NĐ-CP",
        "Quốc lộ 217B",
        "lần thứ XIV",
        "Quốc hội khóa XVI",
        "km2",
        "COVID-19",
        "19:52",
        "lúc 19h30",
        "mạng 5G",
        "",
        "không có số nào",
    ],
)
def test_not_figures(text: str) -> None:
    assert extract_quantities(text) == []


@pytest.mark.parametrize("text", ["hội nghị lần thứ 5", "lần thứ 2", "đạt 11.7"])
def test_never_a_date(text: str) -> None:
    assert all(q.kind != "date" for q in extract_quantities(text))


@pytest.mark.parametrize("text", ["đạt 11.7", "1.5 tỷ", "ngày 31.2"])
def test_ambiguous_numeral_has_no_value(text: str) -> None:
    q = one(text)
    assert (q.kind, q.value) == ("number", None)


def test_extract_many_in_order() -> None:
    text = "Tổng giá trị sản phẩm tăng 8,26%; kim ngạch xuất khẩu đạt 139 triệu USD; thu 348,5 tỷ đồng."
    assert [q.text for q in extract_quantities(text)] == ["8,26%", "139 triệu USD", "348,5 tỷ đồng"]
    assert [q.text for q in extract_quantities("số 57, 59, 66, 68")] == ["57", "59", "66", "68"]


# --- quantities_match -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("348,5 tỷ đồng", "348,5 tỷ", True),
        ("348,5 tỷ đồng", "348,5 ty dong", True),
        ("348,5 tỷ đồng", "348.500.000.000 đồng", True),
        ("348,5 tỷ đồng", "348,5 triệu đồng", False),
        ("348,5 tỷ đồng", "348,6 tỷ đồng", False),
        ("348,5 tỷ đồng", "3485 tỷ đồng", False),
        ("348,5 tỷ đồng", "348,5", False),  # value-wise a bare numeral is not 348.5e9 (see figure_in_text)
        ("139 triệu USD", "139 triệu đồng", False),
        ("139 triệu USD", "139 trieu USD", True),
        ("1.648 triệu USD", "1,648 tỷ USD", True),
        ("12,15%", "12,15 %", True),
        ("13,5%/năm", "13,5%", True),
        ("12,15%", "12,15", False),  # a percent never matches a plain number
        ("4.985 đảng viên", "4985 dang vien", True),
        ("4.985 đảng viên", "4.985 người", False),
        ("4.985", "4,985", False),
        ("10 triệu lượt khách", "10 triệu lượt", True),
        ("5 đồng", "5 đồng chí", False),
        ("năm 2025", "2025", True),
        ("2025", "2025 người", True),  # a year and a plain number of the same value
        ("20/21 chỉ tiêu", "20/21", True),
        ("20/21 chỉ tiêu", "20/22 chỉ tiêu", False),
        ("20/21 chỉ tiêu", "20 chỉ tiêu", False),
        ("90 - 100 triệu đồng", "90-100 trieu dong", True),
        ("90 - 100 triệu đồng", "90 - 110 triệu đồng", False),
        ("90 - 100 triệu đồng", "90 triệu đồng", False),
        ("2026-2030", "2026 - 2030", True),
        ("ngày 22.12.2024", "ngày 22/12/2024", True),
        ("ngày 22.12.2024", "ngày 23.12.2024", False),
        ("Sáng 21/11", "ngày 21.11", True),
        ("đạt 11.7", "đạt 11.7", False),  # no value, nothing to compare
    ],
)
def test_quantities_match(a: str, b: str, same: bool) -> None:
    qa, qb = one(a), one(b)
    assert quantities_match(qa, qb) is same
    assert quantities_match(qb, qa) is same


# --- figure_in_text -------------------------------------------------------------------------------

PASSAGE = (
    "Theo báo cáo, năm 2025, phường Quy Nhơn đã hoàn thành 20/21 chỉ tiêu Nghị quyết Đảng ủy đề ra. "
    "Tổng giá trị sản phẩm tăng 8,26%; kim ngạch xuất khẩu đạt 139 triệu USD, vượt kế hoạch; "
    "tổng thu ngân sách là 348,5 tỷ đồng, đạt 109,4% dự toán. Thu nhập bình quân đạt 90 - 100 triệu đồng. "
    "Điển hình, gặp mặt các DN vào ngày 11.7. Nghị quyết số 57-NQ/TW ngày 22.12.2024."
)


@pytest.mark.parametrize(
    ("answer", "supported"),
    [
        ("348,5 tỷ đồng", True),
        ("348,5 tỷ", True),
        ("348,5 ty dong", True),
        ("348,5", True),  # the bare numeral as written in the passage
        ("348,6 tỷ đồng", False),
        ("3485 tỷ", False),
        ("3485", False),
        ("348,5 triệu đồng", False),
        ("348,5 tỷ USD", False),
        ("139 triệu USD", True),
        ("139 triệu đồng", False),
        ("8,26%", True),
        ("8,62%", False),
        ("109,4%", True),
        ("20/21 chỉ tiêu", True),
        ("21/21 chỉ tiêu", False),
        ("90 - 100 triệu đồng", True),
        ("90 - 100 triệu USD", False),
        ("năm 2025", True),
        ("năm 2024", False),
        ("ngày 11/7", True),
        ("ngày 11.8", False),
        ("ngày 22/12", True),  # a day-month of a dated passage
        ("ngày 22.12.2024", True),
        ("ngày 22.12.2023", False),
        ("57", False),  # the passage's 57 is a document code, not a figure
    ],
)
def test_figure_in_text(answer: str, supported: bool) -> None:
    assert figure_in_text(one(answer), PASSAGE) is supported


# --- every seed document ----------------------------------------------------------------------------


def test_seeds_exist() -> None:
    assert len(SEEDS) >= 5


@pytest.mark.parametrize("path", SEEDS, ids=[p.name for p in SEEDS])
def test_seed_invariants(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    qs = extract_quantities(text)
    assert qs
    for q in qs:
        assert text[q.start : q.end] == q.text
        assert q.text.strip() == q.text
    for prev, cur in pairwise(qs):
        assert prev.end <= cur.start
    # no figure inside a document code
    for code_at in (i for i in range(len(text)) if text.startswith("57-NQ/TW", i)):
        assert not any(q.start < code_at + 8 and code_at < q.end for q in qs)


def test_seed_figures() -> None:
    """The headline figures of seed 000/001/004 come out with their values."""
    by_file = {p.name[:3]: extract_quantities(p.read_text(encoding="utf-8")) for p in SEEDS}
    found = {(q.text, q.kind, q.value, q.high, q.denominator, q.unit) for qs in by_file.values() for q in qs}
    for expected in [
        ("348,5 tỷ đồng", "number", 348.5e9, None, None, "đồng"),
        ("4.985 đảng viên", "number", 4985.0, None, None, "đảng viên"),
        ("12,15%", "percent", 12.15, None, None, "%"),
        ("20/21 chỉ tiêu", "fraction", 20.0, None, 21.0, "chỉ tiêu"),
        ("90 - 100 triệu đồng", "range", 90e6, 100e6, None, "đồng"),
        ("13,5%/năm", "percent", 13.5, None, None, "%/năm"),
        ("98,6ha", "number", 98.6, None, None, "ha"),
    ]:
        assert expected in found
    seed001 = by_file["001"]
    assert not any(q.value == 57 for q in seed001)
    assert not any(q.value == 217 for q in by_file["004"])
    assert "--07-11" in {q.date for q in seed001}
    assert "2024-12-22" in {q.date for q in seed001}


@pytest.mark.parametrize(
    ("text", "kind", "value", "date"),
    [
        ("tăng 8,26 phần trăm", "percent", 8.26, None),
        ("sinh ngày 15 tháng 8 năm 1962 tại Huế", "date", None, "1962-08-15"),
        ("Hà Nội, ngày 05 tháng 3 năm 2025", "date", None, "2025-03-05"),
        ("họp ngày 11 tháng 12", "date", None, "--12-11"),
        ("trong 3 tháng 8 ngày", "number", 3.0, None),  # durations, not a date
    ],
)
def test_percent_and_dates_written_in_words(
    text: str, kind: str, value: float | None, date: str | None
) -> None:
    q = extract_quantities(text)[0]
    assert (q.kind, q.value, q.date) == (kind, value, date)


def test_a_date_in_words_is_the_same_date_in_digits() -> None:
    assert figure_in_text(extract_quantities("ngày 11 tháng 12")[0], "Chiều 11-12, Ban Chấp hành họp")
    assert figure_in_text(extract_quantities("15/8/1962")[0], "sinh ngày 15 tháng 8 năm 1962 tại Huế")
    assert figure_in_text(extract_quantities("8,26 phần trăm")[0], "tổng giá trị sản phẩm tăng 8,26%")
