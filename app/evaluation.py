"""`python -m app eval`: the eval set through the real HTTP API, scored, reported, gated.

It starts the app on 127.0.0.1 (a free port), asks every question in evals/questions.jsonl over HTTP,
and measures answers and retrieval separately: answer accuracy, citation accuracy, abstention
accuracy and unverified figures from /ask; recall@5 and MRR from /search. It writes
evals/report.json and evals/report.md and fails when a metric is below evals/thresholds.toml.
"""

from __future__ import annotations

import json
import statistics
import time
import tomllib
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


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def metrics(self, only: str | None = None) -> dict[str, float | int]:
        rows = [o for o in self.outcomes if only is None or o.category == only]
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


def load_questions(path: Path = EVALS / "questions.jsonl") -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _states(gold: str, text: str) -> bool:
    """A gold figure is stated when it appears as written or by value (Vietnamese notation)."""
    if canonical(gold) in canonical(text):
        return True
    wanted = extract_quantities(canonical(gold))
    return bool(wanted) and all(figure_in_text(q, text) for q in wanted)


def _holds(q: dict, text: str) -> bool:
    return all(_states(g, text) for g in q["gold_figures"]) and all(
        fold(c) in fold(text) for c in q["gold_contains"]
    )


def judge(q: dict, ask: dict, search: dict) -> Outcome:
    abstained = bool(ask["abstained"])
    unverified = sum(not f["verified"] for f in ask["figures"])
    rank = None
    if q["answerable"]:
        for p in search["passages"][:5]:
            if p["doc_id"] in q["gold_doc_ids"] and _holds(q, p["text"]):
                rank = p["rank"]
                break
    citation_ok = None
    if q["answerable"] and not abstained:
        docs = {c["doc_id"] for c in ask["citations"]}
        citation_ok = bool(docs) and docs <= set(q["gold_doc_ids"])
    correct = (not abstained and _holds(q, ask["answer"])) if q["answerable"] else abstained
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
    )


def sample(questions: list[dict], n: int | None) -> list[dict]:
    """Every k-th question, so a slow endpoint (a CPU-bound local model) can be evaluated on a spread."""
    if not n or n >= len(questions):
        return questions
    step = len(questions) / n
    return [questions[int(i * step)] for i in range(n)]


def run(settings: Settings, base_url: str | None = None, n: int | None = None) -> Report:
    questions = sample(load_questions(), n)
    report = Report()

    def go(base: str) -> None:
        with httpx.Client(base_url=base, timeout=settings.LLM_DEADLINE_S + 60) as client:
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

    if base_url:
        go(base_url)
    else:
        with running_app(unthrottled(settings)) as base:  # the harness is a trusted client, not abuse
            go(base)
    return report


def check(report: Report, thresholds: dict) -> list[str]:
    """Every metric below its floor (or above its ceiling), in words."""
    failures = []
    for scope, limits in thresholds.items():
        metrics = report.metrics(None if scope == "overall" else scope)
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


def write(report: Report, failures: list[str], out_dir: Path = EVALS) -> str:
    categories = sorted({o.category for o in report.outcomes})
    data = {
        "overall": report.metrics(),
        "by_category": {c: report.metrics(c) for c in categories},
        "failures": failures,
        "outcomes": [o.__dict__ for o in report.outcomes],
    }
    (out_dir / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    lines = [
        "# Eval report",
        "",
        "| scope | " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * (len(COLUMNS) + 1),
    ]
    for scope, m in [("overall", data["overall"]), *data["by_category"].items()]:
        lines.append(f"| {scope} | " + " | ".join(_fmt(m.get(c)) for c in COLUMNS) + " |")
    fallbacks = sorted({o.reason for o in report.outcomes if o.reason})
    if fallbacks:
        lines += ["", "## Why LLM answers were not used", ""] + [f"- {r}" for r in fallbacks]
    wrong = [o for o in report.outcomes if not o.correct]
    lines += ["", f"## Wrong ({len(wrong)})", ""]
    lines += [f"- {o.id} ({o.category}): {o.answer[:160]}" for o in wrong]
    lines += ["", "## Gate", ""] + ([f"- FAIL {f}" for f in failures] or ["- all thresholds met"])
    text = "\n".join(lines) + "\n"
    (out_dir / "report.md").write_text(text, encoding="utf-8")
    return text


def main(settings: Settings, base_url: str | None = None, n: int | None = None) -> int:
    report = run(settings, base_url, n)
    thresholds = tomllib.loads((EVALS / "thresholds.toml").read_text(encoding="utf-8"))
    failures = check(report, thresholds)
    print(write(report, failures))
    return 1 if failures else 0
