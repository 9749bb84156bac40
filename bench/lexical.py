"""The tantivy lexical index (app/index/lexical.py) at scale: build time and disk size, a small
incremental write, and search / doc_freq latency over the eval questions, written and folded.

Records are ~600-character texts recombined from the seed reports' sentences (half of them with
their figures redrawn), ~10 per document, each document with its own ward name and date. The seed
vocabulary is small, so most query terms are common here: latency is on the pessimistic side of a
real corpus of the same size. Figures only, no asserts.

    .venv/bin/python bench/lexical.py [--records 100000] [--batch 10000] [--questions 100] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from app.chunk.sentences import split_sentences
from app.index import lexical
from app.index.lexical import LexicalFilter, LexicalRecord, TantivyLexicalIndex
from app.index.terms import forms
from app.text import canonical, fold, has_diacritics

ROOT = Path(__file__).resolve().parent.parent
PER_DOC = 10


def seed_sentences() -> list[str]:
    out = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = path.read_text("utf-8")
        out += [text[s:e].strip() for s, e in split_sentences(text, len(text) + 1) if 40 <= e - s <= 400]
    return out


def records(sentences: list[str], n: int, seed: int = 7) -> list[LexicalRecord]:
    rng = random.Random(seed)
    out: list[LexicalRecord] = []
    doc = 0
    while len(out) < n:
        doc_id = f"synthetic_{doc:07d}"
        date = f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        header = f"Báo cáo tổng hợp số {doc} của phường Thử Nghiệm {doc} ({date})"
        for _ in range(min(PER_DOC, n - len(out))):
            body: list[str] = []
            while sum(len(s) + 1 for s in body) < 560:
                s = rng.choice(sentences)
                if rng.random() < 0.5:
                    s = re.sub(r"\d+", lambda _: str(rng.randint(2, 999)), s)
                body.append(s)
            out.append(LexicalRecord(len(out), doc_id, date, f"{header}\n{' '.join(body)[:600]}"))
        doc += 1
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def timed(fn: Callable[..., object], *args: object) -> float:
    t = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t) * 1000


def per_query(fn: Callable[..., object], inputs: list[str], *args: object, rounds: int = 3) -> list[float]:
    """Each input's median over `rounds` passes (a shared 2-CPU box makes single timings noisy)."""
    runs = [[timed(fn, x, *args) for x in inputs] for _ in range(rounds)]
    return [statistics.median(r[i] for r in runs) for i in range(len(inputs))]


def line(name: str, ms: list[float]) -> None:
    print(f"  {name:<38} p50 {statistics.median(ms):7.2f} ms   p95 {pct(ms, 95):7.2f} ms   n={len(ms)}")


def disk_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=10_000, help="records per write (one commit each)")
    ap.add_argument("--questions", type=int, default=100)
    ap.add_argument("--threads", type=int, default=lexical.WRITER_THREADS, help="tantivy writer threads")
    ap.add_argument("--heap-mb", type=int, default=lexical.WRITER_HEAP_BYTES // 1_000_000)
    ap.add_argument("--keep", type=Path, help="build here and keep it (default: a temp folder)")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")

    recs = records(seed_sentences(), args.records)
    chars = statistics.mean(len(r.text) for r in recs)
    n_docs = len({r.doc_id for r in recs})
    print(f"corpus: {len(recs):,} records, {n_docs:,} documents, {chars:.0f} chars each")
    sample = recs[:5000]
    t = time.perf_counter()
    for r in sample:
        forms(r.text)
    tok_us = (time.perf_counter() - t) / len(sample) * 1e6
    print(f"tokenising alone (both forms, one pass): {tok_us:.0f} us/record")

    root = args.keep or Path(tempfile.mkdtemp(prefix="lexbench-"))
    path = root / "lexical"
    shutil.rmtree(path, ignore_errors=True)
    index = TantivyLexicalIndex(path, heap_bytes=args.heap_mb * 1_000_000, threads=args.threads)
    t0 = time.perf_counter()
    for i in range(0, len(recs), args.batch):
        index.write(recs[i : i + args.batch], (), marker=i // args.batch + 1)
    build_s = time.perf_counter() - t0
    size = disk_bytes(path)
    snap = index.snapshot()
    print(
        f"build: {build_s:.1f} s ({len(recs) / build_s:,.0f} records/s; {args.batch:,} per commit, "
        f"writer {args.threads} thread(s), {args.heap_mb} MB heap); {snap._searcher.num_segments} segments"
    )
    print(f"disk: {size / 1e6:.1f} MB, {size / len(recs):.0f} bytes/record")

    # A small incremental write: replace one document's chunks (and wait for its merges).
    rng = random.Random(3)
    marker = index.marker()
    by_doc: dict[str, list[LexicalRecord]] = {}
    for r in recs:
        by_doc.setdefault(r.doc_id, []).append(r)
    writes = []
    for _ in range(20):
        doc = rng.choice(recs).doc_id
        mine = by_doc[doc]
        marker += 1
        writes.append(timed(index.write, mine, [doc], marker))
    print("incremental:")
    line("write: replace one document (10 chunks)", writes)
    line("snapshot()", [timed(index.snapshot) for _ in range(50)])
    snap = index.snapshot()
    print(f"  {snap._searcher.num_segments} segments, {len(snap):,} records after the writes")

    questions = [
        canonical(json.loads(row)["question"])
        for row in (ROOT / "evals" / "questions.jsonl").read_text("utf-8").splitlines()
        if row.strip()
    ][: args.questions]
    written = [q for q in questions if has_diacritics(q)]
    folded = [fold(q) for q in questions]
    for q in questions[:5]:  # warm the page cache and caches
        snap.search(q, True, 10)
    docs = sorted(by_doc)
    print(f"search: {len(written)} written questions, all {len(folded)} folded; each the median of 3 passes")
    for k in (10, 50):
        line(f"written, k={k}", per_query(snap.search, written, True, k))
        line(f"folded,  k={k}", per_query(snap.search, folded, False, k))
    by_docs = LexicalFilter(doc_ids=tuple(rng.sample(docs, 5)))
    by_date = LexicalFilter(date_from="2024-01-01", date_to="2024-12-31")
    line("written, k=10, 5 doc ids", per_query(snap.search, written, True, 10, by_docs))
    line("written, k=10, one year of dates", per_query(snap.search, written, True, 10, by_date))
    terms = sorted({t for q in folded for t in q.split()})
    line("doc_freq (each folded question word)", per_query(snap.doc_freq, terms))

    # Two threads on one snapshot: tantivy releases the GIL while it searches.
    for n_threads in (1, 2):
        done = [0] * n_threads

        def worker(i: int, done: list[int] = done) -> None:
            for q in written:
                snap.search(q, True, 10)
                done[i] += 1

        t = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n_threads)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        qps = sum(done) / (time.perf_counter() - t)
        print(f"  {n_threads} thread(s) searching one snapshot: {qps:,.0f} written queries/s")
    if not args.keep:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
