"""Per-collection BM25 statistics against one global index filtered to a collection's documents.

The service keeps one index per collection (README, "Collections and keys"), so BM25's document
frequencies and average lengths are each collection's own. The alternative is one global index
whose searches are filtered to the collection's doc_ids: the filter restricts which chunks match
(a zero-scored Must clause in tantivy, an allow-list in FAISS) but the statistics are the whole
index's. This measures whether that changes retrieval:

- index A = the seed corpus (seeds/*.txt), index C = the genre corpus (evals/genres/docs, or
  freshly written by `python -m evaluation genre-docs` with --regenerate), index B = both. All
  through the real ingest path (`ingest_documents`), in a temp folder. B is A's folder copied with
  the genre documents ingested into it (seed vectors reused); C is built fresh with B's vectors
  passed in by text hash, so nothing is embedded twice and C's lexical index never saw the seeds.
- the seed eval questions (answerable, with gold_doc_ids) on A and on B filtered to the seed doc ids;
  the genre questions on C and on B filtered to the genre doc ids.
- for each: recall@5 (a gold doc among the top 5 passages' doc_ids) and MRR of the first gold
  passage (over the top --depth, 0 past it) for the fused ranking (`Pipeline.search`), and for the
  lexical-only and dense-only rankings (the index view's `search_lexical` / `search_dense` with the
  same filter, pool 50 as the retriever uses). Dense-only should not move for written questions
  (exact FAISS, same vectors): it is the control. `changed` counts questions whose first-gold rank
  differs. The seed corpus has 5 documents, so the doc-level figures sit at their ceiling; the
  passage-level ones (the first passage of a gold doc holding a gold figure or gold_contains
  string) are the sensitive measure.
- with --folded (default on) also every question typed without diacritics: folded BM25 only, the
  dense side at half weight, and the question restored from each index's own vocabulary counts,
  which are per collection too.

No asserts; the figures go into a closing note.

    .venv/bin/python bench/collection_stats.py [--depth 10] [--no-folded] [--work DIR] [--regenerate]

About 10-15 min on 2 cores, almost all of it embedding the genre corpus once (--work DIR keeps the
indexes, and a second run reuses them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from app.config import Settings
from app.embed import embed_query, make_embedder
from app.index import ingest_documents, load_generation
from app.index.lexical import LexicalFilter
from app.ingest import find_sources, load_document
from app.pipeline import Pipeline
from app.retrieve import Filters
from evaluation.sets import GENRES, QUESTION_FILES, load_questions

ROOT = Path(__file__).resolve().parent.parent
POOL = 50  # what the retriever asks each side for at top_k <= 5 (max(50, 10 k))
RANKINGS = ("fused", "lexical", "dense")


def load_all(folder: Path) -> list:
    docs = []
    for path in find_sources([folder]):
        try:
            docs.append(load_document(path))
        except Exception as exc:  # a file ingest refuses: its questions miss, as in the eval
            print(f"  skipped {path.name}: {type(exc).__name__}: {exc}")
    return docs


def strip_marks(text: str) -> str:
    """The question as typed without diacritics (case kept): what a phone keyboard often sends."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize(
        "NFC", "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    )


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def settings_for(index_dir: Path) -> Settings:
    return Settings(_env_file=None, INDEX_DIR=index_dir, RELOAD_INTERVAL_S=0)


def built(name: str, r) -> None:
    print(
        f"{name}{r.documents} docs, {r.chunks} chunks, embedded {r.embedded} in {r.seconds:.1f} s ({load()})"
    )


def build(work: Path, seed_docs: list, genre_docs: list, embedder) -> dict[str, Path]:
    a, b, c = work / "A", work / "B", work / "C"
    t0 = time.perf_counter()
    built("A seeds:  ", ingest_documents(settings_for(a), embedder, seed_docs))
    if not b.exists():
        shutil.copytree(a, b)
    built("B both:   ", ingest_documents(settings_for(b), embedder, seed_docs + genre_docs))
    gen_b = load_generation(b, embedder.name, settings=settings_for(b))
    hashes = [
        row[0]
        for row in gen_b.catalog.db.execute("SELECT DISTINCT text_hash FROM chunks WHERE vector IS NOT NULL")
    ]
    ready = gen_b.catalog.vectors_by_hash(hashes)
    built("C genres: ", ingest_documents(settings_for(c), embedder, genre_docs, vectors=ready))
    print(f"built in {time.perf_counter() - t0:.1f} s")
    return {"A": a, "B": b, "C": c}


