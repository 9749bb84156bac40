from __future__ import annotations

import pytest

from app.answer.breaker import CircuitBreaker
from app.answer.followup import conversation_question, standalone

FIRST = "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?"


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        ([FIRST, "còn năm 2026 thì sao?"], "Tổng thu ngân sách phường Quy Nhơn năm 2026 là bao nhiêu?"),
        ([FIRST, "Còn phường Hạc Thành?"], "Tổng thu ngân sách phường Hạc Thành năm 2025 là bao nhiêu?"),
        ([FIRST, "con nam 2026?"], "Tổng thu ngân sách phường Quy Nhơn năm 2026 là bao nhiêu?"),
        (
            [FIRST, "còn năm 2026?", "thế còn phường Quang Trung?"],
            "Tổng thu ngân sách phường Quang Trung năm 2026 là bao nhiêu?",
        ),
        ([FIRST, "Chủ tịch UBND phường Quy Nhơn Nam là ai?"], "Chủ tịch UBND phường Quy Nhơn Nam là ai?"),
        ([FIRST, "cảm ơn"], "cảm ơn"),
        (["còn năm 2026?"], "còn năm 2026?"),
    ],
)
def test_follow_ups_become_standalone(turns: list[str], expected: str) -> None:
    assert conversation_question(turns) == expected


def test_year_added_when_the_first_question_had_none() -> None:
    assert standalone("còn năm 2023?", "Phường Quy Nhơn Nam có bao nhiêu đảng viên?") == (
        "Phường Quy Nhơn Nam có bao nhiêu đảng viên năm 2023?"
    )


def test_breaker_opens_half_opens_and_closes() -> None:
    now = [0.0]
    b = CircuitBreaker(failures=2, cooldown_s=10, clock=lambda: now[0])
    assert b.allow() and b.state == "closed"
    b.failure("HTTP 500")
    assert b.allow()
    b.failure("HTTP 500")
    assert b.state == "open" and not b.allow() and b.retry_in() == 10
    now[0] = 10.5
    assert b.state == "half-open" and b.allow()
    b.failure("timeout")  # the trial failed: open again, for a full cooldown
    assert b.state == "open" and b.last_error == "timeout"
    now[0] = 21
    b.success()
    assert b.state == "closed" and b.failures == 0 and b.last_error is None
