"""Fit the answer scorer and choose its operating point: `python -m evaluation calibrate`.

For every question of the development sets (the seed set over `INDEX_DIR`, the genre set over its own
index), the candidates are collected as `evaluation.curve` does, and a logistic model is fitted on
them. The operating point maximises answer accuracy plus abstention accuracy (or, with `--precision`,
is the lowest threshold at which the answers given are right that often). The curve and
cross-validated figures (each fold scored by a model fitted on the others) are printed; `--write`
saves `app/answer/calibration.json`, which the service reads: only the fitting lives here.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from app.answer.scoring import CALIBRATION, FEATURES, GATE_FEATURES, Logistic, Scorer, fit, gate_features
from app.config import Settings
from evaluation.curve import Asked, at, collect, curve, outcomes, table
from evaluation.genres import genre_index
from evaluation.sets import QUESTION_FILES, load_questions, single_passage


def collect_sets(settings: Settings, which: str, index_dir: Path | None) -> list[Asked]:
    # The scorer picks one passage's clause: fitted on the open questions one passage answers, never
    # on the sealed ones.
    out: list[Asked] = []
    if which in ("seeds", "all"):
        collect(settings, single_passage(load_questions(QUESTION_FILES["seeds"])), out, "category")
    for name in ("genres", "figures"):
        if which not in (name, "all"):
            continue
        with tempfile.TemporaryDirectory(prefix="calibrate-") as tmp:
            where = index_dir / name if index_dir else Path(tmp)
            s, questions = genre_index(settings, where, name)
            collect(s, single_passage(questions), out, "genre")
    return out


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


def run(settings: Settings, args: argparse.Namespace) -> int:
    asked = collect_sets(settings, args.which, args.index_dir)
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
