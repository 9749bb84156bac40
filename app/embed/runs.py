"""One embedding run over many passages: what a checkpoint already holds is taken from it, the rest
is embedded batch by batch, each batch saved as it arrives, with progress anyone may read (the CLI's
bar, the ingest report, `/metrics`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from app.embed.base import Embedder, embed_passages
from app.embed.checkpoint import EmbedCheckpoint


@dataclass
class EmbedProgress:
    """Counts of the run in progress (or the last one), safe to read from another thread."""

    total: int = 0  # passages the run needs vectors for
    resumed: int = 0  # of them, found in the checkpoint of a run that was stopped
    done: int = 0  # of them, embedded by this run so far
    started: float = 0.0
    finished: float | None = None
    runs: int = 0
    embedded_total: int = 0  # passages embedded by every run of this process
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self, total: int, resumed: int) -> None:
        with self._lock:
            self.total, self.resumed, self.done = total, resumed, 0
            self.started, self.finished = time.monotonic(), None
            self.runs += 1

    def advance(self, n: int) -> None:
        with self._lock:
            self.done += n
            self.embedded_total += n

    def finish(self) -> None:
        with self._lock:
            self.finished = time.monotonic()

    @property
    def running(self) -> bool:
        return self.runs > 0 and self.finished is None

    @property
    def seconds(self) -> float:
        if not self.runs:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    @property
    def rate(self) -> float:
        """Passages embedded a second by this run."""
        s = self.seconds
        return self.done / s if s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        left = self.total - self.resumed - self.done
        if left <= 0:
            return 0.0
        return left / self.rate if self.rate > 0 else None


def embed_texts(
    embedder: Embedder,
    texts: Mapping[str, str],
    batch_size: int,
    *,
    checkpoint: EmbedCheckpoint | None = None,
    progress: EmbedProgress | None = None,
    bar: bool | tqdm = False,
) -> dict[str, np.ndarray]:
    """Vectors for `texts` (text hash -> passage text). `bar`: show one, or advance the caller's."""
    progress = progress if progress is not None else EmbedProgress()
    found = checkpoint.get(texts.keys()) if checkpoint is not None else {}
    todo = [h for h in texts if h not in found]
    progress.start(len(texts), len(found))
    own = not isinstance(bar, tqdm)
    if own:
        shown = tqdm(
            total=len(texts), initial=len(found), unit="chunk", desc="embedding", disable=not bar or not texts
        )
    else:
        shown = bar
        shown.update(len(found))

    def arrived(start: int, vectors: np.ndarray) -> None:
        hashes = todo[start : start + len(vectors)]
        if checkpoint is not None:
            checkpoint.put(hashes, vectors)
        found.update(zip(hashes, vectors, strict=True))
        progress.advance(len(vectors))
        shown.update(len(vectors))

    try:
        if todo:
            embed_passages(embedder, [texts[h] for h in todo], batch_size, arrived)
    finally:
        progress.finish()
        if own:
            shown.close()
    return found
