"""The document store: cleaned text and metadata, one JSON file per document, the source of truth.

Every index generation is derived from these files and can be rebuilt from them, so they are written
first and durably: each to a temp file, fsynced, renamed over the old one, and the folder fsynced,
before a change is acknowledged. A crash leaves each file either old or new, never half written.

Layout: INDEX_DIR/documents/<quoted doc_id>.json, and the uploaded file itself, byte for byte, in
INDEX_DIR/documents/originals/<quoted doc_id> (its name is the document's `source`), so a later,
better reader can parse it again (`python -m app reindex`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote, unquote

from app.models import Document, Removed, Span

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
    spans = tuple(
        Span(
            **{**s, "path": tuple(s.get("path") or ()), "doubtful": tuple(map(tuple, s.get("doubtful", ())))}
        )
        for s in row.get("spans") or ()
    )
    removed = tuple(Removed(**r) for r in row.get("removed") or ())
    facets = row.get("facets") or {}
    if "localities" in row:  # stored before facets: the places were the one facet
        facets = {"places": row["localities"]} if row["localities"] else {}
        row = {k: v for k, v in row.items() if k != "localities"}
    facets = {k: tuple(v) for k, v in facets.items()}
    return Document(**{**row, "facets": facets, "spans": spans, "removed": removed})


def stored_document(doc: Document) -> dict:
    """A document as stored (JSON-ready): a span without doubtful OCR words does not carry the
    empty field, so documents that never saw OCR are stored as before it existed."""
    row = dataclasses.asdict(doc)
    for span in row["spans"]:
        if not span["doubtful"]:
            del span["doubtful"]
    return row


def _write_durably(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".tmp-{path.name}")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


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

    @property
    def _originals(self) -> Path:
        return self.root / "originals"

    def original(self, doc_id: str) -> bytes | None:
        """The file the document was read from, as uploaded; None for text given as JSON."""
        try:
            return (self._originals / _filename(doc_id)[: -len(_SUFFIX)]).read_bytes()
        except FileNotFoundError:
            return None

    def has_original(self, doc_id: str) -> bool:
        return (self._originals / _filename(doc_id)[: -len(_SUFFIX)]).exists()

    def put(self, documents: Iterable[Document], originals: Mapping[str, bytes] | None = None) -> None:
        """Write each document (and its original file, if given) durably: temp file, fsync, rename,
        then fsync the folders once. A document given without an original loses any older one,
        which no longer matches it."""
        self.root.mkdir(parents=True, exist_ok=True)
        originals = originals or {}
        wrote = False
        for doc in documents:
            name = _filename(doc.doc_id)
            original = self._originals / name[: -len(_SUFFIX)]
            if doc.doc_id in originals:
                self._originals.mkdir(exist_ok=True)
                _write_durably(original, originals[doc.doc_id])
            else:
                original.unlink(missing_ok=True)
            _write_durably(self.root / name, json.dumps(stored_document(doc), ensure_ascii=False).encode())
            wrote = True
        if wrote:
            if self._originals.is_dir():
                fsync_dir(self._originals)
            fsync_dir(self.root)

    def remove(self, doc_ids: Iterable[str]) -> list[str]:
        """Delete the given documents; returns the ids that were there."""
        removed = []
        for doc_id in doc_ids:
            try:
                (self.root / _filename(doc_id)).unlink()
            except FileNotFoundError:
                continue
            (self._originals / _filename(doc_id)[: -len(_SUFFIX)]).unlink(missing_ok=True)
            removed.append(doc_id)
        if removed:
            fsync_dir(self.root)
        return removed

    def clean_leftovers(self) -> None:
        """Temp files a crash left behind before their rename: never acknowledged, safe to drop."""
        for folder in (self.root, self._originals):
            if folder.is_dir():
                for tmp in folder.glob(".tmp-*"):
                    tmp.unlink(missing_ok=True)
