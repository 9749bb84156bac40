"""What a write did (`IngestReport`): the same record for every writer and both backends, so the
CLI, the admin API and the ingest runs print and return one thing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from app.embed import EmbedProgress


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    embedded: int = 0  # chunks that needed the model this run
    resumed: int = 0  # chunks whose vectors a stopped run had saved (EMBED_CHECKPOINT)
    pending: int = 0  # chunks published lexical-only, their vectors still to come
    seconds: float = 0.0
    generation: str | None = None  # None when nothing changed and no generation was written
    removed_lines: Counter[str] = field(default_factory=Counter)  # by reason, in the documents written
    chunk_counts: dict[str, int] = field(default_factory=dict)  # doc_id -> chunks, for those written
    progress: EmbedProgress = field(default_factory=EmbedProgress, repr=False)  # the embedding, live

    def summary(self) -> str:
        """One line for the CLI and the admin API alike."""
        changes = (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed"
        )
        written = f"generation {self.generation}" if self.generation else "nothing to write"
        deferred = f", {self.pending} left to embed in the background" if self.pending else ""
        cleaned = ""
        if self.removed_lines:
            reasons = ", ".join(f"{r} {n}" for r, n in self.removed_lines.most_common())
            cleaned = f"; cleaning removed {self.removed_lines.total()} lines ({reasons})"
        resumed = f" (+{self.resumed} saved by a stopped run)" if self.resumed else ""
        rate = self.progress.rate
        speed = f" at {rate:.1f}/s" if self.embedded and rate else ""
        return (
            f"{changes}; index holds {self.documents} documents, {self.chunks} chunks; "
            f"embedded {self.embedded} chunks{resumed}{speed}{deferred} in {self.seconds:.1f} s"
            f"{cleaned}; {written}"
        )
