"""Collections (knowledge bases), the keys scoped to them, and the audit log, over HTTP.

Making and deleting collections and keys takes the root key (ADMIN_API_KEY); a key is shown once,
in the answer that made it. Listing collections shows each caller only those it may read.
"""

from __future__ import annotations

from typing import Annotated, Literal

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.serve.access import DEFAULT, AccessError, CollectionInfo, KeyRecord, check_name
from app.serve.deps import GateDep

router = APIRouter(tags=["collections"])
CollectionName = Annotated[str, Path(max_length=64, description="the collection")]


class CollectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=64, description="lower-case ASCII letters, digits, inner hyphens")
    public: bool = Field(False, description="readable with no key (ask, search, /v1, document lists)")


class CollectionOut(BaseModel):
    name: str
    public: bool
    created_at: float
    documents: int | None = Field(None, description="documents in it (when asked for one collection)")
    chunks: int | None = None


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["ask", "manage"]
    collections: list[str] = Field(
        default_factory=list, max_length=100, description="more collections the key covers besides this one"
    )
    rate_limit: str | None = Field(
        None, max_length=64, description="its own rate limit, e.g. '120/minute' (default RATE_LIMIT_PER_KEY)"
    )
    origins: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="pages that may send it (a widget's key), e.g. 'https://phuong.example.vn'; empty = any",
    )


class KeyOut(BaseModel):
    id: str
    prefix: str = Field(..., description="what may be shown of the key")
    role: str
    collections: list[str]
    created_at: float
    revoked_at: float | None = None
    rate_limit: str | None = None
    origins: list[str] = []
    key: str | None = Field(None, description="the key itself: shown once, when it is made")


def _collection(c: CollectionInfo, documents: int | None = None, chunks: int | None = None) -> CollectionOut:
    return CollectionOut(
        name=c.name, public=c.public, created_at=c.created_at, documents=documents, chunks=chunks
    )


def _key(k: KeyRecord, token: str | None = None) -> KeyOut:
    return KeyOut(
        id=k.id,
        prefix=k.prefix,
        role=k.role,
        collections=list(k.collections),
        created_at=k.created_at,
        revoked_at=k.revoked_at,
        rate_limit=k.rate_limit,
        origins=list(k.origins),
        key=token,
    )


@router.post("/collections", status_code=201, response_model=CollectionOut, summary="Make a collection")
async def create_collection(body: CollectionIn, gate: GateDep) -> CollectionOut:
    gate.require_root("make a collection")
    try:
        check_name(body.name)
        info = await to_thread.run_sync(gate.access.create_collection, body.name, body.public)
    except AccessError as exc:
        gate.audit("create collection", None, None, f"refused: {exc}")
        code = 409 if "exists" in str(exc) else 422
        raise HTTPException(code, detail=str(exc)) from None
    gate.audit("create collection", info.name, None, "ok" + (" (public)" if info.public else ""))
    return _collection(info, 0, 0)


@router.get("/collections", response_model=list[CollectionOut], summary="The collections this key may read")
def list_collections(gate: GateDep) -> list[CollectionOut]:
    return [_collection(c) for c in gate.readable()]


@router.get("/collections/{name}", response_model=CollectionOut, summary="One collection and its size")
async def describe_collection(name: CollectionName, gate: GateDep) -> CollectionOut:
    info = gate.readable_or_404(name)
    gen = (await gate.pipeline(name)).generation
    return _collection(info, len(gen.documents), gen.chunk_count)


@router.delete("/collections/{name}", summary="Delete a collection: its documents, vectors and originals")
async def delete_collection(name: CollectionName, gate: GateDep) -> JSONResponse:
    gate.require_root("delete a collection")
    gate.readable_or_404(name)
    if name == DEFAULT:
        raise HTTPException(
            409, detail="the default collection cannot be deleted; delete its documents instead"
        )
    # The row first: no request opens the collection again while its files go.
    revoked = await to_thread.run_sync(gate.access.delete_collection, name)
    documents, chunks = await gate.library.remove(name)
    gate.audit("delete collection", name, None, f"ok: {documents} documents, {chunks} chunks removed")
    return JSONResponse({"deleted": name, "documents": documents, "chunks": chunks, "keys_revoked": revoked})


@router.post(
    "/collections/{name}/keys", status_code=201, response_model=KeyOut, summary="Make a key for a collection"
)
async def create_key(name: CollectionName, body: KeyIn, gate: GateDep) -> KeyOut:
    gate.require_root("make a key")
    gate.readable_or_404(name)
    if body.rate_limit:
        from limits import parse_many

        try:
            parse_many(body.rate_limit)
        except ValueError:
            raise HTTPException(
                422, detail=f"rate_limit {body.rate_limit!r}: write it like '120/minute'"
            ) from None
    origins = [o.strip().rstrip("/") for o in body.origins if o.strip()]
    if any(not o.startswith(("http://", "https://")) for o in origins):
        raise HTTPException(422, detail="origins: each is a page's origin, e.g. 'https://phuong.example.vn'")
    try:
        record, token = await to_thread.run_sync(
            lambda: gate.access.create_key(body.role, [name, *body.collections], body.rate_limit, origins)
        )
    except AccessError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    gate.audit("create key", ",".join(record.collections)[:400], None, f"ok: key {record.id} ({record.role})")
    return _key(record, token)


@router.get("/collections/{name}/keys", response_model=list[KeyOut], summary="The keys of a collection")
def list_keys(name: CollectionName, gate: GateDep) -> list[KeyOut]:
    gate.require_root("list keys")
    gate.readable_or_404(name)
    return [_key(k) for k in gate.access.keys(name)]


@router.delete("/keys/{key_id}", response_model=KeyOut, summary="Revoke a key (from its next request on)")
def revoke_key(key_id: Annotated[str, Path(max_length=16)], gate: GateDep) -> KeyOut:
    gate.require_root("revoke a key")
    record = gate.access.revoke(key_id)
    if record is None:
        raise HTTPException(404, detail=f"no key {key_id!r}")
    gate.audit("revoke key", ",".join(record.collections)[:400], None, f"ok: key {key_id}")
    return _key(record)


@router.get("/audit", summary="Every write and key action, newest first")
def audit(
    gate: GateDep,
    before: Annotated[int | None, Query(ge=1, description="the `next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> JSONResponse:
    gate.require_root("read the audit log")
    entries = gate.access.audit_page(before, limit)
    following = entries[-1]["id"] if len(entries) == limit else None
    return JSONResponse({"entries": entries, "next": following})
