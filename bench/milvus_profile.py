"""Where a `/search` on the shared index (Milvus) spends its time: every Milvus call a retrieval
makes, timed by kind (dense search, lexical search, row fetch, heads, term counts, places), and the
time the app spends between them. Figures only, no asserts; they go into closing notes.

Runs the retriever in this process against a Milvus (Lite) server that already holds an index
copied by `bench/milvus.py --data DIR` (start `milvus-lite server --data-dir DIR` first):

    .venv/bin/python bench/milvus_profile.py --uri http://127.0.0.1:PORT [--collection bench] \
        [--set MILVUS_FUSION=engine] [--save top.json] [--compare top.json]

`--save` keeps each question's top 5 chunk keys; `--compare` prints how many of another run's top 5
(another setting, or the code before a change) this run finds, and how often the first is the same.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from app.config import Settings
from app.embed import embed_query, make_embedder
from app.index.milvus import MilvusChunks
from app.index.shared import SharedIndex
from app.retrieve.retriever import Retriever
from evaluation.sets import QUESTION_FILES, load_questions

SPENT: dict[str, list[float]] = defaultdict(list)


def _kind(method: object, args: tuple, kwargs: dict) -> str:
    """A Milvus call's name for the table: its method and collection, and the field it searches."""
    name = getattr(method, "__name__", "call")
    collection = str(args[0]) if args else ""
    field = kwargs.get("anns_field", "")
    if name == "hybrid_search":
        field = "+".join(r.anns_field for r in args[1])
    return f"{name} {collection.split('_')[-1]} {field}".strip()


def timed_calls() -> None:
    """Wrap `MilvusChunks.call`, the one way the shared index reaches Milvus."""
    real = MilvusChunks.call

    def call(self: MilvusChunks, method: object, *args: object, **kwargs: object) -> object:
        t0 = time.perf_counter()
        try:
            return real(self, method, *args, **kwargs)
        finally:
            SPENT[_kind(method, args, kwargs)].append((time.perf_counter() - t0) * 1000)

    MilvusChunks.call = call  # type: ignore[method-assign]


def floor(chunks: MilvusChunks, rounds: int = 5) -> None:
    """What any search costs in this engine, whatever it looks for: a dense search for one hit, a
    BM25 search of a term no chunk holds (Milvus Lite walks every row in Python on each search)."""
    dense, bm25 = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        chunks.client.search(chunks.name, data=[[0.0] * chunks.dim], anns_field="dense", limit=1,
                             search_params={"metric_type": "IP"}, timeout=60)  # fmt: skip
        dense.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        chunks.client.search(chunks.name, data=["tnone"], anns_field="exact_bm25", limit=1,
                             search_params={"metric_type": "BM25"}, timeout=60)  # fmt: skip
        bm25.append((time.perf_counter() - t0) * 1000)
    print(f"floor: a dense search {np.median(dense):.1f} ms, a BM25 search of no term "
          f"{np.median(bm25):.1f} ms "
          f"(medians of {rounds}; load {os.getloadavg()[0]:.2f})")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uri", required=True)
    ap.add_argument("--collection", default="bench")
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--set", action="append", default=[], help="a setting, NAME=VALUE")
    ap.add_argument("--save", type=Path, help="write each question's top 5 keys here")
    ap.add_argument("--compare", type=Path, help="a --save file of another run")
    args = ap.parse_args()
    extra = dict(item.split("=", 1) for item in args.set)
    settings = Settings(
        VECTOR_STORE="milvus", MILVUS_URI=args.uri, MILVUS_COLLECTION=args.collection, **extra
    )  # type: ignore[arg-type]
    embedder = make_embedder(settings)
    timed_calls()
    shared = SharedIndex(settings, embedder.name, embedder.dim)
    shared.warm()
    questions = [q["question"] for q in load_questions(QUESTION_FILES["seeds"])][: args.queries]
    view = shared.view()
    retriever = Retriever(view, embedder)
    for q in questions[:5]:
        retriever.search(q)
    SPENT.clear()
    total, embed = [], []
    top: dict[str, list[str]] = {}
    for q in questions:
        t0 = time.perf_counter()
        embed_query(embedder, q)
        embed.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        passages = retriever.search(q)
        total.append((time.perf_counter() - t0) * 1000)
        top[q] = [p.chunk.chunk_id for p in passages]
    n = len(questions)
    print(f"load {os.getloadavg()[0]:.2f}; {view.chunk_count:,} chunks; {n} questions")
    print(f"search p50 / p95:  {np.percentile(total, 50):.1f} / {np.percentile(total, 95):.1f} ms")
    print(f"embedding alone:   {np.percentile(embed, 50):.1f} ms p50")
    print(f"{'call':48s} {'per question':>12s} {'calls/q':>8s} {'p50 ms':>8s}")
    for kind, ms in sorted(SPENT.items(), key=lambda kv: -sum(kv[1])):
        print(f"{kind:48s} {sum(ms) / n:10.1f} ms {len(ms) / n:8.2f} {np.percentile(ms, 50):8.1f}")
    floor(shared.chunks)
    if args.save:
        args.save.write_text(json.dumps(top, ensure_ascii=False))
    if args.compare:
        other = json.loads(args.compare.read_text())
        both = [q for q in top if q in other]
        found = sum(len(set(top[q]) & set(other[q])) for q in both)
        first = sum(top[q][:1] == other[q][:1] for q in both)
        print(f"against {args.compare}: {found} of {sum(len(other[q]) for q in both)} top-5 passages found, "
              f"the first the same for {first} of {len(both)} questions")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
