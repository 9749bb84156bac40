"""The catalog: every document version, chunk and vector of the index, in one SQLite file.

Why SQLite: a write is one transaction (atomic, durable, its cost that of the rows it touches), a
reader sees a consistent snapshot, and texts stay on disk, read for the top-k only, so memory does
not grow with the corpus.

Versions, not updates: each write is a generation number G. A document version or chunk row is born
at some G and dies (is replaced or deleted) at a later one; rows are never changed otherwise, so a
chunk key always names the same text and a request still answering from generation G reads exactly
what G held. Rows dead for `keep` generations, and no longer in the saved vector base, are dropped.

Chunk keys come from AUTOINCREMENT and are never reused: the vector and lexical indexes know chunks
by key only.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from app.index.documents import document_from_row
from app.index.listing import Listed
from app.index.vocabulary import SqliteVocabulary
from app.models import Chunk, Document

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    doc_key INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    date TEXT,
    born INTEGER NOT NULL,
    dead INTEGER,
    chunks INTEGER NOT NULL,
    row TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_by_id ON documents(doc_id, born);
CREATE INDEX IF NOT EXISTS documents_by_date ON documents(date) WHERE dead IS NULL;
CREATE INDEX IF NOT EXISTS documents_dead ON documents(dead) WHERE dead IS NOT NULL;
CREATE TABLE IF NOT EXISTS chunks(
    key INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_key INTEGER NOT NULL,
    born INTEGER NOT NULL,
    dead INTEGER,
    vec_gen INTEGER,
    text_hash TEXT NOT NULL,
    vector BLOB,
    row TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_key);
CREATE INDEX IF NOT EXISTS chunks_by_hash ON chunks(text_hash);
CREATE INDEX IF NOT EXISTS chunks_by_vec_gen ON chunks(vec_gen);
CREATE INDEX IF NOT EXISTS chunks_dead ON chunks(dead) WHERE dead IS NOT NULL;
CREATE INDEX IF NOT EXISTS chunks_pending ON chunks(key) WHERE vector IS NULL AND dead IS NULL;
CREATE TABLE IF NOT EXISTS journal(doc_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS places(folded TEXT PRIMARY KEY, written TEXT NOT NULL, n INTEGER NOT NULL);
"""

ALIVE = "born <= :g AND (dead IS NULL OR dead > :g)"


def chunk_from_row(row: str) -> Chunk:
    data = json.loads(row)
    doubtful = tuple(map(tuple, data.get("doubtful") or ()))
    return Chunk(**{**data, "rows": tuple(data.get("rows") or ()), "doubtful": doubtful})


def to_blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


