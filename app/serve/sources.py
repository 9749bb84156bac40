"""A citation's source, one click away: every citation carries a `url` to a read-only page of its
document with the cited passage marked.

The link is signed (HMAC over collection, document, passage offsets and expiry, with a secret kept
in ACCESS_DB), because whoever got the answer may open its source, but a browser following a link
sends no key: the signature stands for the key that read the answer. Without a valid signature the
page needs what reading the collection needs. Links last SOURCE_LINK_DAYS, to the day, so the same
citation has the same link all day.
"""

import hashlib
import hmac
import time
from base64 import urlsafe_b64encode
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

import jinja2
from anyio import to_thread
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from app.models import Chunk
from app.serve.access import AccessStore
from app.serve.gate import get_gate

router = APIRouter(include_in_schema=False)
_DAY = 86400
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"), autoescape=True
)


class Linker:
    """Makes and checks signed source links for one collection."""

    def __init__(self, access: AccessStore, days: float) -> None:
        self.key = access.secret("source-links")
        self.days = days

    def _sign(self, collection: str, doc_id: str, start: int, end: int, expires: int) -> str:
        message = "\x1f".join((collection, doc_id, str(start), str(end), str(expires))).encode()
        return urlsafe_b64encode(hmac.new(self.key, message, hashlib.sha256).digest()[:18]).decode()

    def url(self, collection: str, chunk: Chunk) -> str:
        expires = (int(time.time() // _DAY) + 1 + int(self.days)) * _DAY
        sig = self._sign(collection, chunk.doc_id, chunk.start, chunk.end, expires)
        query = urlencode({"s": chunk.start, "e": chunk.end, "exp": expires, "sig": sig})
        return f"/sources/{quote(collection, safe='')}/{quote(chunk.doc_id, safe='')}?{query}#cited"

    def valid(self, collection: str, doc_id: str, start: int, end: int, expires: int, sig: str) -> bool:
        if expires < time.time():
            return False
        return hmac.compare_digest(sig.encode(), self._sign(collection, doc_id, start, end, expires).encode())


@router.get("/sources/{collection}/{doc_id}", response_class=HTMLResponse)
async def source(
    request: Request,
    collection: str,
    doc_id: str,
    s: Annotated[int, Query(ge=0)] = 0,
    e: Annotated[int, Query(ge=0)] = 0,
    exp: Annotated[int, Query(ge=0)] = 0,
    sig: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """The document as the service read it, the cited passage marked and scrolled to."""
    linker: Linker = request.app.state.linker
    signed = bool(sig) and linker.valid(collection, doc_id, s, e, exp, sig)
    headers = dict(request.headers)
    gate = get_gate(request, HTMLResponse(), headers.get("authorization"), headers.get("x-api-key"))
    if not signed:
        gate.readable_or_404(collection)  # no valid link: what reading the collection needs
    shelf = await gate.library.shelf(collection)
    if shelf.pipeline is None:
        raise HTTPException(503, detail="the collection's index is opening", headers={"Retry-After": "5"})
    doc = await to_thread.run_sync(shelf.pipeline.generation.documents.get, doc_id)
    if doc is None:
        raise HTTPException(404, detail=f"no document {doc_id!r} (it may have been deleted since)")
    start, end = (s, e) if 0 <= s < e <= len(doc.text) else (0, 0)
    page = _templates.get_template("source.html").render(
        doc=doc, before=doc.text[:start], cited=doc.text[start:end], after=doc.text[end:]
    )
    return HTMLResponse(page)
