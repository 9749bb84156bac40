"""What the LLM path costs over the extractive one, and how it behaves when the endpoint hangs.

Runs the real app on 127.0.0.1 three times over the built index: extractive only; with the scripted
OpenAI-compatible endpoint of tests/fake_llm.py answering at once; with that endpoint hung. Prints
p50/p95 latency of /ask over HTTP and, for the hung endpoint, the worst time against the deadline.

    .venv/bin/python bench/llm.py [--rounds 2] [--hung 5] [--deadline 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.config import Settings
from app.serve.limits import unthrottled
from app.serve.server import running_app
from evaluation.sets import load_questions

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def scripted_endpoint(*args: str) -> Iterator[str]:
    """tests/fake_llm.py in its own process (so it does not share this one's CPU time and GIL)."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fake_llm.py"), *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _timed(client: httpx.Client, question: str) -> tuple[float, dict]:
    t0 = time.perf_counter()
    r = client.post("/ask", json={"question": question})
    r.raise_for_status()
    return (time.perf_counter() - t0) * 1000, r.json()


def _run(settings: Settings, questions: list[str], warmup: int = 10) -> tuple[list[float], list[dict]]:
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=120) as c:
        for q in questions[:warmup]:
            _timed(c, q)
        out = [_timed(c, q) for q in questions]
    return [ms for ms, _ in out], [body for _, body in out]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--hung", type=int, default=5, help="questions sent to the hung endpoint")
    ap.add_argument("--deadline", type=float, default=15.0)
    args = ap.parse_args()
    base = unthrottled(Settings())  # a measurement, not abuse: no rate limit
    questions = [q["question"] for q in load_questions()] * args.rounds

    extractive, _ = _run(base, questions)
    print(f"extractive:      n={len(extractive)}  p50 {statistics.median(extractive):.1f} ms  "
          f"p95 {_pct(extractive, 0.95):.1f} ms")  # fmt: skip

    # A cited answer with no figure: the whole LLM path runs, grounding included, and passes.
    with scripted_endpoint("--text", "Theo tài liệu được cung cấp [1].") as url:
        llm_settings = base.model_copy(
            update={"LLM_BASE_URL": url, "LLM_MODEL": "fake", "LLM_PROTOCOL": "free"}
        )
        llm, bodies = _run(llm_settings, questions)
        modes = {m: sum(b["mode"] == m for b in bodies) for m in ("llm", "extractive")}
        overhead = statistics.median(llm) - statistics.median(extractive)
        p50, p95 = statistics.median(llm), _pct(llm, 0.95)
        print(f"llm (instant):   n={len(llm)}  p50 {p50:.1f} ms  p95 {p95:.1f} ms  modes {modes}  "
              f"overhead p50 {overhead:+.1f} ms")  # fmt: skip

    with scripted_endpoint("--mode", "hang") as url:
        hung_update = {
            "LLM_BASE_URL": url,
            "LLM_MODEL": "fake",
            "LLM_DEADLINE_S": args.deadline,
            "LLM_FIRST_TOKEN_TIMEOUT_S": args.deadline,
            "LLM_RETRIES": 0,
            "LLM_BREAKER_FAILURES": 10_000,  # measure every request, not the breaker
        }
        hung, bodies = _run(base.model_copy(update=hung_update), questions[: args.hung], warmup=0)
        worst = max(hung) / 1000
        reasons = sorted({b["fallback_reason"] for b in bodies})
        ok = worst <= args.deadline + 1
        print(f"llm (hung):      n={len(hung)}  max {worst:.2f} s  deadline {args.deadline:g} s  "
              f"within deadline+1 s: {ok}  reasons {reasons}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
