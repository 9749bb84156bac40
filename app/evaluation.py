"""`python -m app eval`: the eval sets through the real HTTP API, scored, reported, gated.

Two sets, each gated on its own floors in evals/thresholds.toml:

- `seeds` (evals/questions.jsonl): the five ward reports, asked of the index in `INDEX_DIR` (or of a
  running service given with `--url`).
- `genres` (evals/genres/questions.jsonl): regulations, contracts, reports with tables, a
  spreadsheet, scanned letters, encyclopedia articles and a news page (evals/genres/docs/). They are
  ingested into a temporary index with the same settings and embedder, served the same way, and
  asked the same way. Ingest itself is measured too: the share of each document's source lines
  (evals/genres/sources/*.json `content`) that survive, and the chrome lines that are left in.

For every question it measures answers and retrieval separately: answer accuracy, citation
accuracy, abstention accuracy and unverified figures from /ask; recall@5 and MRR from /search. It
writes evals/report.json and evals/report.md and fails when a metric is below its floor.
`python -m app.evaluation --set genres` runs one set.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.config import Settings
from app.serve.limits import unthrottled
from app.serve.server import running_app
from app.text import canonical, fold
from app.text.numbers import extract_quantities, figure_in_text

ROOT = Path(__file__).resolve().parent.parent
EVALS = ROOT / "evals"
GENRES = EVALS / "genres"
SETS = ("seeds", "genres")
QUESTION_FILES = {"seeds": EVALS / "questions.jsonl", "genres": GENRES / "questions.jsonl"}
# Held out: never read while tuning. Their outcomes are reported as figures only, never as text.
SEALED_FILES = {"seeds": EVALS / "questions.sealed.jsonl", "genres": GENRES / "questions.sealed.jsonl"}
# Questions that need more than one passage: a computed figure, or documents compared. They have
# their own floors; `overall` stays the questions one passage answers, comparable across rounds.
REASONING = frozenset({"computed", "cross_document"})


@dataclass
class Outcome:
    id: str
    category: str
    answerable: bool
    correct: bool
    abstained: bool
    citation_ok: bool | None  # None when there is nothing to judge (abstained, or unanswerable)
    unverified: int
    rank: int | None  # 1-based rank of the first passage holding the gold answer, within top 5
    latency_ms: float
    answer: str
    reason: str | None = None  # fallback_reason: why the LLM answer was not used
    mode: str = "extractive"
    repaired: bool = False
    genre: str | None = None
    why: str | None = None  # for a wrong answer: what was missing or wrong, in words
    cited: list[str] = field(default_factory=list)  # doc_ids the answer cites
    sealed: bool = False  # a held-out question: reported as figures only


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    name: str = "seeds"
    ingest: dict = field(default_factory=dict)  # genre set: documents, chunks, seconds, per-file survival
    curve: list[dict] = field(default_factory=list)  # extractive abstention curve over the scorer's threshold

    def metrics(
        self, only: str | None = None, genre: str | None = None, sealed: bool = False
    ) -> dict[str, float | int]:
        """`only` a category (None: `overall`, the questions one passage answers; of the sealed
        ones, all of them); `sealed`: the held-out questions instead of the open ones."""
        rows = [
            o
            for o in self.outcomes
            if o.sealed == sealed
            and (o.category == only if only is not None else sealed or o.category not in REASONING)
            and (genre is None or o.genre == genre)
        ]
        answerable = [o for o in rows if o.answerable]
        unanswerable = [o for o in rows if not o.answerable]
        cited = [o for o in answerable if o.citation_ok is not None]
        lat = sorted(o.latency_ms for o in rows)
        out: dict[str, float | int] = {"questions": len(rows)}
        if answerable:
            out["answer_accuracy"] = sum(o.correct for o in answerable) / len(answerable)
            out["recall_at_5"] = sum(o.rank is not None for o in answerable) / len(answerable)
            out["mrr"] = sum(1 / o.rank for o in answerable if o.rank) / len(answerable)
        if cited:
            out["citation_accuracy"] = sum(bool(o.citation_ok) for o in cited) / len(cited)
        if unanswerable:
            out["abstention_accuracy"] = sum(o.abstained for o in unanswerable) / len(unanswerable)
        out["unverified_figure_answers"] = sum(o.unverified > 0 for o in rows)
        if any(o.mode == "llm" or o.reason for o in rows):  # LLM configured: how its answers fared
            out["llm_answers"] = sum(o.mode == "llm" for o in rows)
            out["llm_repaired"] = sum(o.repaired for o in rows)
            out["llm_fallbacks"] = sum(o.reason is not None for o in rows)
        if lat:
            out["latency_p50_ms"] = statistics.median(lat)
            out["latency_p95_ms"] = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
        return out

    def categories(self, sealed: bool = False) -> list[str]:
        return sorted({o.category for o in self.outcomes if o.sealed == sealed})

    def genres(self) -> list[str]:
        return sorted({o.genre for o in self.outcomes if o.genre})


def load_questions(path: Path = QUESTION_FILES["seeds"]) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_set(name: str) -> list[dict]:
    """A set's open questions, then its sealed ones (marked `sealed`) when the set has them."""
    questions = load_questions(QUESTION_FILES[name])
    if SEALED_FILES[name].exists():
        questions += [{**q, "sealed": True} for q in load_questions(SEALED_FILES[name])]
    return questions


