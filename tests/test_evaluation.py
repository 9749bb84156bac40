"""The eval gate's judgement and thresholds, and the genre set's integrity (the HTTP runs themselves are
`python -m app eval`, run by CI)."""

from __future__ import annotations

import collections
import importlib.util
import json
import re
import tomllib
import unicodedata
from pathlib import Path
from types import SimpleNamespace

from app.evaluation import (
    EVALS,
    GENRES,
    QUESTION_FILES,
    Report,
    check,
    ingest_survival,
    judge,
    load_questions,
    load_sources,
    sample,
    set_thresholds,
    write,
)
from app.models import Removed

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
GENRE_MIN = {
    "table_figure": 15,
    "clause": 10,
    "list_item": 6,
    "ocr_figure": 6,
    "encyclopedia": 8,
    "contract": 6,
    "no_diacritics": 4,
    "unanswerable": 12,
}
GENRES_REQUIRED = {
    "regulation",
    "contract",
    "report_table",
    "spreadsheet",
    "scanned_letter",
    "encyclopedia",
    "news",
}


def _ask(answer: str, abstained: bool = False, doc: str = "000", verified: bool = True) -> dict:
    return {
        "answer": answer,
        "abstained": abstained,
        "citations": [] if abstained else [{"doc_id": doc}],
        "figures": [{"verified": verified}],
        "_client_ms": 12.0,
        "mode": "extractive",
    }


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def test_judge_by_value_and_by_citation() -> None:
    search = {"passages": [{"rank": 1, "doc_id": "001", "text": "x"}, PASSAGE]}
    good = judge(Q, _ask("Tổng thu là 348,5 tỷ đồng [2]."), search)
    assert good.correct and good.citation_ok and good.rank == 2 and good.why is None
    assert judge(Q, _ask("Tổng thu là 348,5 tỷ [2]."), search).correct  # same value, unit elided
    wrong = judge(Q, _ask("Tổng thu là 348,6 tỷ đồng [2]."), search)
    assert not wrong.correct and wrong.why == "missing '348,5 tỷ đồng'"
    abstained = judge(Q, _ask("…", abstained=True), {"passages": []})
    assert not abstained.correct and abstained.why == "abstained; the gold passage is not in the top 5"
    miscited = judge(Q, _ask("348,5 tỷ đồng", doc="004"), search)
    assert miscited.citation_ok is False and miscited.why == "right answer, cites 004"
    trap = {**Q, "answerable": False, "gold_figures": [], "gold_doc_ids": []}
    assert judge(trap, _ask("…", abstained=True), search).correct
    answered = judge(trap, _ask("348,5 tỷ đồng"), search)
    assert not answered.correct and answered.why == "answered from 000"


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


def test_gate_by_genre_and_ingest() -> None:
    search = {"passages": [PASSAGE]}
    table_q = {**Q, "category": "table_figure", "genre": "report_table"}
    ocr_q = {**Q, "category": "ocr_figure", "genre": "scanned_letter"}
    report = Report(
        [judge(table_q, _ask("348,5 tỷ đồng"), search), judge(ocr_q, _ask("…", abstained=True), search)],
        name="genres",
        ingest={"content_kept": 0.99, "ocr_content_kept": 0.7, "chrome_left_in": 2},
    )
    assert report.metrics(genre="report_table")["answer_accuracy"] == 1.0
    assert report.metrics(genre="scanned_letter")["answer_accuracy"] == 0.0
    assert report.genres() == ["report_table", "scanned_letter"]
    failures = check(
        report,
        {
            "by_genre": {
                "report_table": {"answer_accuracy": 0.95},
                "scanned_letter": {"answer_accuracy": 0.5},
            },
            "ingest": {"content_kept": 0.98, "ocr_content_kept": 0.85, "max_chrome_left_in": 0},
        },
    )
    assert failures == [
        "by_genre.scanned_letter.answer_accuracy = 0.0 < 0.5",
        "ingest.ocr_content_kept = 0.7 < 0.85",
        "ingest.chrome_left_in = 2 > 0",
    ]


