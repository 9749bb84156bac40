"""Judging one answer: a question with its gold strings, the service's /ask and /search replies in,
an `Outcome` out.

An answer is right when it states every gold figure (as written or by value, in Vietnamese notation)
and every gold phrase; retrieval is judged apart from it, by the rank of the first passage that holds
the evidence. Kept apart from asking, so the scorer's fitting (`calibrate`) judges a quote the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.text import canonical, fold
from app.text.numbers import extract_quantities, figure_in_text
from evaluation.sets import REASONING


@dataclass
class Outcome:
    id: str
    category: str
    answerable: bool
    correct: bool
    abstained: bool
    citation_ok: bool | None  # None when there is nothing to judge (abstained, or unanswerable)
    unverified: int
    rank: int | None  # 1-based rank of the first passage holding the gold answer, within top 5
    latency_ms: float
    answer: str
    reason: str | None = None  # fallback_reason: why the LLM answer was not used
    mode: str = "extractive"
    repaired: bool = False
    genre: str | None = None
    why: str | None = None  # for a wrong answer: what was missing or wrong, in words
    cited: list[str] = field(default_factory=list)  # doc_ids the answer cites
    sealed: bool = False  # a held-out question: reported as figures only


def _states(gold: str, text: str) -> bool:
    """A gold figure is stated when it appears as written or by value (Vietnamese notation)."""
    if re.search(rf"(?<![\d.,]){re.escape(canonical(gold))}", canonical(text)):
        return True  # as written, and not the tail of a longer number ("26%" is not in "8,26%")
    wanted = extract_quantities(canonical(gold))
    return bool(wanted) and all(figure_in_text(q, text) for q in wanted)


def missing(q: dict, text: str) -> list[str]:
    """The gold figures and phrases `text` does not state."""
    return [g for g in q["gold_figures"] if not _states(g, text)] + [
        c for c in q["gold_contains"] if fold(c) not in fold(text)
    ]


def holds(q: dict, text: str) -> bool:
    return not missing(q, text)


def _evidence(q: dict, text: str) -> bool:
    """A passage holds evidence for the answer: the answer itself, or for a computed figure or a
    comparison (no one passage holds those) one of the figures it is computed from."""
    if q["category"] in REASONING:
        figures = q.get("operands") or q["gold_figures"]
        return any(_states(f, text) for f in figures)
    return holds(q, text)


def judge(q: dict, ask: dict, search: dict) -> Outcome:
    abstained = bool(ask["abstained"])
    unverified = sum(not f["verified"] for f in ask["figures"])
    rank = None
    if q["answerable"]:
        for p in search["passages"][:5]:
            if p["doc_id"] in q["gold_doc_ids"] and _evidence(q, p["text"]):
                rank = p["rank"]
                break
    cited = sorted({c["doc_id"] for c in ask["citations"]})
    citation_ok = None
    if q["answerable"] and not abstained:
        citation_ok = bool(cited) and set(cited) <= set(q["gold_doc_ids"])
        if q["category"] == "cross_document":  # documents compared are cited, not one of them only
            citation_ok = citation_ok and len(cited) >= 2
    why = None
    if q["answerable"]:
        lacking = [] if abstained else missing(q, ask["answer"])
        correct = not abstained and not lacking
        if abstained:
            why = "abstained" + ("" if rank else "; the gold passage is not in the top 5")
        elif lacking:
            why = "missing " + ", ".join(repr(m) for m in lacking)
            why += "" if rank else "; the gold passage is not in the top 5"
        if correct and citation_ok is False:
            why = f"right answer, cites {', '.join(cited)}"
    else:
        correct = abstained
        why = None if abstained else f"answered from {', '.join(cited) or 'no citation'}"
    return Outcome(
        id=q["id"],
        category=q["category"],
        answerable=q["answerable"],
        correct=correct,
        abstained=abstained,
        citation_ok=citation_ok,
        unverified=unverified,
        rank=rank,
        latency_ms=float(ask["_client_ms"]),
        answer=ask["answer"],
        reason=ask.get("fallback_reason"),
        mode=ask.get("mode", "extractive"),
        repaired=bool((ask.get("llm") or {}).get("repaired")),
        genre=q.get("genre"),
        why=why,
        cited=cited,
        sealed=bool(q.get("sealed")),
    )
