"""Document management over HTTP: upload (files or JSON text), list, read (with its status), delete.

Each collection has these routes (`/collections/{name}/documents`; `/documents` is `default`'s). Listing
and reading need a key that reads the collection (none for a public one); uploading and deleting need
the manage role in it or the root key (`app.serve.gate`), and are written to the audit log. With no
ADMIN_API_KEY set, writes answer 403. Uploaded files are queued durably and read in worker processes
(`app.ingest.queue`), never on the event loop: what can be told without reading a file (size, type,
duplicate names) refuses the upload at once; a file that cannot be read fails alone, named with its
reason. An upload answers 201 once its documents are fsynced in the store and their generation is
served, if that happens within UPLOAD_WAIT_S; else 202 with where to watch. With
EMBED_UPLOADS_IN_BACKGROUND (the default) that generation holds the new chunks lexical-only
(`embedding`) and the index service embeds them next (`ready`). While another writer (a CLI ingest,
another replica) holds the lock, a JSON upload waits up to WRITER_WAIT_S, then answers 409; a queued
file waits its turn.
"""

import dataclasses
import mimetypes
from collections import Counter
from collections.abc import Callable
from pathlib import PurePath
from typing import Annotated
from urllib.parse import quote

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.index import IngestReport, WriterBusy
from app.index.listing import select
from app.index.view import IndexView
from app.ingest import SUPPORTED, doc_id_for, document_from_text
from app.models import Document
from app.serve.access import DEFAULT
from app.serve.deps import GateDep
from app.serve.gate import default_collection, named_collection
from app.serve.library import Shelf
from app.serve.schemas import (
    DeleteResponse,
    DocumentOut,
    DocumentPage,
    DocumentStatus,
    DocumentSummary,
    FailedFile,
    UploadedDocument,
    UploadJob,
    UploadResponse,
)
from app.serve.uploads import document_status, documents_url, file_status, status_url


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


async def _json_document(request: Request) -> Document:
    try:
        return _from_json(DocumentIn.model_validate(await request.json()))
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise HTTPException(422, detail=f"invalid document: {fields}") from None
    except ValueError:
        raise HTTPException(422, detail="body: invalid JSON") from None


async def read_upload_files(request: Request) -> list[tuple[str, str, bytes]]:
    """(doc_id, name, bytes) of every uploaded file. What can be told without reading a file (its
    size, its type, two files with one doc_id) refuses the whole upload before anything is queued."""
    limit = int(request.app.state.settings.MAX_UPLOAD_MB * 1024 * 1024)
    form = await request.form(max_files=50)
    uploads = [f for f in form.getlist("files") + form.getlist("file") if not isinstance(f, str)]
    if not uploads:
        raise HTTPException(422, detail="no files: send them as multipart fields named 'files'")
    files: list[tuple[str, str, bytes]] = []
    seen: set[str] = set()
    for upload in uploads:
        name = upload.filename or "upload"
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise HTTPException(
                413, detail=f"{name}: larger than MAX_UPLOAD_MB ({limit // (1024 * 1024)} MB)"
            )
        if PurePath(name).suffix.lower() not in SUPPORTED:
            suffix = PurePath(name).suffix.lower() or "(no extension)"
            kinds = ", ".join(SUPPORTED)
            raise HTTPException(
                415, detail=f"{name}: unsupported format {suffix!r}; convert it to one of: {kinds}"
            )
        doc_id = doc_id_for(name)
        if doc_id in seen:
            raise HTTPException(
                422, detail=f"{name}: another file in this upload has the same name ({doc_id}); rename one"
            )
        seen.add(doc_id)
        files.append((doc_id, name, data))
    return files


async def _write(
    shelf: Shelf, docs: list[Document], remove: list[str], originals: dict[str, bytes] | None = None
) -> IngestReport:
    """The same ingest as the CLI, off the event loop, by the index service (which then serves it)."""
    try:
        return await to_thread.run_sync(lambda: shelf.service.write(docs, remove, originals))
    except WriterBusy as exc:
        raise HTTPException(409, detail=str(exc), headers={"Retry-After": "5"}) from None


