"""`create_app(settings)`: the FastAPI app, with the pipeline loaded once at start-up.

If the index cannot be loaded the server still starts: /healthz answers, /readyz and /ask say what
is wrong and how to fix it (503), instead of a crash loop with the reason in a log nobody reads.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from app.config import Settings
from app.embed import Embedder
from app.index import (
    DocumentStoreError,
    EmbedderMismatch,
    IndexLoadError,
    can_rebuild,
    check_index,
    open_index,
)
from app.serve.admin import router as admin_router
from app.serve.backfill import Backfill
from app.serve.openai_api import router as openai_router
from app.serve.reload import GenerationSwitch
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


def _load(app: FastAPI, cfg: Settings, embedder: Embedder) -> None:
    """Serve the index if it verifies. If it is damaged or behind the stored documents, rebuild it in
    the background: /healthz answers meanwhile and /readyz, /ask say 503 "rebuilding", so no request
    is ever answered from a broken generation."""
    from app.pipeline import Pipeline

    try:
        app.state.pipeline = Pipeline(cfg, embedder, check_index(cfg, embedder))
    except (IndexLoadError, DocumentStoreError) as exc:
        if isinstance(exc, EmbedderMismatch | DocumentStoreError) or not can_rebuild(cfg):
            app.state.load_error = str(exc)
            log.error("index not loaded: %s", exc)
            return
        app.state.load_error = f"rebuilding the index from the stored documents ({exc})"
        log.warning("%s", app.state.load_error)

        def rebuild() -> None:
            try:
                app.state.pipeline = Pipeline(cfg, embedder, open_index(cfg, embedder))
                app.state.load_error = None
            except Exception as err:  # the thread's only report is this state: keep every failure
                app.state.load_error = f"the index could not be rebuilt: {err}"
                log.exception("index rebuild failed")

        threading.Thread(target=rebuild, name="index-rebuild", daemon=True).start()
        return
    gen = app.state.pipeline.generation
    log.info("index %s loaded: %d documents, %d chunks", gen.name, len(gen.documents), len(gen.chunks))


def create_app(settings: Settings | None = None) -> FastAPI:
    cfg = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.embed import make_embedder

        app.state.settings = cfg
        app.state.pipeline = None
        app.state.load_error = None
        app.state.switch = GenerationSwitch(app.state)
        app.state.backfill = Backfill(app.state)
        _load(app, cfg, make_embedder(cfg))
        tasks = [asyncio.create_task(app.state.backfill.run())]
        if cfg.RELOAD_INTERVAL_S > 0:
            tasks.append(asyncio.create_task(app.state.switch.watch(cfg.RELOAD_INTERVAL_S)))
        app.state.backfill.request()  # a crash may have left rows unembedded
        yield
        for task in tasks:
            task.cancel()
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
