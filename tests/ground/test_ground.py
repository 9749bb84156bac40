"""Grounding: every figure checked by value against the passage its marker cites."""

from __future__ import annotations

from app.config import Settings
from app.ground import ground
from app.models import Chunk, Passage
from app.pipeline import Pipeline

TEXT = (
    "Năm 2025, phường hoàn thành 20/21 chỉ tiêu. Tổng thu ngân sách là 348,5 tỷ đồng, đạt 109,4% dự toán; "
    "Đảng bộ có 4.985 đảng viên; thu nhập đạt 90 - 100 triệu đồng."
)


def _passage(text: str = TEXT, date: str | None = "2025-12-11") -> Passage:
    chunk = Chunk("d#0", "d", 0, 0, len(text), text, "Tiêu đề")
    return Passage(chunk=chunk, score=1.0, title="Tiêu đề", date=date)


def test_right_figures_verify_by_value() -> None:
    answer = (
        "Tổng thu là 348,5 tỷ [1], đạt 109,4% [1]; 4.985 đảng viên [1]; 20/21 chỉ tiêu [1]; "
        "90 - 100 triệu đồng [1]."
    )
    figures = ground(answer, {1: _passage()})
    assert [f.text for f in figures] == [
        "348,5 tỷ",
        "109,4%",
        "4.985 đảng viên",
        "20/21 chỉ tiêu",
        "90 - 100 triệu đồng",
    ]
    assert all(f.verified and f.citation == 1 for f in figures)
    assert figures[0].value == 348.5e9 and figures[2].value == 4985


def test_wrong_figure_is_unverified() -> None:
    for wrong in ("348,6 tỷ đồng", "3485 tỷ đồng", "348,5 triệu đồng", "4,985 đảng viên", "19/21 chỉ tiêu"):
        (fig,) = ground(f"Con số là {wrong} [1].", {1: _passage()})
        assert fig.verified is False, wrong


def test_marker_pointing_at_no_passage_is_unverified() -> None:
    (fig,) = ground("Tổng thu là 348,5 tỷ đồng [3].", {1: _passage()})
    assert fig.citation == 3 and fig.verified is False


def test_figure_checked_against_its_own_citation() -> None:
    other = _passage("Phường khác thu 12 tỷ đồng.")
    figs = ground("Phường A thu 348,5 tỷ đồng [2], phường B thu 12 tỷ đồng [1].", {1: other, 2: _passage()})
    assert [(f.text, f.citation, f.verified) for f in figs] == [
        ("348,5 tỷ đồng", 2, True),
        ("12 tỷ đồng", 1, True),
    ]
    swapped = ground("Phường A thu 348,5 tỷ đồng [1].", {1: other, 2: _passage()})
    assert swapped[0].verified is False


def test_source_date_verifies_against_citation_date() -> None:
    assert ground("Theo tài liệu ngày 11/12/2025: “…” [1]", {1: _passage()})[0].verified
    assert not ground("Theo tài liệu ngày 12/12/2025: “…” [1]", {1: _passage()})[0].verified


class _LyingAnswerer:
    mode = "extractive"

    def answer(self, query, passages):  # type: ignore[no-untyped-def]
        from app.answer import Draft

        return Draft(text="Tổng thu ngân sách là 999 tỷ đồng [1].", abstained=False)


def test_pipeline_never_returns_an_unverified_figure(seed_index: Settings, embedder) -> None:  # type: ignore[no-untyped-def]
    pipeline = Pipeline.open(seed_index, embedder)
    pipeline.answerer = _LyingAnswerer()
    result = pipeline.ask_sync("Tổng thu ngân sách phường Quy Nhơn năm 2025")
    assert result.answer.abstained and result.answer.fallback_reason == "unverified figure"
    assert "999" not in result.answer.text


def test_unmarked_figure_gets_the_one_passage_that_holds_it() -> None:
    from app.ground import attribute

    other = _passage("Phường khác thu 12 tỷ đồng.")
    text = attribute("Tổng thu là 348,5 tỷ đồng.", {1: other, 2: _passage()})
    assert text == "Tổng thu là 348,5 tỷ đồng [2]."
    assert ground(text, {1: other, 2: _passage()})[0].verified
    # Held by two passages, or by none: left unmarked, so it stays unverified.
    both = {1: _passage(), 2: _passage()}
    assert attribute("Thu 348,5 tỷ đồng.", both) == "Thu 348,5 tỷ đồng."
    assert attribute("Thu 999 tỷ đồng.", {1: _passage()}) == "Thu 999 tỷ đồng."
    # A figure that already has a marker is not touched.
    assert attribute("Thu 348,5 tỷ đồng [1].", {1: other, 2: _passage()}) == "Thu 348,5 tỷ đồng [1]."


def test_low_confidence_scan_is_never_a_source_for_a_figure() -> None:
    """A page read by OCR below OCR_MIN_CONFIDENCE may hold a misread digit: searchable, never a source."""
    import dataclasses

    answer = "Tổng thu là 348,5 tỷ đồng [1]."
    scan = _passage()
    scan.chunk = dataclasses.replace(scan.chunk, ocr=41.0)
    assert not ground(answer, {1: scan}, min_ocr=60)[0].verified
    assert ground(answer, {1: scan}, min_ocr=40)[0].verified
    clear = _passage()
    clear.chunk = dataclasses.replace(clear.chunk, ocr=93.5)
    assert ground(answer, {1: clear}, min_ocr=60)[0].verified


def test_an_answer_citing_a_scan_says_so(seed_index: Settings, embedder) -> None:  # type: ignore[no-untyped-def]
    """Whoever wrote it, an answer whose source is a scanned page tells the reader so."""
    import dataclasses

    pipeline = Pipeline.open(seed_index, embedder)
    scan = _passage()
    scan.chunk = dataclasses.replace(scan.chunk, ocr=93.0)
    answer = pipeline._grounded("Tổng thu là 348,5 tỷ đồng [1].", False, "llm", {1: scan})
    assert not answer.abstained and "OCR" in answer.text and answer.figures[0].verified
    plain = pipeline._grounded("Tổng thu là 348,5 tỷ đồng [1].", False, "llm", {1: _passage()})
    assert "OCR" not in plain.text