def load_sources(folder: Path = GENRES / "sources") -> dict[str, dict]:
    """evals/genres/sources/*.json by document file name."""
    out = {}
    for p in sorted(folder.glob("*.json")):
        record = json.loads(p.read_text(encoding="utf-8"))
        out[record["file"]] = record
    return out


def _states(gold: str, text: str) -> bool:
    """A gold figure is stated when it appears as written or by value (Vietnamese notation)."""
    if re.search(rf"(?<![\d.,]){re.escape(canonical(gold))}", canonical(text)):
        return True  # as written, and not the tail of a longer number ("26%" is not in "8,26%")
    wanted = extract_quantities(canonical(gold))
    return bool(wanted) and all(figure_in_text(q, text) for q in wanted)


def _missing(q: dict, text: str) -> list[str]:
    return [g for g in q["gold_figures"] if not _states(g, text)] + [
        c for c in q["gold_contains"] if fold(c) not in fold(text)
    ]


def _holds(q: dict, text: str) -> bool:
    return not _missing(q, text)


def _evidence(q: dict, text: str) -> bool:
    """A passage holds evidence for the answer: the answer itself, or for a computed figure or a
    comparison (no one passage holds those) one of the figures it is computed from."""
    if q["category"] in REASONING:
        figures = q.get("operands") or q["gold_figures"]
        return any(_states(f, text) for f in figures)
    return _holds(q, text)


def judge(q: dict, ask: dict, search: dict) -> Outcome:
    abstained = bool(ask["abstained"])
    unverified = sum(not f["verified"] for f in ask["figures"])
    rank = None
    if q["answerable"]:
        for p in search["passages"][:5]:
            if p["doc_id"] in q["gold_doc_ids"] and _evidence(q, p["text"]):
                rank = p["rank"]
                break
    cited = sorted({c["doc_id"] for c in ask["citations"]})
    citation_ok = None
    if q["answerable"] and not abstained:
        citation_ok = bool(cited) and set(cited) <= set(q["gold_doc_ids"])
        if q["category"] == "cross_document":  # documents compared are cited, not one of them only
            citation_ok = citation_ok and len(cited) >= 2
    why = None
    if q["answerable"]:
        missing = [] if abstained else _missing(q, ask["answer"])
        correct = not abstained and not missing
        if abstained:
            why = "abstained" + ("" if rank else "; the gold passage is not in the top 5")
        elif missing:
            why = "missing " + ", ".join(repr(m) for m in missing)
            why += "" if rank else "; the gold passage is not in the top 5"
        if correct and citation_ok is False:
            why = f"right answer, cites {', '.join(cited)}"
    else:
        correct = abstained
        why = None if abstained else f"answered from {', '.join(cited) or 'no citation'}"
    return Outcome(
        id=q["id"],
        category=q["category"],
        answerable=q["answerable"],
        correct=correct,
        abstained=abstained,
        citation_ok=citation_ok,
        unverified=unverified,
        rank=rank,
        latency_ms=float(ask["_client_ms"]),
        answer=ask["answer"],
        reason=ask.get("fallback_reason"),
        mode=ask.get("mode", "extractive"),
        repaired=bool((ask.get("llm") or {}).get("repaired")),
        genre=q.get("genre"),
        why=why,
        cited=cited,
        sealed=bool(q.get("sealed")),
    )


