"""A document version as the shared index's rows: its JSON and original file in pieces (parts), its
chunks with their vectors, and its head (the commit point), each stamped with the version, a hash of
the content, so every replica makes the same rows of the same document. No Milvus call here:
`SharedIndex.write_versions` writes what `version_rows` makes."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from app.index.documents import stored_document
from app.index.milvus import MilvusRecord
from app.index.places import place_names
from app.index.shared_terms import DUMMY_VECTOR
from app.models import Chunk, Document

PART_CHARS = 16_000  # a VARCHAR holds 65,535 bytes; Vietnamese takes up to 3 bytes a character


def now_ms() -> int:
    return int(time.time() * 1000)


def document_row(doc: Document) -> str:
    return json.dumps(stored_document(doc), ensure_ascii=False, sort_keys=True)


def version_of(row: str) -> str:
    """The same content gives the same version on every replica."""
    return hashlib.blake2b(row.encode("utf-8"), digest_size=12).hexdigest()


def chunk_key(doc_id: str, version: str, position: int) -> int:
    """A chunk's int64 key from what it is, so replicas need no shared counter (2^-63 collisions)."""
    digest = hashlib.blake2b(f"{doc_id}@{version}#{position}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF


def part_id(doc_id: str, version: str, kind: str, i: int) -> str:
    """A part's primary key: a reader that knows the version and its piece count looks them up."""
    return f"{doc_id}@{version}:{kind}{i}"


def _pieces(text: str, size: int = PART_CHARS) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


@dataclass
class Version:
    """One document version to write, chunked and embedded."""

    doc: Document
    chunks: list[Chunk]
    vectors: np.ndarray
    original: bytes | None = None


@dataclass
class VersionRows:
    parts: list[dict] = field(default_factory=list)  # the document's JSON and original, in pieces
    records: list[MilvusRecord] = field(default_factory=list)  # its chunks, with their vectors
    heads: list[dict] = field(default_factory=list)  # one per document: written last, the commit point


def version_rows(versions: Sequence[Version], written_at: int) -> VersionRows:
    """Every row of these versions, stamped `written_at` (unix ms, for `sweep`)."""
    parts: list[dict] = []
    records: list[MilvusRecord] = []
    heads: list[dict] = []
    for v in versions:
        doc = v.doc
        row = document_row(doc)
        version = version_of(row)
        texts = _pieces(row)
        pieces = [("doc", i, t) for i, t in enumerate(texts)]
        kept = None
        if v.original is not None:
            encoded = _pieces(base64.b64encode(v.original).decode("ascii"), 48_000)
            pieces += [("file", i, t) for i, t in enumerate(encoded)]
            kept = {"parts": len(encoded)}
        parts += [
            {
                "pid": part_id(doc.doc_id, version, kind, i),
                "doc_id": doc.doc_id,
                "version": version,
                "kind": kind,
                "i": i,
                "data": data,
                "written_at": written_at,
                "_v": DUMMY_VECTOR,
            }
            for kind, i, data in pieces
        ]
        records += [
            MilvusRecord(
                chunk_key(doc.doc_id, version, i),
                doc.doc_id,
                version,
                doc.date,
                f"{c.header}\n{c.text}",
                v.vectors[i],
                payload=json.dumps(dataclasses.asdict(c), ensure_ascii=False),
                written_at=written_at,
            )
            for i, c in enumerate(v.chunks)
        ]
        places = place_names(doc)
        meta = {
            "title": doc.title,
            "date": doc.date,
            "facets": {k: list(v) for k, v in doc.facets.items()},
            "source": doc.source,
            "format": doc.format,
            "chunks": len(v.chunks),
            "parts": len(texts),
            "original": kept,
            "places": places,
        }
        heads.append(
            {
                "doc_id": doc.doc_id,
                "version": version,
                "content_hash": doc.content_hash,
                "meta": meta,
                "places": list(places)[:4096],
                "written_at": written_at,
                "_v": DUMMY_VECTOR,
            }
        )
    return VersionRows(parts, records, heads)
