"""`python -m app migrate --to milvus|faiss`: copy the whole index between the embedded one (under
INDEX_DIR) and the shared one (Milvus), documents, originals and vectors, without embedding again.

To Milvus, the embedded catalog's chunks and their float32 vectors are written as they are (no
re-chunking), under the embedder the embedded index records. To the embedded index, each document
is ingested with the vectors Milvus holds offered by text hash, so the model runs only for a chunk
whose text differs (different chunking settings), and the report says how many did.
One document at a time in both directions: memory stays flat whatever the corpus.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from app.config import Settings
from app.embed import Embedder
from app.index.build import document_store, ingest_documents
from app.index.catalog import chunk_from_row
from app.index.identity import IndexLoadError
from app.index.prepare import passage_key
from app.index.store import IndexFiles, load_generation
from app.models import Chunk


@dataclass
class MigrateReport:
    documents: int = 0
    chunks: int = 0
    originals: int = 0
    embedded: int = 0  # chunks whose vectors had to be computed (to faiss only)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.documents} documents, {self.chunks} chunks, {self.originals} original files copied; "
            f"{self.embedded} chunks embedded; {self.seconds:.1f} s"
        )


BATCH = 64  # documents written together: a few large requests to Milvus instead of many small ones


def to_milvus(settings: Settings, progress: bool = False) -> MigrateReport:
    """The embedded index under INDEX_DIR into the shared one at MILVUS_URI."""
    from app.index.shared import SharedIndex
    from app.index.shared_rows import Version, document_row, version_of

    t0 = time.perf_counter()
    gen = load_generation(settings.INDEX_DIR, settings=settings)
    if gen.pending:
        raise IndexLoadError(
            f"{len(gen.pending)} chunks of the embedded index have no vector yet: serve it until the "
            "background embedding is done (or run `python -m app ingest`), then migrate"
        )
    shared = SharedIndex(settings, gen.embedder, gen.dim)
    store = document_store(settings.INDEX_DIR)
    catalog = IndexFiles.of(settings.INDEX_DIR, settings).catalog
    report = MigrateReport()
    doc_ids = sorted(gen.documents)
    bar = tqdm(total=len(doc_ids), unit="doc", desc="to milvus", disable=not progress)
    for start in range(0, len(doc_ids), BATCH):
        batch = doc_ids[start : start + BATCH]
        old = shared.heads_of(batch)
        versions = []
        for doc_id in batch:
            doc = gen.documents[doc_id]
            if doc_id in old and old[doc_id]["version"] == version_of(document_row(doc)):
                report.documents += 1  # copied by an earlier run: a migration resumes where it stopped
                report.chunks += int(old[doc_id]["meta"].get("chunks", 0))
                continue
            rows = sorted(catalog.alive_chunks_of([doc_id], gen.number), key=lambda r: r[3].position)
            chunks: list[Chunk] = [r[3] for r in rows]
            by_hash = catalog.vectors_by_hash(passage_key(c) for c in chunks)
            matrix = [by_hash[passage_key(c)] for c in chunks]
            vectors = np.stack(matrix) if matrix else np.empty((0, gen.dim), dtype=np.float32)
            versions.append(Version(doc, chunks, vectors, store.original(doc_id)))
        shared.write_versions(versions)
        new = shared.heads_of(batch)
        for doc_id, head in old.items():
            if doc_id in new and new[doc_id]["version"] != head["version"]:
                shared.drop_version(doc_id, head["version"])
        report.documents += len(versions)
        report.chunks += sum(len(v.chunks) for v in versions)
        report.originals += sum(v.original is not None for v in versions)
        bar.update(len(batch))
        if (start // BATCH) % 32 == 31:  # sealed every ~2,000 documents, not left to a 128 MB memtable
            shared.flush()
    bar.close()
    shared.flush()
    shared.touch()
    report.seconds = time.perf_counter() - t0
    return report


def to_faiss(settings: Settings, embedder: Embedder, progress: bool = False) -> MigrateReport:
    """The shared index at MILVUS_URI into the embedded one under INDEX_DIR."""
    from app.index.shared import SharedIndex

    t0 = time.perf_counter()
    shared = SharedIndex(settings, embedder.name, embedder.dim)
    view = shared.view()
    report = MigrateReport()
    for doc_id in tqdm(list(view.documents), unit="doc", desc="to faiss", disable=not progress):
        head = view.heads([doc_id]).get(doc_id)
        if head is None:  # deleted meanwhile
            continue
        doc = view.documents.at(doc_id, head["version"], int(head["meta"].get("parts", 1)))
        if doc is None:
            continue
        rows = shared.chunks.vectors_of(doc_id, head["version"])
        ready = {passage_key(chunk_from_row(payload)): vector for payload, vector in rows}
        original = shared.original(doc_id)
        written = ingest_documents(
            settings,
            embedder,
            [doc],
            vectors=ready,
            originals={doc_id: original} if original is not None else None,
        )
        report.documents += 1
        report.chunks += written.chunk_counts.get(doc_id, 0)
        report.originals += original is not None
        report.embedded += written.embedded
    report.seconds = time.perf_counter() - t0
    return report
