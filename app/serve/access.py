"""Who may read and write which collection: the collections, the keys scoped to them, and the audit
log of every write and key action, in one SQLite file (`ACCESS_DB`).

Keys are random tokens with a visible prefix ("kq_3f9a1c2e_…"), shown once when made and stored only
as their SHA-256 (a 190-bit random token needs no slow hash: nobody can guess one to test against
it). Every request reads its key's row afresh (one indexed lookup), so a revocation holds from the
next request on, in every process that opens the same file. Nothing here logs a key.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.index.collection import DEFAULT

__all__ = ["DEFAULT", "AccessError", "AccessStore", "CollectionInfo", "KeyRecord", "check_name", "digest"]

Role = Literal["ask", "manage"]
# Lower-case ASCII letters, digits and inner hyphens: safe in a URL path, a folder name and a Milvus
# collection name suffix, and one spelling per name (no case or Unicode look-alikes).
NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
NAME_RULE = "1-64 lower-case ASCII letters, digits and inner hyphens, e.g. 'noi-bo'"
_PREFIX = "kq_"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS collections(
    name TEXT PRIMARY KEY, public INTEGER NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS keys(
    id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, collections TEXT NOT NULL,
    created_at REAL NOT NULL, revoked_at REAL, rate_limit TEXT, origins TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS secrets(name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions(
    hash TEXT PRIMARY KEY, key_id TEXT NOT NULL, csrf TEXT NOT NULL, expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS audit(
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, key_id TEXT NOT NULL, action TEXT NOT NULL,
    collection TEXT, document TEXT, result TEXT NOT NULL
);
"""


class AccessError(ValueError):
    """A request the store refuses: the message says what to change."""


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    public: bool
    created_at: float


@dataclass(frozen=True)
class KeyRecord:
    id: str
    role: Role
    collections: tuple[str, ...]
    created_at: float
    revoked_at: float | None
    rate_limit: str | None  # e.g. "120/minute"; None: RATE_LIMIT_PER_KEY
    origins: tuple[str, ...]  # pages that may send it (a widget's key); empty: any

    @property
    def prefix(self) -> str:
        """What may be shown of a key: enough to tell keys apart, nothing to use."""
        return f"{_PREFIX}{self.id}_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        shown = name if len(name) <= 40 else name[:40] + "…"
        raise AccessError(f"collection name {shown!r} is not allowed: use {NAME_RULE}")
    return name


