"""Where an uploaded document is: the queue's record and the index's, read as one `status`.

`queued` -> `parsing` -> `ocr` (scans) -> `embedding` -> `ready`, or `failed` with the reason. The
queue knows a file until it is written; after that the index knows: `embedding` while any of the
document's chunks still waits for its vector, `ready` once none does, so `ready` means the next
question finds it both ways.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request

from app.config import Settings
from app.index import IngestReport, WriterBusy
from app.index.service import Service
from app.index.view import IndexView
from app.ingest.jobs import FileState, UploadJobs
from app.ingest.queue import ReaderConfig, UploadQueue
from app.serve.deps import Admin
from app.serve.schemas import DocumentStatus, UploadJob

router = APIRouter(tags=["admin"])


def make_upload_queue(settings: Settings, index: Service) -> UploadQueue[IngestReport]:
    """With no durable queue (a stateless replica) the queue's table lives in a temporary file for
    the readers' progress, and uploads are answered only once stored: a replica that dies fails
    the request in flight instead of forgetting a file it had acknowledged."""
    path = index.upload_queue()
    durable = path is not None
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="upload-queue-")) / "uploads.sqlite"
    config = ReaderConfig(
        queue_path=path,
        ocr_lang=settings.OCR_LANG,
        ocr_dpi=settings.OCR_DPI,
        ocr_workers=settings.OCR_WORKERS,
        nice=settings.UPLOAD_NICE,
    )
    return UploadQueue(
        UploadJobs(path),
        config,
        settings.UPLOAD_WORKERS,
        lambda docs, originals: index.write(docs, [], originals),
        busy=(WriterBusy,),
        durable=durable,
    )


def get_uploads(request: Request) -> UploadQueue[IngestReport]:
    return request.app.state.uploads


UploadsDep = Annotated[UploadQueue[IngestReport], Depends(get_uploads)]


def status_url(doc_id: str) -> str:
    return f"/documents/{doc_id}"


def file_status(file: FileState, generation: IndexView | None) -> DocumentStatus:
    """A queued file's status; once written, the index's (`embedding` until its vectors are in)."""
    if file.state == "written":
        if generation is not None and file.doc_id in generation.documents:
            out = index_status(file.doc_id, generation)
            out.file, out.pages_done, out.pages = file.name, file.pages_done, file.pages
            return out
        state = "embedding"  # written, and the server is switching to the generation holding it
    else:
        state = file.state
    return DocumentStatus(
        doc_id=file.doc_id,
        file=file.name,
        status=state,  # type: ignore[arg-type]
        reason=file.reason,
        pages_done=file.pages_done,
        pages=file.pages,
        status_url=status_url(file.doc_id),
    )


def index_status(doc_id: str, generation: IndexView) -> DocumentStatus:
    waiting = generation.pending_of(doc_id)
    return DocumentStatus(
        doc_id=doc_id,
        status="embedding" if waiting else "ready",
        chunks_waiting=waiting,
        status_url=status_url(doc_id),
    )


def document_status(doc_id: str, jobs: UploadJobs, generation: IndexView | None) -> DocumentStatus | None:
    """The newest upload's status while it is going or if it failed; else the index's; None if
    neither has heard of it. A failed re-upload of a stored document says so; the stored version
    is still served, and the reason says that too."""
    latest = jobs.latest(doc_id)
    stored = generation is not None and doc_id in generation.documents
    if latest is not None and latest.state != "written":
        out = file_status(latest, generation)
        if latest.state == "failed" and stored:
            out.reason = f"{latest.reason} (the version uploaded before is still served)"
        return out
    if stored:
        assert generation is not None
        return index_status(doc_id, generation)
    return None


@router.get(
    "/uploads/{job}",
    response_model=UploadJob,
    summary="One upload's files and where each one is (queued, parsing, ocr, embedding, ready, failed)",
)
def get_upload(job: str, _: Admin, request: Request, uploads: UploadsDep) -> UploadJob:
    files = uploads.jobs.job(job)
    if not files:
        raise HTTPException(404, detail=f"no upload {job!r}")
    pipeline = getattr(request.app.state, "pipeline", None)
    generation = pipeline.generation if pipeline is not None else None
    documents = [file_status(f, generation) for f in files]
    return UploadJob(
        job=job,
        status_url=f"/uploads/{job}",
        done=all(d.status in ("ready", "failed") for d in documents),
        documents=documents,
    )
