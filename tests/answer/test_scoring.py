"""The calibrated scorer: fitting recovers a known rule, the saved calibration loads and matches the
features the code computes, and the fallback policy prefers a checked answer to a wrong refusal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.answer.base import Draft
from app.answer.fallback import use_extractive
from app.answer.scoring import CALIBRATION, FEATURES, Scorer, fit
from app.calibrate import Asked, at, choose, outcomes


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
    assert len(scorer.weights) == len(FEATURES) and 0 < scorer.threshold < 1
    scorer.save(tmp_path / "c.json", note="test")
    assert Scorer.load(tmp_path / "c.json") == scorer
    stale = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    stale["features"] = stale["features"][:-1]
    (tmp_path / "stale.json").write_text(json.dumps(stale), encoding="utf-8")
    with pytest.raises(ValueError, match="fitted on features"):
        Scorer.load(tmp_path / "stale.json")


def test_the_operating_point_trades_answers_for_abstentions() -> None:
    """Right answers score high, wrong ones and unanswerable questions low: the chosen threshold
    separates them, and the measures at it say so."""
    one = np.ones((1, 1))
    asked = [Asked(f"a{i}", "g", True, one * 0.9, np.array([True])) for i in range(8)]
    asked += [Asked(f"w{i}", "g", True, one * 0.2, np.array([False])) for i in range(2)]
    asked += [Asked(f"u{i}", "g", False, one * 0.3, np.array([False])) for i in range(5)]
    points = outcomes(asked, np.array([10.0]), -5.0)  # p = sigmoid(10x - 5)
    t = choose(points, None)
    m = at(points, t)
    assert m["answer_accuracy"] == 0.8 and m["abstention"] == 1.0 and m["precision"] == 1.0


def test_the_extractive_answer_replaces_a_missing_or_wrongly_refusing_model() -> None:
    answer, refusal = Draft("… 32 đảng viên mới [1]", False), Draft("Tài liệu hiện có không nêu.", True)
    assert use_extractive(None, answer) == (True, None)
    assert use_extractive(refusal, answer)[0]
    assert use_extractive(refusal, refusal) == (False, None)
    assert use_extractive(answer, None) == (False, None)
