"""Vietnamese personal names: a surname from the closed set, then one to three capitalised syllables."""

from __future__ import annotations

import re

SURNAMES = frozenset(
    """
    Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Mai Trịnh Đào Cao
    Lâm Hà Lương Tạ Chu Đoàn Châu Tô Thái Kiều Quách Lưu Vương Trương Triệu Đàm Lại Mạc Thân Tăng
    """.split()
)
_PERSON = re.compile(r"\b(" + "|".join(sorted(SURNAMES)) + r")((?:\s+[A-ZĐÀ-Ỹ][a-zđà-ỹ]+){1,3})")


def person_names(text: str) -> list[str]:
    return [m.group(0) for m in _PERSON.finditer(text)]
