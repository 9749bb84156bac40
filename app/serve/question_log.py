"""The question log: what was asked in each collection, whether it was answered, how, how fast, and
what the asker thought of it (thumbs up / down), so staff see which documents are missing.

Kept in one SQLite file (`QUESTION_LOG_DB`), never with an address or a key: a row is the question,
its collection, the outcome and the feedback. Rows older than `QUESTION_LOG_DAYS` are dropped; with
`QUESTION_LOG=false` nothing is written (answers still carry an id, and feedback on it is a 404).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from anyio import to_thread

from app.text import canonical

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions(
    answer_id TEXT PRIMARY KEY, collection TEXT NOT NULL, question TEXT NOT NULL, normalized TEXT NOT NULL,
    answered INTEGER NOT NULL, mode TEXT NOT NULL, latency_ms REAL NOT NULL, at REAL NOT NULL,
    rating INTEGER, comment TEXT
);
CREATE INDEX IF NOT EXISTS questions_by_collection ON questions(collection, at);
CREATE INDEX IF NOT EXISTS questions_unanswered ON questions(collection, answered, normalized, at);
"""
_PUNCT = re.compile(r"[^\w\s]+")
_PRUNE_EVERY = 200  # inserts between two sweeps of old rows


def normalize(question: str) -> str:
    """One spelling per question for grouping: canonical tone marks, lower case, no punctuation."""
    return " ".join(_PUNCT.sub(" ", canonical(question).lower()).split())


def new_answer_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Asked:
    answer_id: str
    collection: str
    question: str
    answered: bool
    mode: str
    latency_ms: float


class QuestionLog:
    def __init__(self, path: Path, keep_days: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.keep_s = keep_days * 86400
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._inserts = 0
        self.prune()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def record(self, a: Asked) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO questions VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                (a.answer_id, a.collection, a.question[:2000], normalize(a.question)[:2000], int(a.answered),
                 a.mode, round(a.latency_ms, 1), time.time()),
            )  # fmt: skip
            self._inserts += 1
        if self._inserts % _PRUNE_EVERY == 0:
            self.prune()

    def prune(self) -> int:
        with self._lock:
            return self._db.execute(
                "DELETE FROM questions WHERE at < ?", (time.time() - self.keep_s,)
            ).rowcount

    def collection_of(self, answer_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT collection FROM questions WHERE answer_id = ?", (answer_id,)
            ).fetchone()
        return row[0] if row else None

    def feedback(self, answer_id: str, rating: int, comment: str | None) -> bool:
        with self._lock:
            cur = self._db.execute(
                "UPDATE questions SET rating = ?, comment = ? WHERE answer_id = ?",
                (rating, comment, answer_id),
            )
        return cur.rowcount == 1

    def page(
        self, collection: str, abstained: bool | None, offset: int, limit: int
    ) -> tuple[int, list[dict[str, object]]]:
        where, args = "collection = ?", [collection]
        if abstained is not None:
            where += " AND answered = ?"
            args.append(0 if abstained else 1)
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM questions WHERE {where}", args).fetchone()[0]
            rows = self._db.execute(
                "SELECT answer_id, question, answered, mode, latency_ms, at, rating, comment FROM questions "
                f"WHERE {where} ORDER BY at DESC LIMIT ? OFFSET ?",
                [*args, limit, offset],
            ).fetchall()
        names = ("answer_id", "question", "answered", "mode", "latency_ms", "at", "rating", "comment")
        out = [dict(zip(names, r, strict=True)) for r in rows]
        for row in out:
            row["answered"] = bool(row["answered"])
        return total, out

    def gaps(self, collection: str, limit: int) -> list[dict[str, object]]:
        """Abstained questions grouped by their normalised text, most asked first: what to add."""
        with self._lock:
            # SQLite gives a bare column the value of the row MAX() picked: the newest wording.
            rows = self._db.execute(
                "SELECT normalized, COUNT(*), MAX(at), question FROM questions "
                "WHERE collection = ? AND answered = 0 "
                "GROUP BY normalized ORDER BY COUNT(*) DESC, MAX(at) DESC LIMIT ?",
                (collection, limit),
            ).fetchall()
        return [{"question": q, "normalized": n, "count": c, "last_at": t} for n, c, t, q in rows]


async def remember(
    log: QuestionLog | None, collection: str, question: str, abstained: bool, mode: str, latency_ms: float
) -> str:
    """The answer's id, and its row in the log (off the event loop) when the log is on."""
    answer_id = new_answer_id()
    if log is not None:
        row = Asked(answer_id, collection, question, not abstained, mode, latency_ms)
        await to_thread.run_sync(log.record, row)
    return answer_id
