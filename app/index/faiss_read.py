"""Vectors read back out of a FAISS base of `app.index.faiss_store.FaissStore`: an exact base's rows
and an approximate base's float16 codes, decoded, in batches (so a merge or a migration never holds
the whole corpus twice), or an approximate base's codes read where they are (no cell scanned)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import faiss
import numpy as np

from app.index.faiss_parts import BATCH, ivf_lists

Keep = Callable[[np.ndarray], np.ndarray]  # keys -> which of them to read out (a boolean mask)


def flat_batches(index: faiss.IndexIDMap2, keep: Keep) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(keys, float32 vectors) of an exact base's rows that `keep` keeps, in batches of BATCH rows."""
    dim = int(index.d)
    flat = faiss.downcast_index(index.index)
    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    if not len(ids):
        return
    rows = faiss.rev_swig_ptr(flat.get_xb(), len(ids) * dim).reshape(len(ids), dim)
    for i in range(0, len(ids), BATCH):
        k, v = ids[i : i + BATCH], rows[i : i + BATCH]
        m = keep(k)
        yield k[m], v[m].copy()


def ivf_batches(index: faiss.IndexIVFScalarQuantizer, keep: Keep) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(keys, decoded vectors) of an approximate base's entries that `keep` keeps, cell after cell, in
    batches of about BATCH."""
    pending_k: list[np.ndarray] = []
    pending_c: list[np.ndarray] = []
    size = 0
    for codes, ids in ivf_lists(index):
        m = keep(ids)
        if m.any():
            pending_k.append(ids[m])
            pending_c.append(codes[m])
            size += int(m.sum())
        if size >= BATCH:
            yield _decoded(index, pending_k, pending_c)
            pending_k, pending_c, size = [], [], 0
    if size:
        yield _decoded(index, pending_k, pending_c)


def _decoded(
    index: faiss.IndexIVFScalarQuantizer, keys: list[np.ndarray], codes: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate(keys), index.sq.decode(np.ascontiguousarray(np.concatenate(codes)))


def ivf_vectors_at(index: faiss.IndexIVFScalarQuantizer, where: np.ndarray) -> np.ndarray:
    """Decoded vectors of an approximate base's entries at `where` (cell << 32 | offset each), in that
    order: each cell touched once, O(len(where) + cells touched)."""
    order = np.argsort(where, kind="stable")
    where = where[order]
    cells, offsets = where >> 32, where & 0xFFFFFFFF
    starts = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
    ends = np.r_[starts[1:], len(cells)]
    invlists = index.invlists
    size = int(invlists.code_size)
    codes = np.empty((len(where), size), dtype=np.uint8)
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        cell = int(cells[start])
        ptr = invlists.get_codes(cell)
        try:
            block = faiss.rev_swig_ptr(ptr, int(invlists.list_size(cell)) * size).reshape(-1, size)
            codes[order[start:end]] = block[offsets[start:end]]
        finally:
            invlists.release_codes(cell, ptr)
    return index.sq.decode(codes)
