"""What a route may depend on, typed: the pipeline of one whole generation, the index service, the
metrics, and the admin key check. Routes read nothing else from `app.state`."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, Response

from app.index.service import Service
from app.pipeline import Pipeline
from app.serve.metrics import Metrics

GENERATION_HEADER = "X-Index-Generation"


def get_index(request: Request) -> Service:
    return request.app.state.index


IndexDep = Annotated[Service, Depends(get_index)]


def get_pipeline(request: Request, response: Response) -> Pipeline:
    """The pipeline this request uses from start to end: one whole index generation, named in a
    response header so a caller (or a test) can tell which one answered."""
    pipeline = getattr(request.app.state, "pipeline", None)
    index = getattr(request.app.state, "index", None)
    refused = index.refusing() if index is not None else None
    if pipeline is None or refused:
        reason = refused or (index.error if index is not None else None) or "the service is starting"
        raise HTTPException(
            status_code=503, detail=f"index not available: {reason}", headers={"Retry-After": "5"}
        )
    response.headers[GENERATION_HEADER] = pipeline.generation.name
    return pipeline


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def require_admin(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> None:
    key = request.app.state.settings.ADMIN_API_KEY.get_secret_value()
    if not key:
        raise HTTPException(403, detail="the admin API is disabled: set ADMIN_API_KEY to enable it")
    given = x_api_key or ""
    if not given and authorization and authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
    if not given or not hmac.compare_digest(given.encode(), key.encode()):
        raise HTTPException(
            401,
            detail="missing or wrong API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


Admin = Annotated[None, Depends(require_admin)]
