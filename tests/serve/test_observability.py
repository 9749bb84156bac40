"""Request ids on responses and log lines, JSON logs, Prometheus metrics, security headers."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator

import httpx
import pytest

from app.config import Settings
from app.serve import logs
from app.serve.server import running_app

QUESTION = {"question": "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?"}


@pytest.fixture(scope="module")
def client(seed_index: Settings) -> Iterator[httpx.Client]:
    with running_app(seed_index) as base, httpx.Client(base_url=base, timeout=60) as c:
        yield c


def test_request_id_is_kept_or_made(client: httpx.Client) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.01"}).headers["x-request-id"] == "lb-7f3a.01"
    )
    made = client.get("/healthz", headers={"X-Request-ID": "bad id; rm -rf"}).headers["x-request-id"]
    assert len(made) == 32 and made.isalnum()  # an unsafe id is replaced, not reflected
    assert client.get("/nope").headers["x-request-id"]


def test_json_log_lines_carry_the_request_id(client: httpx.Client) -> None:
    buf = io.StringIO()
    logs.configure("json", "info", stream=buf)
    try:
        client.post("/ask", json=QUESTION, headers={"X-Request-ID": "trace-42"})
        client.post("/ask", json={"question": ""}, headers={"X-Request-ID": "trace-43"})
        # The access line is written once the response has gone out: give the server thread a moment.
        deadline = time.monotonic() + 5
        while buf.getvalue().count('"app.access"') < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        logs.configure("json", "warning")
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    access = {r["request_id"]: r for r in lines if r["logger"] == "app.access"}
    assert access["trace-42"]["status"] == 200 and access["trace-42"]["path"] == "/ask"
    assert access["trace-43"]["status"] == 422 and access["trace-42"]["duration_ms"] > 0
    assert all({"time", "level", "logger", "message", "request_id"} <= r.keys() for r in lines)


def test_metrics(client: httpx.Client) -> None:
    client.post("/ask", json=QUESTION)
    client.post("/ask", json={"question": "Thời tiết Hà Nội hôm nay thế nào?"})  # abstains
    client.post("/search", json=QUESTION)
    client.get("/documents/some-id-a-scanner-tried")
    client.get("/no/such/page")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    m = r.text
    assert 'http_requests_total{method="POST",route="/ask",status="200"}' in m
    assert 'route="/documents/{doc_id}"' in m and 'route="unmatched",status="404"' in m
    assert "some-id-a-scanner-tried" not in m and "/no/such/page" not in m  # templates, not raw paths
    assert 'http_request_duration_seconds_bucket{le="0.5",method="POST",route="/ask"}' in m
    assert 'answers_total{mode="extractive"}' in m
    abstained = next(ln for ln in m.splitlines() if ln.startswith("abstentions_total "))
    assert float(abstained.split()[1]) >= 1
    count = next(ln for ln in m.splitlines() if ln.startswith("retrieval_duration_seconds_count"))
    assert float(count.split()[1]) >= 3
    assert "index_documents 5.0" in m and "index_loaded 1.0" in m and "index_pending_vectors 0.0" in m
    assert 'index_generation_info{generation="gen-' in m
    size = next(ln for ln in m.splitlines() if ln.startswith("index_size_bytes"))
    assert float(size.split()[1]) > 10_000


def test_security_headers(client: httpx.Client) -> None:
    page = client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    api = client.post("/ask", json=QUESTION)
    assert api.headers["content-security-policy"].startswith("default-src 'none'")
    assert "server" not in api.headers  # the uvicorn banner is off
    assert "cdn.jsdelivr.net" in client.get("/docs").headers["content-security-policy"]


def test_metrics_can_be_turned_off(seed_index: Settings) -> None:
    settings = seed_index.model_copy(update={"METRICS_ENABLED": False, "LOG_FORMAT": "text"})
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=30) as c:
        assert c.get("/metrics").status_code == 404
        assert c.get("/healthz").status_code == 200
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == logs.HANDLER_NAME)
    assert not isinstance(handler.formatter, logs.JsonFormatter)
    logs.configure("json", "warning")