def test_thresholds_gate_each_set_on_its_own() -> None:
    thresholds = tomllib.loads((EVALS / "thresholds.toml").read_text(encoding="utf-8"))
    seeds, genres = set_thresholds(thresholds, "seeds"), set_thresholds(thresholds, "genres")
    assert (
        seeds["overall"]["answer_accuracy"] >= 0.90 and seeds["overall"]["max_unverified_figure_answers"] == 0
    )
    assert genres["overall"]["max_unverified_figure_answers"] == 0
    assert {"table_figure", "unanswerable", "ingest"} <= set(genres)
    old_layout = {"overall": {"answer_accuracy": 0.9}}  # a file without [seeds]/[genres] gates the seeds
    assert set_thresholds(old_layout, "seeds") == old_layout and set_thresholds(old_layout, "genres") == {}


def test_report_holds_both_sets(tmp_path: Path) -> None:
    search = {"passages": [PASSAGE]}
    seeds = Report([judge(Q, _ask("348,5 tỷ đồng"), search)], name="seeds")
    genre_q = {**Q, "id": "g001", "category": "table_figure", "genre": "report_table"}
    files = {
        "a.pdf": {
            "genre": "report_table",
            "ocr": False,
            "content": 2,
            "content_kept": 0.5,
            "lost": ["x"],
            "table_headers": 0,
            "table_headers_lost": [],
            "chrome": 1,
            "chrome_left_in": ["Trang 1"],
            "chrome_unnamed": [],
        }
    }
    genres = Report(
        [judge(genre_q, _ask("…", abstained=True), search)],
        name="genres",
        ingest={
            "documents": 1,
            "chunks": 3,
            "read_seconds": 0.1,
            "index_seconds": 0.2,
            "errors": {},
            "content_kept": 0.5,
            "chrome_left_in": 1,
            "chrome_unnamed": 0,
            "files": files,
        },
    )
    text = write([seeds, genres], {"seeds": [], "genres": ["overall.answer_accuracy = 0.0 < 0.4"]}, tmp_path)
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["seeds"]["overall"]["answer_accuracy"] == 1.0
    assert data["genres"]["by_genre"]["report_table"]["answer_accuracy"] == 0.0
    assert data["genres"]["ingest"]["chunks"] == 3
    assert data["failures"] == ["genres: overall.answer_accuracy = 0.0 < 0.4"]
    assert "## Seed set" in text and "## Genre set" in text and "g001 (table_figure, report_table)" in text
    assert "FAIL overall.answer_accuracy" in text and "| a.pdf | report_table | 0.500 |" in text


def test_ingest_survival_counts_lost_lines_and_chrome() -> None:
    sources = {
        "a.html": {
            "file": "a.html",
            "genre": "news",
            "content": ["Tiêu đề bài", "Câu một.", "Câu hai có   khoảng trắng."],
            "chrome": [
                {"text": "Trang chủ", "reason": "site menu"},
                {"text": "Ảnh: Minh Trí", "reason": "photo caption"},
                {"text": "Chia sẻ", "reason": "share bar"},
            ],
            "table_headers": ["STT", "Đơn giá (đồng)"],
        }
    }
    doc = SimpleNamespace(
        source="a.html",
        title="Tiêu đề bài",
        text="Câu một.\n\nCâu hai có khoảng trắng. Đơn giá: 5 đồng\n\nTrang chủ",
        removed=(Removed("Ảnh: Minh Trí", "photo caption"),),
    )
    r = ingest_survival([doc], sources)["a.html"]
    assert r["content_kept"] == 1.0 and r["lost"] == []
    assert r["table_headers"] == 1 and r["table_headers_lost"] == []  # the unit moved to the value
    assert r["chrome_left_in"] == ["Trang chủ"] and r["chrome_unnamed"] == ["Chia sẻ"]


