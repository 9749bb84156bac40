"""Where an uploaded document is: the queue's record and the index's, read as one `status`.

`queued` -> `parsing` -> `ocr` (scans) -> `embedding` -> `ready`, or `failed` with the reason. The
queue knows a file until it is written; after that the index knows: `embedding` while any of the
document's chunks still waits for its vector, `ready` once none does, so `ready` means the next
question finds it both ways.
"""

from collections.abc import Callable
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException

from app.index.view import IndexView
from app.ingest.jobs import FileState, UploadJobs
from app.serve.access import DEFAULT
from app.serve.gate import GateDep, default_collection, named_collection
from app.serve.schemas import DocumentStatus, UploadJob


def documents_url(collection: str) -> str:
    """Where a collection's documents are: `/documents` is `default`'s."""
    return "/documents" if collection == DEFAULT else f"/collections/{collection}/documents"


def status_url(doc_id: str, base: str = "/documents") -> str:
    return f"{base}/{doc_id}"


def file_status(file: FileState, generation: IndexView | None, base: str = "/documents") -> DocumentStatus:
    """A queued file's status; once written, the index's (`embedding` until its vectors are in)."""
    if file.state == "written":
        if generation is not None and file.doc_id in generation.documents:
            out = index_status(file.doc_id, generation, base)
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
        status_url=status_url(file.doc_id, base),
    )


def index_status(doc_id: str, generation: IndexView, base: str = "/documents") -> DocumentStatus:
    waiting = generation.pending_of(doc_id)
    return DocumentStatus(
        doc_id=doc_id,
        status="embedding" if waiting else "ready",
        chunks_waiting=waiting,
        status_url=status_url(doc_id, base),
    )


def document_status(
    doc_id: str, jobs: UploadJobs, generation: IndexView | None, base: str = "/documents"
) -> DocumentStatus | None:
    """The newest upload's status while it is going or if it failed; else the index's; None if
    neither has heard of it. A failed re-upload of a stored document says so; the stored version
    is still served, and the reason says that too."""
    latest = jobs.latest(doc_id)
    stored = generation is not None and doc_id in generation.documents
    if latest is not None and latest.state != "written":
        out = file_status(latest, generation, base)
        if latest.state == "failed" and stored:
            out.reason = f"{latest.reason} (the version uploaded before is still served)"
        return out
    if stored:
        assert generation is not None
        return index_status(doc_id, generation, base)
    return None


def _job(prefix: str, collection: Callable[..., str]) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["documents"])

    @router.get(
        "/uploads/{job}",
        response_model=UploadJob,
        summary="One upload's files and where each one is (queued, parsing, ocr, embedding, ready, failed)",
    )
    async def get_upload(job: str, gate: GateDep, name: Annotated[str, Depends(collection)]) -> UploadJob:
        gate.may_manage(name, "read an upload's status")
        shelf = await gate.library.shelf(name)
        files = await to_thread.run_sync(shelf.uploads.jobs.job, job)
        if not files:
            raise HTTPException(404, detail=f"no upload {job!r}")
        generation = shelf.pipeline.generation if shelf.pipeline is not None else None
        base = documents_url(name)
        documents = [file_status(f, generation, base) for f in files]
        return UploadJob(
            job=job,
            status_url=f"{prefix}/uploads/{job}",
            done=all(d.status in ("ready", "failed") for d in documents),
            documents=documents,
        )

    return router


router = _job("", default_collection)
collection_uploads = _job("/collections/{name}", named_collection)
