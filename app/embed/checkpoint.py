"""Vectors embedded but not yet written to an index, saved batch by batch: an ingest killed at
passage 90,000 starts again with those 90,000 and embeds only what is missing.

Keyed by the text's hash (what the index keys vectors by), for one embedder: a checkpoint made by
another is emptied, never mixed in. A write that published vectors discards them here.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vectors(hash TEXT PRIMARY KEY, vector BLOB NOT NULL);
"""


def text_key(text: str) -> str:
    """A passage's key wherever vectors are kept by text (an index, a checkpoint, a migration)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbedCheckpoint:
    def __init__(self, path: Path, embedder: str) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # one connection, used by the batches' threads in turn
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # a power cut may lose the last batches, never corrupt
        self._db.executescript(_SCHEMA)
        made = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        # The dimension is learnt from the first batch saved (a remote embedder knows it no sooner).
        self.dim = int(made["dim"]) if made.get("embedder") == embedder and "dim" in made else None
        if made.get("embedder") != embedder:
            self._reset(embedder, None)

    def _reset(self, embedder: str | None, dim: int | None) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM vectors")
            if embedder is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('embedder', ?)", (embedder,)
                )
            self._db.execute("DELETE FROM meta WHERE key = 'dim'")
            if dim is not None:
                self._db.execute("INSERT INTO meta(key, value) VALUES ('dim', ?)", (str(dim),))
            self._db.execute("COMMIT")
        self.dim = dim

    def get(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = list(dict.fromkeys(hashes))
        out: dict[str, np.ndarray] = {}
        if self.dim is None:
            return out
        with self._lock:
            for i in range(0, len(wanted), 900):  # SQLite's bound-parameter limit
                part = wanted[i : i + 900]
                marks = ",".join("?" * len(part))
                for h, blob in self._db.execute(
                    f"SELECT hash, vector FROM vectors WHERE hash IN ({marks})", part
                ):
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if len(vector) == self.dim:
                        out[h] = vector
        return out

    def put(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        if not len(hashes):
            return
        if self.dim != vectors.shape[1]:  # the first batch, or the model behind the name changed
            self._reset(None, int(vectors.shape[1]))
        rows = [
            (h, np.ascontiguousarray(v, dtype=np.float32).tobytes())
            for h, v in zip(hashes, vectors, strict=True)
        ]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO vectors(hash, vector) VALUES (?, ?)", rows)
            self._db.execute("COMMIT")

    def discard(self, hashes: Iterable[str]) -> None:
        keys = [(h,) for h in hashes]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM vectors WHERE hash = ?", keys)
            self._db.execute("COMMIT")

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
