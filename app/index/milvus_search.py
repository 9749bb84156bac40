"""Searches of the chunk collection (`app.index.milvus.MilvusChunks`) that return the hits' rows
with them (one round trip instead of a search and a fetch).

`search_tokens`: the lexical search, scored as the embedded index scores it: BM25 over the exact
syllables + 0.25 x BM25 over the folded ones for a question typed with diacritics (one weighted
hybrid search: 16 ms against 35 for two searches summed here), the folded ones alone for one typed
without.

`search_fused`: dense and lexical in one Milvus request (`MILVUS_FUSION=engine`): the dense route
and the BM25 routes (exact and folded syllables, or folded alone for a question typed without
diacritics) as one `hybrid_search`, fused by Milvus's reciprocal-rank ranker, with the filter as an
expression on every route and the hits' rows in the reply.

How it ranks otherwise: the app fuses dense with the lexical score (exact + 0.25 x folded) as two
rankings, and weighs dense by half for a question typed without diacritics; Milvus's RRF ranker
weighs every route alike, so exact and folded BM25 each count as much as dense. On the seed eval
(Milvus Lite) it answers the same questions and ranks the right passage higher (MRR 0.946 against
0.877). It is not the default because of a fresh upload in Milvus Lite: Lite computes BM25's idf
per segment, and an upload's rows are a segment of their own until compaction, where every term's
idf is ~0.3, so BM25 does not find them; the app's fusion still ranks them by their dense rank,
the engine's ranks chunks found by both BM25 routes above them, and a replica did not answer a
question about a fresh upload for 30 s (bench/milvus.py). In Milvus Lite the routes run one after
the other in one process, so one request saves round trips, not engine time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from app.index.lexical import FOLDED_WEIGHT_WHEN_WRITTEN, LexicalFilter
from app.index.milvus_text import coded, filter_expression

if TYPE_CHECKING:
    from app.index.milvus import MilvusChunks

RRF_K = 60  # as the app's own fusion (`app.retrieve.retriever`)
ROW_FIELDS = ["doc_id", "version", "payload"]  # what a reader needs of a hit: its version and its chunk
Rows = dict[int, tuple[str, str, str]]  # key -> (doc_id, version, payload)


def keep_rows(hits: list, rows: Rows | None) -> None:
    """A search's hits' rows into `rows` (when the caller asked for them)."""
    if rows is not None:
        for h in hits:
            e = h["entity"]
            rows[int(h["key"])] = (e["doc_id"], e["version"], e["payload"])


def search_tokens(
    chunks: MilvusChunks,
    exact: list[str],
    folded: list[str],
    written: bool,
    k: int,
    filters: LexicalFilter | None = None,
    rows: Rows | None = None,
) -> list[tuple[int, float]]:
    """(key, BM25 score) of the k best chunks for these tokens, best first, only score > 0."""
    from pymilvus import AnnSearchRequest, WeightedRanker

    if k <= 0 or not folded:
        return []
    written = written and bool(exact)
    expr = filter_expression(filters)
    if expr is None:
        return []
    bm25 = {"metric_type": "BM25"}
    fields = ROW_FIELDS if rows is not None else ["key"]
    folded_text = coded(list(dict.fromkeys(folded)))
    if not written:
        hits = chunks.call(
            chunks.client.search,
            chunks.name,
            data=[folded_text],
            anns_field="folded_bm25",
            limit=k,
            filter=expr,
            search_params=bm25,
            output_fields=fields,
        )[0]
        scored = [(int(h["key"]), -float(h["distance"])) for h in hits]  # negative: lower is better
    else:
        requests = [
            AnnSearchRequest(
                data=[coded(list(dict.fromkeys(exact)))],
                anns_field="exact_bm25",
                param=bm25,
                limit=k,
                expr=expr,
            ),
            AnnSearchRequest(data=[folded_text], anns_field="folded_bm25", param=bm25, limit=k, expr=expr),
        ]
        ranker = WeightedRanker(1.0, FOLDED_WEIGHT_WHEN_WRITTEN, norm_score=False)
        hits = chunks.call(
            chunks.client.hybrid_search, chunks.name, requests, ranker, limit=k, output_fields=fields
        )[0]
        scored = [(int(h["key"]), float(h["distance"])) for h in hits]  # the ranker's sum: positive
    keep_rows(hits, rows)
    return [(key, score) for key, score in scored if score > 0]


def search_fused(
    chunks: MilvusChunks,
    vector: np.ndarray,
    exact: Sequence[str],
    folded: Sequence[str],
    k: int,
    filters: LexicalFilter | None,
    rows: Rows,
) -> list[tuple[int, float, float | None]]:
    """(key, fused score, inner product with `vector`) of the k best chunks the filter allows, best
    first; `rows` receives the hits' rows. `exact` empty: a question typed without diacritics."""
    from pymilvus import AnnSearchRequest, RRFRanker

    lexical_expr = filter_expression(filters)
    dense_expr = filter_expression(filters, embedded_only=True)
    if k <= 0 or lexical_expr is None or dense_expr is None:
        return []
    q = np.asarray(vector, dtype=np.float32)
    requests = [
        AnnSearchRequest(
            data=[q.tolist()], anns_field="dense", param={"metric_type": "IP"}, limit=k, expr=dense_expr
        )
    ]
    bm25 = {"metric_type": "BM25"}
    for field, tokens in (("exact_bm25", exact), ("folded_bm25", folded)):
        if tokens:
            requests.append(
                AnnSearchRequest(
                    data=[coded(list(dict.fromkeys(tokens)))],
                    anns_field=field,
                    param=bm25,
                    limit=k,
                    expr=lexical_expr,
                )
            )
    hits = chunks.call(
        chunks.client.hybrid_search,
        chunks.name,
        requests,
        RRFRanker(RRF_K),
        limit=k,
        output_fields=[*ROW_FIELDS, "embedded", "dense"],
    )[0]
    keep_rows(hits, rows)
    out: list[tuple[int, float, float | None]] = []
    for h in hits:
        e, key = h["entity"], int(h["key"])
        similarity = float(np.dot(np.asarray(e["dense"], dtype=np.float32), q)) if e["embedded"] else None
        out.append((key, float(h["distance"]), similarity))
    return out
