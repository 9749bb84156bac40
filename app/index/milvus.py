"""Chunks in one Milvus collection: the dense vector and two BM25 fields (the exact and the folded
syllables), searched inside Milvus with filters as expressions.

The first part of running beyond one machine (`VECTOR_STORE=milvus`): Milvus Lite in tests, Milvus
Standalone or Distributed in production, the same `pymilvus` API. Why the text Milvus tokenises is
not the chunk's own text: Milvus's analyzers are `standard` (\\w+, lowercased) and `jieba`, which
split "348,5", "4.985" and "20/21" and know nothing of folding. The app's own tokens (syllables and
syllable pairs, exact and folded, the same as the embedded lexical index's) are therefore written
as opaque codes (a 64-bit digest in base 32), one per token: Milvus then counts exactly the terms
the embedded path counts, NFC or not, whatever its tokenizer does to punctuation.

Facts this module is built on (pymilvus 3.0.2, milvus-lite 3.2.2): BM25 scores come back negative
(lower is better) from a plain search and positive from a weighted hybrid search; a collection must
be loaded after a restart before search; a selective filter on an approximate index may return fewer
hits than asked, so a short answer to a filtered search is redone exactly over the filtered rows.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from app import profiles
from app.index.identity import MILVUS_REBUILD, profile_problem
from app.index.lexical import LexicalFilter
from app.index.milvus_search import ROW_FIELDS, Rows, keep_rows, search_tokens
from app.index.milvus_text import (
    SAFE_ID,
    TEXT_MAX,
    coded,
    filter_expression,
    fit_text,
    query_tokens,
    string_list,
    term_code,
)
from app.index.terms import day_number, forms

log = logging.getLogger("app.index.milvus")

EXACT_SEARCH_MAX_ROWS = 20_000  # a filtered search that came back short is redone exactly up to this
_DOC_ID_MAX = 512
_STORED = ("key", "doc_id", "version", "day", "exact", "folded", "payload", "written_at")
# Keepalive pings only while a call is in flight, at most once a minute. pymilvus pings every 10 s even
# when idle; a gRPC server with default limits (Milvus Lite's) answers that with GOAWAY "too many
# pings", and the next call on that connection failed.
GRPC_OPTIONS = {"grpc.keepalive_time_ms": 60_000, "grpc.keepalive_permit_without_calls": False}
_SLOW = ("upsert", "insert", "delete", "load_collection", "flush")  # bounded by the write timeout
_PROPERTY_EMBEDDER = "app.embedder"
_PROPERTY_DIM = "app.dim"
_PROPERTY_PROFILE = "app.profile"


class MilvusUnavailable(RuntimeError):
    """Milvus did not answer within the timeout, or refused: a 503 with Retry-After, never a 500."""


class CollectionMismatch(RuntimeError):
    """The collection was made by another embedder (name or dimension): never mixed, never dropped."""


@dataclass(frozen=True)
class MilvusRecord:
    key: int  # the chunk's stable int64 key
    doc_id: str
    version: str  # the document version the chunk belongs to
    date: str | None  # ISO yyyy-mm-dd or None
    text: str  # what is matched: chunk header + "\n" + chunk text (NFC)
    vector: np.ndarray | None  # None: not embedded yet, found by the lexical search only
    payload: str = ""  # what the reader gets back by key (a shared index stores the chunk's JSON)
    written_at: int = 0  # unix ms, for sweeping rows of versions that never became current


class MilvusChunks:
    """One collection of chunk rows. Threads may share it (pymilvus clients are thread-safe)."""

    def __init__(
        self,
        uri: str,
        collection: str,
        embedder: str,
        dim: int,
        token: str = "",
        timeout_s: float = 5.0,
        write_timeout_s: float = 60.0,
    ) -> None:
        import grpc
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        # A deadline pymilvus does not wrap comes up as grpc's own error: the same 503, never a 500.
        self.errors: tuple[type[BaseException], ...] = (
            MilvusException,
            grpc.RpcError,
            ConnectionError,
            TimeoutError,
        )
        self.name = collection
        self.embedder = embedder
        self.dim = dim
        self.timeout_s = timeout_s
        self.write_timeout_s = write_timeout_s
        self._count_lock = threading.Lock()
        try:
            self.client = MilvusClient(uri=uri, token=token, timeout=timeout_s, grpc_options=GRPC_OPTIONS)
            self._ensure()
        except self.errors as exc:
            raise MilvusUnavailable(f"Milvus at {uri} did not answer ({exc})") from exc

    # -- the collection ---------------------------------------------------------------------------

    def _ensure(self) -> None:
        if self.client.has_collection(self.name, timeout=self.timeout_s):
            self._check_made_by_us()
        else:
            self._create()
        self.client.load_collection(self.name, timeout=self.write_timeout_s)  # seconds for a large one

    def _check_made_by_us(self) -> None:
        props = self.client.describe_collection(self.name, timeout=self.timeout_s).get("properties", {})
        embedder, dim = props.get(_PROPERTY_EMBEDDER), props.get(_PROPERTY_DIM)
        if embedder != self.embedder or str(dim) != str(self.dim):
            raise CollectionMismatch(
                f"Milvus collection {self.name!r} holds vectors of embedder {embedder!r} "
                f"(dimension {dim}), but {self.embedder!r} (dimension {self.dim}) is configured: "
                f"vectors of two embedders are never mixed: {MILVUS_REBUILD}"
            )
        name = f"Milvus collection {self.name!r}"
        if problem := profile_problem(name, props.get(_PROPERTY_PROFILE), MILVUS_REBUILD):
            raise CollectionMismatch(str(problem))

    def _create(self) -> None:
        from pymilvus import DataType, Function, FunctionType

        schema = self.client.create_schema(auto_id=False)
        schema.add_field("key", DataType.INT64, is_primary=True)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=_DOC_ID_MAX)
        schema.add_field("version", DataType.VARCHAR, max_length=128)
        schema.add_field("day", DataType.INT64)  # yyyymmdd, 0 for none
        schema.add_field("embedded", DataType.BOOL)
        schema.add_field("payload", DataType.VARCHAR, max_length=TEXT_MAX)
        schema.add_field("written_at", DataType.INT64)
        for name in ("exact", "folded"):
            schema.add_field(
                name,
                DataType.VARCHAR,
                max_length=TEXT_MAX,
                enable_analyzer=True,
                analyzer_params={"type": "standard"},
            )
            schema.add_field(f"{name}_bm25", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(
                Function(
                    name=f"{name}_bm25_fn",
                    function_type=FunctionType.BM25,
                    input_field_names=[name],
                    output_field_names=[f"{name}_bm25"],
                )
            )
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.dim)
        index = self.client.prepare_index_params()
        index.add_index("dense", index_type="AUTOINDEX", metric_type="IP")
        for name in ("exact", "folded"):
            # tantivy's k1 and b (the embedded path), not Milvus's default k1 = 1.5: the same scores.
            index.add_index(
                f"{name}_bm25",
                index_type="SPARSE_INVERTED_INDEX",
                metric_type="BM25",
                params={"bm25_k1": 1.2, "bm25_b": 0.75},
            )
        index.add_index("doc_id", index_type="INVERTED")
        self.client.create_collection(
            self.name,
            schema=schema,
            index_params=index,
            properties={
                _PROPERTY_EMBEDDER: self.embedder,
                _PROPERTY_DIM: str(self.dim),
                _PROPERTY_PROFILE: profiles.active().identity,
            },
            timeout=self.timeout_s,
        )

    def drop(self) -> None:
        """For `reindex` and tests: the collection and everything in it."""
        self.call(self.client.drop_collection, self.name)

    # -- writes -----------------------------------------------------------------------------------

    def write(self, add: Sequence[MilvusRecord], remove_doc_ids: Collection[str] = ()) -> None:
        """Add `add`, then drop every other row of `remove_doc_ids` (their older versions): the new
        rows exist before the old ones go, so a document never has no rows between the two."""
        rows = [self._row(r) for r in add]
        for i in range(0, len(rows), 256):
            self.call(self.client.upsert, self.name, rows[i : i + 256])
        if remove_doc_ids:
            ids = [d for d in remove_doc_ids if SAFE_ID.fullmatch(d)]
            keep = [r.key for r in add if r.doc_id in remove_doc_ids]
            if ids:
                expr = f"doc_id in {string_list(ids)}" + (f" and key not in {keep}" if keep else "")
                self.call(self.client.delete, self.name, filter=expr)

    def warm(self, dense: bool = True, lexical: bool = True) -> None:
        """One search of each kind, with the write timeout: Milvus Lite builds a sparse index in
        memory on its first search (1.3 s at 20k rows; 10-12 s a field at 12.7k rows on a loaded
        box), which must not be a request's 503."""
        bm25 = {"metric_type": "BM25"}
        for field in ("exact_bm25", "folded_bm25") if lexical else ():
            self.client.search(
                self.name, data=[term_code("")], anns_field=field, limit=1, search_params=bm25,
                timeout=self.write_timeout_s,
            )  # fmt: skip
        if dense:
            self.client.search(
                self.name, data=[[0.0] * self.dim], anns_field="dense", limit=1,
                search_params={"metric_type": "IP"}, timeout=self.write_timeout_s,
            )  # fmt: skip

    def flush(self) -> None:
        """Seal what was written into indexed segments. Why: Milvus Lite searches unsealed rows one
        by one in Python (its memtable holds up to 128 MB before it seals by itself); at 100k rows
        that made a dense search 450 ms instead of 130."""
        self.call(self.client.flush, self.name)

    def _row(self, r: MilvusRecord) -> dict:
        exact, folded = forms(r.text)
        vector = r.vector if r.vector is not None else np.zeros(self.dim, dtype=np.float32)
        return {
            "key": int(r.key),
            "doc_id": r.doc_id,
            "version": r.version,
            "day": day_number(r.date) if r.date else 0,
            "embedded": r.vector is not None,
            "payload": r.payload,
            "written_at": r.written_at,
            "exact": fit_text(coded(exact)),
            "folded": fit_text(coded(folded)),
            "dense": np.asarray(vector, dtype=np.float32).tolist(),
        }

    def set_vectors(self, keys: Sequence[int], vectors: np.ndarray) -> None:
        """Vectors for rows written before they were embedded (uploads embed in the background)."""
        if not len(keys):
            return
        got = self.call(
            self.client.query,
            self.name,
            filter=f"key in {[int(k) for k in keys]}",
            output_fields=list(_STORED),
        )
        by_key = {int(k): v for k, v in zip(keys, vectors, strict=True)}
        rows = []
        for row in got:
            row = {f: row[f] for f in _STORED}
            row["embedded"] = True
            row["dense"] = np.asarray(by_key[int(row["key"])], dtype=np.float32).tolist()
            rows.append(row)
        if rows:
            self.call(self.client.upsert, self.name, rows)

    # -- reads ------------------------------------------------------------------------------------

    def rows(self, keys: Sequence[int]) -> Rows:
        """key -> (doc_id, version, payload) of the rows that exist."""
        if not keys:
            return {}
        got = self.call(
            self.client.query,
            self.name,
            filter=f"key in {[int(k) for k in keys]}",
            output_fields=["key", "doc_id", "version", "payload"],
        )
        return {int(r["key"]): (r["doc_id"], r["version"], r["payload"]) for r in got}

    def vectors_of(
        self, doc_id: str, version: str, embedded_only: bool = True
    ) -> list[tuple[str, np.ndarray]]:
        """(payload, vector) of one document version's rows: for copying them elsewhere."""
        if not SAFE_ID.fullmatch(doc_id) or not re.fullmatch(r"\w+", version):
            return []
        embedded = " and embedded == true" if embedded_only else ""
        got = self.call(
            self.client.query,
            self.name,
            filter=f'doc_id in {string_list([doc_id])} and version == "{version}"{embedded}',
            output_fields=["payload", "dense"],
            limit=16_384,
        )
        return [(r["payload"], np.asarray(r["dense"], dtype=np.float32)) for r in got]

    def __len__(self) -> int:
        got = self.call(self.client.query, self.name, filter="", output_fields=["count(*)"])
        return int(got[0]["count(*)"]) if got else 0

    def search_dense(
        self, vector: np.ndarray, k: int, filters: LexicalFilter | None = None, rows: Rows | None = None
    ) -> list[tuple[int, float]]:
        """(key, inner product) of the k nearest embedded rows the filter allows, best first. `rows`,
        if given, receives the hits' rows: one round trip instead of a search and a fetch."""
        if k <= 0:
            return []
        expr = filter_expression(filters, embedded_only=True)
        if expr is None:
            return []
        q = np.asarray(vector, dtype=np.float32)
        hits = self.call(
            self.client.search,
            self.name,
            data=[q.tolist()],
            anns_field="dense",
            limit=k,
            filter=expr,
            search_params={"metric_type": "IP"},
            output_fields=ROW_FIELDS if rows is not None else None,
        )[0]
        keep_rows(hits, rows)
        out = [(int(h["key"]), float(h["distance"])) for h in hits]
        if filters is not None and len(out) < k:
            return self._exactly(q, k, expr, len(out)) or out
        return out

    def _exactly(self, q: np.ndarray, k: int, expr: str, found: int) -> list[tuple[int, float]]:
        """A filtered approximate search may stop short of what the filter allows: score the allowed
        rows one by one when there are few enough (empty: keep what the search found)."""
        counted = self.call(self.client.query, self.name, filter=expr, output_fields=["count(*)"])
        n = int(counted[0]["count(*)"]) if counted else 0
        if n <= found or n > EXACT_SEARCH_MAX_ROWS:
            return []
        rows = self.call(
            self.client.query,
            self.name,
            filter=expr,
            output_fields=["key", "dense"],
            limit=n,
        )
        keys = np.array([int(r["key"]) for r in rows], dtype=np.int64)
        scores = np.array([r["dense"] for r in rows], dtype=np.float32) @ q
        best = np.argsort(-scores, kind="stable")[:k]
        return [(int(keys[i]), float(scores[i])) for i in best]

    def search(
        self, query: str, written: bool, k: int, filters: LexicalFilter | None = None
    ) -> list[tuple[int, float]]:
        """The lexical search, scored as the embedded index scores it: BM25 over the exact
        syllables + 0.25 x BM25 over the folded ones for a question typed with diacritics (one
        weighted hybrid search: 16 ms against 35 for two searches summed here), the folded ones
        alone for one typed without. (key, score), best first, only score > 0."""
        exact, folded = query_tokens(query, written)
        return self.search_tokens(exact, folded, written, k, filters)

    def search_tokens(
        self,
        exact: list[str],
        folded: list[str],
        written: bool,
        k: int,
        filters: LexicalFilter | None = None,
        rows: Rows | None = None,
    ) -> list[tuple[int, float]]:
        """`search` with the question's tokens given (a caller may leave out the common ones);
        `rows` as in `search_dense`."""
        return search_tokens(self, exact, folded, written, k, filters, rows)

    def call(self, method, *args, **kwargs):  # pymilvus is untyped
        """A call bounded by MILVUS_TIMEOUT_S (MILVUS_WRITE_TIMEOUT_S for writes: bulk upserts of a
        migration wait on Milvus's own flushing, and a request's budget does not apply to them)."""
        write = getattr(method, "__name__", "") in _SLOW
        try:
            return method(*args, timeout=self.write_timeout_s if write else self.timeout_s, **kwargs)
        except self.errors as exc:
            raise MilvusUnavailable(f"Milvus did not answer ({type(exc).__name__}: {exc})") from exc