def test_eval_set_is_large_and_varied() -> None:
    questions = load_questions()
    categories = {q["category"] for q in questions}
    assert len(questions) >= 80 and sum(not q["answerable"] for q in questions) >= 15
    assert {"figure", "no_diacritics", "old_tone", "nfd", "paraphrase", "name_list", "temporal"} <= categories
    assert len({q["id"] for q in questions}) == len(questions)
    picked = sample(questions, 30)
    assert len(picked) == 30 and len({q["category"] for q in picked}) >= 6


def test_genre_set_is_large_varied_and_grounded_in_its_sources() -> None:
    """What evals/README.md's validation snippet checks: counts, ids, encoding, and every gold string
    verbatim in the `content` of one of its gold documents' source records."""
    questions = load_questions(QUESTION_FILES["genres"])
    sources = load_sources()
    content = {Path(f).stem: _nfc("\n".join(r["content"])) for f, r in sources.items()}
    genre_of = {Path(f).stem: r["genre"] for f, r in sources.items()}
    counts = collections.Counter(q["category"] for q in questions)
    assert len(questions) >= 60 and all(counts[c] >= n for c, n in GENRE_MIN.items()), counts
    assert len({q["id"] for q in questions}) == len(questions)
    for q in questions:
        assert re.fullmatch(r"g\d{3}|[a-z]{2}-\d{3}", q["id"]) and q["genre"], q["id"]
        assert q["question"] == _nfc(q["question"]), q["id"]
        if q["category"] == "no_diacritics":
            assert q["question"].isascii(), q["id"]
        if not q["answerable"]:
            assert not (q["gold_doc_ids"] or q["gold_figures"] or q["gold_contains"]), q["id"]
            continue
        assert q["gold_doc_ids"] and (q["gold_figures"] or q["gold_contains"]), q["id"]
        assert all(genre_of[d] == q["genre"] for d in q["gold_doc_ids"]), q["id"]
        for s in q["gold_figures"] + q["gold_contains"]:
            assert any(_nfc(s) in content[d] for d in q["gold_doc_ids"]), (q["id"], s)
    assert GENRES_REQUIRED <= {q["genre"] for q in questions if q["answerable"]}


def test_every_genre_document_has_its_source_record() -> None:
    docs = sorted(p.name for p in (GENRES / "docs").iterdir())
    sources = load_sources()
    assert docs == sorted(sources) and len(docs) >= 12
    assert GENRES_REQUIRED <= {r["genre"] for r in sources.values()}
    suffixes = {Path(d).suffix for d in docs}
    assert {".md", ".txt", ".docx", ".pdf", ".xlsx", ".png", ".html"} <= suffixes
    for name, r in sources.items():
        assert r["content"] and all(c == c.strip() and c for c in r["content"]), name
        assert all(set(c) == {"text", "reason"} and c["text"] and c["reason"] for c in r["chrome"]), name
        if name.endswith(".html") or (name.endswith(".pdf") and not r.get("ocr_pages")):
            assert r["chrome"] or "to-trinh" in name, f"{name}: web pages and paged PDFs have chrome"
    assert any(r.get("ocr_pages") == [1] for n, r in sources.items() if n.endswith(".png"))
    mixed = [r for r in sources.values() if r["genre"] == "mixed_pdf"]
    assert mixed and mixed[0]["ocr_pages"] == [2]


def test_genre_documents_are_what_build_py_writes(tmp_path: Path) -> None:
    """The committed documents are reproducible: build.py writes the same bytes (edit the builder,
    then rerun it; never edit the documents by hand)."""
    spec = importlib.util.spec_from_file_location("genre_build", GENRES / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for folder in ("docs", "sources"):
        built = {p.name: p.read_bytes() for p in (tmp_path / folder).iterdir()}
        # Documents written by hand (the bk-, qd-, vb- families) sit beside the built ones.
        committed = {p.name: p.read_bytes() for p in (GENRES / folder).iterdir() if p.name in built}
        assert len(committed) == len(built)
        assert [n for n in built if built[n] != committed[n]] == [], f"rerun evals/genres/build.py ({folder})"
