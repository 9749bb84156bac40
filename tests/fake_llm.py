"""A scripted OpenAI-compatible chat server for tests.

Tests drive the service's LLM path through the real ``openai`` client against this server, so that
timeouts, HTTP errors and broken streams are exercised over real sockets. No model runs: every reply
is scripted with :class:`Reply` and consumed in order, one per ``POST /v1/chat/completions``.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MODES = frozenset(
    {
        "answer",
        "status",
        "hang",
        "not_json",
        "empty_choices",
        "empty_content",
        "stall",
        "no_done",
        "malformed",
    }
)
DEFAULT_ANSWER = "Tài liệu hiện có không nêu thông tin này."
HANG_SECONDS = 3600.0  # "forever" for mode hang; stop() wakes it long before
NOT_JSON_BODY = "<html>Bad Gateway</html>"
START_TIMEOUT = 5.0
JOIN_TIMEOUT = 5.0

_ERROR_KINDS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "model_not_found"),
    408: ("timeout", None),
    409: ("conflict_error", None),
    422: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
}


@dataclass
class Reply:
    """One scripted reply to one POST /v1/chat/completions.

    Modes: answer, status, hang, not_json, empty_choices, empty_content, stall, no_done, malformed.
    Non-stream requests in the stream-only modes get: stall -> half a JSON body then silence;
    no_done -> an ordinary answer; malformed -> a truncated JSON body (connection closed cleanly).
    """

    mode: str = "answer"
    text: str = ""  # the answer text; for stall / no_done / malformed: what is sent around the fault
    status: int = 200  # for mode "status"
    retry_after: float | None = None  # for mode "status": Retry-After header (seconds)
    delay: float = 0.0  # seconds before headers; hang: how long to hang (0 = forever); stall: hold time
    chunk_size: int = 8  # characters per streamed delta
    usage: tuple[int, int] = (120, 30)  # prompt_tokens, completion_tokens reported

    def __post_init__(self) -> None:
        """Fail at scripting time on a typo'd mode rather than with a confusing reply later."""
        if self.mode not in MODES:
            raise ValueError(f"unknown Reply mode {self.mode!r}; expected one of {sorted(MODES)}")
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")