READY_WAIT_S = 120.0  # for a service still opening its index (or reaching Milvus) when the eval starts


def sample(questions: list[dict], n: int | None) -> list[dict]:
    """Every k-th question, so a slow endpoint (a CPU-bound local model) can be evaluated on a spread."""
    if not n or n >= len(questions):
        return questions
    step = len(questions) / n
    return [questions[int(i * step)] for i in range(n)]


def _ask_all(settings: Settings, base: str, questions: list[dict], report: Report) -> None:
    with httpx.Client(base_url=base, timeout=settings.LLM_DEADLINE_S + 60) as client:
        ready = client.get("/readyz")
        deadline = time.monotonic() + READY_WAIT_S
        while ready.status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)  # opening or repairing the index, or connecting to Milvus
            ready = client.get("/readyz")
        if ready.status_code != 200:
            raise RuntimeError(f"service not ready: {ready.text}")
        for q in questions:
            body = {"question": q["question"], "top_k": 5}
            t0 = time.perf_counter()
            ask = client.post("/ask", json=body)
            elapsed = (time.perf_counter() - t0) * 1000
            ask.raise_for_status()
            search = client.post("/search", json=body)
            search.raise_for_status()
            report.outcomes.append(judge(q, {**ask.json(), "_client_ms": elapsed}, search.json()))


def _serve_and_ask(settings: Settings, base_url: str | None, questions: list[dict], report: Report) -> None:
    if base_url:
        _ask_all(settings, base_url, questions, report)
    else:
        with running_app(unthrottled(settings)) as base:  # the harness is a trusted client, not abuse
            _ask_all(settings, base, questions, report)


def single_passage(questions: list[dict]) -> list[dict]:
    """The open questions one passage answers: what the extractive scorer's curve is drawn over."""
    return [q for q in questions if not q.get("sealed") and q["category"] not in REASONING]


def run(settings: Settings, base_url: str | None = None, n: int | None = None) -> Report:
    """The seed set, over the index in `settings.INDEX_DIR` (or the service at `base_url`)."""
    from app.calibrate import scored_curve

    report = Report(name="seeds")
    questions = sample(load_set("seeds"), n)
    _serve_and_ask(settings, base_url, questions, report)
    if base_url is None:  # the curve needs the index in process
        report.curve = scored_curve(settings, single_passage(questions))
    return report


# --- the genre set -------------------------------------------------------------------------------


_UNIT = re.compile(r"\s*\([^()]*\)$")  # "Đơn giá (đồng)" -> "Đơn giá": rows may carry the unit instead


def _flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _chrome_kept(line: str, text: str, lines: set[str]) -> bool:
    """A chrome line is still there when it is a paragraph of its own, or (long enough not to occur
    by chance) anywhere in the text."""
    line = _flat(line)
    return line in lines or (len(line) >= 15 and line in text)


def ingest_survival(documents: Iterable, sources: dict[str, dict]) -> dict[str, dict]:
    """Per file: the share of its source `content` lines found in the ingested text, the chrome
    lines left in, and those removed without being named."""
    out: dict[str, dict] = {}
    for doc in documents:
        record = sources.get(doc.source or "")
        if record is None:
            continue
        text = _flat(f"{doc.title}\n{doc.text}")  # a title the reader took from the page counts as kept
        lines = {_flat(ln) for ln in doc.text.split("\n") if ln.strip()}
        content = [_flat(c) for c in record["content"]]
        lost = [c for c in content if c not in text]
        labels = [_UNIT.sub("", h) for h in record.get("table_headers", []) if h not in ("TT", "STT")]
        headers_lost = [h for h in labels if _flat(h) not in text]
        removed = [_flat(r.text) for r in getattr(doc, "removed", ())]
        kept = [c["text"] for c in record["chrome"] if _chrome_kept(c["text"], text, lines)]
        unnamed = [
            c["text"]
            for c in record["chrome"]
            if c["text"] not in kept and not any(_flat(c["text"]) in r for r in removed)
        ]
        out[record["file"]] = {
            "genre": record["genre"],
            "ocr": bool(record.get("ocr_pages")),
            "content": len(content),
            "content_kept": (len(content) - len(lost)) / len(content) if content else 1.0,
            "lost": lost,
            "table_headers": len(labels),
            "table_headers_lost": headers_lost,
            "chrome": len(record["chrome"]),
            "chrome_left_in": kept,
            "chrome_unnamed": unnamed,
        }
    return out


