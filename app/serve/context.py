"""A request id on every response and every log line, and one access-log line per request.

The id comes from the client's `X-Request-ID` when it is a short token (so a proxy's id carries
through), otherwise a new one. It lives in a context variable for the request's task, so any log
record made while serving it (route, pipeline, LLM client) carries it without being passed around.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
_ACCEPTED = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access = logging.getLogger("app.access")
log = logging.getLogger("app.serve")


def request_id() -> str:
    """The id of the request being served ("-" outside one)."""
    return _REQUEST_ID.get()


def _incoming(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _ACCEPTED.match(text) else None
    return None


class RequestContext:
    """Outermost middleware: sets the id, stamps it on the response, logs method, path, status, time.

    It is also the last resort for a bug: the traceback is logged with the id, and the client gets a
    JSON 500 naming the id to quote, never a trace.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming(scope) or uuid.uuid4().hex
        token = _REQUEST_ID.set(rid)
        t0 = time.perf_counter()
        status, started = 500, False

        async def stamped(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, stamped)
        except Exception:
            log.exception("unhandled error")
            if started:
                raise
            body = {"error": f"internal error; quote request id {rid} when reporting it"}
            await JSONResponse(body, status_code=500)(scope, receive, stamped)
        finally:
            client = scope.get("client")
            access.info(
                "%s %s %d",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"].encode("utf-8", "backslashreplace").decode()[:200],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - t0) * 1000, 2),
                    "client": client[0] if client else None,
                },
            )
            _REQUEST_ID.reset(token)
