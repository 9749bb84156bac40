"""Any sentence-transformers model, by hub name or local folder (the `st` extra; needs torch)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from app.embed.base import Kind, QueriesFirst


class SentenceTransformerEmbedder:
    def __init__(self, model: str) -> None:
        if not model:
            raise ValueError(
                "EMBEDDER=sentence-transformers needs EMBEDDER_MODEL: a model name or a local folder"
            )
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # the optional extra is not installed
            raise RuntimeError(
                "sentence-transformers is not installed: pip install torch==2.13.0 && pip install -e '.[st]'"
            ) from exc
        self._model = SentenceTransformer(model, device="cpu")
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self.dim: int = int(get_dim())
        self.name = f"sentence-transformers:{Path(model).name if Path(model).exists() else model}"
        # E5-family models are trained with "query: " / "passage: " prefixes; others with none.
        self._prefixes = "e5" in model.lower()
        self._turns = QueriesFirst()  # torch also parallelises inside a call; questions go first

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        items = [f"{kind}: {t}" for t in texts] if self._prefixes else list(texts)
        return self._turns.run(
            items, kind, lambda part: np.asarray(self._model.encode(part, convert_to_numpy=True), np.float32)
        )
