"""Abuse control: request body size (413), a per-client rate limit (429), requests in flight (503).

Both answer at once with a JSON error and `Retry-After`, before any body is read or any embedding
runs, so a flood costs almost nothing and the clients within their limits keep their latency.
Health, readiness, metrics and the static widget are exempt: probes must see the truth under load.

A client is its API key when it sends one listed in `API_KEYS`, the admin key, or a key the admin
key made (with its own `rate_limit`, else RATE_LIMIT_PER_KEY), as
`Authorization: Bearer` or `X-API-Key` (a ward's own server relaying its visitors); otherwise its
address (behind a proxy listed in `FORWARDED_ALLOW_IPS`, the address the proxy forwarded). Any
other key counts as none, so inventing keys does not buy a fresh budget. Rates are counted in a
moving window by the `limits` library (the engine under slowapi), in memory: one process, one count.
"""

from __future__ import annotations

import hashlib
import math
import time

from fastapi import HTTPException
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings

EXEMPT = frozenset(
    {"/healthz", "/readyz", "/metrics", "/widget.js", "/demo.js", "/", "/favicon.ico", "/docs", "/redoc"}
)
EXEMPT_PREFIXES = ("/docs/", "/openapi.json")


def limited(scope: Scope) -> bool:
    if scope["type"] != "http":
        return False
    path: str = scope["path"]
    return path not in EXEMPT and not path.startswith(EXEMPT_PREFIXES)


def unthrottled(settings: Settings) -> Settings:
    """Settings without rate limits: for the eval harness and benchmarks, trusted clients that
    measure answers and latency, not throttling."""
    return settings.model_copy(update={"RATE_LIMIT_PER_IP": "", "RATE_LIMIT_PER_KEY": ""})


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class RateLimit:
    """429 with Retry-After once a client has used its budget; see the module docstring."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.per_ip: list[RateLimitItem] = (
            parse_many(settings.RATE_LIMIT_PER_IP) if settings.RATE_LIMIT_PER_IP.strip() else []
        )
        self.per_key: list[RateLimitItem] = (
            parse_many(settings.RATE_LIMIT_PER_KEY) if settings.RATE_LIMIT_PER_KEY.strip() else []
        )
        keys = [k.strip() for k in settings.API_KEYS.get_secret_value().split(",") if k.strip()]
        admin = settings.ADMIN_API_KEY.get_secret_value()
        # Only digests are kept: the keys themselves never sit in the limiter's storage.
        self.known = {_digest(k) for k in [*keys, admin] if k}
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self._own: dict[str | None, list[RateLimitItem]] = {}  # a scoped key's own limit, parsed once

    def _client(self, scope: Scope) -> tuple[str, list[RateLimitItem]]:
        headers = Headers(scope=scope)
        key = headers.get("x-api-key") or ""
        auth = headers.get("authorization") or ""
        if not key and auth.lower().startswith("bearer "):
            key = auth[7:].strip()
        if key and _digest(key) in self.known:
            return f"key:{_digest(key)}", self.per_key
        access = getattr(scope["app"].state, "access", None) if "app" in scope else None
        record = access.key_for(key) if key and access is not None else None
        if record is not None and record.revoked_at is None:  # a key made by the root key
            if record.rate_limit not in self._own:
                self._own[record.rate_limit] = (
                    parse_many(record.rate_limit) if record.rate_limit else self.per_key
                )
            return f"key:{record.id}", self._own[record.rate_limit]
        client = scope.get("client")
        return f"ip:{client[0] if client else 'unknown'}", self.per_ip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not limited(scope):
            await self.app(scope, receive, send)
            return
        who, items = self._client(scope)
        for item in items:
            if not self.limiter.hit(item, who):
                reset, _ = self.limiter.get_window_stats(item, who)
                retry = max(1, math.ceil(reset - time.time()))
                body = {"error": f"rate limit exceeded ({item}): retry in {retry} s"}
                response = JSONResponse(body, status_code=429, headers={"Retry-After": str(retry)})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class ConcurrencyLimit:
    """503 with Retry-After past `MAX_CONCURRENT_REQUESTS` requests in flight on the limited routes.

    Refusing at once beats queueing: a queued request would wait behind the ones that made the
    service slow, and its client would time out anyway. The event loop is single-threaded, so a plain
    counter is exact.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max = settings.MAX_CONCURRENT_REQUESTS
        self.active = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not limited(scope):
            await self.app(scope, receive, send)
            return
        if self.active >= self.max:
            body = {"error": f"the service is busy ({self.max} requests in progress): retry in a second"}
            await JSONResponse(body, status_code=503, headers={"Retry-After": "1"})(scope, receive, send)
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


class BodyTooLarge(HTTPException):
    """An HTTPException, so the framework's body parsers let it through to the error handlers."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=f"request body larger than {limit:,} bytes: send less")


class BodyLimit:
    """413 past `MAX_BODY_KB` (`MAX_UPLOAD_REQUEST_MB` on /documents), declared or not.

    A declared Content-Length over the limit is refused before anything is read; a chunked body is
    counted as it arrives and refused at the first byte past the limit, so nothing big is buffered.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.default = settings.MAX_BODY_KB * 1024
        self.uploads = int(settings.MAX_UPLOAD_REQUEST_MB * 1024 * 1024)

    def _limit(self, path: str) -> int:
        return self.uploads if path == "/documents" or path.startswith("/documents/") else self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await JSONResponse({"error": BodyTooLarge(limit).detail}, status_code=413)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)
