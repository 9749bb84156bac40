"""The eval gate's judgement and thresholds, and the genre set's integrity (the HTTP runs themselves are
`python -m app eval`, run by CI)."""

from __future__ import annotations

import collections
import difflib
import importlib.util
import io
import json
import re
import tomllib
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import docx
import numpy as np
import openpyxl
import pypdfium2 as pdfium
from docx.table import Table as DocxTable
from PIL import Image, ImageSequence

from app.evaluation import (
    EVALS,
    GENRES,
    QUESTION_FILES,
    REASONING,
    Report,
    check,
    ingest_survival,
    judge,
    load_questions,
    load_set,
    load_sources,
    sample,
    set_thresholds,
    write,
)
from app.ground.arithmetic import computations
from app.ingest import read_bytes
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


def test_computed_and_cross_document_questions_are_judged_on_their_own(tmp_path: Path) -> None:
    computed = {
        **Q,
        "id": "c1",
        "category": "computed",
        "gold_figures": ["38,3 tỷ đồng"],
        "operands": ["348,5 tỷ đồng", "310,2 tỷ đồng"],
    }
    search = {"passages": [PASSAGE]}  # holds an operand, not the result: evidence all the same
    right = judge(computed, _ask("Chênh lệch: 348,5 - 310,2 = 38,3 tỷ đồng."), search)
    assert right.correct and right.rank == 2
    cross = {**Q, "id": "x1", "category": "cross_document", "gold_doc_ids": ["000", "001"]}
    one_side = judge(cross, _ask("348,5 tỷ đồng [1]"), search)
    assert one_side.citation_ok is False  # a comparison cites every document it compares
    sealed = judge({**computed, "id": "s1", "sealed": True}, _ask("40 tỷ đồng"), search)
    report = Report([judge(Q, _ask("348,5 tỷ đồng"), search), right, one_side, sealed])
    # `overall` is the questions one passage answers; the others have their own scopes.
    assert report.metrics()["questions"] == 1
    assert report.metrics("computed")["answer_accuracy"] == 1.0
    assert report.metrics("computed", sealed=True)["answer_accuracy"] == 0.0
    assert check(report, {"sealed": {"computed": {"answer_accuracy": 0.5}}}) == [
        "sealed.computed.answer_accuracy = 0.0 < 0.5"
    ]
    text = write(report, [], tmp_path)
    assert "1 sealed, not listed" in text and "40 tỷ đồng" not in text  # counted, never shown
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["seeds"]["sealed"]["computed"]["questions"] == 1
    shown = next(o for o in data["seeds"]["outcomes"] if o["id"] == "s1")
    assert "answer" not in shown


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
        if q["category"] in REASONING:
            continue  # grounded by their operands: test_reasoning_questions_are_grounded
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


def _document_texts() -> dict[str, dict[str, str]]:
    seeds = {p.stem: _nfc(p.read_text(encoding="utf-8")) for p in (EVALS.parent / "seeds").glob("*.txt")}
    genres = {Path(f).stem: _nfc("\n".join(r["content"])) for f, r in load_sources().items()}
    return {"seeds": seeds, "genres": genres}


def test_reasoning_questions_are_grounded() -> None:
    """The computed and cross-document questions (open and sealed): enough of each, a sealed part,
    every figure they are computed from verbatim in one of their documents, and every stated
    computation recomputing to the gold figure. Failures name question ids only (sealed questions
    are never shown)."""
    texts = _document_texts()
    counts: collections.Counter[str] = collections.Counter()
    sealed = 0
    for name in ("seeds", "genres"):
        questions = [q for q in load_set(name) if q["category"] in REASONING]
        assert len({q["id"] for q in load_set(name)}) == len(load_set(name)), name
        for q in questions:
            counts[q["category"]] += 1
            sealed += bool(q.get("sealed"))
            if not q["answerable"]:
                assert not q["gold_doc_ids"], q["id"]
                continue
            docs = [texts[name][d] for d in q["gold_doc_ids"]]
            if q["category"] == "cross_document":
                assert len(q["gold_doc_ids"]) >= 2, q["id"]
            # Table cells are written without the unit their column header gives: the numeral is
            # what must stand in the document.
            for figure in q.get("operands", []) + [f for f in q["gold_figures"] if "computation" not in q]:
                numeral = re.search(r"[0-9]+(?:[.,][0-9]+)*", figure)
                held = any(_nfc(figure) in d for d in docs) or (
                    numeral is not None
                    and any(re.search(rf"(?<![\d.,]){re.escape(numeral[0])}(?![\d]|[.,]\d)", d) for d in docs)
                )
                assert held, q["id"]
            if "computation" in q:
                (c,) = computations(f"{q['computation']} = {q['gold_figures'][0]}")
                assert c.correct, q["id"]
    assert counts["computed"] >= 40 and counts["cross_document"] >= 30, counts
    assert 0.25 <= sealed / sum(counts.values()) <= 0.45


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


