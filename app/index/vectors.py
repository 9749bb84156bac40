"""Vector stores: the `VectorStore` interface and its FAISS implementation.

Row i of a store is chunk i of the generation it belongs to; ids are positions, so the chunk list
and the vectors must always be written and loaded together (see `app.index.store`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import faiss
import numpy as np


class VectorStore(Protocol):
    dim: int

    def __len__(self) -> int: ...

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(row, inner product) of the k nearest rows, best first."""
        ...

    def vectors(self) -> np.ndarray:
        """All stored vectors, row order; lets an update reuse them instead of re-embedding."""
        ...


class FaissStore:
    """Exact inner-product search (vectors are L2-normalised, so this is cosine)."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index
        self.dim = int(index.d)

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, dim: int) -> FaissStore:
        index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> FaissStore:
        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        k = min(k, len(self))
        if k <= 0:
            return []
        scores, rows = self._index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def vectors(self) -> np.ndarray:
        if not len(self):
            return np.empty((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_n(0, len(self))
