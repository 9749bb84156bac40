"""A circuit breaker for the LLM endpoint: after several failures in a row, stop calling it for a while.

A dead endpoint would otherwise cost every question its full timeout before the extractive fallback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    def __init__(self, failures: int, cooldown_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = failures
        self.cooldown_s = cooldown_s
        self._clock = clock
        self.failures = 0
        self._opened_at: float | None = None
        self.last_error: str | None = None

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return "closed"
        return "half-open" if self._clock() - self._opened_at >= self.cooldown_s else "open"

    def allow(self) -> bool:
        """Closed: yes. Open: no. Half-open: yes, one trial; its outcome closes or re-opens."""
        return self.state != "open"

    def retry_in(self) -> float:
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.cooldown_s - (self._clock() - self._opened_at))

    def success(self) -> None:
        self.failures = 0
        self._opened_at = None
        self.last_error = None

    def failure(self, reason: str) -> None:
        self.failures += 1
        self.last_error = reason
        if self.failures >= self.threshold or self.state == "half-open":
            self._opened_at = self._clock()
