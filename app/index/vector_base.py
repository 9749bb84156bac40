"""The embedded index's vector base: one FAISS file per saved generation, so a start reads one file
and adds only the vectors set since, instead of building the index again from the catalog."""

from __future__ import annotations

from pathlib import Path

from app.config import Settings
from app.embed import Embedder
from app.index.catalog import Catalog
from app.index.store import (
    Generation,
    IndexFiles,
    load_generation,
)
from app.index.vectors import VectorStore


def write_vector_base(files: IndexFiles, number: int, store: VectorStore) -> Path:
    """Save `store` (the vectors of generation `number`, merged) as the base the next start reads,
    then record it; older bases go, but the one before stays for a process still reading it."""
    files.vectors_dir.mkdir(parents=True, exist_ok=True)
    name = f"base-{number:08d}.faiss"
    path = files.vectors_dir / name
    store.save_base(path)
    with files.catalog.transaction() as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'vector_base_gen'").fetchone()
        if row is None or int(row[0]) < number:
            Catalog.set_meta(db, vector_base=name, vector_base_gen=number)
    for old in sorted(files.vectors_dir.glob("base-*.faiss"))[:-2]:
        old.unlink(missing_ok=True)
    return path


def save_vector_base(settings: Settings, gen: Generation) -> Path:
    """Fold `gen`'s vectors into one base file: O(corpus), for the CLI after a bulk ingest and the
    server's background merge, never on a write's path."""
    return write_vector_base(gen.files, gen.number, gen.vectors.merged())


def compact_vectors(settings: Settings, embedder: Embedder) -> Path | None:
    """After a bulk write: save a vector base when one is due (`base_due`), so the next start reads
    one file instead of building it from the catalog."""
    gen = load_generation(settings.INDEX_DIR, embedder.name, settings=settings)
    return save_vector_base(settings, gen) if base_due(gen) else None


def base_due(gen: Generation) -> bool:
    """A new vector base is worth saving: the changes since the last one pass VECTOR_DELTA_MAX, or
    there is none yet (every start would build it again from the catalog's vectors)."""
    return gen.vectors.needs_merge or (len(gen.vectors) > 0 and not gen.catalog.meta("vector_base"))
