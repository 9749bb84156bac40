"""The calibrated scorer: fitting recovers a known rule, the saved calibration loads and matches the
features the code computes, and the fallback policy prefers a checked answer to a wrong refusal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.answer.base import Draft
from app.answer.fallback import use_extractive
from app.answer.scoring import CALIBRATION, FEATURES, GATE_FEATURES, Scorer, fit, gate_features
from evaluation.calibrate import _fit, choose
from evaluation.curve import Asked, at, outcomes


def test_fit_recovers_the_direction_of_a_noisy_rule() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((2000, 3))
    y = (x[:, 0] - x[:, 1] + 0.1 * rng.standard_normal(2000) > 0).astype(float)
    w, b = fit(x, y, l2=0.1)
    assert w[0] > 5 and w[1] < -5 and abs(w[2]) < 1
    predicted = 1 / (1 + np.exp(-(x @ w + b))) > 0.5
    assert (predicted == y.astype(bool)).mean() > 0.9


def test_the_committed_calibration_fits_the_features_and_round_trips(tmp_path: Path) -> None:
    scorer = Scorer.load()
    assert len(scorer.candidate.weights) == len(FEATURES) and len(scorer.gate.weights) == len(GATE_FEATURES)
    assert 0 < scorer.threshold < 1
    scorer.save(tmp_path / "c.json", note="test")
    assert Scorer.load(tmp_path / "c.json") == scorer
    stale = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    stale["features"] = stale["features"][:-1]
    (tmp_path / "stale.json").write_text(json.dumps(stale), encoding="utf-8")
    with pytest.raises(ValueError, match="refit"):
        Scorer.load(tmp_path / "stale.json")


def test_the_gate_reads_the_best_candidate_and_the_field() -> None:
    """Stage one picks the row; stage two's features are that row's and the field's."""
    rows = np.zeros((3, len(FEATURES)))
    rows[:, FEATURES.index("coverage")] = [0.2, 0.9, 0.5]
    rows[:, FEATURES.index("dense")] = [0.7, 0.8, 0.9]
    best, gate = gate_features(rows, rows[:, FEATURES.index("coverage")] * 10)
    assert best == 1
    assert gate[GATE_FEATURES.index("coverage")] == 0.9 and gate[GATE_FEATURES.index("dense_top")] == 0.9
    assert gate[GATE_FEATURES.index("margin")] > 0


def test_the_operating_point_trades_answers_for_abstentions() -> None:
    """A two-stage fit on questions whose right answers cover the question and whose wrong ones do
    not: the chosen threshold answers the first and refuses the rest."""

    def asked(i: int, coverage: float, right: bool, answerable: bool) -> Asked:
        rows = np.zeros((2, len(FEATURES)))
        rows[0, FEATURES.index("coverage")] = coverage
        rows[1, FEATURES.index("coverage")] = coverage / 3
        return Asked(str(i), "g", answerable, rows, np.array([right, False]))

    questions = [asked(i, 0.85 + i / 100, True, True) for i in range(10)]
    questions += [asked(10 + i, 0.3 + i / 100, False, i < 2) for i in range(8)]
    candidate, gate = _fit(questions, 0.1)
    points = outcomes(questions, candidate, gate)
    m = at(points, choose(points, None))
    assert m["answer_accuracy"] == 10 / 12 and m["abstention"] == 1.0 and m["precision"] == 1.0


def test_the_extractive_answer_replaces_a_missing_or_wrongly_refusing_model() -> None:
    answer, refusal = Draft("… 32 đảng viên mới [1]", False), Draft("Tài liệu hiện có không nêu.", True)
    assert use_extractive(None, answer) == (True, None)
    assert use_extractive(refusal, answer)[0]
    assert use_extractive(refusal, refusal) == (False, None)
    assert use_extractive(answer, None) == (False, None)
