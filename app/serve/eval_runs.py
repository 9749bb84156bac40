"""Evals a collection's staff run from the console: a JSONL of questions with the figures or words the
answer must hold (none: the service must say the documents do not tell), asked through the same
pipeline as any user, scored, and kept so the scores can be followed from run to run.

A small scorer of its own, not the project's evaluation package (which `app/` never imports): an
expected item that reads as a figure must match a figure of the answer by value and unit
("348,5 tỷ đồng" = "348.500.000.000 đồng"); any other item must appear in the answer, tone marks and
case aside.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from app.text import canonical
from app.text.numbers import extract_quantities, quantities_match

MAX_QUESTIONS = 200


class EvalFileError(ValueError):
    """A JSONL the console cannot run: the message names the line and what to fix."""


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    expected: tuple[str, ...]  # empty: the answer must be an abstention


def parse_jsonl(data: bytes) -> list[EvalQuestion]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EvalFileError("the file is not UTF-8 text: save it as UTF-8") from None
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"line {n}: not JSON ({exc.msg})") from None
        if (
            not isinstance(row, dict)
            or not isinstance(row.get("question"), str)
            or not row["question"].strip()
        ):
            raise EvalFileError(f'line {n}: write it as {{"question": "...", "expected": ["348,5 tỷ đồng"]}}')
        expected = row.get("expected", [])
        if isinstance(expected, str):
            expected = [expected]
        if not isinstance(expected, list) or not all(isinstance(e, str) for e in expected):
            raise EvalFileError(f"line {n}: 'expected' is a list of figures or words (empty: no answer)")
        out.append(
            EvalQuestion(row["question"].strip()[:1000], tuple(e.strip() for e in expected if e.strip()))
        )
    if not out:
        raise EvalFileError("no questions in the file: one JSON object a line")
    if len(out) > MAX_QUESTIONS:
        raise EvalFileError(f"{len(out)} questions: at most {MAX_QUESTIONS} a run")
    return out


def holds(answer: str, item: str) -> bool:
    """Whether an answer states an expected figure (by value and unit) or words (tone marks aside)."""
    wanted = extract_quantities(item)
    if len(wanted) == 1 and wanted[0].text.strip() == item.strip():
        return any(quantities_match(wanted[0], got) for got in extract_quantities(answer))
    return canonical(item).lower() in canonical(answer).lower()


def right(q: EvalQuestion, answer: str, abstained: bool) -> bool:
    if not q.expected:
        return abstained
    return not abstained and all(holds(answer, item) for item in q.expected)


class EvalRuns:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY AUTOINCREMENT, collection TEXT NOT NULL, "
            "at REAL NOT NULL, name TEXT NOT NULL, questions INTEGER NOT NULL, right INTEGER NOT NULL, "
            "results TEXT NOT NULL)"
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, collection: str, name: str, results: list[dict[str, object]]) -> int:
        good = sum(1 for r in results if r["right"])
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO runs(collection, at, name, questions, right, results) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    collection,
                    time.time(),
                    name[:200],
                    len(results),
                    good,
                    json.dumps(results, ensure_ascii=False),
                ),
            )
        return int(cur.lastrowid or 0)

    def runs(self, collection: str, limit: int = 50) -> list[dict[str, object]]:
        """Newest last, for a chart that reads left to right."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, at, name, questions, right FROM runs WHERE collection = ? "
                "ORDER BY id DESC LIMIT ?",
                (collection, limit),
            ).fetchall()
        names = ("id", "at", "name", "questions", "right")
        out = [dict(zip(names, r, strict=True)) for r in reversed(rows)]
        for r in out:
            r["score"] = r["right"] / r["questions"] if r["questions"] else 0.0  # type: ignore[operator]
        return out

    def results(self, collection: str, run_id: int) -> list[dict[str, object]] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT results FROM runs WHERE collection = ? AND id = ?", (collection, run_id)
            ).fetchone()
        return json.loads(row[0]) if row else None
