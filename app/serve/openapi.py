"""The OpenAPI schema tells the truth about errors, so clients and schema-driven fuzzers can rely on it.

FastAPI documents its own 422 body (`{"detail": [{"loc", "msg", "type"}]}`), which this service does
not send, and knows nothing of the limits around the routes. This rewrites every operation's error
responses to what the service does send: `{"error": ...}` for 422, and the 401/403/404/413/415/429/503
that the admin key, the origin guard, the body and rate limits and an unloaded index can answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.serve.limits import EXEMPT
from app.serve.schemas import ErrorResponse, ReadyResponse

_REF = "#/components/schemas/{model}"
_WHY = {
    401: "A wrong or revoked API key, or none where one is needed",
    403: "The key lacks the role, the admin API is disabled, or the page's origin may not call",
    404: "No such collection readable with this key, or no such document, upload or key",
    413: "Request body over the limit",
    409: "Another writer holds the index (retry after Retry-After), or the collection exists already",
    415: "Unsupported upload type",
    422: "Invalid request: `error` names each field and what to fix",
    429: "Rate limit exceeded; see Retry-After",
    503: "Busy (see Retry-After) or the index is not loaded",
}
_ANSWERING = ("/ask", "/ask/stream", "/search", "/v1/chat/completions")


def _statuses(path: str, method: str, op: dict[str, Any]) -> set[int]:
    out: set[int] = set()
    if op.get("parameters") or op.get("requestBody") or method != "get":
        out.add(422)
    if path not in EXEMPT:
        out |= {401, 403, 404, 429, 503}  # every route that reads a key, a collection or both
    if method not in ("get", "head"):
        out |= {403, 413}
    if path.startswith(("/collections", "/keys", "/audit")):
        out |= {409, 422}
    if "/documents" in path:
        out |= {413, 415, 422, 503}
        if method in ("post", "delete"):
            out.add(409)
    if path in _ANSWERING:
        out.add(503)
    return out


def _error(status: int) -> dict[str, Any]:
    ref = {"$ref": _REF.format(model="ErrorResponse")}
    return {"description": _WHY[status], "content": {"application/json": {"schema": ref}}}


def document_errors(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ErrorResponse, ReadyResponse):
            body = model.model_json_schema(ref_template=_REF)
            components.update(body.pop("$defs", {}))
            components[model.__name__] = body
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for path, ops in schema.get("paths", {}).items():
            for method, op in ops.items():
                responses = op.setdefault("responses", {})
                for status in _statuses(path, method, op):
                    responses[str(status)] = _error(status)
        ready = schema["paths"].get("/readyz", {}).get("get")
        if ready:
            ref = {"$ref": _REF.format(model="ReadyResponse")}
            ready["responses"]["503"] = {
                "description": "The index is not loaded: `error` says why and how to fix it",
                "content": {"application/json": {"schema": ref}},
            }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
