"""HTTP /ask latency and throughput of the real app, sequential and with 8 requests in flight.

Why: the eval reports latency for one sequential pass only; this shows how the service behaves when
several clients ask at once (one embedder behind a lock, OpenMP inside it, 2 cores) and what memory the
served index costs. The server runs in this process (uvicorn in a thread, loopback only), so client
threads share the CPU and the GIL with it: client-side figures are an upper bound. Figures only, no
asserts; they go into closing notes, not into tests.

Run from the project root: `.venv/bin/python bench/ask.py [--index-dir index] [--rounds 3]`.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.config import Settings
from app.index.store import current_name
from app.serve.limits import unthrottled
from app.serve.server import running_app
from evaluation.sets import load_questions

TOP_K = 5
TIMEOUT_S = 60.0


@dataclass
class Run:
    """Outcomes of one load level: client latencies of the 200s, server latencies, failures."""

    concurrency: int
    seconds: float = 0.0
    client_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return len(self.client_ms) + sum(self.errors.values())


def rss_mib() -> float:
    """Resident set now, from /proc/self/status (VmRSS, kB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib() -> float:
    """Peak RSS of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile: small samples, so no interpolation that invents values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ask_once(client: httpx.Client, question: str, run: Run) -> None:
    t0 = time.perf_counter()
    try:
        r = client.post("/ask", json={"question": question, "top_k": TOP_K})
    except httpx.HTTPError as exc:
        run.errors[type(exc).__name__] += 1
        return
    elapsed = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        run.errors[str(r.status_code)] += 1
        return
    run.client_ms.append(elapsed)
    run.server_ms.append(float(r.json()["latency_ms"]))


def load(base: str, questions: list[str], concurrency: int) -> Run:
    """Every question in `questions` once, with `concurrency` requests in flight (1 = sequential)."""
    run = Run(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(base_url=base, timeout=TIMEOUT_S, limits=limits) as client:
        t0 = time.perf_counter()
        if concurrency == 1:
            for q in questions:
                ask_once(client, q, run)
        else:
            # list.append and Counter updates from worker threads are safe under the GIL.
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                list(pool.map(lambda q: ask_once(client, q, run), questions))
        run.seconds = time.perf_counter() - t0
    return run


def show(label: str, run: Run) -> None:
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(run.errors.items())) or "none"
    c = run.client_ms
    print(f"\n== {label}")
    print(
        f"requests:               {run.requests} in {run.seconds:.2f} s  "
        f"({run.requests / run.seconds:.1f} req/s)"
    )
    print(f"errors by status:       {errors}")
    print(
        f"client latency (ms):    p50 {pct(c, 50):.1f}  p95 {pct(c, 95):.1f}  p99 {pct(c, 99):.1f}  "
        f"max {max(c, default=float('nan')):.1f}"
    )
    if run.server_ms:
        print(
            f"server latency_ms:      p50 {statistics.median(run.server_ms):.1f}  "
            f"p95 {pct(run.server_ms, 95):.1f}"
        )
    print(f"RSS now / peak so far:  {rss_mib():.0f} / {peak_rss_mib():.0f} MiB")
    print(
        f"load average (1 min):   {os.getloadavg()[0]:.2f}  "
        f"({os.cpu_count()} CPUs; other processes inflate latency)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, help="index to serve (default: INDEX_DIR, i.e. index/)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the question set per level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8], help="levels to measure")
    args = parser.parse_args(argv)

    settings = unthrottled(Settings())  # a measurement, not abuse: no rate limit
    if args.index_dir is not None:
        settings = settings.model_copy(update={"INDEX_DIR": args.index_dir})
    index_dir = settings.INDEX_DIR
    if current_name(index_dir) is None:
        print(
            f"no index in {index_dir.resolve()}: build it first with `python -m app ingest` "
            "(from the project root), or pass --index-dir",
            file=sys.stderr,
        )
        return 2

    questions = [q["question"] for q in load_questions()]
    print(f"python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")
    print(f"questions:              {len(questions)}; rounds {args.rounds}; top_k {TOP_K}; loopback only")
    print(f"RSS before app start:   {rss_mib():.0f} MiB")
    t0 = time.perf_counter()
    with running_app(settings) as base:
        ready = httpx.get(f"{base}/readyz", timeout=TIMEOUT_S)
        if ready.status_code != 200:
            print(f"service not ready ({ready.status_code}): {ready.json().get('error')}", file=sys.stderr)
            return 2
        info = ready.json()
        print(
            f"app:                    {base}, started in {time.perf_counter() - t0:.2f} s; index {index_dir} "
            f"generation {info['generation']}: {info['documents']} documents, {info['chunks']} chunks; "
            f"{info['embedder']}"
        )
        print(f"RSS after app start:    {rss_mib():.0f} MiB")

        warm = load(base, questions, 1)
        show("warm-up (sequential, 1 pass, not counted)", warm)
        for concurrency in args.concurrency:
            run = load(base, questions * args.rounds, concurrency)
            show(f"concurrency {concurrency} ({args.rounds} passes)", run)
        print(f"\nRSS after load:         {rss_mib():.0f} MiB")
    print(f"peak RSS (whole run):   {peak_rss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