@dataclass
class Outcome:
    ranks: dict[str, list[int | None]] = field(default_factory=lambda: {n: [] for n in RANKINGS})
    passage: dict[str, list[int | None]] = field(default_factory=lambda: {n: [] for n in RANKINGS})


class Searcher:
    """One index: the pipeline's fused search, and each side alone with the same filter."""

    def __init__(self, index_dir: Path, embedder, vectors: dict) -> None:
        s = settings_for(index_dir)
        self.gen = load_generation(index_dir, embedder.name, settings=s)
        self.pipeline = Pipeline(s, embedder, self.gen)
        self.embedder = embedder
        self.vectors = vectors  # restored question text -> query vector, shared across indexes

    def passages(self, keys: list[int]) -> list[tuple[str, str]]:
        chunks = self.gen.chunks(keys)
        return [(chunks[k].doc_id, chunks[k].text) for k in keys if k in chunks]

    def rankings(
        self, question: str, depth: int, filters: Filters | None
    ) -> dict[str, list[tuple[str, str]]]:
        """(doc_id, chunk text) best first, for each ranking."""
        fused = [(p.chunk.doc_id, p.chunk.text) for p in self.pipeline.search(question, depth, filters)]
        query = self.pipeline.retriever.parse(question)
        lf = LexicalFilter(filters.doc_ids, filters.date_from, filters.date_to) if filters else None
        lexical = [k for k, _ in self.gen.search_lexical(query.text, query.written, POOL, lf)]
        if query.restored not in self.vectors:
            self.vectors[query.restored] = embed_query(self.embedder, query.restored)
        dense = [k for k, _ in self.gen.search_dense(self.vectors[query.restored], POOL, lf)]
        return {"fused": fused, "lexical": self.passages(lexical), "dense": self.passages(dense)}


def first_gold(ranked: list[tuple[str, str]], gold: set[str], depth: int, says: list[str]) -> int | None:
    """Rank of the first passage of a gold doc (that holds one of `says`, when given), None past depth."""
    for rank, (doc_id, text) in enumerate(ranked[:depth], start=1):
        if doc_id in gold and (not says or any(s in text.casefold() for s in says)):
            return rank
    return None


def run(
    searcher: Searcher, questions: list[dict], depth: int, filters: Filters | None, folded: bool
) -> Outcome:
    out = Outcome()
    for q in questions:
        text = strip_marks(q["question"]) if folded else q["question"]
        got = searcher.rankings(text, depth, filters)
        gold = set(q["gold_doc_ids"])
        says = [s.casefold() for s in q.get("gold_figures", []) + q.get("gold_contains", [])]
        for name in RANKINGS:
            out.ranks[name].append(first_gold(got[name], gold, depth, []))
            if says:
                out.passage[name].append(first_gold(got[name], gold, depth, says))
    return out


def recall(ranks: list[int | None], k: int = 5) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr(ranks: list[int | None]) -> float:
    return sum(1 / r for r in ranks if r is not None) / len(ranks) if ranks else 0.0


