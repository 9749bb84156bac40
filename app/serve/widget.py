"""The embeddable chat widget (/widget.js) and the demo page (/) that embeds it like any other page."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

STATIC = Path(__file__).resolve().parent / "static"
router = APIRouter(include_in_schema=False)


@cache
def _asset(name: str) -> tuple[bytes, str]:
    body = (STATIC / name).read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:16]}"'


def _static(request: Request, name: str, media_type: str, max_age: int) -> Response:
    body, etag = _asset(name)
    headers = {"Cache-Control": f"public, max-age={max_age}", "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


@router.get("/widget.js")
def widget(request: Request) -> Response:
    return _static(request, "widget.js", "text/javascript; charset=utf-8", 300)


@router.get("/demo.js")
def demo_js(request: Request) -> Response:
    return _static(request, "demo.js", "text/javascript; charset=utf-8", 300)


@router.get("/", response_class=HTMLResponse)
def demo(request: Request) -> Response:
    return _static(request, "demo.html", "text/html; charset=utf-8", 60)
