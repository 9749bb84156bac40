"""The diacritic restorer's vocabulary on disk (`app.index.vocabulary.SqliteVocabulary`) at scale: one
small document's update against a vocabulary that already holds `--docs` documents, the database's
size, and restore() latency over folded evaluation questions.

The corpus is SYNTHETIC, as in bench/scale.py: each document is 12 seed sentences (seeds/*.txt)
recombined, half of them with redrawn figures, under its own title. Recombined seed sentences add
few new words and pairs (numerals all count as one class), so the tables stay far smaller than a
real corpus of that size would make them; `--novel N` puts N made-up words (names, codes) between the
sentences of every document to grow them (N new words and about 2N new pairs per document). The
connection is set up as app.index.catalog sets up its own (WAL, synchronous=FULL, BEGIN IMMEDIATE ..
COMMIT around each write). Figures only, no asserts.

    .venv/bin/python bench/vocabulary.py [--docs 100000] [--novel 0] [--questions 50] [--keep FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import string
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from app.chunk import split_sentences
from app.index.vocabulary import CountedVocabulary, SqliteVocabulary
from app.retrieve.diacritics import DiacriticRestorer
from app.text import fold

ROOT = Path(__file__).resolve().parent.parent
BATCH = 2000  # documents per build transaction


def seed_sentences() -> list[str]:
    out = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out += [text[s:e].strip() for s, e in split_sentences(text, len(text) + 1) if 40 <= e - s <= 400]
    return out


def redraw(sentence: str, rng: random.Random) -> str:
    return re.sub(r"\d+", lambda _: str(rng.randint(2, 999)), sentence)


def made_up_word(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 9)))


def document(sentences: list[str], i: int, rng: random.Random, novel: int, chars: int = 0) -> str:
    """Report `i`: 12 recombined seed sentences (or as many as make `chars` characters)."""
    parts = [f"Báo cáo tổng hợp số {i} của phường Thử Nghiệm {i}."]
    size = 0
    while (size < chars) if chars else (len(parts) < 13):
        s = rng.choice(sentences)
        size += len(s) + 1
        parts.append(redraw(s, rng) if rng.random() < 0.5 else s)
    for _ in range(novel):  # between sentences: each also makes two new pairs
        parts.insert(rng.randint(1, len(parts)), made_up_word(rng))
    return " ".join(parts)


def documents(sentences: list[str], count: int, novel: int, seed: int = 7) -> Iterator[str]:
    rng = random.Random(seed)
    for i in range(count):
        yield document(sentences, i, rng, novel)


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def say(label: str, value: str) -> None:
    print(f"{label + ':':34s}{value}", flush=True)


class CountingVocabulary:
    """Counts the reads a question makes (each one a point lookup on disk)."""

    def __init__(self, inner: SqliteVocabulary) -> None:
        self.inner = inner
        self.reads = 0

    def __getattr__(self, name: str) -> Callable[..., object]:
        method = getattr(self.inner, name)

        def counted(*args: object) -> object:
            self.reads += 1
            return method(*args)

        return counted


def timed_write(
    conn: sqlite3.Connection, vocab: SqliteVocabulary, **change: list[str]
) -> tuple[float, float]:
    """(update ms, update + COMMIT ms) of one write transaction."""
    t0 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    vocab.update(**change)
    t1 = time.perf_counter()
    conn.execute("COMMIT")
    t2 = time.perf_counter()
    return (t1 - t0) * 1000, (t2 - t0) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000, help="documents already in the vocabulary")
    ap.add_argument("--novel", type=int, default=0, help="made-up words per document (default 0)")
    ap.add_argument("--questions", type=int, default=50, help="folded evaluation questions restored")
    ap.add_argument("--writes", type=int, default=20, help="small documents added (then replaced, deleted)")
    ap.add_argument(
        "--old-sample", type=int, default=10_000, help="documents the in-memory rebuild is timed on"
    )
    ap.add_argument("--keep", type=Path, help="build the database here and keep it (default: a temp dir)")
    args = ap.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sentences = seed_sentences()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "vocab.sqlite"
        path.unlink(missing_ok=True)
        conn = connect(path)
        vocab = SqliteVocabulary(conn)

        print(f"\n== build: {args.docs:,} synthetic documents, {args.novel} made-up words each")
        t0 = time.perf_counter()
        chars = 0
        batch: list[str] = []
        for i, text in enumerate(documents(sentences, args.docs, args.novel), 1):
            batch.append(text)
            chars += len(text)
            if len(batch) == BATCH or i == args.docs:
                timed_write(conn, vocab, add=batch)
                batch = []
                if i % (BATCH * 10) == 0:
                    print(f"  {i:,} documents, {time.perf_counter() - t0:.0f} s", flush=True)
        build_s = time.perf_counter() - t0
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        words = conn.execute("SELECT count(*) FROM vocab_words").fetchone()[0]
        pairs = conn.execute("SELECT count(*) FROM vocab_pairs").fetchone()[0]
        size = path.stat().st_size
        say("text counted", f"{chars / 1e6:,.1f} M characters ({chars / args.docs:,.0f} per document)")
        say("build", f"{build_s:,.1f} s ({args.docs / build_s:,.0f} documents/s, batches of {BATCH:,})")
        say("rows", f"{words:,} words, {pairs:,} pairs; total count {vocab.total():,}")
        say("database size", f"{size / 2**20:,.1f} MiB ({size / max(1, words + pairs):,.0f} bytes per row)")

        print(f"\n== one small document at a time ({args.writes} documents of ~5,000 characters)")
        rng = random.Random(11)
        small = [document(sentences, 10_000_000 + k, rng, args.novel, chars=5000) for k in range(args.writes)]
        say("document size", f"{statistics.mean(map(len, small)):,.0f} characters (mean)")
        for label, changes in (
            ("add", [{"add": [d]} for d in small]),
            (
                "replace (old text out, new in)",
                [{"add": [d.replace("phường", "xã")], "remove": [d]} for d in small],
            ),
            ("delete", [{"remove": [d.replace("phường", "xã")]} for d in small]),
        ):
            times = [timed_write(conn, vocab, **c) for c in changes]
            upd, whole = [t[0] for t in times], [t[1] for t in times]
            say(
                f"{label}",
                f"update p50 {statistics.median(upd):.1f} / max {max(upd):.1f} ms; "
                f"with COMMIT p50 {statistics.median(whole):.1f} / max {max(whole):.1f} ms",
            )

        print(f"\n== restore(), {args.questions} folded questions from evals/questions.jsonl")
        lines = (ROOT / "evals" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        questions = [fold(json.loads(line)["question"]) for line in lines if line.strip()][: args.questions]
        reader = connect(path)  # a fresh connection and vocabulary, as a new generation's would be
        counting = CountingVocabulary(SqliteVocabulary(reader))
        restorer = DiacriticRestorer(counting)  # type: ignore[arg-type]
        reads = []
        for q in questions:  # also warms the page cache
            counting.reads = 0
            restorer.restore(q)
            reads.append(counting.reads)
        restorer = DiacriticRestorer(SqliteVocabulary(reader))
        ms = []
        for _ in range(3):
            for q in questions:
                t = time.perf_counter()
                restorer.restore(q)
                ms.append((time.perf_counter() - t) * 1000)
        say("words per question", f"{statistics.median(len(q.split()) for q in questions):.0f} (median)")
        say("vocabulary reads per question", f"p50 {statistics.median(reads):.0f} / max {max(reads)}")
        say(
            "restore on disk", f"p50 {statistics.median(ms):.2f} / p95 {percentile(ms, 95):.2f} ms (3 passes)"
        )
        reader.close()

        print(f"\n== for comparison: counting in memory, {args.old_sample:,} documents (the old restorer)")
        sample = list(documents(sentences, args.old_sample, args.novel))
        t = time.perf_counter()
        counted = CountedVocabulary(sample)
        rebuild_s = time.perf_counter() - t
        say(
            "rebuild from every document",
            f"{rebuild_s:.2f} s; x{args.docs / args.old_sample:.0f} = "
            f"~{rebuild_s * args.docs / args.old_sample:,.0f} s at {args.docs:,} documents (linear)",
        )
        restorer = DiacriticRestorer(counted)
        ms = []
        for q in questions * 3:
            t = time.perf_counter()
            restorer.restore(q)
            ms.append((time.perf_counter() - t) * 1000)
        say("restore in memory", f"p50 {statistics.median(ms):.2f} / p95 {percentile(ms, 95):.2f} ms")
        conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