def answerable(name: str, doc_ids: set[str], stems: dict[str, str]) -> list[dict]:
    out = []
    for q in load_questions(QUESTION_FILES[name]):
        if not (q.get("answerable") and q.get("gold_doc_ids")):
            continue
        gold = [stems.get(d, d) for d in q["gold_doc_ids"]]
        out.append({**q, "gold_doc_ids": gold})
    missing = {d for q in out for d in q["gold_doc_ids"]} - doc_ids
    if missing:
        print(f"  {name}: gold doc ids not in the corpus (those questions can only miss): {sorted(missing)}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--depth", type=int, default=10, help="passages ranked per question for MRR (default 10)")
    ap.add_argument(
        "--no-folded", dest="folded", action="store_false", help="skip the questions without diacritics"
    )
    ap.add_argument(
        "--work", type=Path, help="keep the indexes here (reused when it exists); default a temp folder"
    )
    ap.add_argument(
        "--regenerate", action="store_true", help="write the genre docs with `evaluation genre-docs`"
    )
    args = ap.parse_args()

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {load()} at start")
    tmp = None
    if args.work is None:
        tmp = tempfile.TemporaryDirectory(prefix="collection-stats-")
        work = Path(tmp.name)
    else:
        work = args.work
        work.mkdir(parents=True, exist_ok=True)
    try:
        genre_folder = GENRES / "docs"
        if args.regenerate:
            out = work / "genre-docs"
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "evaluation", "genre-docs", str(out)], check=True, cwd=ROOT)
            print(f"genre docs written in {time.perf_counter() - t0:.1f} s")
            genre_folder = out / "docs"
        seed_docs = load_all(ROOT / "seeds")
        genre_docs = load_all(genre_folder)
        seed_ids = {d.doc_id for d in seed_docs}
        genre_ids = {d.doc_id for d in genre_docs}
        print(f"corpora: {len(seed_docs)} seed docs, {len(genre_docs)} genre docs ({genre_folder})")
        if seed_ids & genre_ids:
            print(f"  doc ids in both corpora: {sorted(seed_ids & genre_ids)}")

        settings = settings_for(work / "A")
        embedder = make_embedder(settings)
        print(f"embedder {embedder.name}, EMBED_THREADS={settings.EMBED_THREADS}")
        dirs = build(work, seed_docs, genre_docs, embedder)

        stems = {Path(d.source or d.doc_id).stem: d.doc_id for d in genre_docs}
        sets = {
            "seeds": (answerable("seeds", seed_ids, {}), "A", seed_ids),
            "genres": (answerable("genres", genre_ids, stems), "C", genre_ids),
        }
        vectors: dict = {}
        searchers = {n: Searcher(dirs[n], embedder, vectors) for n in ("A", "B", "C")}
        for n, s in searchers.items():
            print(f"index {n}: {len(s.gen.documents)} docs, {s.gen.chunk_count} chunks")

        variants = [False, True] if args.folded else [False]
        rows = []
        pooled: dict[str, list[int | None]] = {"per": [], "global": []}
        t0 = time.perf_counter()
        for set_name, (questions, own, ids) in sets.items():
            for folded in variants:
                label = f"{set_name}{' folded' if folded else ''}"
                per = run(searchers[own], questions, args.depth, None, folded)
                glob = run(searchers["B"], questions, args.depth, Filters(doc_ids=tuple(sorted(ids))), folded)
                rows.append((label, own, per, glob, len(questions)))
                if not folded:
                    pooled["per"] += per.ranks["fused"]
                    pooled["global"] += glob.ranks["fused"]
                took = time.perf_counter() - t0
                print(f"  {label}: {len(questions)} questions x 2 indexes, {took:.1f} s so far ({load()})")

        print()
        print("per-collection = the set's own index (A or C); global-filtered = index B searched with")
        print(
            "doc_ids = the set's documents. doc: the first passage of a gold doc. passage: the first passage"
        )
        print(f"of a gold doc holding a gold figure or gold_contains string. MRR over the top {args.depth}.")
        print("changed = questions whose first-gold rank differs; (n) = of them, better per-collection")
        header = (
            f"{'set':<15} {'ranking':<8} {'statistics':<16}"
            f" {'n':>4} {'doc R@5':>8} {'doc MRR':>8} {'changed':>8}"
            f" {'n':>4} {'psg R@5':>8} {'psg MRR':>8} {'changed':>8}"
        )
        print(header)
        print("-" * len(header))
        for label, _, per, glob, _ in rows:
            for name in RANKINGS:
                for kind, ranks in (("per-collection", per), ("global-filtered", glob)):
                    line = f"{label:<15} {name:<8} {kind:<16}"
                    for measure in ("ranks", "passage"):
                        mine, other = getattr(per, measure)[name], getattr(glob, measure)[name]
                        shown = getattr(ranks, measure)[name]
                        changed = sum(1 for x, y in zip(mine, other, strict=True) if x != y)
                        better = sum(
                            1
                            for x, y in zip(mine, other, strict=True)
                            if x != y and (y is None or (x is not None and x < y))
                        )
                        tail = f"{changed:>4} ({better})" if kind == "per-collection" else ""
                        line += f" {len(shown):>4} {recall(shown):>8.3f} {mrr(shown):>8.3f} {tail:>8}"
                    print(line.rstrip())
            print()
        n_pooled = len(pooled["per"])
        print(f"{load()} at end; last line: fused recall@5, written questions of both sets (n={n_pooled})")
        print(
            f"per_collection_recall={recall(pooled['per']):.3f} global_recall={recall(pooled['global']):.3f}"
        )
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
