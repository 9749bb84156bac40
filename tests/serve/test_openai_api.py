"""Our OpenAI-compatible API, used by the official `openai` client, streaming and not."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from pydantic import SecretStr

from app.config import Settings
from app.serve.server import running_app


@pytest.fixture(scope="module")
def client(seed_index: Settings) -> Iterator[openai.OpenAI]:
    # An OpenAI client always sends a key: a chat UI's goes in API_KEYS, which reads public collections.
    settings = seed_index.model_copy(update={"API_KEYS": SecretStr("unused")})
    with running_app(settings) as base:
        yield openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0, timeout=30)


def test_models(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list().data] == ["default"]  # a model is a collection


def test_chat_completion_with_footnotes_and_citations(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(
        model="vn-docqa",
        messages=[
            {"role": "system", "content": "Bạn là trợ lý."},
            {"role": "user", "content": "Phường Quy Nhơn Nam có bao nhiêu đảng viên?"},
        ],
    )
    content = r.choices[0].message.content or ""
    assert "4.985 đảng viên" in content and "Nguồn:" in content and "001_3f1230e1580dd915#" in content
    extra = r.model_extra or {}
    assert extra["citations"][0]["doc_id"] == "001_3f1230e1580dd915" and extra["mode"] == "extractive"
    assert all(f["verified"] for f in extra["figures"]) and r.choices[0].finish_reason == "stop"


def test_follow_up_uses_the_conversation(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(
        model="vn-docqa",
        messages=[
            {"role": "user", "content": "Mục tiêu tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?"},
            {"role": "assistant", "content": "… 348,5 tỷ đồng …"},
            {"role": "user", "content": "còn năm 2026 thì sao?"},
        ],
    )
    assert "519 tỷ đồng" in (r.choices[0].message.content or "")


def test_streaming_chat(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="vn-docqa",
        messages=[{"role": "user", "content": "Tỷ lệ thu gom rác thải phường Quy Nhơn năm 2025?"}],
        stream=True,
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "99%" in text and "Nguồn:" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-1].model_extra or {})["citations"]


def test_no_user_message_is_422(client: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="vn-docqa", messages=[{"role": "system", "content": "x"}])