# --- build.py reproduces the committed genre documents ---------------------------------------------
# Text files must come out byte for byte. Binary files (PDF, DOCX, XLSX, images) are compared by what
# can be read from them, never by their bytes: fpdf2, python-docx, openpyxl, Pillow, FreeType and the
# fonts on a machine change the bytes (compression, font subsets, object order) but not the content.

TEXT_SUFFIXES = {".md", ".txt", ".html", ".htm", ".json"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
# Pixels are compared after both images are shrunk to this width (about 1.35 mm a pixel on an A4
# page), as the mean absolute difference of grey levels (0-255). Drawing the same text with another
# layout engine (Pillow with and without libraqm moves glyphs and even rewraps a word) differs by
# about 1.3 there, a 0.05° change of skew by 0.6; a blank page differs from the scanned letter by
# 10.7 and another scanned page by 12.6. A changed word or figure on a scan moves it by less than 0.2,
# lost in that noise: the words on a scan are pinned exactly by its sources/*.json (same Line lists).
PIXEL_WIDTH = 155
PIXEL_TOLERANCE = 3.0

Facts = list[tuple[str, object]]


def _pdf_content(data: bytes) -> tuple[Facts, list[tuple[str, Image.Image]]]:
    """A PDF: its title, author and page count, each page's text layer (whitespace collapsed, so a
    different line wrap is no change) and the pixel size of every image on it; pages that carry an
    image (a scan) are rendered for a pixel comparison."""
    pdf = pdfium.PdfDocument(data)
    meta = pdf.get_metadata_dict()
    facts: Facts = [("title, author", (meta.get("Title"), meta.get("Author"))), ("pages", len(pdf))]
    pixels = []
    for number, page in enumerate(pdf, 1):
        text = " ".join(page.get_textpage().get_text_range().split())
        images = list(page.get_objects(filter=(pdfium.raw.FPDF_PAGEOBJ_IMAGE,)))
        sizes = [(m.width, m.height) for m in (im.get_metadata() for im in images)]
        facts += [(f"page {number} text", text), (f"page {number} image sizes", sizes)]
        if images:
            pixels.append((f"page {number}", page.render(scale=0.5, grayscale=True).to_pil()))
    return facts, pixels


def _reader_facts(name: str, data: bytes) -> Facts:
    """What the project's own reader makes of the file (blocks, title, what it left out)."""
    extracted = read_bytes(name, data)
    facts: Facts = [("reader title", extracted.title), ("reader removed", extracted.removed)]
    facts.append(("reader blocks", len(extracted.blocks)))
    facts += [(f"reader block {i}", b) for i, b in enumerate(extracted.blocks, 1)]
    return facts


def _docx_content(name: str, data: bytes) -> Facts:
    """A DOCX: title and author, every paragraph (style, alignment, runs with bold and italic) and
    every table's cell texts, in document order; then what the project's reader makes of it."""
    document = docx.Document(io.BytesIO(data))
    props = document.core_properties
    facts: Facts = [("title, author", (props.title, props.author))]
    for i, part in enumerate(document.iter_inner_content(), 1):
        if isinstance(part, DocxTable):
            facts.append((f"body {i} (table)", [[c.text for c in row.cells] for row in part.rows]))
        else:
            runs = [(r.text, r.bold, r.italic) for r in part.runs]
            facts.append((f"body {i}", (part._p.style, part.alignment, runs)))  # style id, no lookup
    return facts + _reader_facts(name, data)


def _xlsx_content(name: str, data: bytes) -> Facts:
    """An XLSX: title and author, sheet names, merged ranges, every non-empty cell's value or formula,
    the value Excel cached for it and its number format; then what the project's reader makes of it."""
    formulas = openpyxl.load_workbook(io.BytesIO(data))
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    props = formulas.properties
    facts: Facts = [("title, author", (props.title, props.creator)), ("sheets", formulas.sheetnames)]
    for ws, values in zip(formulas.worksheets, cached.worksheets, strict=True):
        facts.append((f"{ws.title} merged", sorted(str(r) for r in ws.merged_cells.ranges)))
        for row, value_row in zip(ws.iter_rows(), values.iter_rows(), strict=True):
            for cell, value in zip(row, value_row, strict=True):
                if cell.value is not None or value.value is not None:
                    facts.append(
                        (f"{ws.title}!{cell.coordinate}", (cell.value, value.value, cell.number_format))
                    )
    return facts + _reader_facts(name, data)


def _image_content(data: bytes) -> tuple[Facts, list[tuple[str, Image.Image]]]:
    """An image: frame count, pixel size and resolution of each frame, and the frames' pixels."""
    image = Image.open(io.BytesIO(data))
    dpi = image.info.get("dpi")
    facts: Facts = [("frames", getattr(image, "n_frames", 1)), ("dpi", dpi and tuple(round(d) for d in dpi))]
    pixels = []
    for i, frame in enumerate(ImageSequence.Iterator(image), 1):
        facts.append((f"frame {i} size", frame.size))
        pixels.append((f"frame {i}", frame.convert("L")))
    return facts, pixels


def _content(name: str, data: bytes) -> tuple[Facts, list[tuple[str, Image.Image]]]:
    """A binary file as facts that must be equal and images that must look alike (no OCR)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        return _pdf_content(data)
    if suffix == ".docx":
        return _docx_content(name, data), []
    if suffix == ".xlsx":
        return _xlsx_content(name, data), []
    if suffix in IMAGE_SUFFIXES:
        return _image_content(data)
    raise AssertionError(f"{name}: no content comparison for {suffix} files; add one to _content()")


def _grey_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of grey levels once both are shrunk to PIXEL_WIDTH (same shape)."""
    size = (PIXEL_WIDTH, round(PIXEL_WIDTH * a.height / a.width))
    small = [np.asarray(im.convert("L").resize(size, Image.Resampling.BOX), np.int16) for im in (a, b)]
    return float(np.abs(small[0] - small[1]).mean())


def _short(value: object, start: int = 0) -> str:
    text = repr(value)
    return ("..." if start else "") + text[start : start + 300] + ("..." if len(text) > start + 300 else "")


def _built_vs_committed(a: object, b: object) -> str:
    """Both values, from a little before the first character where their reprs differ."""
    ra, rb = repr(a), repr(b)
    same = next((i for i, (x, y) in enumerate(zip(ra, rb, strict=False)) if x != y), min(len(ra), len(rb)))
    start = max(0, same - 60)
    return f"built {_short(a, start)}, committed {_short(b, start)}"


def _differences(name: str, built: bytes, committed: bytes) -> str | None:
    """None if the built file has the committed file's content, else where they first differ."""
    if Path(name).suffix.lower() in TEXT_SUFFIXES:
        if built == committed:
            return None
        a, b = committed.decode("utf-8").splitlines(), built.decode("utf-8").splitlines()
        return _short(list(difflib.unified_diff(a, b, "committed", "built", n=0, lineterm=""))[2:6])
    (facts, pixels), (facts_c, pixels_c) = _content(name, built), _content(name, committed)
    if facts != facts_c:
        parts, parts_c = [k for k, _ in facts], [k for k, _ in facts_c]
        if parts != parts_c:
            return f"parts differ: {_built_vs_committed(parts, parts_c)}"
        key, a, b = next((k, a, b) for (k, a), (_, b) in zip(facts, facts_c, strict=True) if a != b)
        return f"{key}: {_built_vs_committed(a, b)}"
    assert [k for k, _ in pixels] == [k for k, _ in pixels_c], name
    for (key, a), (_, b) in zip(pixels, pixels_c, strict=True):
        if (diff := _grey_difference(a, b)) > PIXEL_TOLERANCE:
            return f"{key}: pixels differ by {diff:.2f} grey levels on average (> {PIXEL_TOLERANCE})"
    return None


def _built_differences(root: Path, folders: tuple[str, ...] = ("docs", "sources")) -> dict[str, str]:
    """Each file build.py wrote under `root` whose content is not the committed file's, and how."""
    out = {}
    for folder in folders:
        built = {p.name: p.read_bytes() for p in (root / folder).iterdir()}
        # Documents written by hand (the bk-, qd-, vb- families) sit beside the built ones.
        committed = {p.name: p.read_bytes() for p in (GENRES / folder).iterdir() if p.name in built}
        assert sorted(committed) == sorted(built), f"rerun evals/genres/build.py ({folder}: files missing)"
        for name in sorted(built):
            if why := _differences(name, built[name], committed[name]):
                out[f"{folder}/{name}"] = why
    return out


def test_genre_documents_are_what_build_py_writes(tmp_path: Path) -> None:
    """The committed documents are reproducible: build.py writes the same text files and binary files
    with the same content (edit the builder, then rerun it; never edit the documents by hand)."""
    spec = importlib.util.spec_from_file_location("genre_build", GENRES / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    differences = _built_differences(tmp_path)
    assert differences == {}, "rerun evals/genres/build.py:\n" + "\n".join(
        f"{name}: {why}" for name, why in differences.items()
    )
