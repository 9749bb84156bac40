"""One calibrated score for "this sentence answers the question", and its fitting.

Each candidate sentence is described by a few genre-neutral features (how much of the question it
covers, weighted by how rare each word is; whether it holds the kind of thing asked; how close its
passage came in retrieval). A logistic model turns them into a probability; the answerer quotes the
best candidate when that probability reaches the operating point, and abstains below it. The
weights and the operating point are data (`calibration.json`), refitted by `python -m app calibrate`
on the development sets, so a new genre changes numbers, not code.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES = (
    "coverage",  # idf-weighted share of the question's words in the clause, its sentence or context
    "own",  # the same share found in the sentence itself (its heading path included), not around it
    "pairs",  # share of the question's adjacent word pairs found in the sentence
    "missing_top",  # the rarest question word is missing from the sentence and its context
    "kind_missing",  # the question asks a figure, date, name or place and the clause holds none
    "asked_missing",  # "bao nhiêu X": X is not what the clause counts
    "dense",  # the passage's cosine similarity to the question (the embedder's view)
    "rank",  # 1 / (1 + the passage's rank)
    "front",  # the sentence is front matter (letterhead, number, promulgation line), not the body
    "novel",  # share of the sentence's words the question lacks (an answer is more than an echo)
)
CALIBRATION = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Scorer:
    weights: tuple[float, ...]
    bias: float
    threshold: float  # the operating point: answer when the best candidate's probability reaches it

    def probability(self, features: tuple[float, ...]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    @classmethod
    def load(cls, path: Path = CALIBRATION) -> Scorer:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: fitted on features {data['features']}, the code has {FEATURES}")
        return cls(tuple(data["weights"]), float(data["bias"]), float(data["threshold"]))

    def save(self, path: Path = CALIBRATION, **about: object) -> None:
        data = {
            "features": list(FEATURES),
            "weights": [round(w, 4) for w in self.weights],
            "bias": round(self.bias, 4),
            "threshold": round(self.threshold, 4),
            **about,
        }
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method with an L2 penalty on standardised features (the bias
    unpenalised); weights are returned for the raw features. A few thousand candidates and ten
    features need nothing bigger."""
    n, d = x.shape
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std < 1e-9] = 1.0
    xb = np.hstack([(x - mean) / std, np.ones((n, 1))])  # standardised, so one penalty suits all
    w = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + penalty * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(penalty) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[:-1] / std
    return weights, float(w[-1] - weights @ mean)
