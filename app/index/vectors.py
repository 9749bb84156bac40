"""Vector stores: the `VectorStore` role and its FAISS implementation.

Vectors are stored under stable integer ids (today a chunk's row in its generation), never by their
position in a matrix, so a store can drop or add some without renumbering the rest. Searching takes
the ids a filter allows (or excludes) and applies them inside the search, as a second backend
(Milvus, with its filter expressions) does, instead of fetching more and dropping.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Literal, Protocol

import faiss
import numpy as np

from app.config import Settings


class VectorStore(Protocol):
    dim: int

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Store `vectors` (one row per id) under `ids`; an id already stored is an error."""
        ...

    def remove(self, ids: Collection[int]) -> int:
        """Drop these ids; how many were stored."""
        ...

    def search(
        self,
        query: np.ndarray,
        k: int,
        allowed: Collection[int] | None = None,
        excluded: Collection[int] | None = None,
    ) -> list[tuple[int, float]]:
        """(id, inner product) of the k nearest stored vectors among `allowed` (all when None) and
        not `excluded`, best first."""
        ...

    def vectors(self, ids: Collection[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) stored, by id (all of them when `ids` is None): lets an update reuse them
        instead of re-embedding, and a migration copy them."""
        ...

    def save(self, path: Path) -> None: ...


class FaissStore:
    """Exact inner-product search (vectors are L2-normalised, so this is cosine) by id."""

    def __init__(self, index: faiss.IndexIDMap2) -> None:
        self._index = index
        self.dim = int(index.d)

    @classmethod
    def empty(cls, dim: int) -> FaissStore:
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, dim: int) -> FaissStore:
        """Vectors stored under ids 0..n-1, their rows."""
        store = cls.empty(dim)
        store.add(np.arange(len(vectors), dtype=np.int64), vectors)
        return store

    @classmethod
    def load(cls, path: Path) -> FaissStore:
        index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexIDMap2):
            return cls(index)
        # Written before ids: rows were the ids.
        vectors = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.empty((0, index.d), np.float32)
        return cls.from_vectors(vectors, int(index.d))

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        if not len(ids):
            return
        self._index.add_with_ids(
            np.ascontiguousarray(vectors, dtype=np.float32), np.ascontiguousarray(ids, dtype=np.int64)
        )

    def remove(self, ids: Collection[int]) -> int:
        if not ids:
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(np.fromiter(ids, np.int64, len(ids)))))

    def search(
        self,
        query: np.ndarray,
        k: int,
        allowed: Collection[int] | None = None,
        excluded: Collection[int] | None = None,
    ) -> list[tuple[int, float]]:
        selector = None
        if allowed is not None:
            keep = set(allowed).difference(excluded or ())
            k = min(k, len(keep))
            selector = faiss.IDSelectorBatch(np.fromiter(keep, np.int64, len(keep)))
        elif excluded:
            # FAISS does not own the inner selector: it must live as long as the search.
            inner = faiss.IDSelectorBatch(np.fromiter(excluded, np.int64, len(excluded)))
            selector = faiss.IDSelectorNot(inner)
        k = min(k, len(self))
        if k <= 0:
            return []
        params = faiss.SearchParameters(sel=selector) if selector is not None else None
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(q, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def vectors(self, ids: Collection[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        stored = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        if ids is None:
            if not len(stored):
                return stored, np.empty((0, self.dim), dtype=np.float32)
            return stored, self._index.index.reconstruct_n(0, len(stored))
        wanted = np.fromiter(ids, np.int64, len(ids))
        if not len(wanted):
            return wanted, np.empty((0, self.dim), dtype=np.float32)
        return wanted, np.stack([self._index.reconstruct(int(i)) for i in wanted])


def make_vector_store(settings: Settings, dim: int) -> VectorStore:
    """An empty store of the configured backend (`VECTOR_STORE`)."""
    backend: Literal["faiss"] = settings.VECTOR_STORE
    if backend == "faiss":
        return FaissStore.empty(dim)
    raise ValueError(f"VECTOR_STORE={backend!r}: the backends are 'faiss'")
