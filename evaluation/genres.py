"""The genre set: evals/genres/docs in, a temporary index of them and the set's report out.

Regulations, contracts, reports with tables, a spreadsheet, scanned letters, encyclopedia articles and
a news page are not in the service's index, so the set builds its own with the same settings and
embedder, measures what ingest kept of each file, serves the index as the seed index is served and
asks every question over HTTP. The scorer's fitting reuses the index (`genre_index`).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from app.config import Settings
from evaluation.curve import scored_curve
from evaluation.metrics import Report
from evaluation.runner import serve_and_ask
from evaluation.sets import FOLDERS, GENRES, QUESTION_FILES, load_set, load_sources, sample
from evaluation.survival import ingest_summary, ingest_survival


def _genre_documents(folder: Path = GENRES) -> tuple[list, dict[str, str], float]:
    """The set's documents as ingest reads them, the files it refused (with why), and the seconds."""
    from app.ingest import DocumentError, find_sources, load_document

    sources = load_sources(folder / "sources")
    t0 = time.perf_counter()
    documents, errors = [], {}
    for path in find_sources([folder / "docs"]):
        try:
            documents.append(load_document(path))
        except Exception as exc:  # measured, not fatal: its questions then fail, and the report says why
            errors[path.name] = str(exc) if isinstance(exc, DocumentError) else f"{type(exc).__name__}: {exc}"
    missing = sorted(set(sources) - {d.source for d in documents} - set(errors))
    for name in missing:
        errors[name] = "not picked up by find_sources (unsupported extension?)"
    return documents, errors, time.perf_counter() - t0


def _genre_questions(
    documents: list, n: int | None = None, sealed_only: bool = False, name: str = "genres"
) -> list[dict]:
    """The set's questions with gold file names turned into the doc ids ingest gave them."""
    ids = {Path(d.source or d.doc_id).stem: d.doc_id for d in documents}
    return [
        {**q, "gold_doc_ids": [ids.get(d, d) for d in q["gold_doc_ids"]]}
        for q in sample(load_set(name, sealed_only), n)
    ]


def genre_index(settings: Settings, index_dir: Path, name: str = "genres") -> tuple[Settings, list[dict]]:
    """The genre set's documents ingested into `index_dir` (unchanged ones are kept, so a kept
    directory is reused), the settings that point at it, and its questions."""
    from app.embed import make_embedder
    from app.index import IndexLoadError, ingest_documents, load_generation

    documents, _, _ = _genre_documents(FOLDERS[name])
    s = settings.model_copy(update={"INDEX_DIR": index_dir, "RELOAD_INTERVAL_S": 0})
    embedder = make_embedder(s)
    try:  # a kept directory may hold documents the set no longer has
        stale = set(load_generation(index_dir, embedder.name).documents) - {d.doc_id for d in documents}
    except IndexLoadError:
        stale = set()
    ingest_documents(s, embedder, documents, remove=stale)
    return s, _genre_questions(documents, name=name)


def run_genres(
    settings: Settings, n: int | None = None, sealed_only: bool = False, name: str = "genres"
) -> Report:
    """A set with documents of its own (`genres`, `heldout`): ingest its docs/ into a temporary index
    (same settings and embedder), serve it as the seed index is served, ask every question over HTTP."""
    from app.embed import make_embedder
    from app.index.backend import make_index_backend

    report = Report(name=name)
    folder = FOLDERS[name]
    sources = load_sources(folder / "sources")
    documents, errors, read_s = _genre_documents(folder)
    questions = _genre_questions(documents, n, sealed_only, name)
    with tempfile.TemporaryDirectory(prefix="genre-index-") as tmp:
        # An index of its own, whatever the backend: a temporary folder, and (for Milvus) collections
        # of their own, built from nothing and dropped after.
        own = {"MILVUS_COLLECTION": f"{settings.MILVUS_COLLECTION}_genre_eval"}
        s = settings.model_copy(update={"INDEX_DIR": Path(tmp), "RELOAD_INTERVAL_S": 0, **own})
        backend = make_index_backend(s, make_embedder(s))
        ingested = backend.write(documents, rebuild=True)
        files = ingest_survival(documents, sources)
        report.ingest = {
            "documents": ingested.documents,
            "chunks": ingested.chunks,
            "read_seconds": round(read_s, 1),
            "index_seconds": round(ingested.seconds, 1),
            "errors": errors,
            **ingest_summary(files),
            "files": files,
        }
        try:
            serve_and_ask(s, None, questions, report)
            if name in QUESTION_FILES:  # the scorer's curve is drawn over open questions only
                report.curve = scored_curve(s, questions)
        finally:
            backend.drop()
            backend.close()
    return report
