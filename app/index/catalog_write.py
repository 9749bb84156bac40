"""The catalog's writes, each a statement or two inside the caller's one transaction (a write of
the embedded index is one SQLite transaction: `app.index.generation_write`): a document version and
its chunks born or dead at a generation, vectors filled in, the places' running counts, old rows
collected. Reads are `Catalog`'s."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Sequence

import numpy as np

from app.index.catalog import to_blob
from app.index.documents import document_from_row, stored_document
from app.models import Chunk, Document


def count_places(db: sqlite3.Connection, names: dict[str, str], sign: int) -> None:
    """Running counts of the documents naming each place (folded -> written)."""
    for folded, written in names.items():
        db.execute(
            "INSERT INTO places(folded, written, n) VALUES (?, ?, ?) "
            "ON CONFLICT(folded) DO UPDATE SET n = n + excluded.n, written = excluded.written",
            (folded, written, sign),
        )
    db.execute("DELETE FROM places WHERE n <= 0")


def kill_document(db: sqlite3.Connection, doc_id: str, g: int) -> tuple[Document, int] | None:
    """Mark the alive version of `doc_id` and its chunks dead at `g`; returns that version and
    its chunk count."""
    row = db.execute(
        "SELECT doc_key, row, chunks FROM documents WHERE doc_id = ? AND dead IS NULL", (doc_id,)
    ).fetchone()
    if row is None:
        return None
    db.execute("UPDATE documents SET dead = ? WHERE doc_key = ?", (g, row[0]))
    db.execute("UPDATE chunks SET dead = ? WHERE doc_key = ?", (g, row[0]))
    return document_from_row(json.loads(row[1])), int(row[2])


def add_document(
    db: sqlite3.Connection,
    doc: Document,
    chunks: Sequence[Chunk],
    hashes: Sequence[str],
    vectors: Sequence[np.ndarray | None],
    g: int,
) -> list[int]:
    """Insert a new document version and its chunks at generation `g`; returns the chunk keys."""
    cur = db.execute(
        "INSERT INTO documents(doc_id, content_hash, date, born, chunks, row) VALUES (?, ?, ?, ?, ?, ?)",
        (
            doc.doc_id,
            doc.content_hash,
            doc.date,
            g,
            len(chunks),
            json.dumps(stored_document(doc), ensure_ascii=False),
        ),
    )
    doc_key = cur.lastrowid
    keys = []
    for chunk, text_hash, vec in zip(chunks, hashes, vectors, strict=True):
        cur = db.execute(
            "INSERT INTO chunks(doc_key, born, vec_gen, text_hash, vector, row) VALUES (?, ?, ?, ?, ?, ?)",
            (
                doc_key,
                g,
                None if vec is None else g,
                text_hash,
                None if vec is None else to_blob(vec),
                json.dumps(dataclasses.asdict(chunk), ensure_ascii=False),
            ),
        )
        keys.append(int(cur.lastrowid or 0))
    return keys


def fill_vectors(db: sqlite3.Connection, vectors: dict[str, np.ndarray], g: int) -> int:
    """Give pending chunks with these text hashes their vectors at generation `g`."""
    filled = 0
    for text_hash, vec in vectors.items():
        filled += db.execute(
            "UPDATE chunks SET vector = ?, vec_gen = ? "
            "WHERE text_hash = ? AND vector IS NULL AND dead IS NULL",
            (to_blob(vec), g, text_hash),
        ).rowcount
    return filled


def collect(db: sqlite3.Connection, before: int) -> None:
    """Drop rows dead at or before generation `before` (no reader or vector base needs them)."""
    db.execute("DELETE FROM chunks WHERE dead IS NOT NULL AND dead <= ?", (before,))
    db.execute("DELETE FROM documents WHERE dead IS NOT NULL AND dead <= ?", (before,))