def _ingest_summary(files: dict[str, dict]) -> dict[str, float | int]:
    def share(rows: list[dict], key: str, total: str) -> float | None:
        n = sum(r[total] for r in rows)
        return None if not n else sum(r[key] * r[total] for r in rows) / n

    text = [r for r in files.values() if not r["ocr"]]
    ocr = [r for r in files.values() if r["ocr"]]
    out: dict[str, float | int] = {}
    for name, rows in (("content_kept", text), ("ocr_content_kept", ocr)):
        value = share(rows, "content_kept", "content")
        if value is not None:
            out[name] = value
    out["chrome_left_in"] = sum(len(r["chrome_left_in"]) for r in files.values())
    out["chrome_unnamed"] = sum(len(r["chrome_unnamed"]) for r in files.values())
    return out


def _genre_documents() -> tuple[list, dict[str, str], float]:
    from app.ingest import DocumentError, find_sources, load_document

    sources = load_sources()
    t0 = time.perf_counter()
    documents, errors = [], {}
    for path in find_sources([GENRES / "docs"]):
        try:
            documents.append(load_document(path))
        except Exception as exc:  # measured, not fatal: its questions then fail, and the report says why
            errors[path.name] = str(exc) if isinstance(exc, DocumentError) else f"{type(exc).__name__}: {exc}"
    missing = sorted(set(sources) - {d.source for d in documents} - set(errors))
    for name in missing:
        errors[name] = "not picked up by find_sources (unsupported extension?)"
    return documents, errors, time.perf_counter() - t0


def _genre_questions(documents: list, n: int | None = None) -> list[dict]:
    """The genre questions with gold file names turned into the doc ids ingest gave them."""
    ids = {Path(d.source or d.doc_id).stem: d.doc_id for d in documents}
    return [
        {**q, "gold_doc_ids": [ids.get(d, d) for d in q["gold_doc_ids"]]}
        for q in sample(load_set("genres"), n)
    ]


def genre_index(settings: Settings, index_dir: Path) -> tuple[Settings, list[dict]]:
    """The genre set's documents ingested into `index_dir` (unchanged ones are kept, so a kept
    directory is reused), the settings that point at it, and its questions."""
    from app.embed import make_embedder
    from app.index import IndexLoadError, ingest_documents, load_generation

    documents, _, _ = _genre_documents()
    s = settings.model_copy(update={"INDEX_DIR": index_dir, "RELOAD_INTERVAL_S": 0})
    embedder = make_embedder(s)
    try:  # a kept directory may hold documents the set no longer has
        stale = set(load_generation(index_dir, embedder.name).documents) - {d.doc_id for d in documents}
    except IndexLoadError:
        stale = set()
    ingest_documents(s, embedder, documents, remove=stale)
    return s, _genre_questions(documents)


def run_genres(settings: Settings, n: int | None = None) -> Report:
    """The genre set: ingest evals/genres/docs into a temporary index (same settings and embedder),
    serve it as the seed index is served, ask every question over HTTP."""
    from app.calibrate import scored_curve
    from app.embed import make_embedder
    from app.index.backends import drop, write

    report = Report(name="genres")
    sources = load_sources()
    documents, errors, read_s = _genre_documents()
    questions = _genre_questions(documents, n)
    with tempfile.TemporaryDirectory(prefix="genre-index-") as tmp:
        s = settings.model_copy(update={"INDEX_DIR": Path(tmp), "RELOAD_INTERVAL_S": 0})
        if s.VECTOR_STORE == "milvus":  # collections of its own, made for this run and dropped after
            s = s.model_copy(update={"MILVUS_COLLECTION": f"{s.MILVUS_COLLECTION}_genre_eval"})
        embedder = make_embedder(s)
        ingested = write(s, embedder, documents, rebuild=s.VECTOR_STORE == "milvus")
        files = ingest_survival(documents, sources)
        report.ingest = {
            "documents": ingested.documents,
            "chunks": ingested.chunks,
            "read_seconds": round(read_s, 1),
            "index_seconds": round(ingested.seconds, 1),
            "errors": errors,
            **_ingest_summary(files),
            "files": files,
        }
        try:
            _serve_and_ask(s, None, questions, report)
            report.curve = scored_curve(s, questions)
        finally:
            drop(s, embedder)
    return report