def _sse(data: dict[str, Any] | str) -> bytes:
    """One SSE event, as the OpenAI API frames it."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {payload}\n\n".encode()


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


class _Exchange:
    """What one request needs to build its reply: ids, model, stream flags."""

    def __init__(self, n: int, body: dict[str, Any] | str, reply: Reply) -> None:
        self.reply = reply
        self.id = f"chatcmpl-fake-{n}"
        self.created = int(time.time())
        as_dict = body if isinstance(body, dict) else {}
        model = as_dict.get("model")
        self.model = model if isinstance(model, str) and model else "fake"
        self.stream = as_dict.get("stream") is True
        options = as_dict.get("stream_options")
        self.include_usage = (
            self.stream and isinstance(options, dict) and options.get("include_usage") is True
        )

    def usage(self) -> dict[str, int]:
        prompt, completion = self.reply.usage
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def completion(self, text: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": self.usage(),
        }

    def chunk(self, delta: dict[str, Any] | None, finish_reason: str | None = None) -> dict[str, Any]:
        """A chat.completion.chunk; delta None means `choices: []`."""
        choices = (
            []
            if delta is None
            else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
        )
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": choices,
        }

    def usage_chunk(self) -> dict[str, Any]:
        return {**self.chunk(None), "usage": self.usage()}

    def deltas(self, text: str) -> list[bytes]:
        return [_sse(self.chunk({"content": piece})) for piece in _pieces(text, self.reply.chunk_size)]


class FakeLLM:
    """Scripted OpenAI-compatible chat server on 127.0.0.1, run by uvicorn in a daemon thread."""

    def __init__(self) -> None:
        self.default = Reply(text=DEFAULT_ANSWER)
        self.requests: list[Any] = []
        self.base_url = ""
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._count = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = asyncio.Event()
        self.app = Starlette(
            routes=[
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
            ]
        )

    # -- scripting -------------------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Queue replies; each request consumes one, then `default` answers."""
        with self._lock:
            self._queue.extend(replies)

    def reset(self) -> None:
        """Forget queued replies and recorded requests: each test starts from a clean script."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    @property
    def pending(self) -> int:
        """Scripted replies not yet consumed (tests can assert the service made every call)."""
        with self._lock:
            return len(self._queue)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Serve on a free port; binding port 0 ourselves avoids a pick-then-bind race."""
        if self._thread is not None:
            raise RuntimeError("FakeLLM already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # stream chunks go out as written
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self._stopping = asyncio.Event()  # binds to the server loop on first wait (Python >= 3.10)
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        self._server = server

        def run() -> None:
            async def main() -> None:
                self._loop = asyncio.get_running_loop()
                await server.serve(sockets=[sock])

            try:
                asyncio.run(main())
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name=f"fake-llm-{port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("FakeLLM did not start")
            time.sleep(0.005)
        self.base_url = f"http://127.0.0.1:{port}/v1"

    def stop(self) -> None:
        """Wake hanging handlers, then shut uvicorn down; returns within about a second."""
        loop, server, thread = self._loop, self._server, self._thread
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # loop closed between the check and the call
                loop.call_soon_threadsafe(self._stopping.set)
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(JOIN_TIMEOUT)
        self._server = self._thread = self._loop = None

    def __enter__(self) -> FakeLLM:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- handlers --------------------------------------------------------------------------------

    async def _wait(self, seconds: float) -> None:
        """Sleep up to `seconds`, but wake at once on stop() so no handler outlives the server."""
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _models(self, request: Request) -> Response:
        return JSONResponse(
            {"object": "list", "data": [{"id": "fake", "object": "model", "created": 0, "owned_by": "tests"}]}
        )

    async def _chat(self, request: Request) -> Response:
        raw = await request.body()
        body: dict[str, Any] | str
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self._lock:
            self.requests.append(body)
            self._count += 1
            reply = self._queue.popleft() if self._queue else self.default
            ex = _Exchange(self._count, body, reply)

        if reply.mode == "hang":
            await self._wait(reply.delay if reply.delay > 0 else HANG_SECONDS)
            return self._error(ex, 503, "fake server stopped while hanging")
        if reply.mode != "stall":
            await self._wait(reply.delay)
        if reply.mode == "status":
            return self._error(ex, reply.status, reply.text or f"scripted status {reply.status}")
        if reply.mode == "not_json":
            media = "text/event-stream" if ex.stream else "application/json"
            return Response(NOT_JSON_BODY, status_code=200, media_type=media)
        if ex.stream:
            return StreamingResponse(self._stream(ex), media_type="text/event-stream")
        return self._plain(ex)

    def _error(self, ex: _Exchange, status: int, message: str) -> Response:
        kind, code = _ERROR_KINDS.get(
            status, ("server_error" if status >= 500 else "invalid_request_error", None)
        )
        headers = {}
        if ex.reply.retry_after is not None:
            headers["Retry-After"] = f"{ex.reply.retry_after:g}"
        body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        return JSONResponse(body, status_code=status, headers=headers)

    def _plain(self, ex: _Exchange) -> Response:
        mode, text = ex.reply.mode, ex.reply.text
        if mode == "empty_choices":
            return JSONResponse({**ex.completion(""), "choices": []})
        if mode == "empty_content":
            return JSONResponse(ex.completion(""))
        if mode == "stall":
            full = json.dumps(ex.completion(text), ensure_ascii=False)
            return StreamingResponse(self._stall_plain(ex, full), media_type="application/json")
        if mode == "malformed":
            full = json.dumps(ex.completion(text), ensure_ascii=False)
            return Response(full[: len(full) // 2], media_type="application/json")
        return JSONResponse(ex.completion(text))  # answer, no_done

    async def _stall_plain(self, ex: _Exchange, full: str) -> AsyncIterator[bytes]:
        yield full[: len(full) // 2].encode()
        await self._wait(ex.reply.delay if ex.reply.delay > 0 else HANG_SECONDS)

    async def _stream(self, ex: _Exchange) -> AsyncIterator[bytes]:
        mode, text = ex.reply.mode, ex.reply.text
        role = _sse(ex.chunk({"role": "assistant"}))
        if mode == "empty_choices":
            yield _sse(ex.chunk(None))
            yield _sse(ex.chunk(None))
            yield _sse("[DONE]")
            return
        yield role
        if mode == "stall":
            for event in ex.deltas(text[: len(text) // 2]):
                yield event
            await self._wait(ex.reply.delay if ex.reply.delay > 0 else HANG_SECONDS)
            return
        if mode == "malformed":
            for event in ex.deltas(text)[:1]:
                yield event
            yield b"data: {not json\n\n"
            yield _sse("[DONE]")
            return
        if mode != "empty_content":
            for event in ex.deltas(text):
                yield event
        if mode == "no_done":
            return
        yield _sse(ex.chunk({}, finish_reason="stop"))
        if ex.include_usage:
            yield _sse(ex.usage_chunk())
        yield _sse("[DONE]")


_reserved: list[socket.socket] = []


def closed_port_url() -> str:
    """A base URL where connecting is refused: a port bound (so nobody else takes it) but not listening."""
    if not _reserved:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        _reserved.append(sock)
        atexit.register(sock.close)
    return f"http://127.0.0.1:{_reserved[0].getsockname()[1]}/v1"


def main() -> None:
    """Serve one scripted default reply from its own process (for bench/llm.py): prints the base URL."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="answer", choices=sorted(MODES))
    ap.add_argument("--text", default=DEFAULT_ANSWER)
    args = ap.parse_args()
    with FakeLLM() as fake:
        fake.default = Reply(mode=args.mode, text=args.text)
        print(fake.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
