"""The FAISS pieces `app.index.faiss_store.FaissStore` is built from: its parameters read from the
settings once, OpenMP threads set per call (libgomp keeps the count per calling thread), a set of
keys as a FAISS selector and a membership test, the cell count of an approximate base, exact
inner-product kNN on this thread, and an inverted file's cells read out."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import faiss
import numpy as np

from app.config import Settings

BATCH = 65_536  # vectors decoded / added at once while (re)building a base: bounds the extra memory
TRAIN_SAMPLE = 100_000  # vectors the coarse quantizer of an approximate base is trained on, at most
MIN_TRAIN_PER_CELL = 39  # k-means wants ~39 training vectors per cell: fewer cells for small bases


@dataclass(frozen=True)
class VectorParams:
    ann_min: int
    nprobe: int
    delta_max: int
    search_threads: int
    build_threads: int

    @classmethod
    def of(cls, settings: Settings) -> VectorParams:
        return cls(
            ann_min=settings.VECTOR_ANN_MIN_VECTORS,
            nprobe=settings.VECTOR_NPROBE,
            delta_max=settings.VECTOR_DELTA_MAX,
            search_threads=settings.VECTOR_SEARCH_THREADS,
            build_threads=settings.VECTOR_BUILD_THREADS,
        )


@contextlib.contextmanager
def omp_threads(n: int) -> Iterator[None]:
    """FAISS on `n` OpenMP threads (0: leave as is) for this thread only, as libgomp keeps the count
    per calling thread; restored afterwards."""
    if n <= 0:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def as_keys(keys: Collection[int] | np.ndarray) -> np.ndarray:
    if isinstance(keys, np.ndarray):
        return keys.astype(np.int64, copy=False).reshape(-1)
    return np.fromiter(keys, np.int64, len(keys))


def frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def cell_count(n: int) -> int:
    """Cells of an approximate base of n vectors: ~4*sqrt(n), with enough training vectors each."""
    return max(1, min(int(4 * math.sqrt(n)), min(n, TRAIN_SAMPLE) // MIN_TRAIN_PER_CELL))


class KeySet:
    """A set of keys in the forms a search needs: a FAISS selector (used inside the search) and a
    vectorised membership test. A bitmap when the keys are non-negative and dense enough (one of a
    million keys builds in ~3 ms, an IDSelectorBatch in ~190 ms), else a hash set."""

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = keys
        self._bits: np.ndarray | None = None
        self._sorted: np.ndarray | None = None
        if len(keys) and keys.min() >= 0 and keys.max() < (1 << 16) + 256 * len(keys):
            bits = np.zeros(int(keys.max()) + 1, dtype=bool)
            bits[keys] = True
            self._bits = bits
            self._packed = np.packbits(bits, bitorder="little")  # the selector reads it: keep it
            self.selector: faiss.IDSelector = faiss.IDSelectorBitmap(self._packed)
            self.count = int(np.count_nonzero(bits))
        else:
            self._sorted = np.unique(keys)
            self.selector = faiss.IDSelectorBatch(self._sorted)
            self.count = len(self._sorted)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        if self._bits is not None:
            inside = (keys >= 0) & (keys < len(self._bits))
            out = np.zeros(len(keys), dtype=bool)
            out[inside] = self._bits[keys[inside]]
            return out
        assert self._sorted is not None
        return np.isin(keys, self._sorted, assume_unique=False)


def in_sorted(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Which of `keys` are in the ascending array `sorted_keys`: O(len(keys) * log)."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[at] == keys


def knn(
    q: np.ndarray, keys: np.ndarray, vectors: np.ndarray, k: int, sel: faiss.IDSelector | None = None
) -> list[tuple[int, float]]:
    """(key, inner product) of the k best of `vectors` (rows `sel` lets through), best first: FAISS's
    brute force, on this thread's OpenMP count (numpy's matmul would run its own BLAS threads, which
    spin against the embedder's)."""
    k = min(k, len(keys))
    if k <= 0:
        return []
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    scores = np.empty((1, k), dtype=np.float32)
    rows = np.empty((1, k), dtype=np.int64)
    args = (faiss.swig_ptr(q), faiss.swig_ptr(vectors), q.shape[1], 1, len(keys), k)
    if sel is None:
        faiss.knn_inner_product(*args, faiss.swig_ptr(scores), faiss.swig_ptr(rows))
    else:
        faiss.knn_inner_product(*args, faiss.swig_ptr(scores), faiss.swig_ptr(rows), sel)
    return [(int(keys[r]), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]


def ivf_lists(index: faiss.IndexIVF, codes: bool = True) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(codes, ids) of each cell of an inverted file, copied out, in cell order (`codes` False:
    ids only, the first item then None)."""
    invlists = index.invlists
    code_size = int(invlists.code_size)
    for list_no in range(int(index.nlist)):
        n = int(invlists.list_size(list_no))
        if not n:
            yield (np.empty((0, code_size), np.uint8) if codes else None), np.empty(0, np.int64)
            continue
        ids_ptr = invlists.get_ids(list_no)
        ids = faiss.rev_swig_ptr(ids_ptr, n).astype(np.int64, copy=True)
        invlists.release_ids(list_no, ids_ptr)
        block = None
        if codes:
            codes_ptr = invlists.get_codes(list_no)
            block = faiss.rev_swig_ptr(codes_ptr, n * code_size).reshape(n, code_size).copy()
            invlists.release_codes(list_no, codes_ptr)
        yield block, ids
