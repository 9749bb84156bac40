"""The extractive scorer's candidates and curve: questions in, per-threshold measures out.

Every question is retrieved as the service retrieves it, in process, and each usable candidate clause
is described by the scorer's features and labelled by whether quoting it states the gold answer.
From those, `at` gives the eval's measures had the service answered exactly above a threshold.
Both the eval run (which prints the curve of the committed calibration) and the fitting
(`evaluation.calibrate`) read candidates through here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.answer.scoring import FEATURES, Logistic, Scorer
from app.config import Settings
from evaluation.judge import holds


@dataclass
class Asked:
    """One question: its set, whether it is answerable, and its usable candidates (features, right?)."""

    id: str
    group: str  # genre, or the seed category
    answerable: bool
    features: np.ndarray  # (candidates, len(FEATURES))
    right: np.ndarray  # (candidates,) bool


def collect(settings: Settings, questions: list[dict], into: list[Asked], group_key: str) -> None:
    """Append each question's candidates, scored by nothing (an untrained scorer), to `into`."""
    from app.pipeline import Pipeline

    pipeline = Pipeline.open(settings, scorer=Scorer.untrained())
    answerer = pipeline.answerer
    for q in questions:
        query, passages = pipeline.retrieve(q["question"], 5, None)
        question = answerer.analyse(query)
        usable = [] if question.unknown_localities else answerer.candidates(question, passages)
        usable = [c for c in usable if c.reason is None]
        feats = np.array([c.features for c in usable], dtype=float).reshape(-1, len(FEATURES))
        right = np.array(
            [q["answerable"] and holds(q, answerer.quote(c, question.kind)) for c in usable], dtype=bool
        )
        into.append(Asked(q["id"], q.get(group_key) or q["category"], q["answerable"], feats, right))


def outcomes(asked: list[Asked], candidate: Logistic, gate: Logistic) -> list[tuple[float, bool, bool]]:
    """Per question: the probability that its best candidate answers, whether quoting it is right,
    and whether the question is answerable."""
    scorer = Scorer(candidate, gate, 0.5)
    out = []
    for a in asked:
        if not len(a.features):
            out.append((0.0, False, a.answerable))
            continue
        best, p = scorer.choose(a.features)
        out.append((p, bool(a.right[best]), a.answerable))
    return out


def at(points: list[tuple[float, bool, bool]], threshold: float) -> dict[str, float]:
    """The eval's measures if the service answered exactly when the best probability >= threshold."""
    answerable = [(p, r) for p, r, a in points if a]
    unanswerable = [p for p, _, a in points if not a]
    answered = [(p, r, a) for p, r, a in points if p >= threshold]
    return {
        "threshold": threshold,
        "answer_accuracy": sum(p >= threshold and r for p, r in answerable) / max(len(answerable), 1),
        "refused": sum(p < threshold for p, _ in answerable) / max(len(answerable), 1),
        "abstention": sum(p < threshold for p in unanswerable) / max(len(unanswerable), 1),
        "precision": sum(r for _, r, _ in answered) / max(len(answered), 1),
    }


def curve(points: list[tuple[float, bool, bool]], steps: int = 20) -> list[dict[str, float]]:
    return [at(points, t / steps) for t in range(1, steps)]


def scored_curve(settings: Settings, questions: list[dict]) -> list[dict[str, float]]:
    """The curve of the scorer as calibrated (`calibration.json`) over these questions, in process."""
    asked: list[Asked] = []
    collect(settings, questions, asked, "category")
    scorer = Scorer.load()
    points = outcomes(asked, scorer.candidate, scorer.gate)
    return sorted([*curve(points), at(points, scorer.threshold)], key=lambda r: r["threshold"])


def table(rows: list[dict[str, float]]) -> str:
    head = "| threshold | answer accuracy | answerable refused | unanswerable abstained | precision |"
    lines = [head, "|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['threshold']:.2f} | {r['answer_accuracy']:.3f} | {r['refused']:.3f} | "
            f"{r['abstention']:.3f} | {r['precision']:.3f} |"
        )
    return "\n".join(lines)
