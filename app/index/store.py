"""Index generations on disk: write one atomically, load the current one and verify it.

Layout under INDEX_DIR:
    documents/           the source of truth (`app.index.documents`); generations derive from it
    CURRENT              name of the generation to serve, written last (temp file + rename)
    gen-<time>-<rand>/   manifest.json, documents.jsonl, chunks.jsonl, vectors.faiss
    .lock                held by the one writer at a time

A generation is a self-contained snapshot (its documents.jsonl is what it was built from, so a
reader never pairs chunks with a document's newer text). It is built in a temp directory, every file
fsynced, then renamed into place; only then does CURRENT move. A crash at any point leaves the
previous generation whole and current.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.index.crashpoints import checkpoint
from app.index.documents import document_from_row, fsync_dir
from app.index.vectors import FaissStore, VectorStore
from app.models import Chunk, Document

FORMAT_VERSION = 1
_FILES = ("documents.jsonl", "chunks.jsonl", "vectors.faiss")
REBUILD_HINT = "rebuild it from the stored documents with: python -m app reindex"


class IndexLoadError(RuntimeError):
    """The index on disk is missing, corrupt or built by another embedder; the message says what to do."""


class EmbedderMismatch(IndexLoadError):
    """Built by another embedder: not damage, so nothing rebuilds it behind the operator's back."""


class WriterBusy(RuntimeError):
    """Another writer (CLI or server) holds the lock longer than this one was willing to wait."""


