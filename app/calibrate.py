"""Fit the answer scorer and choose its operating point: `python -m app calibrate`.

For every question of the development sets (the seed set over `INDEX_DIR`, the genre set over its own
index), the passages are retrieved as the service retrieves them and every candidate clause is
described by the scorer's features and labelled by whether quoting it states the gold answer
(unanswerable questions have no right candidate). A logistic model is fitted on those candidates.
The operating point maximises answer accuracy plus abstention accuracy (or, with `--precision`, is
the lowest threshold at which the answers given are right that often). The curve and cross-validated
figures (each fold scored by a model fitted on the others) are printed; `--write` saves
`calibration.json`.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.answer.scoring import CALIBRATION, FEATURES, GATE_FEATURES, Logistic, Scorer, fit, gate_features
from app.config import Settings


@dataclass
class Asked:
    """One question: its set, whether it is answerable, and its usable candidates (features, right?)."""

    id: str
    group: str  # genre, or the seed category
    answerable: bool
    features: np.ndarray  # (candidates, len(FEATURES))
    right: np.ndarray  # (candidates,) bool


def _collect(settings: Settings, questions: list[dict], into: list[Asked], group_key: str) -> None:
    from app.evaluation import _holds
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
            [q["answerable"] and _holds(q, answerer.quote(c, question.kind)) for c in usable], dtype=bool
        )
        into.append(Asked(q["id"], q.get(group_key) or q["category"], q["answerable"], feats, right))


def collect(settings: Settings, which: str, index_dir: Path | None) -> list[Asked]:
    from app.evaluation import QUESTION_FILES, genre_index, load_questions, single_passage

    # The scorer picks one passage's clause: fitted on the open questions one passage answers, never
    # on the sealed ones.
    out: list[Asked] = []
    if which in ("seeds", "all"):
        _collect(settings, single_passage(load_questions(QUESTION_FILES["seeds"])), out, "category")
    if which in ("genres", "all"):
        with tempfile.TemporaryDirectory(prefix="calibrate-") as tmp:
            s, questions = genre_index(settings, index_dir or Path(tmp))
            _collect(s, single_passage(questions), out, "genre")
    return out


def scored_curve(settings: Settings, questions: list[dict]) -> list[dict[str, float]]:
    """The curve of the scorer as calibrated (`calibration.json`) over these questions, in process."""
    asked: list[Asked] = []
    _collect(settings, questions, asked, "category")
    scorer = Scorer.load()
    points = outcomes(asked, scorer.candidate, scorer.gate)
    return sorted([*curve(points), at(points, scorer.threshold)], key=lambda r: r["threshold"])


def _fit(asked: list[Asked], l2: float) -> tuple[Logistic, Logistic]:
    """Stage one on every candidate (is this one right?); stage two on each question's best candidate
    as stage one ranks them (is the best one right?)."""
    with_candidates = [a for a in asked if len(a.features)]
    x = np.vstack([a.features for a in with_candidates])
    y = np.concatenate([a.right for a in with_candidates]).astype(float)
    candidate = Logistic(*_tuple(fit(x, y, l2)))
    rows, labels = [], []
    for a in with_candidates:
        best, row = gate_features(a.features, candidate.logits(a.features))
        rows.append(row)
        labels.append(float(a.right[best]))
    gate = Logistic(*_tuple(fit(np.array(rows), np.array(labels), l2)))
    return candidate, gate


def _tuple(wb: tuple[np.ndarray, float]) -> tuple[tuple[float, ...], float]:
    return tuple(float(v) for v in wb[0]), wb[1]


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


_WINDOW = 0.045  # thresholds within this of each other are averaged when choosing


def choose(points: list[tuple[float, bool, bool]], precision: float | None) -> float:
    """With `precision`: the lowest threshold whose answers are right at least that often (the highest
    tried if none is). Without: the threshold that maximises the mean of answer accuracy and
    abstention accuracy (averaged over a small window), so a wrong answer and a needless refusal cost
    the same."""
    grid = [t / 100 for t in range(5, 96)]
    if precision is None:
        # Averaged over neighbouring thresholds: on a few hundred questions the sum is flat and
        # jagged near its top, and a lone spike is one question, not a better operating point.
        total = {t: at(points, t)["answer_accuracy"] + at(points, t)["abstention"] for t in grid}
        near = {t: [total[u] for u in grid if abs(u - t) <= _WINDOW] for t in grid}
        return max(grid, key=lambda t: sum(near[t]) / len(near[t]))
    for t in grid:
        if at(points, t)["precision"] >= precision:
            return t
    return grid[-1]


def cross_validated(
    asked: list[Asked], folds: int, l2: float, precision: float
) -> list[tuple[float, bool, bool]]:
    """Each question scored by a model fitted without its fold, at that model's own operating point
    (probabilities shifted so the chosen threshold sits at 0.5): what a new question would see."""
    out: list[tuple[float, bool, bool]] = []
    for k in range(folds):
        train = [a for i, a in enumerate(asked) if i % folds != k]
        test = [a for i, a in enumerate(asked) if i % folds == k]
        candidate, gate = _fit(train, l2)
        t = choose(outcomes(train, candidate, gate), precision)
        out += [(0.5 if p >= t else 0.0, r, a) for p, r, a in outcomes(test, candidate, gate)]
    return out


def table(rows: list[dict[str, float]]) -> str:
    head = "| threshold | answer accuracy | answerable refused | unanswerable abstained | precision |"
    lines = [head, "|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['threshold']:.2f} | {r['answer_accuracy']:.3f} | {r['refused']:.3f} | "
            f"{r['abstention']:.3f} | {r['precision']:.3f} |"
        )
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", dest="which", default="all", choices=("seeds", "genres", "all"))
    p.add_argument(
        "--precision",
        type=float,
        help="choose the operating point whose answers are right at least this often "
        "(default: the one that maximises answer accuracy + abstention accuracy)",
    )
    p.add_argument("--l2", type=float, default=1.0, help="L2 penalty of the logistic fit")
    p.add_argument("--folds", type=int, default=5, help="folds of the cross-validated figures")
    p.add_argument("--index-dir", type=Path, help="keep the genre set's index here (reused next time)")
    p.add_argument("--write", action="store_true", help=f"write {CALIBRATION.name}")


def run(settings: Settings, args: argparse.Namespace) -> int:
    asked = collect(settings, args.which, args.index_dir)
    candidate, gate = _fit(asked, args.l2)
    points = outcomes(asked, candidate, gate)
    threshold = choose(points, args.precision)
    for name, model, names in (("candidate", candidate, FEATURES), ("gate", gate, GATE_FEATURES)):
        weights = ", ".join(f"{n}={v:+.2f}" for n, v in zip(names, model.weights, strict=True))
        print(f"{name}: {weights}, bias={model.bias:+.2f}")
    print(f"\n{len(asked)} questions; fitted on all of them:\n\n{table(curve(points))}")
    answerable = [(p, r) for p, r, a in points if a]
    print(f"\nbest candidate right (before the gate): {sum(r for _, r in answerable) / len(answerable):.3f}")
    print(f"operating point {threshold:.2f}: {at(points, threshold)}")
    for g in sorted({a.group for a in asked}):
        sub = [pt for pt, a in zip(points, asked, strict=True) if a.group == g]
        m = at(sub, threshold)
        print(f"  {g:16s} n={len(sub):3d} answer={m['answer_accuracy']:.3f} abstain={m['abstention']:.3f}")
    cv = cross_validated(asked, args.folds, args.l2, args.precision)
    print(f"\ncross-validated ({args.folds} folds): {at(cv, 0.5)}")
    if args.write:
        Scorer(candidate, gate, threshold).save(
            CALIBRATION,
            fitted_on=f"{len(asked)} questions ({args.which})",
            operating_point="precision >= " + str(args.precision)
            if args.precision
            else "max answer + abstention",
            cross_validated={k: round(v, 3) for k, v in at(cv, 0.5).items() if k != "threshold"},
        )
        print(f"wrote {CALIBRATION}")
    return 0
