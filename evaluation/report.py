"""The written report: each set's `Report` and gate failures in, evals/report.json and
evals/report.md out.

The JSON holds every metric and outcome for tools; the Markdown is what a person reads after a run
(and what the eval prints). A sealed question appears in both as figures only: its id, category and
whether it was right, never its answer or what it missed.
"""

from __future__ import annotations

import json
from pathlib import Path

from evaluation.curve import table
from evaluation.judge import Outcome
from evaluation.metrics import Report
from evaluation.sets import EVALS


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
            "rank": o.rank,  # figures only: where the gold passage ranked, and which answerer spoke
            "mode": o.mode,
        }
    return o.__dict__


def _table(rows: list[tuple[str, dict]]) -> list[str]:
    lines = ["| scope | " + " | ".join(COLUMNS) + " |", "|" + "---|" * (len(COLUMNS) + 1)]
    lines += [f"| {scope} | " + " | ".join(_fmt(m.get(c)) for c in COLUMNS) + " |" for scope, m in rows]
    return lines


def _ingest_markdown(ing: dict) -> list[str]:
    lines = [
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
        lines += _ingest_markdown(report.ingest)
    if report.curve:
        lines += ["", "### Abstention curve (extractive; the service answers at its operating point)", ""]
        lines += [table(report.curve)]
    # A reason names what a question asked ("no document is about …"): a sealed one is only counted.
    fallbacks = sorted({o.reason for o in report.outcomes if o.reason and not o.sealed})
    sealed_fallbacks = sum(bool(o.reason) for o in report.outcomes if o.sealed)
    if fallbacks or sealed_fallbacks:
        lines += ["", "### Why LLM answers were not used", ""] + [f"- {r}" for r in fallbacks]
        lines += [f"- ({sealed_fallbacks} sealed, not listed)"] if sealed_fallbacks else []
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
