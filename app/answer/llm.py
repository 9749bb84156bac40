"""Answers from any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server), streamed.

Everything that can go wrong with a remote model becomes an `LLMError` with a reason in words:
refused connections, timeouts before headers, 429 (Retry-After honoured within the deadline), 5xx,
bodies that are not JSON, empty choices or content, streams that stall or stop without finishing,
malformed `data:` lines. The pipeline turns every one of them into the extractive answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import openai
from openai import AsyncOpenAI

from app.answer.prompts import Prompts
from app.config import Settings
from app.models import LLMUsage, Passage


class LLMError(Exception):
    """The endpoint did not produce a usable answer; `reason` says why, for the response and logs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after") if exc.response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class LLMClient:
    def __init__(self, settings: Settings, prompts: Prompts) -> None:
        self.settings = settings
        self.prompts = prompts
        self.model = settings.LLM_MODEL
        self.formats_refused = 0  # leading response_formats the endpoint refused (never sent again)
        self._client = AsyncOpenAI(
            base_url=settings.LLM_BASE_URL,
            api_key=settings.LLM_API_KEY.get_secret_value() or "not-needed",
            max_retries=0,  # retries are ours: they must respect the overall deadline
            timeout=openai.Timeout(
                connect=settings.LLM_CONNECT_TIMEOUT_S,
                read=settings.LLM_FIRST_TOKEN_TIMEOUT_S,
                write=settings.LLM_CONNECT_TIMEOUT_S,
                pool=settings.LLM_CONNECT_TIMEOUT_S,
            ),
        )

    def messages(self, question: str, passages: list[Passage]) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.prompts.system},
            {"role": "user", "content": self.prompts.render_user(question, passages)},
        ]

    def repair_messages(
        self, messages: list[dict[str, str]], answer: str, problems: list[str]
    ) -> list[dict[str, str]]:
        return [
            *messages,
            {"role": "assistant", "content": answer},
            {"role": "user", "content": self.prompts.render_repair(problems)},
        ]

    async def close(self) -> None:
        await self._client.close()

    async def stream(
        self,
        messages: list[dict[str, str]],
        usage: LLMUsage,
        deadline: float,
        response_formats: tuple[dict[str, Any], ...] = (),
    ) -> AsyncIterator[str]:
        """Text deltas of one answer. Retries (429, 5xx, connection) happen only before the first delta,
        and only while the deadline (a `time.monotonic()` instant) leaves room. `response_formats` are
        ways to ask for structured output, best first: one the endpoint refuses (OpenAI and vLLM
        answer 400 to what they do not know, llama-cpp-python's server 500) is not sent again, and
        past the last the request goes in plain text: the caller's parser takes the text as it comes."""
        s = self.settings
        t0 = time.perf_counter()
        attempt = 0
        while attempt <= s.LLM_RETRIES:
            usage.attempts += 1
            last = attempt == s.LLM_RETRIES
            attempt += 1
            extra: dict[str, Any] = {}
            if self.formats_refused < len(response_formats):
                extra["response_format"] = response_formats[self.formats_refused]
            try:
                stream = await asyncio.wait_for(
                    self._client.chat.completions.create(
                        model=self.model,
                        messages=messages,  # type: ignore[arg-type]
                        temperature=s.LLM_TEMPERATURE,
                        max_tokens=s.LLM_MAX_TOKENS,
                        stream=True,
                        stream_options={"include_usage": True},
                        **extra,
                    ),
                    timeout=self._left(deadline, s.LLM_FIRST_TOKEN_TIMEOUT_S),
                )
            except TimeoutError as exc:
                raise LLMError(f"no response from the LLM within {s.LLM_FIRST_TOKEN_TIMEOUT_S:g} s") from exc
            except openai.APITimeoutError as exc:
                raise LLMError("the LLM request timed out before a response") from exc
            except openai.RateLimitError as exc:
                wait = _retry_after(exc) or 1.0
                if last or time.monotonic() + wait >= deadline - 1.0:
                    raise LLMError("the LLM endpoint is rate limiting (429)") from exc
                await asyncio.sleep(wait)
                continue
            except openai.APIStatusError as exc:
                if exc.status_code in (400, 422, 500) and extra:  # not this way: the next, or plain text
                    self.formats_refused += 1
                    attempt -= 1
                    continue
                if last or exc.status_code < 500:
                    raise LLMError(f"the LLM endpoint answered HTTP {exc.status_code}") from exc
                await asyncio.sleep(min(0.5, self._left(deadline, 0.5)))
                continue
            except openai.APIConnectionError as exc:
                if last:
                    raise LLMError("cannot connect to the LLM endpoint") from exc
                await asyncio.sleep(min(0.2, self._left(deadline, 0.2)))
                continue
            except (openai.OpenAIError, ValueError) as exc:
                raise LLMError(f"unusable response from the LLM ({type(exc).__name__})") from exc
            async for delta in self._deltas(stream, usage, deadline, t0):
                yield delta
            usage.latency_ms = (time.perf_counter() - t0) * 1000
            return

    async def _deltas(self, stream: Any, usage: LLMUsage, deadline: float, t0: float) -> AsyncIterator[str]:
        s = self.settings
        chunks = stream.__aiter__()
        finished = False
        got_text = False
        try:
            while True:
                wait = s.LLM_IDLE_TIMEOUT_S if got_text else s.LLM_FIRST_TOKEN_TIMEOUT_S
                try:
                    chunk = await asyncio.wait_for(chunks.__anext__(), timeout=self._left(deadline, wait))
                except StopAsyncIteration:
                    break
                except TimeoutError as exc:
                    if time.monotonic() >= deadline - 0.02:
                        raise LLMError(f"the LLM did not finish within {s.LLM_DEADLINE_S:g} s") from exc
                    raise LLMError(f"the LLM stream stalled (nothing for {wait:g} s)") from exc
                except (openai.OpenAIError, ValueError) as exc:  # a bad `data:` line is a JSONDecodeError
                    raise LLMError(f"malformed stream from the LLM ({type(exc).__name__})") from exc
                if getattr(chunk, "usage", None):
                    usage.prompt_tokens = chunk.usage.prompt_tokens
                    usage.completion_tokens = chunk.usage.completion_tokens
                for choice in chunk.choices or []:
                    text = choice.delta.content if choice.delta else None
                    if text:
                        if not got_text:
                            usage.first_token_ms = (time.perf_counter() - t0) * 1000
                        got_text = True
                        yield text
                    if choice.finish_reason:
                        finished = True
        finally:
            await stream.close()
        if not got_text:
            raise LLMError("the LLM returned no text")
        if not finished:
            raise LLMError("the LLM stream ended before it finished (no [DONE])")

    @staticmethod
    def _left(deadline: float, cap: float) -> float:
        """The smaller of a per-step timeout and what is left of the overall deadline."""
        return max(0.01, min(cap, deadline - time.monotonic()))
