"""The document store: cleaned text and metadata, one JSON file per document, the source of truth.

Every index generation is derived from these files and can be rebuilt from them, so they are written
first and durably: each to a temp file, fsynced, renamed over the old one, and the folder fsynced,
before a change is acknowledged. A crash leaves each file either old or new, never half written.

Layout: INDEX_DIR/documents/<quoted doc_id>.json
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, unquote

from app.models import Document

_SUFFIX = ".json"


class DocumentStoreError(RuntimeError):
    """A stored document cannot be read: the message names the file and what to do."""


def fsync_dir(path: Path) -> None:
    """A rename is durable only once its folder is fsynced."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _filename(doc_id: str) -> str:
    # Quoting keeps any id (slashes, "..", non-ASCII) a single, safe file name that maps back.
    name = quote(doc_id, safe="")
    return ("%2E" + name[1:] if name.startswith(".") else name) + _SUFFIX


def document_from_row(row: dict) -> Document:
    return Document(**{**row, "localities": tuple(row["localities"])})


class DocumentStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def exists(self) -> bool:
        return self.root.is_dir()

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(unquote(p.name[: -len(_SUFFIX)]) for p in self.root.glob(f"*{_SUFFIX}"))

    def get(self, doc_id: str) -> Document | None:
        path = self.root / _filename(doc_id)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            doc = document_from_row(json.loads(raw))
        except (ValueError, KeyError, TypeError) as exc:
            raise DocumentStoreError(
                f"{path} is not a readable stored document ({exc}); restore it from a backup or "
                f"delete it and upload the document again"
            ) from exc
        if doc.doc_id != doc_id:
            raise DocumentStoreError(f"{path} holds document {doc.doc_id!r}, not {doc_id!r}")
        return doc

    def all(self) -> dict[str, Document]:
        docs = {}
        for doc_id in self.ids():
            doc = self.get(doc_id)
            if doc is not None:
                docs[doc_id] = doc
        return docs

    def put(self, documents: Iterable[Document]) -> None:
        """Write each document durably (temp file, fsync, rename), then fsync the folder once."""
        self.root.mkdir(parents=True, exist_ok=True)
        wrote = False
        for doc in documents:
            final = self.root / _filename(doc.doc_id)
            tmp = self.root / f".tmp-{final.name}"
            with tmp.open("w", encoding="utf-8") as f:
                json.dump(dataclasses.asdict(doc), f, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
            wrote = True
        if wrote:
            fsync_dir(self.root)

    def remove(self, doc_ids: Iterable[str]) -> list[str]:
        """Delete the given documents; returns the ids that were there."""
        removed = []
        for doc_id in doc_ids:
            try:
                (self.root / _filename(doc_id)).unlink()
            except FileNotFoundError:
                continue
            removed.append(doc_id)
        if removed:
            fsync_dir(self.root)
        return removed

    def clean_leftovers(self) -> None:
        """Temp files a crash left behind before their rename: never acknowledged, safe to drop."""
        if self.root.is_dir():
            for tmp in self.root.glob(".tmp-*"):
                tmp.unlink(missing_ok=True)