# --- gate ----------------------------------------------------------------------------------------


def _compare(scope: str, metrics: dict, limits: dict) -> list[str]:
    failures = []
    for name, limit in limits.items():
        if name.startswith("max_"):
            value = metrics.get(name.removeprefix("max_"))
            if value is not None and value > limit:
                failures.append(f"{scope}.{name.removeprefix('max_')} = {value} > {limit}")
        else:
            value = metrics.get(name)
            if value is None or value < limit:
                failures.append(f"{scope}.{name} = {value} < {limit}")
    return failures


def check(report: Report, thresholds: dict) -> list[str]:
    """Every metric below its floor (or above its ceiling), in words. Scopes: `overall`, a category,
    `by_genre.<genre>`, `sealed.<category>` (the held-out questions), and `ingest` (the genre set's
    ingest measures)."""
    failures = []
    for scope, limits in thresholds.items():
        if scope == "by_genre":
            for genre, lim in limits.items():
                failures += _compare(f"by_genre.{genre}", report.metrics(genre=genre), lim)
        elif scope == "ingest":
            failures += _compare("ingest", report.ingest, limits)
        elif scope == "sealed":
            for category, lim in limits.items():
                only = None if category == "overall" else category
                failures += _compare(f"sealed.{category}", report.metrics(only, sealed=True), lim)
        else:
            failures += _compare(scope, report.metrics(None if scope == "overall" else scope), limits)
    return failures


def set_thresholds(thresholds: dict, name: str) -> dict:
    """One set's floors; a file without [seeds]/[genres] tables holds the seed set's (the old layout)."""
    if not any(k in thresholds for k in SETS):
        return thresholds if name == "seeds" else {}
    return thresholds.get(name, {})


# --- report --------------------------------------------------------------------------------------


def _fmt(v: float | int | None) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


COLUMNS = (
    "questions",
    "llm_answers",
    "llm_repaired",
    "llm_fallbacks",
    "answer_accuracy",
    "citation_accuracy",
    "abstention_accuracy",
    "unverified_figure_answers",
    "recall_at_5",
    "mrr",
    "latency_p50_ms",
    "latency_p95_ms",
)


def _set_data(report: Report, failures: list[str]) -> dict:
    data = {
        "overall": report.metrics(),
        "by_category": {c: report.metrics(c) for c in report.categories()},
        "failures": failures,
    }
    if report.genres():
        data["by_genre"] = {g: report.metrics(genre=g) for g in report.genres()}
    if report.ingest:
        data["ingest"] = report.ingest
    if report.curve:
        data["curve"] = report.curve
    if any(o.sealed for o in report.outcomes):
        sealed = {c: report.metrics(c, sealed=True) for c in report.categories(sealed=True)}
        data["sealed"] = {"overall": report.metrics(sealed=True), **sealed}
    data["outcomes"] = [_shown(o) for o in report.outcomes]
    return data


def _shown(o: Outcome) -> dict:
    """An outcome as the report shows it; a sealed one without its answer or what it missed."""
    if o.sealed:
        return {
            "id": o.id,
            "category": o.category,
            "sealed": True,
            "correct": o.correct,
            "abstained": o.abstained,
        }
    return o.__dict__


def _table(rows: list[tuple[str, dict]]) -> list[str]:
    lines = ["| scope | " + " | ".join(COLUMNS) + " |", "|" + "---|" * (len(COLUMNS) + 1)]
    lines += [f"| {scope} | " + " | ".join(_fmt(m.get(c)) for c in COLUMNS) + " |" for scope, m in rows]
    return lines


