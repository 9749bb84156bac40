"""The gate: a set's metrics and evals/thresholds.toml in, the floors missed (in words) out.

A failure names its scope, metric, value and floor (`genres: overall.answer_accuracy = 0.7 < 0.75`),
so CI's log says what fell without opening the report. Each set is gated on its own table.
"""

from __future__ import annotations

import tomllib

from evaluation.metrics import Report
from evaluation.sets import EVALS, SETS


def load_thresholds() -> dict:
    return tomllib.loads((EVALS / "thresholds.toml").read_text(encoding="utf-8"))


def _compare(scope: str, metrics: dict, limits: dict) -> list[str]:
    failures = []
    for name, limit in limits.items():
        if name.startswith("max_"):
            value = metrics.get(name.removeprefix("max_"))
            if value is not None and value > limit:
                failures.append(f"{scope}.{name.removeprefix('max_')} = {value} > {limit}")
        else:
            value = metrics.get(name)
            if value is None or value < limit:
                failures.append(f"{scope}.{name} = {value} < {limit}")
    return failures


def check(report: Report, thresholds: dict) -> list[str]:
    """Every metric below its floor (or above its ceiling), in words. Scopes: `overall`, a category,
    `by_genre.<genre>`, `sealed.<category>` (the held-out questions), and `ingest` (the genre set's
    ingest measures)."""
    failures = []
    for scope, limits in thresholds.items():
        if scope == "by_genre":
            for genre, lim in limits.items():
                failures += _compare(f"by_genre.{genre}", report.metrics(genre=genre), lim)
        elif scope == "ingest":
            failures += _compare("ingest", report.ingest, limits)
        elif scope == "sealed":
            for category, lim in limits.items():
                only = None if category == "overall" else category
                failures += _compare(f"sealed.{category}", report.metrics(only, sealed=True), lim)
        else:
            failures += _compare(scope, report.metrics(None if scope == "overall" else scope), limits)
    return failures


def set_thresholds(thresholds: dict, name: str) -> dict:
    """One set's floors; a file without [seeds]/[genres] tables holds the seed set's (the old layout)."""
    if not any(k in thresholds for k in SETS):
        return thresholds if name == "seeds" else {}
    return thresholds.get(name, {})
