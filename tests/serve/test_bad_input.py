"""The bad-input table: each kind of nonsense gets its documented status, a JSON `{"error": ...}`
that does not echo the input, and nothing stored changes. The real app over HTTP, over a copy of
the seed index with the admin API on."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from app.config import Settings
from app.serve.server import running_app

KEY = "bad-input-admin-key"
QUESTION = "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?"
JSON = {"content-type": "application/json"}
MB = 1024 * 1024


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, seed_index: Settings
) -> Iterator[tuple[httpx.Client, Path]]:
    root = tmp_path_factory.mktemp("bad-input")
    shutil.copytree(seed_index.INDEX_DIR, root / "index")
    settings = seed_index.model_copy(update={"INDEX_DIR": root / "index", "ADMIN_API_KEY": SecretStr(KEY)})
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=60) as c:
        yield c, root / "index"


def snapshot(index: Path) -> dict[str, tuple[int, int]]:
    """Every file under the index with its size and mtime: any write shows."""
    return {
        str(p.relative_to(index)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(index.rglob("*"))
        if p.is_file()
    }


def raw(body: str) -> dict[str, Any]:
    """A body sent as written (ASCII-escaped JSON carries lone surrogates, which UTF-8 cannot)."""
    return {"content": body.encode(), "headers": JSON}


def chunked(total: int) -> Iterator[bytes]:
    """A body with no Content-Length: sent in 16 KB chunks."""
    yield b'{"question": "'
    for _ in range(total // 16384):
        yield b"a" * 16384
    yield b'"}'


SURROGATE = json.dumps({"question": "ngân sách \udc99 Quy Nhơn"})  # ensure_ascii: "\udc99" escaped
NESTED = "[" * 5000 + "]" * 5000
WRONG_KEY = {"X-API-Key": "not-the-key"}
EVIL = {"Origin": "https://evil.example"}
WORDS = ["ngân sách", " Quy Nhơn", " 2025", "?", "!", " ", "\u202e", "\x00", "<b>"]

# (case, method, path, request kwargs, status, words the error must contain)
TABLE: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    ("empty body", "POST", "/ask", {"content": b"", "headers": JSON}, 422, "required"),
    ("empty object", "POST", "/ask", {"json": {}}, 422, "question"),
    ("question a number", "POST", "/ask", {"json": {"question": 5}}, 422, "question"),
    ("top_k a word", "POST", "/ask", {"json": {"question": QUESTION, "top_k": "năm"}}, 422, "top_k"),
    ("top_k too big", "POST", "/search", {"json": {"question": QUESTION, "top_k": 10**9}}, 422, "top_k"),
    ("stream a string", "POST", "/ask", {"json": {"question": QUESTION, "stream": "có"}}, 422, "stream"),
    ("array body", "POST", "/ask", {"json": [QUESTION]}, 422, "body"),
    ("question an array", "POST", "/ask", {"json": {"question": [QUESTION]}}, 422, "question"),
    ("invalid JSON", "POST", "/ask", raw('{"question": "ngân'), 422, "invalid JSON"),
    (
        "invalid UTF-8",
        "POST",
        "/ask",
        {"content": b'{"question": "\xff\xfe"}', "headers": JSON},
        422,
        "UTF-8",
    ),
    ("JSON nested 5,000 deep", "POST", "/ask", raw(NESTED), 422, "nested too deeply"),
    ("nested in chat", "POST", "/v1/chat/completions", raw(NESTED), 422, "nested too deeply"),
    ("empty question", "POST", "/ask", {"json": {"question": ""}}, 422, "empty"),
    ("white-space question", "POST", "/ask", {"json": {"question": " \n\t\u3000 "}}, 422, "empty"),
    ("only invisible characters", "POST", "/ask", {"json": {"question": "\u200b\u202e\x00"}}, 422, "empty"),
    ("1,001 characters", "POST", "/ask", {"json": {"question": "a" * 1001}}, 422, "1000"),
    ("1 MB question", "POST", "/ask", {"json": {"question": "a" * MB}}, 413, "larger than"),
    (
        "1 MB, no Content-Length",
        "POST",
        "/ask",
        {"content": chunked(MB), "headers": JSON},
        413,
        "larger than",
    ),
    ("lone surrogate", "POST", "/ask", raw(SURROGATE), 422, "surrogate"),
    ("lone surrogate, search", "POST", "/search", raw(SURROGATE), 422, "surrogate"),
    (
        "lone surrogate, chat",
        "POST",
        "/v1/chat/completions",
        raw(json.dumps({"messages": [{"role": "user", "content": "a \udc99"}]})),
        422,
        "surrogate",
    ),
    ("surrogate in a key", "POST", "/ask", raw('{"\\udc99": 1}'), 422, "invalid request"),
    (
        "max_tokens 0",
        "POST",
        "/v1/chat/completions",
        {"json": {"messages": [{"role": "user", "content": QUESTION}], "max_tokens": 0}},
        422,
        "max_tokens",
    ),
    (
        "max_tokens huge",
        "POST",
        "/v1/chat/completions",
        {"json": {"messages": [{"role": "user", "content": QUESTION}], "max_tokens": 10**7}},
        422,
        "max_tokens",
    ),
    ("admin list, wrong key", "GET", "/documents", {"headers": {"X-API-Key": "wrong"}}, 401, "API key"),
    (
        "admin upload, no key",
        "POST",
        "/documents",
        {"json": {"doc_id": "x", "text": "Văn bản."}},
        401,
        "API key",
    ),
    (
        "admin upload, wrong key",
        "POST",
        "/documents",
        {"json": {"doc_id": "x", "text": "Văn bản."}, "headers": WRONG_KEY},
        401,
        "API key",
    ),
    (
        "admin delete, wrong key",
        "DELETE",
        "/documents/000_ba4ab6dccccf8163",
        {"headers": WRONG_KEY},
        401,
        "API key",
    ),
    (
        "disallowed Origin, ask",
        "POST",
        "/ask",
        {"json": {"question": QUESTION}, "headers": EVIL},
        403,
        "CORS_ORIGINS",
    ),
    (
        "disallowed Origin, admin with the key",
        "DELETE",
        "/documents/000_ba4ab6dccccf8163",
        {"headers": {**EVIL, "X-API-Key": KEY}},
        403,
        "CORS_ORIGINS",
    ),
    ("unknown route", "GET", "/wp-login.php", {}, 404, "Not Found"),
    ("wrong method", "PUT", "/ask", {"json": {"question": QUESTION}}, 405, "Method Not Allowed"),
]


@pytest.mark.parametrize(
    ("case", "method", "path", "kwargs", "status", "words"), TABLE, ids=[r[0] for r in TABLE]
)
def test_bad_input_gets_its_status_and_changes_nothing(
    served: tuple[httpx.Client, Path],
    case: str,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    words: str,
) -> None:
    client, index = served
    before = snapshot(index)
    r = client.request(method, path, **kwargs)
    assert r.status_code == status, (case, r.status_code, r.text[:300])
    body = r.json()
    assert words.lower() in body["error"].lower(), body
    assert "udc99" not in r.text and "aaaaaaaaaa" not in r.text  # the input is not echoed
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-request-id"]
    assert snapshot(index) == before
    assert client.get("/healthz").status_code == 200


def ask(client: httpx.Client, question: str) -> dict:
    r = client.post("/ask", json={"question": question})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(
    "disguised",
    [
        "Tổng thu\x00 ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?",  # NUL
        "Tổng thu ngân\u200b sách phường Quy\u200d Nhơn năm 2025 là bao nhiêu?",  # zero-width
        "\u202eTổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?\u202c",  # RTL override
        "Tô\u0309ng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?",  # NFD
    ],
)
def test_invisible_characters_are_removed_before_matching(
    served: tuple[httpx.Client, Path], disguised: str
) -> None:
    client, _ = served
    body = ask(client, disguised)
    assert not body["abstained"] and "348,5 tỷ đồng" in body["answer"]


def test_markup_in_a_question_is_text(served: tuple[httpx.Client, Path]) -> None:
    client, _ = served
    r = client.post("/ask", json={"question": f"<script>alert(1)</script> {QUESTION}"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert "<script>" not in r.json()["answer"]
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_markup_in_a_document_is_stored_as_text_and_served_as_json(
    served: tuple[httpx.Client, Path],
) -> None:
    client, _ = served
    auth = {"X-API-Key": KEY}
    text = "Phường Thử Nghiệm có 4.321 hộ dân <script>alert(1)</script> và \u202e\u200bmột trạm y tế."
    r = client.post("/documents", json={"doc_id": "markup_doc", "text": text}, headers=auth)
    assert r.status_code == 201, r.text
    stored = client.get("/documents/markup_doc", headers=auth)
    assert stored.headers["content-type"] == "application/json"
    assert stored.headers["x-content-type-options"] == "nosniff"
    assert "<script>alert(1)</script>" in stored.json()["text"]  # kept as text, never served as HTML
    assert "\u202e" not in stored.json()["text"] and "\u200b" not in stored.json()["text"]
    assert client.delete("/documents/markup_doc", headers=auth).status_code == 200


def test_symbols_only_question_is_answered(served: tuple[httpx.Client, Path]) -> None:
    client, _ = served
    for q in ("!", "???", "…", "😀"):  # no word to match: an abstention, not a crash
        assert ask(client, q)["abstained"] is True


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    question=st.lists(st.one_of(st.characters(exclude_categories=()), st.sampled_from(WORDS)), max_size=40)
)
def test_any_question_over_http_is_answered_or_refused(
    served: tuple[httpx.Client, Path], question: list[str]
) -> None:
    """All of Unicode, surrogates included, through the real app: 200 or 422, never anything else."""
    client, _ = served
    r = client.post("/ask", **raw(json.dumps({"question": "".join(question)})))
    assert r.status_code in (200, 422), r.text[:300]
    assert ("answer" in r.json()) if r.status_code == 200 else r.json()["error"]


def test_no_500_was_answered(served: tuple[httpx.Client, Path]) -> None:
    """Runs last in this module: the service's own count of what it answered."""
    client, _ = served
    metrics = client.get("/metrics").text
    assert 'status="422"' in metrics and 'status="413"' in metrics
    assert 'status="500"' not in metrics
