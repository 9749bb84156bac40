"""Prometheus metrics (prometheus-client): requests, latency, retrieval, LLM, fallbacks, the index.

Each app has its own registry, so several apps in one process (tests, benchmarks) never share or
clash. Requests are labelled by route template ("/documents/{doc_id}", or "unmatched"), never by raw
path, so scanners cannot blow up the number of series. Answers are observed from the pipeline's
event stream as it passes through the routes; the index is read when Prometheus scrapes.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.embed import EmbedProgress
from app.pipeline import CitationsEvent, Event, FinalEvent

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
router = APIRouter(include_in_schema=False)


class _IndexCollector(Collector):
    """The index generation being served and its size, read at scrape time from the app's state."""

    def __init__(self, state: object) -> None:
        self.state = state

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | InfoMetricFamily]:
        library = getattr(self.state, "library", None)
        shelf = library.opened("default") if library is not None else None  # `default`'s index only
        pipeline = shelf.pipeline if shelf is not None else None
        yield GaugeMetricFamily(
            "index_loaded", "1 when an index generation is loaded", value=int(bool(pipeline))
        )
        yield from _embedding(shelf.service.embedding if shelf is not None else None)
        uploads = shelf.uploads if shelf is not None else None
        if uploads is not None:
            yield GaugeMetricFamily(
                "uploads_in_progress", "uploads whose files are still being read or written", uploads.running
            )
        if pipeline is None:
            return
        gen = pipeline.generation
        yield InfoMetricFamily(
            "index_generation", "the generation being served", value={"generation": gen.name}
        )
        yield GaugeMetricFamily(
            "index_documents", "documents in the served generation", value=len(gen.documents)
        )
        yield GaugeMetricFamily(
            "index_chunks", "chunks (vectors) in the served generation", value=gen.chunk_count
        )
        yield GaugeMetricFamily(
            "index_pending_vectors",
            "chunks an upload stored lexical-only, still being embedded in the background",
            value=len(gen.pending),
        )
        root = Path(pipeline.settings.INDEX_DIR)
        parts = [*root.glob("catalog.sqlite*"), *(root / "lexical").glob("*"), *(root / "vectors").glob("*")]
        size = sum(f.stat().st_size for f in parts if f.is_file())
        yield GaugeMetricFamily(
            "index_size_bytes", "bytes on disk of the index (catalog, lexical, vectors)", value=size
        )


def _embedding(p: EmbedProgress | None) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    """The embedding of uploads (in the background, or in the upload with a shared index)."""
    if p is None:
        return
    yield GaugeMetricFamily("embedding_running", "1 while uploaded passages are being embedded", p.running)
    yield GaugeMetricFamily(
        "embedding_run_passages", "passages the current (or last) embedding run needs vectors for", p.total
    )
    yield GaugeMetricFamily(
        "embedding_run_done",
        "of them, with a vector so far (a stopped run's saved ones included)",
        p.done + p.resumed,
    )
    yield GaugeMetricFamily("embedding_run_rate", "passages embedded a second by that run", p.rate)
    eta = p.eta_s
    if p.running and eta is not None:
        yield GaugeMetricFamily("embedding_run_eta_seconds", "seconds that run still needs, at its rate", eta)
    yield CounterMetricFamily("embedded_passages", "passages embedded by this process", p.embedded_total)


class Metrics:
    def __init__(self, state: object) -> None:
        disable_created_metrics()  # the *_created series only double what a scrape needs
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "http_requests", "HTTP requests by route and status", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=_LATENCY,
            registry=r,
        )
        self.retrieval = Histogram(
            "retrieval_duration_seconds",
            "question -> ranked passages (embedding included)",
            buckets=_LATENCY,
            registry=r,
        )
        self.llm = Histogram(
            "llm_duration_seconds", "LLM answers used, repair included", buckets=_LATENCY, registry=r
        )
        self.answers = Counter("answers", "answers by the path that wrote them", ["mode"], registry=r)
        self.abstentions = Counter("abstentions", "answers saying the documents do not tell", registry=r)
        self.fallbacks = Counter("llm_fallbacks", "LLM answers replaced by the extractive one", registry=r)
        r.register(_IndexCollector(state))

    def render(self) -> bytes:
        return generate_latest(self.registry)

    async def observe(self, events: AsyncIterator[Event]) -> AsyncIterator[Event]:
        """Pass the pipeline's events through, timing retrieval and counting what the answer was."""
        t0 = time.perf_counter()
        async for event in events:
            if isinstance(event, CitationsEvent):
                self.retrieval.observe(time.perf_counter() - t0)
            elif isinstance(event, FinalEvent):
                a = event.answer
                self.answers.labels(a.mode).inc()
                if a.abstained:
                    self.abstentions.inc()
                if a.fallback_reason and a.mode == "extractive" and self._llm_tried(a.fallback_reason):
                    self.fallbacks.inc()
                if a.llm is not None:
                    self.llm.observe(a.llm.latency_ms / 1000)
            yield event

    async def final(self, events: AsyncIterator[Event]) -> FinalEvent:
        """The final event of an observed answer (for the non-streaming routes)."""
        async for event in self.observe(events):
            if isinstance(event, FinalEvent):
                return event
        raise RuntimeError("the answer stream ended without a final event")

    @staticmethod
    def _llm_tried(reason: str) -> bool:
        return reason != "unverified figure"  # the extractive answerer's own safety net, not a fallback


class RouteLabels:
    """Path -> route template. The matched route is in the scope once routing ran; requests the
    limits answered before routing are matched here against the same templates."""

    def __init__(self, templates: list[str]) -> None:
        self.patterns = [(compile_path(t)[0], t) for t in templates]

    def __call__(self, scope: Scope) -> str:
        route = scope.get("route")
        if isinstance(getattr(route, "path", None), str):
            return route.path  # type: ignore[union-attr]
        path = scope["path"]
        return next((t for rx, t in self.patterns if rx.match(path)), "unmatched")


class MetricsMiddleware:
    """Counts every response by method, route and final status, and times it (streams to their end)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, templates: list[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.route_of = RouteLabels(templates)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500

        async def seen(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, seen)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = self.route_of(scope)
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - t0)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE)
