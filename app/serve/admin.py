"""Document management over HTTP: upload (.txt .md .html .pdf .docx, or JSON text), list, read, delete.

Protected by `ADMIN_API_KEY` (Bearer or X-API-Key, compared in constant time); with no key set the
routes answer 403. Every file is parsed before anything is written, so a bad file changes nothing; a
change is acknowledged only once the documents are fsynced in the store and their new index generation
is on disk, and the server then switches to it in one step. With EMBED_UPLOADS_IN_BACKGROUND (the
default) that generation holds the new chunks lexical-only and the index service embeds them next.
While another writer (a CLI ingest, another replica) holds the lock, a write waits up to
WRITER_WAIT_S, then answers 409.
"""

from __future__ import annotations

import dataclasses
import mimetypes
from collections import Counter
from typing import Annotated
from urllib.parse import quote

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.index import IngestReport, WriterBusy
from app.index.service import Service
from app.ingest import DocumentError, UnsupportedFormat, document_from_bytes, document_from_text
from app.models import Document
from app.serve.deps import Admin, IndexDep, PipelineDep
from app.serve.schemas import (
    DeleteResponse,
    DocumentOut,
    DocumentPage,
    DocumentSummary,
    UploadedDocument,
    UploadResponse,
)

router = APIRouter(prefix="/documents", tags=["admin"])


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_id: str | None = Field(None, pattern=r"^[\w.-]{1,100}$")
    title: str | None = Field(None, max_length=300)
    date: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    text: str = Field(..., min_length=1, max_length=2_000_000)


def _from_json(body: DocumentIn) -> Document:
    raw = f"{body.title}\n\n{body.text}" if body.title else body.text
    doc = document_from_text(body.doc_id or "document", raw, source="api")
    if body.date:
        doc = dataclasses.replace(doc, date=body.date)
    if not doc.text.strip():
        raise HTTPException(422, detail="text: no content left after cleaning")
    return doc


async def _parse(request: Request) -> tuple[list[Document], dict[str, bytes]]:
    """Every upload, parsed in memory; any bad one fails the whole request before anything is stored.
    Returns the documents and the uploaded files by doc_id (kept beside them in the store)."""
    limit = int(request.app.state.settings.MAX_UPLOAD_MB * 1024 * 1024)
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        try:
            return [_from_json(DocumentIn.model_validate(await request.json()))], {}
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise HTTPException(422, detail=f"invalid document: {fields}") from None
        except ValueError:
            raise HTTPException(422, detail="body: invalid JSON") from None
    if not ctype.startswith("multipart/form-data"):
        raise HTTPException(415, detail="send multipart/form-data with files, or application/json")
    form = await request.form(max_files=50)
    uploads = [f for f in form.getlist("files") + form.getlist("file") if not isinstance(f, str)]
    if not uploads:
        raise HTTPException(422, detail="no files: send them as multipart fields named 'files'")
    docs: list[Document] = []
    originals: dict[str, bytes] = {}
    for upload in uploads:
        name = upload.filename or "upload"
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise HTTPException(
                413, detail=f"{name}: larger than MAX_UPLOAD_MB ({limit // (1024 * 1024)} MB)"
            )
        try:
            doc = document_from_bytes(name, data)
        except UnsupportedFormat as exc:
            raise HTTPException(415, detail=str(exc)) from None
        except DocumentError as exc:
            raise HTTPException(422, detail=str(exc)) from None
        if doc.doc_id in originals:
            raise HTTPException(
                422,
                detail=f"{name}: another file in this upload has the same name ({doc.doc_id}); rename one",
            )
        docs.append(doc)
        originals[doc.doc_id] = data
    return docs, originals


async def _write(
    index: Service, docs: list[Document], remove: list[str], originals: dict[str, bytes] | None = None
) -> IngestReport:
    """The same ingest as the CLI, off the event loop, by the index service (which then serves it)."""
    try:
        return await to_thread.run_sync(lambda: index.write(docs, remove, originals))
    except WriterBusy as exc:
        raise HTTPException(409, detail=str(exc), headers={"Retry-After": "5"}) from None


@router.post(
    "",
    status_code=201,
    response_model=UploadResponse,
    summary="Upload documents (multipart files, or JSON text)",
)
async def upload(request: Request, _: Admin, index: IndexDep, pipeline: PipelineDep) -> UploadResponse:
    docs, originals = await _parse(request)
    report = await _write(index, docs, [], originals)
    status = {**dict.fromkeys(report.added, "new"), **dict.fromkeys(report.updated, "updated")}
    return UploadResponse(
        documents=[
            UploadedDocument(
                doc_id=d.doc_id,
                title=d.title,
                status=status.get(d.doc_id, "unchanged"),  # type: ignore[arg-type]
                chunks=report.chunk_counts.get(d.doc_id, 0),
                format=d.format,
                removed=_removed_counts(d),
            )
            for d in docs
        ],
        generation=index.generation.name if index.generation else "",
        embedded=report.embedded,
        embedding_pending=report.pending,
        seconds=round(report.seconds, 3),
        summary=report.summary(),
    )


@router.get("", response_model=DocumentPage, summary="List documents (paged)")
def list_documents(
    _: Admin,
    pipeline: PipelineDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DocumentPage:
    gen = pipeline.generation
    page = [
        DocumentSummary(
            doc_id=d.doc_id, title=d.title, date=d.date, localities=list(d.localities), chunks=chunks
        )
        for d, chunks in gen.document_page(offset, limit)
    ]
    return DocumentPage(total=len(gen.documents), offset=offset, limit=limit, documents=page)


def _removed_counts(doc: Document) -> dict[str, int]:
    return dict(Counter(r.reason for r in doc.removed))


@router.get(
    "/{doc_id}",
    response_model=DocumentOut,
    response_model_exclude_none=False,
    summary="One document: metadata, cleaned text, and every line ingest removed",
)
def get_document(
    doc_id: str,
    _: Admin,
    pipeline: PipelineDep,
    spans: Annotated[
        bool, Query(description="also list each paragraph's heading path, page, table row")
    ] = False,
) -> Response:
    doc = pipeline.generation.documents.get(doc_id)
    if doc is None:
        raise HTTPException(404, detail=f"no document {doc_id!r}")
    out = DocumentOut.model_validate(
        {
            **dataclasses.asdict(doc),
            "localities": list(doc.localities),
            "removed_counts": _removed_counts(doc),
        }
    )
    body = out.model_dump(exclude=None if spans else {"spans"})
    return JSONResponse(body)


@router.get(
    "/{doc_id}/original",
    summary="The file the document was read from, as uploaded",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_original(doc_id: str, _: Admin, index: IndexDep, pipeline: PipelineDep) -> Response:
    doc = pipeline.generation.documents.get(doc_id)
    if doc is None:
        raise HTTPException(404, detail=f"no document {doc_id!r}")
    data = index.original(doc_id)
    if data is None:
        raise HTTPException(
            404,
            detail=f"document {doc_id!r} was given as text (JSON), so there is no original file to return",
        )
    name = doc.source or doc_id
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.delete("/{doc_id}", response_model=DeleteResponse, summary="Delete a document and its vectors")
async def delete_document(doc_id: str, _: Admin, index: IndexDep, pipeline: PipelineDep) -> DeleteResponse:
    if doc_id not in pipeline.generation.documents:
        raise HTTPException(404, detail=f"no document {doc_id!r}")
    report = await _write(index, [], [doc_id])
    return DeleteResponse(
        deleted=doc_id,
        generation=index.generation.name if index.generation else "",
        summary=report.summary(),
    )