class Catalog:
    """One SQLite file, one connection per thread (sqlite3 connections are not shared across threads)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._shared: sqlite3.Connection | None = None
        self._shared_guard = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.transaction() as db:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            SqliteVocabulary(db)  # its tables, in the same file

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives power loss
            conn.execute("PRAGMA foreign_keys=OFF")
            self._local.conn = conn
        return conn

    @property
    def shared(self) -> sqlite3.Connection:
        """One read connection any thread may use (SQLite serialises it): for objects that outlive
        the thread that made them, such as a generation's vocabulary."""
        if self._shared is None:
            with self._shared_guard:
                if self._shared is None:
                    conn = sqlite3.connect(
                        self.path, timeout=60, isolation_level=None, check_same_thread=False
                    )
                    self._shared = conn
        return self._shared

    def close(self) -> None:
        for conn in (getattr(self._local, "conn", None), self._shared):
            if conn is not None:
                conn.close()
        self._local.conn = None
        self._shared = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE .. COMMIT: writers queue on SQLite's own lock, readers are never blocked."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- meta ---------------------------------------------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @staticmethod
    def set_meta(db: sqlite3.Connection, **values: object) -> None:
        db.executemany(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(k, str(v)) for k, v in values.items()],
        )

    @property
    def generation(self) -> int:
        return int(self.meta("generation", "0") or 0)

    # -- documents ----------------------------------------------------------------------------

    def document(self, doc_id: str, g: int) -> tuple[int, Document] | None:
        row = self.db.execute(
            f"SELECT doc_key, row FROM documents WHERE doc_id = :d AND {ALIVE}", {"d": doc_id, "g": g}
        ).fetchone()
        return (row[0], document_from_row(json.loads(row[1]))) if row else None

    def document_by_key(self, doc_key: int) -> Document:
        row = self.db.execute("SELECT row FROM documents WHERE doc_key = ?", (doc_key,)).fetchone()
        if row is None:
            raise KeyError(doc_key)
        return document_from_row(json.loads(row[0]))

    def content_hashes(self, doc_ids: Iterable[str], g: int) -> dict[str, str]:
        out = {}
        for doc_id in doc_ids:
            row = self.db.execute(
                f"SELECT content_hash FROM documents WHERE doc_id = :d AND {ALIVE}", {"d": doc_id, "g": g}
            ).fetchone()
            if row:
                out[doc_id] = row[0]
        return out

    def _counted(self, g: int) -> tuple[int, int] | None:
        """(documents, chunks) at generation `g` from the running counts, if they are of `g`."""
        rows = dict(self.db.execute("SELECT key, value FROM meta WHERE key LIKE 'count_%'").fetchall())
        if rows.get("count_generation") != str(g):
            return None
        return int(rows.get("count_documents", 0)), int(rows.get("count_chunks", 0))

    @staticmethod
    def count(db: sqlite3.Connection, g: int, documents: int, chunks: int) -> None:
        """Move the running counts to generation `g` by these differences (inside the write)."""
        rows = dict(db.execute("SELECT key, value FROM meta WHERE key LIKE 'count_%'").fetchall())
        Catalog.set_meta(
            db,
            count_generation=g,
            count_documents=int(rows.get("count_documents", 0)) + documents,
            count_chunks=int(rows.get("count_chunks", 0)) + chunks,
        )

    def document_count(self, g: int) -> int:
        counted = self._counted(g)
        if counted is not None:
            return counted[0]
        return self.db.execute(f"SELECT count(*) FROM documents WHERE {ALIVE}", {"g": g}).fetchone()[0]

    def document_page(self, g: int, offset: int, limit: int) -> list[tuple[Document, int]]:
        """Documents in doc_id order with their chunk counts: one page, read from an index."""
        rows = self.db.execute(
            f"SELECT row, chunks FROM documents WHERE {ALIVE} ORDER BY doc_id LIMIT :l OFFSET :o",
            {"g": g, "l": limit, "o": offset},
        ).fetchall()
        return [(document_from_row(json.loads(r)), n) for r, n in rows]

    def document_index(self, g: int) -> list[Listed]:
        """Every live document's id, title, date, format and chunks: no text is read."""
        rows = self.db.execute(
            "SELECT doc_id, json_extract(row, '$.title'), date, json_extract(row, '$.format'), chunks "
            f"FROM documents WHERE {ALIVE}",
            {"g": g},
        ).fetchall()
        return [Listed(d, t or "", day, f or "text", n) for d, t, day, f, n in rows]

    def chunk_count_of(self, doc_id: str, g: int) -> int:
        row = self.db.execute(
            f"SELECT chunks FROM documents WHERE doc_id = :d AND {ALIVE}", {"d": doc_id, "g": g}
        ).fetchone()
        return int(row[0]) if row else 0

    def all_doc_ids(self, g: int) -> list[str]:
        return [r[0] for r in self.db.execute(f"SELECT doc_id FROM documents WHERE {ALIVE}", {"g": g})]

    # -- chunks -------------------------------------------------------------------------------

    def chunks(self, keys: Sequence[int]) -> dict[int, tuple[int, Chunk]]:
        """key -> (doc_key, chunk) for the given keys (immutable rows: any generation may ask)."""
        out: dict[int, tuple[int, Chunk]] = {}
        for start in range(0, len(keys), 500):
            part = list(keys[start : start + 500])
            marks = ",".join("?" * len(part))
            for key, doc_key, row in self.db.execute(
                f"SELECT key, doc_key, row FROM chunks WHERE key IN ({marks})", part
            ):
                out[key] = (doc_key, chunk_from_row(row))
        return out

    def chunk_total(self, g: int) -> int:
        counted = self._counted(g)
        if counted is not None:
            return counted[1]
        return self.db.execute(
            f"SELECT coalesce(sum(chunks), 0) FROM documents WHERE {ALIVE}", {"g": g}
        ).fetchone()[0]

    def keys_of_documents(self, doc_ids: Iterable[str], g: int) -> list[int]:
        out: list[int] = []
        for doc_id in doc_ids:
            out.extend(
                r[0]
                for r in self.db.execute(
                    "SELECT c.key FROM documents d JOIN chunks c ON c.doc_key = d.doc_key "
                    "WHERE d.doc_id = :d AND d.born <= :g AND (d.dead IS NULL OR d.dead > :g)",
                    {"d": doc_id, "g": g},
                )
            )
        return out

    def keys_in_dates(self, date_from: str | None, date_to: str | None, g: int) -> list[int]:
        return [
            r[0]
            for r in self.db.execute(
                "SELECT c.key FROM documents d JOIN chunks c ON c.doc_key = d.doc_key "
                "WHERE d.date IS NOT NULL AND d.date >= :f AND d.date <= :t "
                "AND d.born <= :g AND (d.dead IS NULL OR d.dead > :g)",
                {"f": date_from or "", "t": date_to or "9999-99-99", "g": g},
            )
        ]

    def pending(self, g: int) -> frozenset[int]:
        """Chunks stored before their vectors (lexical-only until the background embedding)."""
        return frozenset(
            r[0]
            for r in self.db.execute(
                "SELECT key FROM chunks WHERE vector IS NULL AND dead IS NULL AND born <= :g "
                f"UNION SELECT key FROM chunks WHERE vec_gen > :g AND {ALIVE}",
                {"g": g},
            )
        )

    def pending_texts(self, g: int) -> dict[str, str]:
        """text hash -> embedded text of every pending chunk."""
        out = {}
        for text_hash, row in self.db.execute(
            "SELECT text_hash, row FROM chunks WHERE vector IS NULL AND dead IS NULL AND born <= :g", {"g": g}
        ):
            out[text_hash] = chunk_from_row(row).embed_text
        return out

    def vectors_by_hash(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Stored vectors of these exact texts, to reuse instead of embedding again."""
        out = {}
        for h in hashes:
            row = self.db.execute(
                "SELECT vector FROM chunks WHERE text_hash = ? AND vector IS NOT NULL LIMIT 1", (h,)
            ).fetchone()
            if row:
                out[h] = np.frombuffer(row[0], dtype=np.float32)
        return out

    def embedded(self, hashes: Iterable[str]) -> set[str]:
        """Which of these texts have a stored vector (without reading the vectors)."""
        return {
            h
            for h in hashes
            if self.db.execute(
                "SELECT 1 FROM chunks WHERE text_hash = ? AND vector IS NOT NULL LIMIT 1", (h,)
            ).fetchone()
        }

    def vectors_since(self, after: int, g: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """(keys, vectors) set after generation `after` and alive at `g`: what a vector store built
        at `after` is missing."""
        keys: list[int] = []
        blobs: list[bytes] = []
        for key, blob in self.db.execute(
            f"SELECT key, vector FROM chunks WHERE vec_gen > :a AND vec_gen <= :g AND {ALIVE}",
            {"a": after, "g": g},
        ):
            keys.append(key)
            blobs.append(blob)
        matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(keys), dim)
        return np.asarray(keys, dtype=np.int64), matrix

    def died_since(self, after: int, g: int) -> list[int]:
        """Keys of chunks with vectors from before `after` that died after it (by `g`)."""
        return [
            r[0]
            for r in self.db.execute(
                "SELECT key FROM chunks WHERE dead > :a AND dead <= :g AND vec_gen <= :a",
                {"a": after, "g": g},
            )
        ]

    def iter_alive_chunks(self, g: int) -> Iterator[tuple[int, str, str | None, Chunk]]:
        """(key, doc_id, date, chunk) of every chunk alive at `g`, for rebuilding the lexical index."""
        for key, doc_id, date, row in self.db.execute(
            "SELECT c.key, d.doc_id, d.date, c.row FROM chunks c JOIN documents d ON c.doc_key = d.doc_key "
            "WHERE d.born <= :g AND (d.dead IS NULL OR d.dead > :g) ORDER BY c.key",
            {"g": g},
        ):
            yield key, doc_id, date, chunk_from_row(row)

    def alive_chunks_of(self, doc_ids: Iterable[str], g: int) -> list[tuple[int, str, str | None, Chunk]]:
        out = []
        for doc_id in doc_ids:
            for key, date, row in self.db.execute(
                "SELECT c.key, d.date, c.row FROM documents d JOIN chunks c ON c.doc_key = d.doc_key "
                "WHERE d.doc_id = :d AND d.born <= :g AND (d.dead IS NULL OR d.dead > :g)",
                {"d": doc_id, "g": g},
            ):
                out.append((key, doc_id, date, chunk_from_row(row)))
        return out

    def changed_doc_ids(self, after: int, g: int) -> list[str]:
        """Documents born or dead after generation `after`: what an index at `after` must redo."""
        return [
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT doc_id FROM documents "
                "WHERE (born > :a AND born <= :g) OR (dead > :a AND dead <= :g)",
                {"a": after, "g": g},
            )
        ]

    # -- places -------------------------------------------------------------------------------

    def places(self, folded: Collection[str]) -> dict[str, str]:
        names = list(dict.fromkeys(folded))
        out: dict[str, str] = {}
        for start in range(0, len(names), 500):
            part = names[start : start + 500]
            marks = ",".join("?" * len(part))
            out.update(self.db.execute(f"SELECT folded, written FROM places WHERE folded IN ({marks})", part))
        return out
