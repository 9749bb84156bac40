"""`create_app(settings)`: the FastAPI app, with the pipeline loaded once at start-up.

The index belongs to `IndexService` (open, repair, write, switch, merge, background embedding); its
listener rebinds the pipeline to each generation it serves. If the index cannot be loaded the server
still starts: /healthz answers, /readyz and /ask say what is wrong and how to fix it (503), instead of
a crash loop with the reason in a log nobody reads.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from anyio import to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app import profiles
from app.config import Settings
from app.serve import errors
from app.serve.access import DEFAULT, AccessStore
from app.serve.admin import collection_documents
from app.serve.admin import router as admin_router
from app.serve.collections import router as collections_router
from app.serve.console import router as console_router
from app.serve.context import RequestContext
from app.serve.eval_runs import EvalRuns
from app.serve.library import Library
from app.serve.limits import BodyLimit, ConcurrencyLimit, RateLimit
from app.serve.metrics import Metrics, MetricsMiddleware
from app.serve.metrics import router as metrics_router
from app.serve.openai_api import router as openai_router
from app.serve.openapi import document_errors
from app.serve.question_log import QuestionLog
from app.serve.questions import collection_questions
from app.serve.questions import router as questions_router
from app.serve.routes import router
from app.serve.security import OriginGuard, SecurityHeaders, origins
from app.serve.sources import Linker
from app.serve.sources import router as sources_router
from app.serve.uploads import collection_uploads
from app.serve.uploads import router as uploads_router
from app.serve.widget import router as widget_router

log = logging.getLogger("app")


def _kept(home: Path | None, name: str, setting: str, what: str) -> Path:
    """Beside the index when this process keeps state on its disk; a shared-index replica keeps
    none there, so without `setting` (a file the replicas share) it is this process's alone."""
    if home is not None:
        return home / name
    log.warning(
        "%s unset: %s live in a temporary file of this replica only; point it at a shared file", setting, what
    )
    return Path(tempfile.mkdtemp(prefix="docqa-")) / name


def create_app(settings: Settings | None = None) -> FastAPI:
    cfg = settings or Settings()
    from app.ingest import ocr

    ocr.configure(cfg)  # uploads of scans read with the configured language, resolution, workers
    profiles.configure(cfg)  # what cleaning, matching and figures know of the genre

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.embed import make_embedder

        # Retrieval and answering are Python CPU work run in threads. Each runnable thread competes
        # with the event loop for the GIL, so 40 of them (anyio's default) make /healthz wait
        # hundreds of ms under load; a few keep it prompt and lose no throughput on a few cores.
        to_thread.current_default_thread_limiter().total_tokens = cfg.MAX_WORKER_THREADS
        app.state.settings = cfg
        app.state.library = Library(cfg, make_embedder(cfg))
        default = app.state.library.open_now(DEFAULT)  # the other collections open on their first request
        home = default.service.state_dir()
        app.state.access = AccessStore(
            cfg.ACCESS_DB or _kept(home, "access.sqlite", "ACCESS_DB", "collections and keys"),
            default_public=cfg.DEFAULT_COLLECTION_PUBLIC,
        )
        app.state.questions = (
            QuestionLog(
                cfg.QUESTION_LOG_DB or _kept(home, "questions.sqlite", "QUESTION_LOG_DB", "the question log"),
                cfg.QUESTION_LOG_DAYS,
            )
            if cfg.QUESTION_LOG
            else None
        )
        app.state.linker = Linker(app.state.access, cfg.SOURCE_LINK_DAYS)
        app.state.eval_runs = EvalRuns(app.state.access.path.with_name("evals.sqlite"))
        yield
        await app.state.library.close()
        app.state.eval_runs.close()
        app.state.access.close()
        if app.state.questions is not None:
            app.state.questions.close()

    app = FastAPI(
        title="Hỏi đáp tài liệu địa phương",
        summary="Answers about Vietnamese local-government reports; every figure checked against its source.",
        version="0.1.0",
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(router)
    app.include_router(openai_router)
    app.include_router(widget_router)
    app.include_router(admin_router)
    app.include_router(uploads_router)
    app.include_router(collections_router)
    app.include_router(collection_documents)
    app.include_router(collection_uploads)
    app.include_router(questions_router)
    app.include_router(collection_questions)
    app.include_router(console_router)
    app.include_router(sources_router)
    if cfg.METRICS_ENABLED:
        app.include_router(metrics_router)
    app.state.metrics = Metrics(app.state)
    routers = (
        router,
        openai_router,
        widget_router,
        admin_router,
        uploads_router,
        metrics_router,
        collections_router,
        collection_documents,
        collection_uploads,
        questions_router,
        collection_questions,
        console_router,
        sources_router,
    )
    templates = sorted({r.path for rt in routers for r in rt.routes} | {"/docs", "/redoc", "/openapi.json"})
    document_errors(app)

    # Added innermost first: a request meets them from the bottom of this list up.
    allowed = origins(cfg.CORS_ORIGINS)
    app.add_middleware(BodyLimit, settings=cfg)
    app.add_middleware(ConcurrencyLimit, settings=cfg)
    app.add_middleware(RateLimit, settings=cfg)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=allowed,  # empty: same-origin only
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-Request-ID"],
        expose_headers=["Retry-After", "X-Request-ID"],
        max_age=600,
    )
    app.add_middleware(OriginGuard, allowed=allowed)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics, templates=templates)
    app.add_middleware(RequestContext)
    return app
