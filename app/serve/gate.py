"""Who is calling and which collection a request may read or change: every route that touches a
collection goes through `Gate`, so no path can answer from a collection its caller may not read.

A caller is the root key (ADMIN_API_KEY: everything), a key made by it (`ask` or `manage`, over its
collections; see `app.serve.access`), or nobody (public collections only; a key of API_KEYS counts
as nobody with its own rate budget). A collection the caller may not read answers 404 exactly like
one that does not exist, so names of private collections do not leak; a readable one the caller may
not change answers 403. A wrong or revoked key is a 401 on every route, public ones included.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Header, HTTPException, Path, Request, Response

from app.config import Settings
from app.models import Chunk
from app.pipeline import Pipeline
from app.serve.access import DEFAULT, AccessError, AccessStore, CollectionInfo, KeyRecord, check_name
from app.serve.library import Library, Shelf

if TYPE_CHECKING:
    from app.serve.sources import Linker

GENERATION_HEADER = "X-Index-Generation"
_ASK_FOR_KEY = "send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"


@dataclass(frozen=True)
class Caller:
    key: KeyRecord | None  # a key made by the root key
    root: bool = False

    @property
    def key_id(self) -> str:
        """Who, in the audit log: "root", a key's id, or "-" for nobody."""
        return "root" if self.root else self.key.id if self.key else "-"

    def reads(self, info: CollectionInfo) -> bool:
        return self.root or info.public or (self.key is not None and info.name in self.key.collections)

    def manages(self, name: str) -> bool:
        return self.root or (
            self.key is not None and self.key.role == "manage" and name in self.key.collections
        )


def presented_key(authorization: str | None, x_api_key: str | None) -> str:
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return ""


def identify(settings: Settings, access: AccessStore, token: str, origin: str | None) -> Caller:
    if not token:
        return Caller(None)
    root = settings.ADMIN_API_KEY.get_secret_value()
    if root and hmac.compare_digest(token.encode(), root.encode()):
        return Caller(None, root=True)
    key = access.key_for(token)
    if key is None:
        clients = {k.strip() for k in settings.API_KEYS.get_secret_value().split(",") if k.strip()}
        if any(hmac.compare_digest(token.encode(), c.encode()) for c in clients):
            return Caller(None)  # a relaying client's key: no collection of its own, a budget of its own
        raise HTTPException(
            401, detail=f"unknown API key: {_ASK_FOR_KEY}", headers={"WWW-Authenticate": "Bearer"}
        )
    if key.revoked_at is not None:
        raise HTTPException(
            401, detail=f"this API key ({key.prefix}…) was revoked", headers={"WWW-Authenticate": "Bearer"}
        )
    if key.origins and origin and origin.rstrip("/") not in key.origins:
        raise HTTPException(403, detail=f"this key may be used only from: {', '.join(key.origins)}")
    return Caller(key)


class Gate:
    """The request's caller, with the collections behind it."""

    def __init__(
        self,
        caller: Caller,
        access: AccessStore,
        library: Library,
        response: Response,
        linker: Linker | None = None,
    ) -> None:
        self.caller, self.access, self.library, self._response = caller, access, library, response
        self.collection: str | None = None  # the one the request reads, once resolved
        self._linker = linker

    def link(self, chunk: Chunk) -> str | None:
        """The signed url of a cited chunk's source page, in the collection this request reads."""
        if self._linker is None or self.collection is None:
            return None
        return self._linker.url(self.collection, chunk)

    def readable(self) -> list[CollectionInfo]:
        return [c for c in self.access.collections() if self.caller.reads(c)]

    def _info(self, name: str) -> CollectionInfo:
        try:
            check_name(name)
        except AccessError as exc:
            raise HTTPException(422, detail=str(exc)) from None
        info = self.access.collection(name)
        if info is None or not (self.caller.reads(info) or self.caller.manages(name)):
            who = "with this key" if self.caller.key or self.caller.root else "without a key"
            raise HTTPException(404, detail=f"no collection {name!r} readable {who}")
        return info

    def readable_or_404(self, name: str) -> CollectionInfo:
        return self._info(name)

    def default_name(self) -> str:
        key = self.caller.key
        if key is None:
            return DEFAULT
        if len(key.collections) == 1:
            return key.collections[0]
        raise HTTPException(
            422,
            detail=f"this key reads several collections ({', '.join(key.collections)}): "
            "name one in 'collection'",
        )

    async def shelf(self, name: str | None) -> Shelf:
        """A collection the caller may read, opened and answering (else 404 / 422 / 503)."""
        info = self._info(self.default_name() if name is None else name)
        self.collection = info.name
        shelf = await self.library.shelf(info.name)
        refused = shelf.refusing()
        if refused:
            raise HTTPException(503, detail=f"index not available: {refused}", headers={"Retry-After": "5"})
        return shelf

    async def pipeline(self, name: str | None) -> Pipeline:
        shelf = await self.shelf(name)
        assert shelf.pipeline is not None
        self._response.headers[GENERATION_HEADER] = shelf.pipeline.generation.name
        return shelf.pipeline

    def may_manage(self, name: str, action: str, document: str | None = None) -> CollectionInfo:
        """The collection, if the caller may change it; refusals of a known caller are audited."""
        if not self.caller.key and not self.caller.root:
            if not self.library.settings.ADMIN_API_KEY.get_secret_value():
                raise HTTPException(403, detail="the admin API is disabled: set ADMIN_API_KEY to enable it")
            raise HTTPException(
                401,
                detail=f"missing or wrong API key: {_ASK_FOR_KEY}",
                headers={"WWW-Authenticate": "Bearer"},
            )
        info = self._info(name)
        if not self.caller.manages(name):
            self.audit(action, name, document, "refused: the key has no manage role here")
            raise HTTPException(
                403, detail=f"this key may not {action} in collection {name!r}: it needs the manage role"
            )
        return info

    async def managed(self, name: str, action: str, document: str | None = None) -> Shelf:
        self.may_manage(name, action, document)
        return await self.shelf(name)

    def require_root(self, action: str) -> None:
        if self.caller.root:
            return
        if not self.library.settings.ADMIN_API_KEY.get_secret_value():
            raise HTTPException(403, detail="the admin API is disabled: set ADMIN_API_KEY to enable it")
        if self.caller.key is None:
            raise HTTPException(
                401,
                detail=f"missing or wrong API key: {_ASK_FOR_KEY}",
                headers={"WWW-Authenticate": "Bearer"},
            )
        self.audit(action, None, None, "refused: only the root key may")
        raise HTTPException(403, detail=f"only the root key (ADMIN_API_KEY) may {action}")

    def audit(self, action: str, collection: str | None, document: str | None, result: str) -> None:
        self.access.audit(self.caller.key_id, action, collection, document, result)


def get_gate(
    request: Request,
    response: Response,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Gate:
    state = request.app.state
    caller = identify(
        state.settings, state.access, presented_key(authorization, x_api_key), request.headers.get("origin")
    )
    return Gate(caller, state.access, state.library, response, getattr(state, "linker", None))


GateDep = Annotated[Gate, Depends(get_gate)]


def default_collection() -> str:
    """The collection of the routes that name none (`/documents`, `/uploads`, `/questions`)."""
    return DEFAULT


def named_collection(name: Annotated[str, Path(max_length=64, description="the collection")]) -> str:
    """The collection of the routes under `/collections/{name}`."""
    return name
