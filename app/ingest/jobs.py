"""Uploaded files waiting to be read, and where each one is: the upload queue's durable record.

An upload is acknowledged once its files are in this SQLite file (WAL, fsynced), not once they are
read: parsing a 50-page scan takes a minute, and the person uploading should learn at once that the
file arrived and where to watch it. Each file is one row, `queued` -> `parsing` -> `ocr` -> `written`,
or `failed` with the reason in words. The bytes stay in the row until the file is written to the
index (or fails), so a server killed mid-way finds its queue here on restart and reads the files
again: nothing queued is dropped without being named.

The readers run in other processes (see `app.ingest.queue`): each opens this file itself to say
when a file moves to OCR and how many pages are done, so the state is one table, not messages.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

# "embedding": read, and being written to the index (its vectors computed now, or left to the
# server's background embedding once written). "written": in the index; the index says the rest.
State = Literal["queued", "parsing", "ocr", "embedding", "written", "failed"]
IN_PROGRESS: tuple[State, ...] = ("queued", "parsing", "ocr", "embedding")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    job TEXT NOT NULL,
    position INTEGER NOT NULL,
    doc_id TEXT NOT NULL,
    name TEXT NOT NULL,
    data BLOB,
    state TEXT NOT NULL,
    reason TEXT,
    code INTEGER,
    pages_done INTEGER,
    pages INTEGER,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS files_doc ON files(doc_id, id);
CREATE INDEX IF NOT EXISTS files_job ON files(job, position);
CREATE INDEX IF NOT EXISTS files_open ON files(state)
    WHERE state IN ('queued', 'parsing', 'ocr', 'embedding');
"""

FAILED_KEPT_S = 30 * 24 * 3600  # a failure is shown this long, unless a later upload replaces it


@dataclass(frozen=True)
class FileState:
    """One uploaded file's place in the queue (its bytes are not loaded)."""

    id: int
    job: str
    doc_id: str
    name: str
    state: State
    reason: str | None
    code: int | None  # the HTTP status a synchronous upload of it would have got (415, 422)
    pages_done: int | None
    pages: int | None
    created: float
    updated: float


_COLUMNS = "id, job, doc_id, name, state, reason, code, pages_done, pages, created, updated"


def _row(r: tuple) -> FileState:
    return FileState(*r)


class UploadJobs:
    """The queue's table. Safe from any thread and any process (one connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._db() as db:
            db.executescript(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a 202 promises the file survives a crash
            self._local.db = db
        return db

    def enqueue(self, files: list[tuple[str, str, bytes]]) -> tuple[str, list[FileState]]:
        """Queue (doc_id, file name, bytes) as one job; durable when this returns."""
        job = uuid.uuid4().hex[:16]
        now = time.time()
        db = self._db()
        with db:
            db.execute("BEGIN IMMEDIATE")
            for position, (doc_id, name, data) in enumerate(files):
                db.execute(
                    "INSERT INTO files (job, position, doc_id, name, data, state, created, updated) "
                    "VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
                    (job, position, doc_id, name, data, now, now),
                )
        return job, self.job(job)

    def job(self, job: str) -> list[FileState]:
        rows = (
            self._db()
            .execute(f"SELECT {_COLUMNS} FROM files WHERE job = ? ORDER BY position", (job,))
            .fetchall()
        )
        return [_row(r) for r in rows]

    def latest(self, doc_id: str) -> FileState | None:
        """The newest upload of this doc_id, whatever became of it."""
        r = (
            self._db()
            .execute(f"SELECT {_COLUMNS} FROM files WHERE doc_id = ? ORDER BY id DESC LIMIT 1", (doc_id,))
            .fetchone()
        )
        return _row(r) if r else None

    def data(self, file_id: int) -> bytes | None:
        r = self._db().execute("SELECT data FROM files WHERE id = ?", (file_id,)).fetchone()
        return r[0] if r else None

    def open_jobs(self) -> list[str]:
        """Jobs with files not yet read, oldest first: what a restarted server picks up again."""
        rows = (
            self._db()
            .execute(
                "SELECT job, MIN(id) FROM files WHERE state IN ('queued', 'parsing', 'ocr', 'embedding') "
                "GROUP BY job ORDER BY MIN(id)"
            )
            .fetchall()
        )
        return [r[0] for r in rows]

    def set_state(
        self,
        file_id: int,
        state: State,
        reason: str | None = None,
        code: int | None = None,
        *,
        pages_done: int | None = None,
        pages: int | None = None,
    ) -> None:
        """Move a file on; once written or failed its bytes are dropped (the index keeps the original)."""
        drop = ", data = NULL" if state in ("written", "failed") else ""
        self._db().execute(
            "UPDATE files SET state = ?, reason = ?, code = ?, pages_done = COALESCE(?, pages_done), "
            f"pages = COALESCE(?, pages), updated = ?{drop} WHERE id = ?",
            (state, reason, code, pages_done, pages, time.time(), file_id),
        )

    def progress(self, file_id: int, pages_done: int, pages: int | None) -> None:
        self._db().execute(
            "UPDATE files SET state = 'ocr', pages_done = ?, pages = ?, updated = ? WHERE id = ?",
            (pages_done, pages, time.time(), file_id),
        )

    def forget(self, doc_id: str) -> None:
        """A deleted document's past uploads say nothing about it any more."""
        self._db().execute("DELETE FROM files WHERE doc_id = ? AND state IN ('written', 'failed')", (doc_id,))

    def prune(self, now: float | None = None) -> None:
        """Rows of written files older than the newest of their doc_id, and old failures, go."""
        now = time.time() if now is None else now
        db = self._db()
        with db:
            db.execute(
                "DELETE FROM files WHERE state = 'written' AND id < "
                "(SELECT MAX(id) FROM files f WHERE f.doc_id = files.doc_id)"
            )
            db.execute("DELETE FROM files WHERE state = 'failed' AND updated < ?", (now - FAILED_KEPT_S,))

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
