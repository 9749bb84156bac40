"""The index every API replica shares, in Milvus (`VECTOR_STORE=milvus`): documents, their stored
text and original files, and chunks. A replica keeps nothing on local disk another one needs.

Three collections, named from `MILVUS_COLLECTION` (prefix P):
    P_documents  one head row per document: its current version, metadata, the places it names
    P_parts      the document's JSON and its original file, in pieces (VARCHAR holds 64 KB)
    P_chunks     `app.index.milvus.MilvusChunks`: text for BM25 (exact, folded) and the vector

Why Milvus for the documents too, not PostgreSQL or object storage: one engine to run, back up and
reach, and its point lookups by primary key (a document's head, its parts) cost 1-3 ms here, which
is what a request pays; there are no cross-collection transactions, which the versions below make
unnecessary.

How several writers stay safe without a lock. A document's version is a hash of its content, so
every replica computes the same one and a re-upload of the same content is a no-op. A write:
  1. reads the head (the version it replaces, if any);
  2. writes the new version's parts, then its chunks (rows carry the version);
  3. upserts the head: the commit point, after which readers see the new version;
  4. deletes the rows of the version it replaced (only that one).
Readers keep a chunk only if its version is its document's current head version, so a document is
never seen with chunks of two versions, nor a chunk without its document, whatever a writer is
doing or wherever it died. Rows of versions that never became current (a writer killed between 2
and 3, or two writers racing: the last head wins) are invisible and removed by `sweep` once older
than a writing time nobody takes (`SWEEP_AFTER_S`).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence

import numpy as np

from app.config import Settings
from app.embed import Embedder, EmbedProgress
from app.index.catalog import chunk_from_row
from app.index.documents import document_from_row
from app.index.milvus import MilvusChunks, MilvusUnavailable
from app.index.milvus_text import SAFE_ID, string_list
from app.index.prepare import chunks_of, embedded, passage_key
from app.index.report import IngestReport
from app.index.shared_rows import Version, document_row, now_ms, part_id, version_of, version_rows
from app.index.shared_terms import DUMMY_VECTOR, TermCounts, term_counts
from app.index.shared_view import SharedView, Stable
from app.models import Chunk, Document

log = logging.getLogger("app.index.shared")

SWEEP_AFTER_S = 3600.0  # rows of a version that never became current, older than this, are removed


class SharedIndex:
    """The three collections, for writes and for views. Threads may share it."""

    def __init__(self, settings: Settings, embedder: str, dim: int) -> None:
        self.settings = settings
        self.embedder = embedder
        self.dim = dim
        self.prefix = settings.MILVUS_COLLECTION
        # One connection, one way to call it: the chunk collection's client, timeouts and errors.
        self.chunks = MilvusChunks(
            settings.MILVUS_URI,
            f"{self.prefix}_chunks",
            embedder,
            dim,
            token=settings.MILVUS_TOKEN,
            timeout_s=settings.MILVUS_TIMEOUT_S,
            write_timeout_s=settings.MILVUS_WRITE_TIMEOUT_S,
        )
        self.client = self.chunks.client
        self._call = self.chunks.call
        self._errors = self.chunks.errors
        self.timeout_s, self.write_timeout_s = self.chunks.timeout_s, self.chunks.write_timeout_s
        self.df = TermCounts(self.chunks, self.terms)
        self.stable = Stable()  # rows and documents every view of this process shares
        self.lexical_ready = threading.Event()  # cleared while BM25 warms after an outage
        self.lexical_ready.set()
        try:
            self._ensure()
        except self._errors as exc:
            raise MilvusUnavailable(f"Milvus at {settings.MILVUS_URI} did not answer ({exc})") from exc

    @property
    def heads(self) -> str:
        return f"{self.prefix}_documents"

    @property
    def parts(self) -> str:
        return f"{self.prefix}_parts"

    @property
    def meta(self) -> str:
        return f"{self.prefix}_meta"

    @property
    def terms(self) -> str:
        return f"{self.prefix}_terms"

    def _ensure(self) -> None:
        from pymilvus import DataType

        for name in (self.heads, self.parts, self.meta, self.terms):
            if not self.client.has_collection(name, timeout=self.timeout_s):
                schema = self.client.create_schema(auto_id=False)
                if name == self.terms:
                    schema.add_field("code", DataType.VARCHAR, max_length=32, is_primary=True)
                    schema.add_field("df", DataType.INT64)
                elif name == self.meta:
                    schema.add_field("name", DataType.VARCHAR, max_length=64, is_primary=True)
                    schema.add_field("value", DataType.VARCHAR, max_length=256)
                elif name == self.heads:
                    schema.add_field("doc_id", DataType.VARCHAR, max_length=512, is_primary=True)
                    schema.add_field("version", DataType.VARCHAR, max_length=64)
                    schema.add_field("content_hash", DataType.VARCHAR, max_length=256)
                    schema.add_field("meta", DataType.JSON)
                    schema.add_field(
                        "places",
                        DataType.ARRAY,
                        element_type=DataType.VARCHAR,
                        max_capacity=4096,
                        max_length=256,
                    )
                else:
                    schema.add_field("pid", DataType.VARCHAR, max_length=700, is_primary=True)
                    schema.add_field("doc_id", DataType.VARCHAR, max_length=512)
                    schema.add_field("version", DataType.VARCHAR, max_length=64)
                    schema.add_field("kind", DataType.VARCHAR, max_length=8)
                    schema.add_field("i", DataType.INT64)
                    schema.add_field("data", DataType.VARCHAR, max_length=65_535)
                if name not in (self.meta, self.terms):
                    schema.add_field("written_at", DataType.INT64)
                schema.add_field("_v", DataType.FLOAT_VECTOR, dim=2)
                index = self.client.prepare_index_params()
                index.add_index("_v", index_type="FLAT", metric_type="L2")
                if name == self.parts:
                    index.add_index("doc_id", index_type="INVERTED")
                self.client.create_collection(name, schema=schema, index_params=index, timeout=self.timeout_s)
            self.client.load_collection(name, timeout=self.write_timeout_s)

    def flush(self) -> None:
        """Seal every collection's new rows into indexed segments (see `MilvusChunks.flush`)."""
        self.chunks.flush()
        for name in (self.heads, self.parts, self.meta, self.terms):
            self._call(self.client.flush, name)

    def warm(self, dense: bool = True, lexical: bool = True) -> None:
        """First searches and lookups, before a replica serves (see `MilvusChunks.warm`)."""
        try:
            self.chunks.warm(dense, lexical)
            self.client.query(
                self.terms, filter='code in ["-"]', output_fields=["df"], timeout=self.write_timeout_s
            )
        except self._errors as exc:
            raise MilvusUnavailable(f"Milvus did not answer ({type(exc).__name__}: {exc})") from exc

    def load(self) -> None:
        """Load every collection for search (a restarted Milvus holds none loaded)."""
        for name in (self.heads, self.parts, self.meta, self.terms, self.chunks.name):
            self._call(self.client.load_collection, name)

    # -- reads ------------------------------------------------------------------------------------

    def heads_of(self, doc_ids: Collection[str]) -> dict[str, dict]:
        """doc_id -> head row (version, content_hash, meta) of the documents that exist now."""
        ids = [d for d in dict.fromkeys(doc_ids) if SAFE_ID.fullmatch(d)]
        if not ids:
            return {}
        rows = self._call(
            self.client.query,
            self.heads,
            filter=f"doc_id in {string_list(ids)}",
            output_fields=["doc_id", "version", "content_hash", "meta"],
            consistency_level="Strong",
        )
        return {r["doc_id"]: r for r in rows}

    def stamp(self) -> str:
        """What changes with every write, by any replica: a view older than it is replaced."""
        rows = self._call(
            self.client.query,
            self.meta,
            filter='name in ["stamp"]',
            output_fields=["value"],
            consistency_level="Strong",
        )
        return str(rows[0]["value"]) if rows else ""

    def touch(self) -> None:
        row = {"name": "stamp", "value": uuid.uuid4().hex, "_v": DUMMY_VECTOR}
        self._call(self.client.upsert, self.meta, [row])

    def document(self, doc_id: str, version: str, pieces: int) -> Document | None:
        """A document version's JSON, joined from its parts (None if they are gone: a newer version
        replaced it meanwhile)."""
        # By primary key (`shared_rows` names the parts): a point lookup, where a filter on doc_id
        # and version scanned every part (20 ms at 12k chunks, against 1-3 ms).
        if not SAFE_ID.fullmatch(doc_id) or not version.isalnum():
            return None
        pids = [part_id(doc_id, version, "doc", i) for i in range(max(pieces, 1))]
        rows = self._call(
            self.client.query,
            self.parts,
            filter=f"pid in {string_list(pids)}",
            output_fields=["i", "data"],
            consistency_level="Strong",
        )
        if len(rows) < pieces:
            return None
        text = "".join(r["data"] for r in sorted(rows, key=lambda r: r["i"]))
        return document_from_row(json.loads(text))

    def original(self, doc_id: str) -> bytes | None:
        """The file a document was read from, as uploaded (None: it came as text)."""
        head = self.heads_of([doc_id]).get(doc_id)
        kept = (head or {}).get("meta", {}).get("original")
        if not kept or head is None:
            return None
        where = f'doc_id in {string_list([doc_id])} and version == "{head["version"]}" and kind == "file"'
        rows = self._call(
            self.client.query,
            self.parts,
            filter=where,
            output_fields=["i", "data"],
            limit=max(int(kept["parts"]), 1),
            consistency_level="Strong",
        )
        return base64.b64decode("".join(r["data"] for r in sorted(rows, key=lambda r: r["i"])))

    def all_heads(self, fields: Sequence[str] = ("doc_id",)) -> Iterator[dict]:
        """Every head row, in batches (a query returns at most 16,384 rows: a listing or a migration
        past that would silently stop short). O(documents): for the admin listing and tools."""
        it = self._call(
            self.client.query_iterator, self.heads, batch_size=4096, filter="", output_fields=list(fields)
        )
        try:
            while True:
                try:
                    batch = it.next()
                except self._errors as exc:
                    raise MilvusUnavailable(f"Milvus did not answer ({type(exc).__name__}: {exc})") from exc
                if not batch:
                    return
                yield from batch
        finally:
            it.close()

    def document_count(self) -> int:
        got = self._call(self.client.query, self.heads, filter="", output_fields=["count(*)"])
        return int(got[0]["count(*)"]) if got else 0

    def view(self) -> SharedView:
        return SharedView(self, self.stamp())

    # -- writes -----------------------------------------------------------------------------------

    def write(
        self,
        documents: Sequence[Document],
        embedder: Embedder,
        *,
        remove: Iterable[str] = (),
        originals: Mapping[str, bytes] | None = None,
        vectors: Mapping[str, np.ndarray] | None = None,
        progress: bool = False,
        embedding: EmbedProgress | None = None,
        resumable: bool = True,
    ) -> IngestReport:
        """Add or update `documents` and drop `remove` (see the module's docstring for the order).
        Their passages are embedded here (`vectors`, by text key, are ready-made ones), before
        anything of them is written, and saved to the ingest checkpoint as they arrive. `embedding`
        receives the embedding's progress (a server's, for /metrics). `resumable`: save the vectors to
        the local ingest checkpoint as they arrive (a CLI run; a replica keeps nothing on its disk)."""
        t0 = time.perf_counter()
        originals = originals or {}
        report = IngestReport()
        if embedding is not None:
            report.progress = embedding
        for doc in documents:
            if not SAFE_ID.fullmatch(doc.doc_id):
                raise ValueError(f"doc_id {doc.doc_id!r}: letters, digits, '.', '_' and '-' only")
        heads = self.heads_of([d.doc_id for d in documents])
        todo: list[tuple[Document, list[Chunk], dict | None]] = []
        for doc in documents:
            head = heads.get(doc.doc_id)
            if head is not None and head["version"] == version_of(document_row(doc)):
                report.unchanged.append(doc.doc_id)
                report.chunk_counts[doc.doc_id] = int(head["meta"].get("chunks", 0))
                continue
            todo.append((doc, chunks_of(self.settings, doc), head))
        ready = dict(vectors or {})
        texts = {passage_key(c): c.embed_text for _, chunks, _ in todo for c in chunks}
        missing = {h: t for h, t in texts.items() if h not in ready}
        with embedded(
            self.settings, embedder, missing, resumable=resumable, progress=report.progress, bar=progress
        ) as fresh:
            if missing:
                ready.update(fresh)
                report.embedded, report.resumed = report.progress.done, report.progress.resumed
            for doc, chunks, head in todo:
                matrix = np.empty((len(chunks), self.chunks.dim), dtype=np.float32)
                for i, c in enumerate(chunks):
                    matrix[i] = ready[passage_key(c)]
                n = self.write_version(doc, chunks, matrix, originals.get(doc.doc_id))
                if head is not None:
                    self.drop_version(doc.doc_id, head["version"])
                (report.updated if head is not None else report.added).append(doc.doc_id)
                report.chunk_counts[doc.doc_id] = n
                report.removed_lines.update(r.reason for r in doc.removed)
            report.removed = self.delete(remove) if remove else []
            if report.added or report.updated or report.removed:
                self.touch()
                self.flush()
        report.documents = self.document_count()
        report.chunks = len(self.chunks)
        report.seconds = time.perf_counter() - t0
        if report.added or report.updated or report.removed:
            report.generation = f"milvus:{self.prefix}"
        return report

    def write_version(
        self, doc: Document, chunks: Sequence[Chunk], vectors: np.ndarray, original: bytes | None
    ) -> int:
        """Steps 2 and 3 of a write for one document (see `write_versions`)."""
        return self.write_versions([Version(doc, list(chunks), vectors, original)])[doc.doc_id]

    def write_versions(self, versions: Sequence[Version]) -> dict[str, int]:
        """Steps 2 and 3 of a write, for several documents at once (a few large requests instead of
        many small ones): every version's parts and chunks, then all their heads. The chunks and
        their vectors are given (`write` chunks and embeds; `migrate` brings them from the embedded
        index). Returns doc_id -> chunks written."""
        rows = version_rows(versions, now_ms())
        for start in range(0, len(rows.parts), 64):
            self._call(self.client.upsert, self.parts, rows.parts[start : start + 64])
        self.chunks.write(rows.records)
        for start in range(0, len(rows.heads), 256):
            self._call(self.client.upsert, self.heads, rows.heads[start : start + 256])  # the commit point
        counts: Counter[str] = Counter()
        for v in versions:
            counts.update(term_counts(v.chunks))
        self.df.add(counts)
        return {v.doc.doc_id: len(v.chunks) for v in versions}

    def drop_version(self, doc_id: str, version: str) -> None:
        """The rows of one version of one document: never the current one (a writer may have just
        made it current), never the one another writer is writing."""
        where = f'doc_id in {string_list([doc_id])} and version == "{version}"'
        payloads = [p for p, _ in self.chunks.vectors_of(doc_id, version, embedded_only=False)]
        self._call(self.chunks.client.delete, self.chunks.name, filter=where)
        self._call(self.client.delete, self.parts, filter=where)
        if payloads:
            self.df.add(Counter({t: -n for t, n in term_counts(map(chunk_from_row, payloads)).items()}))

    def delete(self, doc_ids: Iterable[str]) -> list[str]:
        """Drop documents: the head first (they vanish at once), then their current version's rows."""
        heads = self.heads_of(list(doc_ids))
        for doc_id, head in heads.items():
            self._call(self.client.delete, self.heads, filter=f"doc_id in {string_list([doc_id])}")
            self.drop_version(doc_id, head["version"])
        return list(heads)

    def sweep(self, older_than_s: float = SWEEP_AFTER_S) -> int:
        """Remove rows of versions that are not current and were written more than `older_than_s`
        ago (writers killed mid-write, or beaten by another). Returns the rows removed."""
        cutoff = now_ms() - int(older_than_s * 1000)
        removed = 0
        for collection, client in ((self.parts, self.client), (self.chunks.name, self.chunks.client)):
            rows = self._call(
                client.query,
                collection,
                filter=f"written_at < {cutoff}",
                output_fields=["doc_id", "version"],
                limit=16_384,
            )
            versions = {(r["doc_id"], r["version"]) for r in rows}
            heads = self.heads_of({d for d, _ in versions})
            for doc_id, version in versions:
                head = heads.get(doc_id)
                if head is None or head["version"] != version:
                    where = f'doc_id in {string_list([doc_id])} and version == "{version}"'
                    self._call(client.delete, collection, filter=where)
                    removed += sum(1 for r in rows if (r["doc_id"], r["version"]) == (doc_id, version))
        return removed

    def drop(self) -> None:
        """Everything, for `reindex` and tests."""
        self.chunks.drop()
        for name in (self.heads, self.parts, self.meta, self.terms):
            self._call(self.client.drop_collection, name)
