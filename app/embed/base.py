"""The embedder interface, and the batching every backend shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol

import numpy as np

Kind = Literal["query", "passage"]


class Embedder(Protocol):
    """One required method; batching, normalisation and query/passage helpers are built on it."""

    name: str  # recorded in the index manifest: vectors of two embedders never mix
    dim: int

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """(len(texts), dim) float32; the backend applies its model's query/passage convention."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def embed_passages(
    embedder: Embedder,
    texts: Sequence[str],
    batch_size: int = 16,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """L2-normalised passage vectors, in batches so progress can be shown and memory stays flat."""
    out = np.empty((len(texts), embedder.dim), dtype=np.float32)
    for i in range(0, len(texts), batch_size):
        batch = list(texts[i : i + batch_size])
        out[i : i + len(batch)] = _normalise(embedder.encode(batch, "passage"))
        if on_batch:
            on_batch(len(batch))
    return out


def embed_query(embedder: Embedder, text: str) -> np.ndarray:
    return _normalise(embedder.encode([text], "query"))[0]
