"""Questions are not starved by an ingest embedding passages on the same model."""

from __future__ import annotations

import threading
import time

import numpy as np

from app.embed import Embedder
from app.embed.base import QueriesFirst


def test_a_waiting_query_goes_before_the_next_passage_slice() -> None:
    turns = QueriesFirst()
    log: list[str] = []
    slice_started = threading.Event()

    def call(kind: str):  # type: ignore[no-untyped-def]
        def run(part: list[str]) -> np.ndarray:
            log.append(f"{kind}:{','.join(part)}")
            slice_started.set()
            time.sleep(0.05)
            return np.zeros((len(part), 3), np.float32)

        return run

    passages = [f"p{i}" for i in range(10)]
    out: dict[str, np.ndarray] = {}
    worker = threading.Thread(target=lambda: out.update(p=turns.run(passages, "passage", call("passage"))))
    worker.start()
    slice_started.wait(5)
    q = turns.run(["q"], "query", call("query"))
    worker.join(10)
    assert q.shape == (1, 3) and out["p"].shape == (10, 3)
    position = log.index("query:q")
    assert 1 <= position <= 2, log  # after at most the slice already running
    assert [e for e in log if e.startswith("passage")] == [
        f"passage:p{i},p{i + 1}" for i in range(0, 10, QueriesFirst.PASSAGE_SLICE)
    ]


def test_a_stream_of_questions_does_not_starve_an_ingest() -> None:
    turns = QueriesFirst()
    log: list[str] = []
    stop = threading.Event()

    def call(kind: str):  # type: ignore[no-untyped-def]
        def run(part: list[str]) -> np.ndarray:
            log.append(kind)
            time.sleep(0.005)
            return np.zeros((len(part), 3), np.float32)

        return run

    def ask() -> None:
        while not stop.is_set():
            turns.run(["q"], "query", call("query"))

    askers = [threading.Thread(target=ask) for _ in range(3)]
    for t in askers:
        t.start()
    time.sleep(0.05)
    out = turns.run([f"p{i}" for i in range(12)], "passage", call("passage"))
    stop.set()
    for t in askers:
        t.join(5)
    assert out.shape == (12, 3)
    first = log.index("passage")
    runs = "".join("p" if e == "passage" else "q" for e in log[first:]).split("p")
    assert max(len(r) for r in runs[1:-1]) <= QueriesFirst.QUERY_BURST, log  # between slices
    assert log.count("passage") == 12 // QueriesFirst.PASSAGE_SLICE


def test_slices_run_side_by_side_on_several_engines_and_stay_in_order() -> None:
    turns = QueriesFirst(capacity=2)
    running, peak = [0], [0]
    lock = threading.Lock()

    def call(part: list[str]) -> np.ndarray:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return np.array([[float(t)] for t in part], np.float32)

    out = turns.run([str(i) for i in range(16)], "passage", call)
    assert out[:, 0].tolist() == list(range(16))
    assert peak[0] == 2  # never more calls at once than engines


def test_query_answers_during_a_long_passage_batch(embedder: Embedder) -> None:
    texts = [f"Năm 2025, xã số {i} trồng {i * 7} ha rừng và làm {i} km đường nông thôn." for i in range(40)]
    started = threading.Event()
    result: dict[str, np.ndarray] = {}

    def ingest() -> None:
        started.set()
        result["passages"] = embedder.encode(texts, "passage")

    worker = threading.Thread(target=ingest)
    worker.start()
    started.wait(5)
    time.sleep(0.05)
    q = embedder.encode(["xã số 3 trồng bao nhiêu ha rừng"], "query")
    still_embedding = worker.is_alive()
    worker.join(120)
    assert q.shape == (1, embedder.dim) and result["passages"].shape == (40, embedder.dim)
    assert still_embedding  # the question did not wait for the whole batch
    one_by_one = np.vstack([embedder.encode([t], "passage") for t in texts[:3]])
    assert np.allclose(one_by_one, result["passages"][:3], atol=1e-4)  # slicing changes no vector
