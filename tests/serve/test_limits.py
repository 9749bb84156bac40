"""Rate limit (429), requests in flight (503), uvicorn's connection limit (503): each answers at once,
says when to retry, and leaves health checks and clients within their limits alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from fake_llm import FakeLLM, Reply
from pydantic import SecretStr

from app.config import Settings
from app.serve.server import running_app

QUESTION = {"question": "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?"}


def test_rate_limit_per_address_and_per_key(seed_index: Settings) -> None:
    settings = seed_index.model_copy(
        update={
            "RATE_LIMIT_PER_IP": "3/minute",
            "RATE_LIMIT_PER_KEY": "5/minute",
            "API_KEYS": SecretStr("ward-site-key,other-key"),
        }
    )
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=30) as c:
        assert [c.post("/search", json=QUESTION).status_code for _ in range(3)] == [200] * 3
        r = c.post("/ask", json=QUESTION)
        assert r.status_code == 429 and "rate limit" in r.json()["error"]
        assert 1 <= int(r.headers["retry-after"]) <= 60
        # An invented key buys no fresh budget; a listed key has its own.
        assert c.post("/search", json=QUESTION, headers={"X-API-Key": "made-up"}).status_code == 429
        keyed = [
            c.post("/search", json=QUESTION, headers={"Authorization": "Bearer ward-site-key"}).status_code
            for _ in range(6)
        ]
        assert keyed == [200] * 5 + [429]
        assert c.post("/search", json=QUESTION, headers={"X-API-Key": "other-key"}).status_code == 200
        # Probes and the widget are never limited.
        assert all(c.get(p).status_code == 200 for p in ("/healthz", "/readyz", "/widget.js", "/metrics"))


@pytest.fixture
def hung_llm() -> Iterator[FakeLLM]:
    with FakeLLM() as fake:
        fake.default = Reply(mode="hang")
        yield fake


def test_requests_in_flight_past_the_cap_get_503(seed_index: Settings, hung_llm: FakeLLM) -> None:
    settings = seed_index.model_copy(
        update={
            "MAX_CONCURRENT_REQUESTS": 1,
            "LLM_BASE_URL": hung_llm.base_url,
            "LLM_MODEL": "fake",
            "LLM_FIRST_TOKEN_TIMEOUT_S": 2.0,
            "LLM_DEADLINE_S": 2.0,
            "LLM_RETRIES": 0,
        }
    )
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=30) as c:
        first: dict[str, httpx.Response] = {}
        holder = threading.Thread(target=lambda: first.update(r=c.post("/ask", json=QUESTION)))
        holder.start()
        deadline = time.monotonic() + 10
        while not hung_llm.requests and time.monotonic() < deadline:  # the first is waiting on the LLM
            time.sleep(0.02)
        assert hung_llm.requests, "the first request never reached the LLM"
        busy = c.post("/search", json=QUESTION)
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert "busy" in busy.json()["error"]
        health = c.get("/healthz")
        assert health.status_code == 200
        holder.join(timeout=20)
        # The hung model costs the first client its deadline, not its answer.
        answered = first["r"].json()
        assert first["r"].status_code == 200 and answered["mode"] == "extractive"
        assert answered["fallback_reason"] and "348,5 tỷ đồng" in answered["answer"]
        assert c.post("/search", json=QUESTION).status_code == 200
        assert "llm_fallbacks_total 1.0" in c.get("/metrics").text


def test_connections_past_the_uvicorn_limit_get_503(seed_index: Settings) -> None:
    settings = seed_index.model_copy(update={"MAX_CONNECTIONS": 2})
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=10) as held:
        assert held.get("/healthz").status_code == 200  # keeps its connection open
        with httpx.Client(base_url=base, timeout=10) as other:
            assert other.get("/healthz").status_code == 503
        held.close()
        deadline = time.monotonic() + 5
        status = 0
        while status != 200 and time.monotonic() < deadline:
            with httpx.Client(base_url=base, timeout=10) as again:
                status = again.get("/healthz").status_code
            time.sleep(0.05)
        assert status == 200