def _uploaded(
    docs: list[Document], report: IngestReport, generation: IndexView | None, base: str
) -> list[UploadedDocument]:
    change = {**dict.fromkeys(report.added, "new"), **dict.fromkeys(report.updated, "updated")}
    out = []
    for d in docs:
        waiting = generation.pending_of(d.doc_id) if generation is not None else 0
        out.append(
            UploadedDocument(
                doc_id=d.doc_id,
                title=d.title,
                change=change.get(d.doc_id, "unchanged"),  # type: ignore[arg-type]
                status="embedding" if waiting else "ready",
                status_url=status_url(d.doc_id, base),
                chunks=report.chunk_counts.get(d.doc_id, 0),
                format=d.format,
                removed=_removed_counts(d),
            )
        )
    return out


async def _created(
    shelf: Shelf,
    docs: list[Document],
    report: IngestReport,
    failed: list[FailedFile] | None = None,
    job: str | None = None,
) -> JSONResponse:
    """The 201 of an upload written in full (its failed files named)."""
    index, base = shelf.service, documents_url(shelf.name)
    written = await to_thread.run_sync(_uploaded, docs, report, index.generation, base)
    body = UploadResponse(
        documents=written,
        failed=failed or [],
        job=job,
        status_url=_job_url(shelf.name, job) if job else None,
        generation=index.generation.name if index.generation else "",
        embedded=report.embedded,
        embedding_pending=report.pending,
        seconds=round(report.seconds, 3),
        summary=report.summary(),
    )
    return JSONResponse(body.model_dump(), status_code=201)


def _facets(doc: Document) -> dict[str, list[str]]:
    return {k: list(v) for k, v in doc.facets.items()}


def _removed_counts(doc: Document) -> dict[str, int]:
    return dict(Counter(r.reason for r in doc.removed))


def _job_url(collection: str, job: str) -> str:
    return f"/uploads/{job}" if collection == DEFAULT else f"/collections/{collection}/uploads/{job}"


def _audited(gate: GateDep, action: str, collection: str, document: str | None, report: IngestReport) -> None:
    gate.audit(action, collection, document, f"ok: {report.summary()}")


