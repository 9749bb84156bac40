"""One set's outcomes and what they measure: `Report` in, metrics by scope out.

Answers (accuracy, citations, abstention, unverified figures) and retrieval (recall@5, MRR) are
measured on the same questions but kept apart, so a retrieval miss is not mistaken for a bad answer.
The gate and the written report both read the metrics from here.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from evaluation.judge import Outcome
from evaluation.sets import REASONING


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    name: str = "seeds"
    ingest: dict = field(default_factory=dict)  # genre set: documents, chunks, seconds, per-file survival
    curve: list[dict] = field(default_factory=list)  # extractive abstention curve over the scorer's threshold

    def metrics(
        self, only: str | None = None, genre: str | None = None, sealed: bool = False
    ) -> dict[str, float | int]:
        """`only` a category (None: `overall`, the questions one passage answers; of the sealed
        ones, all of them); `sealed`: the held-out questions instead of the open ones."""
        rows = [
            o
            for o in self.outcomes
            if o.sealed == sealed
            and (o.category == only if only is not None else sealed or o.category not in REASONING)
            and (genre is None or o.genre == genre)
        ]
        answerable = [o for o in rows if o.answerable]
        unanswerable = [o for o in rows if not o.answerable]
        cited = [o for o in answerable if o.citation_ok is not None]
        lat = sorted(o.latency_ms for o in rows)
        out: dict[str, float | int] = {"questions": len(rows)}
        if answerable:
            out["answer_accuracy"] = sum(o.correct for o in answerable) / len(answerable)
            out["recall_at_5"] = sum(o.rank is not None for o in answerable) / len(answerable)
            out["mrr"] = sum(1 / o.rank for o in answerable if o.rank) / len(answerable)
        if cited:
            out["citation_accuracy"] = sum(bool(o.citation_ok) for o in cited) / len(cited)
        if unanswerable:
            out["abstention_accuracy"] = sum(o.abstained for o in unanswerable) / len(unanswerable)
        out["unverified_figure_answers"] = sum(o.unverified > 0 for o in rows)
        if any(o.mode == "llm" or o.reason for o in rows):  # LLM configured: how its answers fared
            out["llm_answers"] = sum(o.mode == "llm" for o in rows)
            out["llm_repaired"] = sum(o.repaired for o in rows)
            out["llm_fallbacks"] = sum(o.reason is not None for o in rows)
        if lat:
            out["latency_p50_ms"] = statistics.median(lat)
            out["latency_p95_ms"] = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
        return out

    def categories(self, sealed: bool = False) -> list[str]:
        return sorted({o.category for o in self.outcomes if o.sealed == sealed})

    def genres(self) -> list[str]:
        return sorted({o.genre for o in self.outcomes if o.genre})