@dataclass
class Generation:
    """One whole, consistent index: every request answers from exactly one of these."""

    name: str
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]  # row i <-> vector i
    vectors: VectorStore
    pending: frozenset[int] = frozenset()  # rows stored before their vectors: lexical-only for now

    @property
    def embedder(self) -> str:
        return str(self.manifest["embedder"])


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@contextmanager
def writer_lock(index_dir: Path, wait_s: float | None = None) -> Iterator[None]:
    """One writer at a time across processes (CLI and server share the lock file).

    `wait_s=None` waits as long as it takes (the CLI); otherwise `WriterBusy` after `wait_s` seconds
    (the API turns it into a 409). The kernel drops the lock when its holder dies, even by SIGKILL.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("a") as f:
        if wait_s is None:
            fcntl.flock(f, fcntl.LOCK_EX)
        else:
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise WriterBusy(
                            f"another ingest is writing the index (waited {wait_s:g} s); retry shortly"
                        ) from None
                    time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def current_name(index_dir: Path) -> str | None:
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        return None
    return pointer.read_text(encoding="utf-8").strip() or None


def write_generation(
    index_dir: Path,
    documents: list[Document],
    chunks: list[Chunk],
    vectors: VectorStore,
    embedder: str,
    keep: int = 2,
    pending: frozenset[int] = frozenset(),
) -> str:
    """Write a new generation and make it current; returns its name. Caller holds `writer_lock`."""
    if len(vectors) != len(chunks):
        raise ValueError(f"{len(vectors)} vectors for {len(chunks)} chunks")
    index_dir.mkdir(parents=True, exist_ok=True)
    # Microseconds in the name: generation names sort in creation order even several per second.
    name = f"gen-{datetime.now().strftime('%Y%m%dT%H%M%S.%f')}-{secrets.token_hex(3)}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    try:
        _write_jsonl(tmp / "documents.jsonl", [dataclasses.asdict(d) for d in documents])
        _write_jsonl(tmp / "chunks.jsonl", [dataclasses.asdict(c) for c in chunks])
        vectors.save(tmp / "vectors.faiss")
        with (tmp / "vectors.faiss").open("rb") as f:
            os.fsync(f.fileno())
        per_document = Counter(c.doc_id for c in chunks)  # one pass: documents x chunks was quadratic
        manifest = {
            "format_version": FORMAT_VERSION,
            "embedder": embedder,
            "dim": vectors.dim,
            "doc_count": len(documents),
            "chunk_count": len(chunks),
            "pending": sorted(pending),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "documents": {
                d.doc_id: {"content_hash": d.content_hash, "chunks": per_document[d.doc_id]}
                for d in documents
            },
            "files": {f: _sha256(tmp / f) for f in _FILES},
        }
        with (tmp / "manifest.json").open("w", encoding="utf-8") as f:
            json.dump(manifest, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        fsync_dir(tmp)
        checkpoint("generation-written", index_dir)
        os.rename(tmp, index_dir / name)
        fsync_dir(index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    checkpoint("generation-renamed", index_dir)
    pointer_tmp = index_dir / "CURRENT.tmp"
    with pointer_tmp.open("w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(pointer_tmp, index_dir / "CURRENT")
    fsync_dir(index_dir)
    checkpoint("current-written", index_dir)
    _prune(index_dir, keep=keep, current=name)
    return name


def _prune(index_dir: Path, keep: int, current: str) -> None:
    """Drop old generations beyond `keep` and temp dirs a crash left behind."""
    for leftover in index_dir.glob(".tmp-gen-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    gens = sorted((p for p in index_dir.glob("gen-*") if p.is_dir() and p.name != current), reverse=True)
    for old in gens[max(keep - 1, 0) :]:
        shutil.rmtree(old, ignore_errors=True)


def generation_documents(index_dir: Path) -> list[Document]:
    """The documents the current generation was built from (checksum-verified). Only for indexes made
    before the document store existed: their documents move into it once."""
    gen_dir, manifest = _current(index_dir)
    path = gen_dir / "documents.jsonl"
    try:
        if _sha256(path) != manifest["files"]["documents.jsonl"]:
            raise IndexLoadError(f"{path} does not match its checksum")
        return [document_from_row(d) for d in _read_jsonl(path)]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexLoadError(f"{gen_dir}: the stored documents cannot be read ({exc})") from exc


def _current(index_dir: Path, name: str | None = None) -> tuple[Path, dict]:
    """The current (or the named) generation's folder and its manifest, read and of this format."""
    name = name or current_name(index_dir)
    if name is None:
        raise IndexLoadError(f"no index in {index_dir}: build it with: python -m app ingest")
    gen_dir = index_dir / name
    try:
        manifest = json.loads((gen_dir / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexLoadError(f"{gen_dir}: manifest.json is missing; {REBUILD_HINT}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexLoadError(f"{gen_dir}/manifest.json is corrupt ({exc}); {REBUILD_HINT}") from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        found = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise IndexLoadError(
            f"{gen_dir}: index format {found!r}, this version reads {FORMAT_VERSION}; {REBUILD_HINT}"
        )
    return gen_dir, manifest


def generation_names(index_dir: Path) -> list[str]:
    """Every generation on disk, newest first (names start with their creation time)."""
    return sorted((p.name for p in index_dir.glob("gen-*") if p.is_dir()), reverse=True)


def load_generation(
    index_dir: Path, expected_embedder: str | None = None, name: str | None = None
) -> Generation:
    """Load and verify the current (or the named) generation, or raise `IndexLoadError` saying how
    to fix it."""
    gen_dir, manifest = _current(index_dir, name)
    name = gen_dir.name
    if expected_embedder and manifest.get("embedder") != expected_embedder:
        raise EmbedderMismatch(
            f"{gen_dir} was built with embedder {manifest.get('embedder')!r} but {expected_embedder!r} is "
            f"configured; vectors of two embedders cannot be mixed: {REBUILD_HINT}"
        )
    for fname, digest in (manifest.get("files") or {}).items():
        path = gen_dir / fname
        if not path.exists() or _sha256(path) != digest:
            raise IndexLoadError(f"{path} is missing or does not match its checksum; {REBUILD_HINT}")
    try:
        documents = [document_from_row(d) for d in _read_jsonl(gen_dir / "documents.jsonl")]
        chunks = [
            Chunk(**{**c, "rows": tuple(c.get("rows") or ())}) for c in _read_jsonl(gen_dir / "chunks.jsonl")
        ]
        vectors = FaissStore.load(gen_dir / "vectors.faiss")
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise IndexLoadError(f"{gen_dir} cannot be read ({exc}); {REBUILD_HINT}") from exc
    if not len(vectors) == len(chunks) == manifest.get("chunk_count") or vectors.dim != manifest.get("dim"):
        raise IndexLoadError(
            f"{gen_dir}: {len(vectors)} vectors, {len(chunks)} chunks, manifest says "
            f"{manifest.get('chunk_count')} (dim {vectors.dim} vs {manifest.get('dim')}); {REBUILD_HINT}"
        )
    ids = {d.doc_id for d in documents}
    pending = frozenset(manifest.get("pending") or ())
    if (
        ids != set(manifest.get("documents") or {})
        or any(c.doc_id not in ids for c in chunks)
        or not all(isinstance(r, int) and 0 <= r < len(chunks) for r in pending)
    ):
        raise IndexLoadError(f"{gen_dir}: chunks, documents and manifest disagree; {REBUILD_HINT}")
    return Generation(
        name=name,
        manifest=manifest,
        documents={d.doc_id: d for d in documents},
        chunks=chunks,
        vectors=vectors,
        pending=pending,
    )
