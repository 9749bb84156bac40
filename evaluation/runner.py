"""Asking the service: questions in, judged outcomes out, through the real HTTP API.

Each question goes to /ask (the answer) and /search (the ranking), exactly as a client sends it, to a
running service (`--url`) or to one started here on 127.0.0.1 over the index in `INDEX_DIR`. The seed
set is run from here; the genre set (`evaluation.genres`) builds its own index and asks through here.
"""

from __future__ import annotations

import time

import httpx

from app.config import Settings
from app.serve.limits import unthrottled
from app.serve.server import running_app
from evaluation.curve import scored_curve
from evaluation.judge import judge
from evaluation.metrics import Report
from evaluation.sets import load_set, sample, single_passage

READY_WAIT_S = 120.0  # for a service still opening its index (or reaching Milvus) when the eval starts


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


def serve_and_ask(settings: Settings, base_url: str | None, questions: list[dict], report: Report) -> None:
    """Ask `base_url`, or a service started on `settings` for the duration."""
    if base_url:
        _ask_all(settings, base_url, questions, report)
    else:
        with running_app(unthrottled(settings)) as base:  # the harness is a trusted client, not abuse
            _ask_all(settings, base, questions, report)


def run_seeds(
    settings: Settings, base_url: str | None = None, n: int | None = None, sealed_only: bool = False
) -> Report:
    """The seed set, over the index in `settings.INDEX_DIR` (or the service at `base_url`)."""
    report = Report(name="seeds")
    questions = sample(load_set("seeds", sealed_only), n)
    serve_and_ask(settings, base_url, questions, report)
    if base_url is None:  # the curve needs the index in process
        report.curve = scored_curve(settings, single_passage(questions))
    return report
