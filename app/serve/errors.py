"""Every error as `{"error": ...}` that says what to fix, and never the raw input.

The framework's defaults echo the input back (a lone surrogate in it then crashes the encoder: a 500
instead of a 422), and answer a body that is not UTF-8 or is nested too deeply with a bare 400.
These handlers say which field is wrong and why, and quote nothing the client sent except field
names (escaped).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

_PARSE_FAILED = "There was an error parsing the body"
_FIELD_CHARS = 80


def _safe(text: object, limit: int | None = None) -> str:
    """Text that always encodes as UTF-8: surrogates and other oddities become escapes."""
    out = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    return out if limit is None or len(out) <= limit else out[:limit] + "…"


def _field(loc: tuple) -> str:
    return ".".join(_safe(p, _FIELD_CHARS) for p in loc if p != "body") or "body"


def _problem(e: dict) -> dict[str, str]:
    if e.get("type") == "json_invalid":
        reason = _safe(e.get("ctx", {}).get("error", "cannot be parsed"))
        return {"field": "body", "message": f"invalid JSON ({reason})"}
    message = _safe(e.get("msg", "invalid")).removeprefix("Value error, ")
    return {"field": _field(tuple(e.get("loc", ()))), "message": message}


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 naming each bad field; the raw input is never echoed back."""
    detail = [_problem(e) for e in exc.errors()]
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in detail)
    return JSONResponse(status_code=422, content={"error": f"invalid request: {summary}", "detail": detail})


def _unparsable(exc: StarletteHTTPException) -> str:
    cause = exc.__cause__
    if isinstance(cause, UnicodeDecodeError):
        return "invalid JSON (the body is not UTF-8): send UTF-8 encoded JSON"
    if isinstance(cause, RecursionError):
        return "invalid JSON (nested too deeply): send a flat JSON object"
    return "invalid JSON (cannot be parsed): send a JSON object"


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    status, message = exc.status_code, _safe(exc.detail)
    if status == 400 and exc.detail == _PARSE_FAILED:
        message = _unparsable(exc)
        detail = [{"field": "body", "message": message}]
        return JSONResponse(status_code=422, content={"error": message, "detail": detail})
    return JSONResponse(status_code=status, content={"error": message}, headers=exc.headers)


async def index_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The shared index (Milvus) did not answer in time: a 503 the client may retry, never a 500;
    the index service reports it in /readyz until Milvus answers again."""
    library = getattr(request.app.state, "library", None)
    for shelf in library.opened_shelves() if library is not None else ():  # one Milvus behind them all
        shelf.service.unavailable(exc)
    return JSONResponse(
        status_code=503,
        content={"error": f"the index is unavailable, retry shortly: {_safe(exc, 300)}"},
        headers={"Retry-After": "5"},
    )


async def embedder_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The embedding endpoint (EMBEDDER=openai) failed for a question: a 503 the client may retry."""
    wait = getattr(exc, "retry_after_s", None)
    return JSONResponse(
        status_code=503,
        content={"error": f"questions cannot be embedded now, retry shortly: {_safe(exc, 300)}"},
        headers={"Retry-After": str(max(1, round(wait))) if wait else "5"},
    )


def install(app: FastAPI) -> None:
    from app.embed import EmbedderError
    from app.index.milvus import MilvusUnavailable

    app.add_exception_handler(MilvusUnavailable, index_unavailable)
    app.add_exception_handler(EmbedderError, embedder_unavailable)
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
