"""`create_app(settings)`: the FastAPI app, with the pipeline loaded once at start-up.

If the index cannot be loaded the server still starts: /healthz answers, /readyz and /ask say what
is wrong and how to fix it (503), instead of a crash loop with the reason in a log nobody reads.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from app.config import Settings
from app.serve.admin import router as admin_router
from app.serve.openai_api import router as openai_router
from app.serve.routes import router
from app.serve.widget import router as widget_router

# Pages served from the developer's own machine may always embed the widget.
LOCALHOST = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$"

log = logging.getLogger("app")


def _field(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p != "body") or "body"


def _problem(e: dict) -> dict[str, str]:
    if e.get("type") == "json_invalid":
        return {
            "field": "body",
            "message": f"invalid JSON ({e.get('ctx', {}).get('error', 'cannot be parsed')})",
        }
    message = str(e.get("msg", "invalid")).removeprefix("Value error, ")
    return {"field": _field(tuple(e.get("loc", ()))), "message": message}


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 naming each bad field; the raw input is never echoed back."""
    detail = [_problem(e) for e in exc.errors()]
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in detail)
    return JSONResponse(status_code=422, content={"error": f"invalid request: {summary}", "detail": detail})


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return JSONResponse(status_code=exc.status_code, content={"error": str(exc.detail)}, headers=exc.headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    cfg = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.index import IndexLoadError
        from app.pipeline import Pipeline

        app.state.settings = cfg
        app.state.pipeline = None
        app.state.load_error = None
        try:
            app.state.pipeline = Pipeline(cfg)
            gen = app.state.pipeline.generation
            log.info(
                "index %s loaded: %d documents, %d chunks", gen.name, len(gen.documents), len(gen.chunks)
            )
        except IndexLoadError as exc:
            app.state.load_error = str(exc)
            log.error("index not loaded: %s", exc)
        yield
        if app.state.pipeline is not None and app.state.pipeline.llm is not None:
            await app.state.pipeline.llm.close()

    app = FastAPI(
        title="Hỏi đáp tài liệu địa phương",
        summary="Answers about Vietnamese local-government reports; every figure checked against its source.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.include_router(router)
    app.include_router(openai_router)
    app.include_router(widget_router)
    app.include_router(admin_router)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[o.strip().rstrip("/") for o in cfg.CORS_ORIGINS.split(",") if o.strip()],
        allow_origin_regex=LOCALHOST,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Authorization"],
        max_age=600,
    )
    return app
