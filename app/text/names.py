"""Common Vietnamese surnames: tells a locality name from the office holder named after it
("Chủ tịch UBND phường Nguyễn ..."). Not used to recognise people: names are any capitalised run."""

from __future__ import annotations

SURNAMES = frozenset(
    """
    Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Mai Trịnh Đào Cao
    Lâm Hà Lương Tạ Chu Đoàn Châu Tô Thái Kiều Quách Lưu Vương Trương Triệu Đàm Lại Mạc Thân Tăng
    """.split()
)
