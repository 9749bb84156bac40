import unicodedata

import pytest

from app.text import canonical, fold, has_diacritics, nfc, words


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("hoà", "hòa"),
        ("hoá", "hóa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("văn hoá", "văn hóa"),
        ("Hoà Bình", "Hòa Bình"),
        ("Khánh Hoà", "Khánh Hòa"),
        ("quý", "quý"),
        ("người", "người"),
    ],
)
def test_tone_placement_variants_compare_equal(a: str, b: str) -> None:
    assert canonical(a) == canonical(b)


@pytest.mark.parametrize(
    "word", ["hoàng", "toán", "ngoài", "khuỷu", "tuyển", "người", "giá", "gì", "quả", "mùa"]
)
def test_canonical_keeps_correct_words_unchanged(word: str) -> None:
    assert canonical(word) == word


def test_nfd_input_becomes_nfc() -> None:
    text = "Tổng thu ngân sách phường Quy Nhơn"
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    assert nfc(decomposed) == text
    assert canonical(decomposed) == text


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Tổng thu ngân sách", "tong thu ngan sach"),
        ("Đảng ủy phường Quy Nhơn", "dang uy phuong quy nhon"),
        ("ĐẢNG VIÊN", "dang vien"),
        ("hoà", "hoa"),
        ("348,5 tỷ đồng", "348,5 ty dong"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert fold(unicodedata.normalize("NFD", text)) == folded


def test_has_diacritics() -> None:
    assert has_diacritics("tổng thu")
    assert has_diacritics("Đa")
    assert not has_diacritics("tong thu ngan sach Quy Nhon 2025")


def test_words_keep_numbers_whole() -> None:
    assert words("Tổng thu 348,5 tỷ đồng; 20/21 chỉ tiêu, 4.985 đảng viên") == [
        "tổng",
        "thu",
        "348,5",
        "tỷ",
        "đồng",
        "20/21",
        "chỉ",
        "tiêu",
        "4.985",
        "đảng",
        "viên",
    ]