class AccessStore:
    def __init__(self, path: Path, default_public: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # an audit line or a revocation survives a crash
        self._db.executescript(_SCHEMA)
        self._db.execute(
            "INSERT OR IGNORE INTO collections(name, public, created_at) VALUES (?, ?, ?)",
            (DEFAULT, int(default_public), time.time()),
        )

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, args: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- collections ------------------------------------------------------------------------------

    def collections(self) -> list[CollectionInfo]:
        rows = self._read("SELECT name, public, created_at FROM collections ORDER BY name")
        return [CollectionInfo(n, bool(p), t) for n, p, t in rows]

    def collection(self, name: str) -> CollectionInfo | None:
        rows = self._read("SELECT name, public, created_at FROM collections WHERE name = ?", (name,))
        return CollectionInfo(rows[0][0], bool(rows[0][1]), rows[0][2]) if rows else None

    def create_collection(self, name: str, public: bool) -> CollectionInfo:
        check_name(name)
        with self._tx() as db:
            if db.execute("SELECT 1 FROM collections WHERE name = ?", (name,)).fetchone():
                raise AccessError(f"collection {name!r} exists already")
            now = time.time()
            db.execute("INSERT INTO collections VALUES (?, ?, ?)", (name, int(public), now))
        return CollectionInfo(name, public, now)

    def delete_collection(self, name: str) -> list[str]:
        """Forget the collection; its keys lose it, and a key left with none is revoked. Returns
        the ids of the keys revoked."""
        revoked = []
        with self._tx() as db:
            db.execute("DELETE FROM collections WHERE name = ?", (name,))
            now = time.time()
            for key_id, held in db.execute(
                "SELECT id, collections FROM keys WHERE revoked_at IS NULL"
            ).fetchall():
                names = json.loads(held)
                if name not in names:
                    continue
                left = [n for n in names if n != name]
                db.execute("UPDATE keys SET collections = ? WHERE id = ?", (json.dumps(left), key_id))
                if not left:
                    db.execute("UPDATE keys SET revoked_at = ? WHERE id = ?", (now, key_id))
                    revoked.append(key_id)
        return revoked

    # -- keys -------------------------------------------------------------------------------------

    def create_key(
        self,
        role: Role,
        collections: Sequence[str],
        rate_limit: str | None = None,
        origins: Sequence[str] = (),
    ) -> tuple[KeyRecord, str]:
        """A new key and its token (the only time the token exists outside the caller's hands)."""
        names = tuple(dict.fromkeys(collections))
        if not names:
            raise AccessError("a key covers at least one collection")
        missing = [n for n in names if self.collection(n) is None]
        if missing:
            raise AccessError(f"no collection {', '.join(map(repr, missing))}")
        key_id = secrets.token_hex(4)
        token = f"{_PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
        record = KeyRecord(key_id, role, names, time.time(), None, rate_limit, tuple(origins))
        with self._tx() as db:
            db.execute(
                "INSERT INTO keys VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
                (key_id, digest(token), role, json.dumps(names), record.created_at, rate_limit,
                 json.dumps(record.origins)),
            )  # fmt: skip
        return record, token

    _KEY_COLUMNS = "id, role, collections, created_at, revoked_at, rate_limit, origins"

    @staticmethod
    def _key(row: tuple) -> KeyRecord:
        key_id, role, names, created, revoked, rate, origins = row
        return KeyRecord(
            key_id, role, tuple(json.loads(names)), created, revoked, rate, tuple(json.loads(origins))
        )

    def key_for(self, token: str) -> KeyRecord | None:
        """The key a token is (revoked ones too, so the caller can say so), or None."""
        if not token.startswith(_PREFIX):
            return None
        rows = self._read(f"SELECT {self._KEY_COLUMNS} FROM keys WHERE hash = ?", (digest(token),))
        return self._key(rows[0]) if rows else None

    def key(self, key_id: str) -> KeyRecord | None:
        rows = self._read(f"SELECT {self._KEY_COLUMNS} FROM keys WHERE id = ?", (key_id,))
        return self._key(rows[0]) if rows else None

    def keys(self, collection: str | None = None) -> list[KeyRecord]:
        rows = self._read(f"SELECT {self._KEY_COLUMNS} FROM keys ORDER BY created_at")
        found = [self._key(r) for r in rows]
        return [k for k in found if collection is None or collection in k.collections]

    def revoke(self, key_id: str) -> KeyRecord | None:
        with self._tx() as db:
            db.execute(
                "UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (time.time(), key_id)
            )
        return self.key(key_id)

    def secret(self, name: str) -> bytes:
        """A random secret made once and shared by every process that opens this file (the key that
        signs source links, so a link one replica gave opens on another)."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO secrets VALUES (?, ?)", (name, secrets.token_hex(32)))
            value = db.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()[0]
        return bytes.fromhex(value)

    # -- console sessions -------------------------------------------------------------------------

    def open_session(self, key_id: str, ttl_s: float) -> tuple[str, str]:
        """A console session for a key ("root" for the root key): (cookie token, CSRF token). Only
        the token's hash is stored, as for keys."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)", (digest(token), key_id, csrf, time.time() + ttl_s)
            )
        return token, csrf

    def session(self, token: str) -> tuple[str, str] | None:
        """(key id, CSRF token) of a live session, or None."""
        rows = self._read(
            "SELECT key_id, csrf FROM sessions WHERE hash = ? AND expires > ?", (digest(token), time.time())
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def close_session(self, token: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE hash = ?", (digest(token),))

    # -- audit ------------------------------------------------------------------------------------

    def audit(
        self, key_id: str, action: str, collection: str | None, document: str | None, result: str
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO audit(at, key_id, action, collection, document, result) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (time.time(), key_id, action, collection, document, result[:500]),
            )

    def audit_page(self, before: int | None, limit: int) -> list[dict[str, object]]:
        """Newest first; `before` is the last id of the previous page."""
        rows = self._read(
            "SELECT id, at, key_id, action, collection, document, result FROM audit "
            "WHERE id < ? ORDER BY id DESC LIMIT ?",
            (before if before is not None else 2**62, limit),
        )
        names = ("id", "at", "key_id", "action", "collection", "document", "result")
        return [dict(zip(names, r, strict=True)) for r in rows]
