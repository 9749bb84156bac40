"""One calibrated score for "this sentence answers the question", and its fitting.

Each candidate sentence is described by a few genre-neutral features (how much of the question it
covers, weighted by how rare each word is; whether it holds the kind of thing asked; how close its
passage came in retrieval). A logistic model turns them into a probability; the answerer quotes the
best candidate when that probability reaches the operating point, and abstains below it. The
weights and the operating point are data (`calibration.json`), refitted by `python -m evaluation
calibrate` on the development sets, so a new genre changes numbers, not code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES = (
    "coverage",  # idf-weighted share of the question's words in the clause, its sentence or context
    "own",  # the same share found in the sentence itself (its heading path included), not around it
    "pairs",  # share of the question's adjacent word pairs found in the sentence
    "names_missing",  # share of the question's capitalised words ("thôn Mỹ Hòa") not around the sentence
    "kind_missing",  # the question asks a figure, date, name or place and the clause holds none
    "asked_missing",  # "bao nhiêu X": X is not what the clause counts
    "dense",  # the passage's cosine similarity to the question (the embedder's view)
    "rank",  # 1 / (1 + the passage's rank)
    "front",  # the sentence is front matter (letterhead, number, promulgation line), not the body
    "novel",  # share of the sentence's words the question lacks (an answer is more than an echo)
    "focus",  # "own", each word also weighted by how well it tells this document's paragraphs apart
    "slot",  # the question's words around its question word, repeated with something new in its place
    "lead",  # a list or "how" question, and the sentence announces a list (it is quoted with its items)
    "echo",  # the sentence says nothing the question does not (a title, a name that was asked about)
    "rarest_missing",  # the rarest question word not around the sentence (its idf, 0 to 1)
    "names_absent",  # share of the question's names its document never uses ("hạng C", another school)
    "new_name",  # a "who" question, and the sentence names someone the question does not
)
# What the best candidate and the field around it say about whether the question is answered at all:
# the second stage, fitted on whether the best candidate was right.
GATE_FEATURES = (
    "best",  # the first stage's log-odds for the best candidate
    "margin",  # its probability minus the runner-up's (a clear winner or a toss-up)
    "coverage",  # the best candidate's coverage of the question
    "names_missing",  # the question's names the best candidate's sentence lacks
    "kind_missing",  # the best candidate holds no answer of the kind asked
    "dense_top",  # the closest passage's cosine to the question (is the corpus about this at all?)
    "rarest_missing",  # the rarest question word the best candidate lacks
    "names_absent",  # the question's names the best candidate's document never uses
)
CALIBRATION = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Logistic:
    weights: tuple[float, ...]
    bias: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        return x @ np.asarray(self.weights) + self.bias


def _sigmoid(z: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-z))


def gate_features(candidates: np.ndarray, logits: np.ndarray) -> tuple[int, np.ndarray]:
    """The best candidate's row and the question-level features (GATE_FEATURES) around it."""
    best = int(np.argmax(logits))
    p = _sigmoid(logits)
    runner_up = float(np.max(np.delete(p, best))) if len(p) > 1 else 0.0
    f = candidates[best]
    at = FEATURES.index
    row = np.array(
        [
            logits[best],
            p[best] - runner_up,
            f[at("coverage")],
            f[at("names_missing")],
            f[at("kind_missing")],
            candidates[:, at("dense")].max(),
            f[at("rarest_missing")],
            f[at("names_absent")],
        ]
    )
    return best, row


@dataclass(frozen=True)
class Scorer:
    """Two logistic stages: which candidate answers best, then whether it answers at all."""

    candidate: Logistic
    gate: Logistic
    threshold: float  # the operating point: answer when the gate's probability reaches it

    def choose(self, candidates: np.ndarray) -> tuple[int, float]:
        """The best candidate's row and the probability that quoting it answers the question."""
        best, row = gate_features(candidates, self.candidate.logits(candidates))
        return best, float(_sigmoid(self.gate.logits(row)))

    @classmethod
    def untrained(cls) -> Scorer:
        """All weights zero: what `calibrate` scores candidates with while it fits the real ones, so a
        changed feature list does not stop it from starting."""
        return cls(Logistic((0.0,) * len(FEATURES), 0.0), Logistic((0.0,) * len(GATE_FEATURES), 0.0), 0.5)

    @classmethod
    def load(cls, path: Path = CALIBRATION) -> Scorer:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES or tuple(data["gate_features"]) != GATE_FEATURES:
            raise ValueError(
                f"{path}: fitted on features {data['features']} / {data['gate_features']}, the code has "
                f"{FEATURES} / {GATE_FEATURES}: refit with `python -m evaluation calibrate --write`"
            )
        return cls(
            Logistic(tuple(data["weights"]), float(data["bias"])),
            Logistic(tuple(data["gate_weights"]), float(data["gate_bias"])),
            float(data["threshold"]),
        )

    def save(self, path: Path = CALIBRATION, **about: object) -> None:
        data = {
            "features": list(FEATURES),
            "weights": [round(w, 4) for w in self.candidate.weights],
            "bias": round(self.candidate.bias, 4),
            "gate_features": list(GATE_FEATURES),
            "gate_weights": [round(w, 4) for w in self.gate.weights],
            "gate_bias": round(self.gate.bias, 4),
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
