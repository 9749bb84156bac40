"""The write side of `app.index.faiss_store.FaissStore`: the FAISS bases it searches, made from vectors
(an exact one, or an approximate one trained on a sample) or from a base before it (its trained cells
and codes copied without the removed keys, the delta added), and a base's keys read out in the layout
the store looks them up by. O(N) work: start-up, bulk loads and background merges, never a request."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import faiss
import numpy as np

from app.index.faiss_parts import cell_count, in_sorted, ivf_lists, omp_threads


def flat_base(dim: int, keys: np.ndarray, vectors: np.ndarray) -> faiss.Index:
    """An exact base: IndexIDMap2 over IndexFlatIP, `vectors` under `keys`."""
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    if len(keys):
        index.add_with_ids(np.ascontiguousarray(vectors, np.float32), np.ascontiguousarray(keys, np.int64))
    return index


def ivf_base(
    dim: int,
    n: int,
    sample: np.ndarray,
    batches: Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]],
    threads: int,
) -> faiss.Index:
    """A new approximate base of `n` vectors: cells trained on `sample`, then every batch added."""
    nlist = cell_count(n)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT, False
    )
    index.own_fields = True
    quantizer.this.disown()  # the index frees its quantizer
    index.cp.spherical = True  # unit vectors: unit centroids
    index.cp.min_points_per_centroid = 1  # the sample is sized for the cells already
    index.cp.max_points_per_centroid = 1 << 30  # and not subsampled again
    with omp_threads(threads):
        index.train(np.ascontiguousarray(sample, np.float32))
        for k, v in batches():
            if len(k):
                index.add_with_ids(np.ascontiguousarray(v, np.float32), np.ascontiguousarray(k, np.int64))
    return index


def ivf_base_copied(
    old: faiss.IndexIVFScalarQuantizer,
    removed: np.ndarray,
    delta_keys: np.ndarray,
    delta: np.ndarray,
    threads: int,
) -> faiss.Index:
    """`old`'s cells and codes copied, less the `removed` keys (ascending); then the delta added. No
    training and no re-encoding: what a merge does while the cells still suit the count."""
    dim = int(old.d)
    quantizer = faiss.clone_index(old.quantizer)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, int(old.nlist), old.sq.qtype, faiss.METRIC_INNER_PRODUCT, False
    )
    index.own_fields = True
    quantizer.this.disown()
    index.sq = old.sq
    index.is_trained = True
    with omp_threads(threads):
        invlists = index.invlists
        kept = 0
        for list_no, (codes, ids) in enumerate(ivf_lists(old)):
            if len(removed):
                m = ~in_sorted(removed, ids)
                codes, ids = np.ascontiguousarray(codes[m]), np.ascontiguousarray(ids[m])
            if len(ids):
                invlists.add_entries(list_no, len(ids), faiss.swig_ptr(ids), faiss.swig_ptr(codes))
                kept += len(ids)
        index.ntotal = kept
        if len(delta_keys):
            index.add_with_ids(delta, delta_keys)
    return index


def base_layout(index: faiss.Index) -> tuple[np.ndarray, np.ndarray | None]:
    """A base's keys, ascending, and for an inverted file where each one is (cell << 32 | offset),
    read from the index: O(N) over ids only."""
    where = None
    if isinstance(index, faiss.IndexIVF):
        keys_in_cells, where_in_cells = [], []
        for list_no, (_, ids) in enumerate(ivf_lists(index, codes=False)):
            keys_in_cells.append(ids)
            where_in_cells.append((list_no << 32) | np.arange(len(ids), dtype=np.int64))
        keys = np.concatenate(keys_in_cells or [np.empty(0, np.int64)])
        where = np.concatenate(where_in_cells or [np.empty(0, np.int64)])
    else:
        keys = faiss.vector_to_array(index.id_map).astype(np.int64)
    order = np.argsort(keys, kind="stable")
    return keys[order], None if where is None else where[order]
