"""The eval gate's judgement and thresholds (the HTTP run itself is `python -m app eval`, run by CI)."""

from __future__ import annotations

from app.evaluation import Report, check, judge, load_questions, sample

Q = {
    "id": "t1",
    "category": "figure",
    "answerable": True,
    "question": "Tổng thu ngân sách phường Quy Nhơn năm 2025?",
    "gold_doc_ids": ["000"],
    "gold_figures": ["348,5 tỷ đồng"],
    "gold_contains": [],
}
PASSAGE = {"rank": 2, "doc_id": "000", "text": "tổng thu ngân sách là 348,5 tỷ đồng"}


def _ask(answer: str, abstained: bool = False, doc: str = "000", verified: bool = True) -> dict:
    return {
        "answer": answer,
        "abstained": abstained,
        "citations": [] if abstained else [{"doc_id": doc}],
        "figures": [{"verified": verified}],
        "_client_ms": 12.0,
        "mode": "extractive",
    }


def test_judge_by_value_and_by_citation() -> None:
    search = {"passages": [{"rank": 1, "doc_id": "001", "text": "x"}, PASSAGE]}
    good = judge(Q, _ask("Tổng thu là 348,5 tỷ đồng [2]."), search)
    assert good.correct and good.citation_ok and good.rank == 2
    assert judge(Q, _ask("Tổng thu là 348,5 tỷ [2]."), search).correct  # same value, unit elided
    assert not judge(Q, _ask("Tổng thu là 348,6 tỷ đồng [2]."), search).correct
    assert not judge(Q, _ask("…", abstained=True), search).correct
    assert judge(Q, _ask("348,5 tỷ đồng", doc="004"), search).citation_ok is False
    trap = {**Q, "answerable": False, "gold_figures": [], "gold_doc_ids": []}
    assert judge(trap, _ask("…", abstained=True), search).correct
    assert not judge(trap, _ask("348,5 tỷ đồng"), search).correct


def test_gate_fails_below_thresholds() -> None:
    search = {"passages": [PASSAGE]}
    report = Report(
        [judge(Q, _ask("348,5 tỷ đồng"), search), judge(Q, _ask("12 tỷ", verified=False), search)]
    )
    m = report.metrics()
    assert m["answer_accuracy"] == 0.5 and m["unverified_figure_answers"] == 1 and m["recall_at_5"] == 1.0
    failures = check(report, {"overall": {"answer_accuracy": 0.9, "max_unverified_figure_answers": 0}})
    assert len(failures) == 2 and "answer_accuracy = 0.5 < 0.9" in failures[0]
    assert check(report, {"overall": {"recall_at_5": 0.95}}) == []
    assert check(report, {"figure": {"abstention_accuracy": 0.9}})  # a missing metric fails too


def test_eval_set_is_large_and_varied() -> None:
    questions = load_questions()
    categories = {q["category"] for q in questions}
    assert len(questions) >= 80 and sum(not q["answerable"] for q in questions) >= 15
    assert {"figure", "no_diacritics", "old_tone", "nfd", "paraphrase", "name_list", "temporal"} <= categories
    assert len({q["id"] for q in questions}) == len(questions)
    picked = sample(questions, 30)
    assert len(picked) == 30 and len({q["category"] for q in picked}) >= 6
