"""Who may call from a browser (CORS allow-list), and the headers every response carries.

CORS: only the origins listed in `CORS_ORIGINS` may call the API from their pages; an empty list
means same-origin only (the demo page the service serves itself), never "any". A request carrying
an `Origin` that is neither listed nor the service's own is refused with 403 unless it only reads
(GET/HEAD), so a page elsewhere cannot make a visitor's browser spend the service's budget or, with
an admin's stored key, change documents.

Headers: `nosniff` and a frame policy everywhere; a Content-Security-Policy that lets the demo page
run the widget (scripts and API calls from this origin only; the widget's Shadow-DOM `<style>` needs
inline styles) and blocks everything else; JSON answers get the strictest policy, as they are never
meant to be rendered as a page.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# FastAPI's Swagger UI and ReDoc load their assets from jsDelivr and start with an inline script.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The console: no script at all, forms posted to itself only.
CONSOLE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_READS = frozenset({"GET", "HEAD"})


def origins(setting: str) -> list[str]:
    return [o.strip().rstrip("/") for o in setting.split(",") if o.strip()]


def _same_origin(origin: str, headers: Headers) -> bool:
    host = headers.get("host")
    return bool(host) and origin.split("://", 1)[-1] == host


class OriginGuard:
    """403 for requests from a page whose origin may not call the API (reads excepted)."""

    def __init__(self, app: ASGIApp, allowed: list[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _READS:
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            if origin and origin not in self.allowed and not _same_origin(origin, headers):
                body = {"error": "this origin may not call the API: add it to CORS_ORIGINS on the server"}
                await JSONResponse(body, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                # The console's forms post to itself: under "no-referrer" Chromium sends them with
                # `Origin: null`, which the origin guard must refuse.
                console = scope["path"] == "/admin" or scope["path"].startswith("/admin/")
                headers.setdefault("Referrer-Policy", "same-origin" if console else "no-referrer")
                headers.setdefault(
                    "Content-Security-Policy", _csp(scope["path"], headers.get("content-type", ""))
                )
            await send(message)

        await self.app(scope, receive, with_headers)


def _csp(path: str, content_type: str) -> str:
    if path in ("/docs", "/redoc"):
        return DOCS_CSP
    if path == "/admin" or path.startswith("/admin/"):
        return CONSOLE_CSP
    return PAGE_CSP if content_type.startswith("text/html") else API_CSP
