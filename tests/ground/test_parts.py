"""A question naming "Điều 15" or "khoản 2 Điều 9" is answered from that part or not at all."""

from __future__ import annotations

from app.answer.question import named_parts
from app.ground.parts import in_part, structured


def test_parts_named_in_questions() -> None:
    assert named_parts("Theo khoản 2 Điều 9, sinh viên được gì?") == ("Khoản 2", "Điều 9")
    assert named_parts("dieu 6 chuong II quy dinh gi") == ("Điều 6", "Chương II")
    assert named_parts("điểm a khoản 3 Điều 7 nói gì?") == ("Khoản 3", "Điều 7", "Điểm a")
    assert named_parts("Điểm D theo thang điểm 10 là bao nhiêu?") == ()  # a grade, not a point
    assert named_parts("Mục tiêu năm 2026 là gì?") == ()


def test_a_numbered_document_is_matched_by_heading_path() -> None:
    path = ("Chương II", "Điều 9", "Khoản 2")
    assert in_part(("Khoản 2", "Điều 9"), path, "Sinh viên được miễn học phí.", numbered=True)
    assert not in_part(("Điều 15",), path, "Sinh viên được miễn học phí.", numbered=True)
    assert not in_part(("Khoản 3", "Điều 9"), path, "…", numbered=True)


def test_an_unnumbered_document_must_say_it() -> None:
    text = "Theo Điều 5 của Luật Đất đai, người sử dụng đất có quyền chuyển nhượng."
    assert in_part(("Điều 5",), (), text, numbered=False)
    assert not in_part(("Điều 15",), (), text, numbered=False)
    assert structured([("Chương I", "Điều 1"), ()]) and not structured([("Tin tức",), ()])
