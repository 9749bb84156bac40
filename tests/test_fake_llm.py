"""The fake LLM server, driven through the real `openai` client.

These tests pin down what the client shows for each scripted fault, because the service's error
handling is written against exactly these exceptions and behaviours.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from fake_llm import DEFAULT_ANSWER, FakeLLM, Reply, closed_port_url
from openai.types.chat import ChatCompletionChunk

TEXT = "Năm 2023, thu ngân sách của tỉnh đạt 12.345 tỷ đồng."
MESSAGES: list[Any] = [{"role": "user", "content": "Thu ngân sách năm 2023 là bao nhiêu?"}]
TEST_BUDGET = 2.0  # seconds per test, server start and stop included
STOP_BUDGET = 1.0


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    """A started server; teardown checks that stop() is quick and the whole test stayed in budget."""
    began = time.monotonic()
    llm = FakeLLM()
    llm.start()
    yield llm
    stop_began = time.monotonic()
    llm.stop()
    assert time.monotonic() - stop_began < STOP_BUDGET, "stop() was slow"
    assert time.monotonic() - began < TEST_BUDGET, "test exceeded its time budget"


def client(fake: FakeLLM, timeout: float = 2.0) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.base_url, api_key="x", max_retries=0, timeout=timeout)


def aclient(fake: FakeLLM, timeout: float = 2.0) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake.base_url, api_key="x", max_retries=0, timeout=timeout)


def stream_chunks(
    fake: FakeLLM, *, include_usage: bool = True, timeout: float = 2.0
) -> list[ChatCompletionChunk]:
    with client(fake, timeout) as c:
        stream = c.chat.completions.create(
            model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": include_usage}
        )
        return list(stream)


def content_of(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)


def test_models(fake: FakeLLM) -> None:
    with client(fake) as c:
        assert [m.id for m in c.models.list()] == ["fake"]


def test_answer_non_stream_and_request_recorded(fake: FakeLLM) -> None:
    fake.script(Reply(text=TEXT, usage=(200, 40)))
    with client(fake) as c:
        r = c.chat.completions.create(model="qwen", messages=MESSAGES, temperature=0)
    assert r.choices[0].message.content == TEXT
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].finish_reason == "stop"
    assert r.model == "qwen"
    assert r.usage is not None
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (200, 40, 240)
    assert fake.requests == [{"model": "qwen", "messages": MESSAGES, "temperature": 0}]
    assert fake.pending == 0


def test_answer_stream_with_usage(fake: FakeLLM) -> None:
    fake.script(Reply(text=TEXT, chunk_size=5))
    chunks = stream_chunks(fake, include_usage=True)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert content_of(chunks) == TEXT
    assert len([ch for ch in chunks if ch.choices and ch.choices[0].delta.content]) == -(-len(TEXT) // 5)
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 150
    assert fake.requests[0]["stream"] is True


def test_answer_stream_without_usage(fake: FakeLLM) -> None:
    fake.script(Reply(text=TEXT))
    chunks = stream_chunks(fake, include_usage=False)
    assert content_of(chunks) == TEXT
    assert all(ch.choices and ch.usage is None for ch in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_script_order_then_default(fake: FakeLLM) -> None:
    fake.script(Reply(text="một"), Reply(text="hai"))
    with client(fake) as c:
        got = [
            c.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content
            for _ in range(3)
        ]
    assert got == ["một", "hai", DEFAULT_ANSWER]
    assert len(fake.requests) == 3


def test_delay_before_headers(fake: FakeLLM) -> None:
    fake.script(Reply(text=TEXT, delay=0.3), Reply(text=TEXT, delay=0.3))
    with client(fake, timeout=0.1) as c, pytest.raises(openai.APITimeoutError):
        c.chat.completions.create(model="m", messages=MESSAGES)
    began = time.monotonic()
    with client(fake, timeout=1.0) as c:
        assert c.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content == TEXT
    assert time.monotonic() - began >= 0.3


def test_429_retry_after(fake: FakeLLM) -> None:
    fake.script(Reply(mode="status", status=429, retry_after=2))
    with client(fake) as c, pytest.raises(openai.RateLimitError) as info:
        c.chat.completions.create(model="m", messages=MESSAGES)
    e = info.value
    assert e.status_code == 429
    assert e.response.headers["retry-after"] == "2"
    assert e.code == "rate_limit_exceeded"
    assert isinstance(e.body, dict) and e.body["message"]


@pytest.mark.parametrize(
    ("status", "exc"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (404, openai.NotFoundError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (502, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_status_errors(fake: FakeLLM, status: int, exc: type[openai.APIStatusError], stream: bool) -> None:
    """Status errors are raised by create() itself, before any stream is returned."""
    fake.script(Reply(mode="status", status=status))
    with client(fake) as c, pytest.raises(exc) as info:
        c.chat.completions.create(model="m", messages=MESSAGES, stream=stream)
    assert info.value.status_code == status
    assert "retry-after" not in info.value.response.headers


@pytest.mark.parametrize("stream", [False, True])
def test_hang_times_out(fake: FakeLLM, stream: bool) -> None:
    """No headers ever: APITimeoutError (a subclass of APIConnectionError) from create()."""
    fake.script(Reply(mode="hang"))
    began = time.monotonic()
    with client(fake, timeout=0.3) as c, pytest.raises(openai.APITimeoutError):
        c.chat.completions.create(model="m", messages=MESSAGES, stream=stream)
    assert time.monotonic() - began < 1.0
    # the handler is still hanging here; the fixture checks stop() is nevertheless quick


def test_closed_port() -> None:
    with (
        openai.OpenAI(base_url=closed_port_url(), api_key="x", max_retries=0, timeout=1.0) as c,
        pytest.raises(openai.APIConnectionError) as info,
    ):
        c.chat.completions.create(model="m", messages=MESSAGES)
    assert not isinstance(info.value, openai.APITimeoutError)


def test_not_json_non_stream(fake: FakeLLM) -> None:
    """A 200 with a non-JSON body: the client raises a bare json.JSONDecodeError, NOT an openai.APIError."""
    fake.script(Reply(mode="not_json"))
    with client(fake) as c, pytest.raises(json.JSONDecodeError) as info:
        c.chat.completions.create(model="m", messages=MESSAGES)
    assert not isinstance(info.value, openai.OpenAIError)


def test_not_json_stream(fake: FakeLLM) -> None:
    """Non-SSE text under text/event-stream: the stream silently yields nothing, no exception."""
    fake.script(Reply(mode="not_json"))
    assert stream_chunks(fake) == []


def test_empty_choices(fake: FakeLLM) -> None:
    fake.script(Reply(mode="empty_choices", text=TEXT), Reply(mode="empty_choices", text=TEXT))
    with client(fake) as c:
        assert c.chat.completions.create(model="m", messages=MESSAGES).choices == []
    chunks = stream_chunks(fake)
    assert chunks and all(ch.choices == [] for ch in chunks)


def test_empty_content(fake: FakeLLM) -> None:
    fake.script(Reply(mode="empty_content", text=TEXT), Reply(mode="empty_content", text=TEXT))
    with client(fake) as c:
        r = c.chat.completions.create(model="m", messages=MESSAGES)
    assert r.choices[0].message.content == ""
    assert r.choices[0].finish_reason == "stop"
    chunks = stream_chunks(fake, include_usage=False)
    assert content_of(chunks) == ""
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_stall_stream_blocks_after_some_deltas(fake: FakeLLM) -> None:
    """The async iterator hands out the first half, then blocks (no error) until the caller gives up."""
    fake.script(Reply(mode="stall", text=TEXT, chunk_size=4))

    async def go() -> tuple[str, bool]:
        async with aclient(fake, timeout=5.0) as c:
            stream = await c.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            it = stream.__aiter__()
            got = ""
            for _ in range(1 + -(-(len(TEXT) // 2) // 4)):  # role chunk + the half-text deltas
                chunk = await asyncio.wait_for(it.__anext__(), 1.0)
                got += chunk.choices[0].delta.content or ""
            try:
                await asyncio.wait_for(it.__anext__(), 0.3)
            except TimeoutError:
                blocked = True
            else:
                blocked = False
            await stream.close()
            return got, blocked

    got, blocked = asyncio.run(go())
    assert got == TEXT[: len(TEXT) // 2]
    assert blocked


def test_stall_stream_read_timeout(fake: FakeLLM) -> None:
    """With a client read timeout, the stall surfaces as APITimeoutError raised mid-iteration."""
    fake.script(Reply(mode="stall", text=TEXT))
    got: list[ChatCompletionChunk] = []
    with client(fake, timeout=0.3) as c:
        stream = c.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        with pytest.raises(openai.APITimeoutError):
            for chunk in stream:
                got.append(chunk)
    assert content_of(got) == TEXT[: len(TEXT) // 2]


def test_stall_non_stream(fake: FakeLLM) -> None:
    """Non-stream stall (headers and half a body, then silence): APITimeoutError from create()."""
    fake.script(Reply(mode="stall", text=TEXT))
    with client(fake, timeout=0.3) as c, pytest.raises(openai.APITimeoutError):
        c.chat.completions.create(model="m", messages=MESSAGES)


def test_stall_left_open_does_not_delay_stop(fake: FakeLLM) -> None:
    """A stalled stream the client never closes must not hold up stop() (checked by the fixture)."""
    fake.script(Reply(mode="stall", text=TEXT))
    c = client(fake, timeout=5.0)
    stream = c.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    assert next(iter(stream)).choices[0].delta.role == "assistant"
    began = time.monotonic()
    fake.stop()
    assert time.monotonic() - began < STOP_BUDGET
    c.close()


def test_stall_with_delay_ends_stream(fake: FakeLLM) -> None:
    """stall with delay > 0 holds that long, then ends the body: a truncated stream, no error."""
    fake.script(Reply(mode="stall", text=TEXT, delay=0.2))
    chunks = stream_chunks(fake)
    assert content_of(chunks) == TEXT[: len(TEXT) // 2]
    assert all(ch.choices[0].finish_reason is None for ch in chunks)


def test_no_done_stream_ends_without_finish_reason(fake: FakeLLM) -> None:
    fake.script(Reply(mode="no_done", text=TEXT))
    chunks = stream_chunks(fake)
    assert content_of(chunks) == TEXT
    assert all(ch.choices and ch.choices[0].finish_reason is None for ch in chunks)
    assert all(ch.usage is None for ch in chunks)


def test_no_done_non_stream_is_an_answer(fake: FakeLLM) -> None:
    fake.script(Reply(mode="no_done", text=TEXT))
    with client(fake) as c:
        assert c.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content == TEXT


def test_malformed_stream(fake: FakeLLM) -> None:
    """One good delta, then the bad event raises a bare json.JSONDecodeError from iteration."""
    fake.script(Reply(mode="malformed", text=TEXT))
    got: list[ChatCompletionChunk] = []
    with client(fake) as c:
        stream = c.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        with pytest.raises(json.JSONDecodeError) as info:
            for chunk in stream:
                got.append(chunk)
    assert not isinstance(info.value, openai.OpenAIError)
    assert content_of(got) == TEXT[:8]


def test_malformed_non_stream(fake: FakeLLM) -> None:
    """Non-stream: a truncated JSON body, also a bare json.JSONDecodeError."""
    fake.script(Reply(mode="malformed", text=TEXT))
    with client(fake) as c, pytest.raises(json.JSONDecodeError):
        c.chat.completions.create(model="m", messages=MESSAGES)


def test_async_client_answer_and_fault(fake: FakeLLM) -> None:
    """The async client shows the same things as the sync one."""
    fake.script(Reply(text=TEXT), Reply(mode="status", status=429, retry_after=1.5), Reply(mode="malformed"))

    async def go() -> str:
        async with aclient(fake) as c:
            stream = await c.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            text = "".join([ch.choices[0].delta.content or "" async for ch in stream if ch.choices])
            with pytest.raises(openai.RateLimitError) as info:
                await c.chat.completions.create(model="m", messages=MESSAGES)
            assert info.value.response.headers["retry-after"] == "1.5"
            stream = await c.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            with pytest.raises(json.JSONDecodeError):
                async for _ in stream:
                    pass
            return text

    assert asyncio.run(go()) == TEXT


def test_unparseable_request_body_is_recorded_raw(fake: FakeLLM) -> None:
    r = httpx.post(
        f"{fake.base_url}/chat/completions", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert r.status_code == 200
    assert fake.requests == ["{oops"]


def test_context_manager_and_unknown_mode() -> None:
    with FakeLLM() as llm:
        assert llm.base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{llm.base_url}/models").json()["data"][0]["owned_by"] == "tests"
    with pytest.raises(ValueError, match="unknown Reply mode"):
        Reply(mode="timeout")