def document_router(prefix: str, collection: Callable[..., str]) -> APIRouter:
    """The document routes of one collection: `/documents` for `default`, and
    `/collections/{name}/documents` for any. Reading needs a key that reads the collection (none for
    a public one); changing needs the manage role in it (or the root key)."""
    router = APIRouter(prefix=prefix, tags=["documents"])
    Name = Annotated[str, Depends(collection)]

    @router.post(
        "",
        status_code=201,
        response_model=UploadResponse,
        summary="Upload documents (multipart files, or JSON text)",
        responses={
            202: {
                "model": UploadJob,
                "description": "still being read after UPLOAD_WAIT_S (or `wait`): watch status_url",
            }
        },
    )
    async def upload(
        request: Request,
        gate: GateDep,
        name: Name,
        wait: Annotated[
            float | None,
            Query(
                ge=0, le=600, description="seconds to wait for the files to be read (default UPLOAD_WAIT_S)"
            ),
        ] = None,
    ) -> Response:
        """Files are queued durably, then read in worker processes. If all are read and written within
        the wait, the answer is 201 with each document; else 202 with the upload's `status_url`, and
        each document's `GET .../documents/{doc_id}` says where it is."""
        shelf = await gate.managed(name, "upload")  # 503 while the index is not available: nothing is queued
        index, uploads = shelf.service, shelf.uploads
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("application/json"):
            doc = await _json_document(request)
            report = await _write(shelf, [doc], [])
            _audited(gate, "upload", name, doc.doc_id, report)
            return await _created(shelf, [doc], report)
        if not ctype.startswith("multipart/form-data"):
            raise HTTPException(415, detail="send multipart/form-data with files, or application/json")
        files = await read_upload_files(request)
        job, states = await uploads.submit(files)
        gate.audit("upload", name, ", ".join(f.doc_id for f in states)[:400], f"queued as job {job}")
        timeout = request.app.state.settings.UPLOAD_WAIT_S if wait is None else wait
        if not uploads.durable:
            timeout = None  # nothing here outlives this process: acknowledge only what is stored
        result = await uploads.wait(job, timeout) if timeout is None or timeout > 0 else None
        base = documents_url(name)
        if result is None:
            documents = await to_thread.run_sync(
                lambda: [file_status(f, index.generation, base) for f in uploads.jobs.job(job)]
            )
            url = _job_url(name, job)
            accepted = UploadJob(job=job, status_url=url, done=False, documents=documents)
            return JSONResponse(accepted.model_dump(), status_code=202, headers={"Location": url})
        names = {f.id: (f.name, f.doc_id) for f in states}
        failed = [
            FailedFile(file=names[i][0], doc_id=names[i][1], reason=reason)
            for i, (_, reason) in result.failed.items()
        ]
        if result.report is None:  # nothing could be read: the upload changed nothing
            code = next(iter(result.failed.values()))[0]
            raise HTTPException(code, detail="; ".join(f.reason for f in failed))
        return await _created(shelf, result.documents, result.report, failed, job)

    @router.get("", response_model=DocumentPage, summary="List documents (paged)")
    async def list_documents(
        gate: GateDep,
        name: Name,
        offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        q: Annotated[
            str, Query(max_length=200, description="words of the id or title, diacritics optional")
        ] = "",
        order: Annotated[str, Query(pattern="^(doc_id|title|date|-date|chunks)$")] = "doc_id",
    ) -> DocumentPage:
        gen = (await gate.pipeline(name)).generation

        def page() -> tuple[int, list[DocumentSummary]]:
            found = select(gen.document_index(), q, order)
            out = []
            for d in found[offset : offset + limit]:
                doc = gen.documents.get(d.doc_id)
                facets = _facets(doc) if doc is not None else {}
                out.append(
                    DocumentSummary(
                        doc_id=d.doc_id, title=d.title, date=d.date, facets=facets, chunks=d.chunks
                    )
                )
            return len(found), out

        total, documents = await to_thread.run_sync(page)
        return DocumentPage(total=total, offset=offset, limit=limit, documents=documents)

    @router.get(
        "/{doc_id}",
        response_model=DocumentOut | DocumentStatus,
        response_model_exclude_none=False,
        summary="One document: where it is (status), metadata, cleaned text, and every line ingest removed",
    )
    async def get_document(
        doc_id: str,
        gate: GateDep,
        name: Name,
        spans: Annotated[
            bool, Query(description="also list each paragraph's heading path, page, table row")
        ] = False,
    ) -> Response:
        """A document still being read (or that failed) answers with its status only; a stored one
        with its status and everything ingest made of it."""
        gate.readable_or_404(name)
        shelf = await gate.library.shelf(name)
        generation = shelf.pipeline.generation if shelf.pipeline is not None else None
        base = documents_url(name)
        status = await to_thread.run_sync(document_status, doc_id, shelf.uploads.jobs, generation, base)
        if status is None:
            raise HTTPException(404, detail=f"no document {doc_id!r}")
        doc = generation.documents.get(doc_id) if generation is not None else None
        if doc is None:
            return JSONResponse(status.model_dump())
        out = DocumentOut.model_validate(
            {
                **dataclasses.asdict(doc),
                **status.model_dump(exclude={"doc_id", "file"}),
                "facets": _facets(doc),
                "removed_counts": _removed_counts(doc),
            }
        )
        return JSONResponse(out.model_dump(exclude=None if spans else {"spans"}))

    @router.get(
        "/{doc_id}/original",
        summary="The file the document was read from, as uploaded",
        response_class=Response,
        responses={200: {"content": {"application/octet-stream": {}}}},
    )
    async def get_original(doc_id: str, gate: GateDep, name: Name) -> Response:
        pipeline = await gate.pipeline(name)
        doc = pipeline.generation.documents.get(doc_id)
        if doc is None:
            raise HTTPException(404, detail=f"no document {doc_id!r}")
        shelf = await gate.library.shelf(name)
        data = await to_thread.run_sync(shelf.service.original, doc_id)
        if data is None:
            raise HTTPException(
                404,
                detail=f"document {doc_id!r} was given as text (JSON): there is no original file to return",
            )
        filename = doc.source or doc_id
        media = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        return Response(
            data,
            media_type=media,
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
        )

    @router.delete("/{doc_id}", response_model=DeleteResponse, summary="Delete a document and its vectors")
    async def delete_document(doc_id: str, gate: GateDep, name: Name) -> DeleteResponse:
        shelf = await gate.managed(name, "delete", doc_id)
        if shelf.pipeline is None or doc_id not in shelf.pipeline.generation.documents:
            raise HTTPException(404, detail=f"no document {doc_id!r}")
        report = await _write(shelf, [], [doc_id])
        _audited(gate, "delete", name, doc_id, report)
        await to_thread.run_sync(shelf.uploads.jobs.forget, doc_id)
        index = shelf.service
        return DeleteResponse(
            deleted=doc_id,
            generation=index.generation.name if index.generation else "",
            summary=report.summary(),
        )

    return router


router = document_router("/documents", default_collection)
collection_documents = document_router("/collections/{name}/documents", named_collection)