def _set_markdown(report: Report, data: dict) -> list[str]:
    title = {
        "seeds": "Seed set (evals/questions.jsonl)",
        "genres": "Genre set (evals/genres/questions.jsonl)",
    }
    lines = [f"## {title.get(report.name, report.name)}", ""]
    lines += _table([("overall", data["overall"]), *data["by_category"].items()])
    if "by_genre" in data:
        lines += ["", "By genre:", "", *_table(list(data["by_genre"].items()))]
    if "sealed" in data:
        lines += ["", "Sealed (held out, never read while tuning; figures only):", ""]
        lines += _table(list(data["sealed"].items()))
    if report.ingest:
        ing = report.ingest
        lines += [
            "",
            f"Ingest: {ing['documents']} documents, {ing['chunks']} chunks; read {ing['read_seconds']} s, "
            f"indexed {ing['index_seconds']} s; content kept {_fmt(ing.get('content_kept'))} "
            f"(OCR {_fmt(ing.get('ocr_content_kept'))}); chrome left in {ing['chrome_left_in']}, "
            f"removed unnamed {ing['chrome_unnamed']}",
            "",
            "| file | genre | content kept | lost (first) | header labels lost | chrome left in |",
            "|---|---|---|---|---|---|",
        ]
        for name, f in ing["files"].items():
            lost = f["lost"][0][:70] if f["lost"] else ""
            headers = "; ".join(f["table_headers_lost"])
            left = "; ".join(t[:40] for t in f["chrome_left_in"][:3])
            lines.append(f"| {name} | {f['genre']} | {f['content_kept']:.3f} | {lost} | {headers} | {left} |")
        for name, err in ing["errors"].items():
            lines.append(f"| {name} | – | refused | {err[:100]} | | |")
    if report.curve:
        from app.calibrate import table

        lines += ["", "### Abstention curve (extractive; the service answers at its operating point)", ""]
        lines += [table(report.curve)]
    fallbacks = sorted({o.reason for o in report.outcomes if o.reason})
    if fallbacks:
        lines += ["", "### Why LLM answers were not used", ""] + [f"- {r}" for r in fallbacks]
    wrong = [o for o in report.outcomes if not o.correct and not o.sealed]
    sealed_wrong = sum(not o.correct for o in report.outcomes if o.sealed)
    lines += ["", f"### Wrong ({len(wrong)} open; {sealed_wrong} sealed, not listed)", ""]
    for o in wrong:
        tag = f"{o.category}, {o.genre}" if o.genre else o.category
        lines.append(f"- {o.id} ({tag}): {o.why or ''} — {o.answer[:160]}")
    gate = data["failures"]
    lines += ["", "### Gate", ""] + ([f"- FAIL {f}" for f in gate] or ["- all thresholds met"])
    return lines


def write(
    reports: list[Report] | Report, failures: dict[str, list[str]] | list[str], out_dir: Path = EVALS
) -> str:
    """evals/report.json ({set: metrics, outcomes}) and evals/report.md; returns the Markdown."""
    if isinstance(reports, Report):
        reports = [reports]
    if isinstance(failures, list):
        failures = {reports[0].name: failures}
    data = {r.name: _set_data(r, failures.get(r.name, [])) for r in reports}
    data["failures"] = [f"{name}: {f}" for name, fs in failures.items() for f in fs]
    (out_dir / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    lines = ["# Eval report", ""]
    for r in reports:
        lines += [*_set_markdown(r, data[r.name]), ""]
    text = "\n".join(lines).rstrip() + "\n"
    (out_dir / "report.md").write_text(text, encoding="utf-8")
    return text


def main(settings: Settings, base_url: str | None = None, n: int | None = None, which: str = "all") -> int:
    names = SETS if which == "all" else (which,)
    if which not in (*SETS, "all"):
        raise ValueError(f"--set {which!r}: choose seeds, genres or all")
    thresholds = tomllib.loads((EVALS / "thresholds.toml").read_text(encoding="utf-8"))
    reports, failures = [], {}
    for name in names:
        report = run(settings, base_url, n) if name == "seeds" else run_genres(settings, n)
        reports.append(report)
        failures[name] = check(report, set_thresholds(thresholds, name))
    print(write(reports, failures))
    return 1 if any(failures.values()) else 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m app.evaluation", description=__doc__.split("\n\n")[0])
    p.add_argument("--set", dest="which", default="all", choices=(*SETS, "all"), help="which eval set")
    p.add_argument("--url", help="a running service for the seed set (default: start one on 127.0.0.1)")
    p.add_argument("--sample", type=int, help="only N questions of each set, spread over it (slow LLMs)")
    return p


if __name__ == "__main__":
    args = _parser().parse_args()
    sys.exit(main(Settings(), args.url, args.sample, args.which))
