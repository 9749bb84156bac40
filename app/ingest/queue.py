"""The upload queue's runner: queued files -> read in worker processes -> one write per upload.

Why processes: reading a PDF, cleaning and placing blocks is Python work that holds the GIL, and a
scan's OCR adds image work around each tesseract call. In the server's own threads that work took
the event loop's turn (a one-page scan held /healthz for 0.8 s, eight pages for 2.9 s). In
`UPLOAD_WORKERS` processes of their own, started by `spawn` (no fork of a process holding OpenMP and
FAISS threads) and at lower priority (`UPLOAD_NICE`, which the tesseract processes inherit), it costs
the server nothing but a pipe. Each reader reports its progress (parsing, OCR page n of m) straight
into the queue's table (`app.ingest.jobs`).

One upload (a job) is written to the index in one write by `write`, the index service's: the same
ingest as before, so a job's documents appear together. A file that cannot be read fails alone, with
its reason, and the others go on. A server killed mid-way runs its open jobs again on start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from anyio import to_thread

from app.ingest.jobs import IN_PROGRESS, FileState, UploadJobs
from app.ingest.loaders import DocumentError, UnsupportedFormat
from app.models import Document

log = logging.getLogger("app.ingest")

R = TypeVar("R")


@dataclass
class JobResult(Generic[R]):
    """What became of one upload: the documents written, and every file that failed, with why."""

    job: str
    documents: list[Document] = field(default_factory=list)
    failed: dict[int, tuple[int, str]] = field(default_factory=dict)  # file id -> (HTTP code, reason)
    report: R | None = None


@dataclass(frozen=True)
class ReaderConfig:
    """What a reader process needs; plain values, since it is pickled into a spawned process."""

    queue_path: Path
    ocr_lang: str
    ocr_dpi: int
    ocr_workers: int
    nice: int


# -- in the reader process ---------------------------------------------------------------------

_JOBS: UploadJobs | None = None


def _start_reader(config: ReaderConfig) -> None:
    global _JOBS
    from app.ingest import ocr

    if config.nice:
        os.nice(config.nice)
    ocr.OCR_LANG, ocr.OCR_DPI, ocr.OCR_WORKERS = config.ocr_lang, config.ocr_dpi, config.ocr_workers
    _JOBS = UploadJobs(config.queue_path)


def _read(file: FileState) -> Document:
    """Runs in a reader process: the file's bytes from the queue -> a cleaned `Document`."""
    from app.ingest import document_from_bytes, ocr

    jobs = _JOBS
    assert jobs is not None
    jobs.set_state(file.id, "parsing")
    data = jobs.data(file.id)
    if data is None:
        raise DocumentError(f"{file.name}: the uploaded bytes are gone from the queue; upload it again")
    token = ocr.ocr_progress.set(lambda done, pages: jobs.progress(file.id, done, pages))
    try:
        return document_from_bytes(file.name, data)
    finally:
        ocr.ocr_progress.reset(token)


# -- in the server -----------------------------------------------------------------------------


class UploadQueue(Generic[R]):
    """Owns the reader processes and the jobs in flight. `write(documents, originals)` is the index
    service's write (blocking: run here in a thread); its report is handed back in `JobResult`."""

    def __init__(
        self,
        jobs: UploadJobs,
        config: ReaderConfig,
        workers: int,
        write: Callable[[list[Document], dict[str, bytes]], R],
        busy: tuple[type[Exception], ...] = (),
        write_tries: int = 10,
        retry_s: float = 5.0,
        durable: bool = True,
    ) -> None:
        self.jobs = jobs
        self.durable = durable  # False: the table dies with the process (acknowledge only when stored)
        self._busy, self._write_tries, self._retry_s = busy, write_tries, retry_s
        self.config = config
        self.workers = workers
        self._write = write
        self._pool: ProcessPoolExecutor | None = None
        self._running: dict[str, asyncio.Task[JobResult[R]]] = {}

    def _readers(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_reader,
                initargs=(self.config,),
            )
        return self._pool

    def resume(self) -> list[str]:
        """Run again the jobs a stopped server left open (their files are still in the queue), and
        let go of records nobody needs (older uploads of a document, month-old failures)."""
        self.jobs.prune()
        jobs = self.jobs.open_jobs()
        for job in jobs:
            log.warning("upload %s was left unfinished by a stopped server: reading it again", job)
            self._start(job)
        return jobs

    async def submit(self, files: list[tuple[str, str, bytes]]) -> tuple[str, list[FileState]]:
        """Queue (doc_id, name, bytes) durably as one job and start it; returns at once."""
        job, states = await to_thread.run_sync(self.jobs.enqueue, files)
        self._start(job)
        return job, states

    def _start(self, job: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(job), name=f"upload-{job}")
        self._running[job] = task
        task.add_done_callback(lambda _: self._running.pop(job, None))

    async def wait(self, job: str, timeout_s: float | None) -> JobResult[R] | None:
        """The job's result if it ends within `timeout_s` (None: however long it takes); None if
        it is still going (it goes on)."""
        task = self._running.get(job)
        if task is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(task), timeout_s)
        except TimeoutError:
            return None

    @property
    def running(self) -> int:
        return len(self._running)

    async def _run(self, job: str) -> JobResult[R]:
        result: JobResult[R] = JobResult(job)
        try:
            files = [f for f in await to_thread.run_sync(self.jobs.job, job) if f.state in IN_PROGRESS]
            read = await asyncio.gather(*(self._read(f) for f in files))
            done = [(f, doc) for f, doc in zip(files, read, strict=True) if isinstance(doc, Document)]
            result.failed = {
                f.id: doc for f, doc in zip(files, read, strict=True) if not isinstance(doc, Document)
            }
            if done:
                result.report = await self._store_when_free(done)
                result.documents = [doc for _, doc in done]
        except Exception as exc:  # never leave a file in a state that says it is still going
            log.exception("upload %s failed", job)
            for f in await to_thread.run_sync(self.jobs.job, job):
                if f.state in IN_PROGRESS:
                    reason = f"{f.name}: could not be stored ({exc}); upload it again"
                    await to_thread.run_sync(self.jobs.set_state, f.id, "failed", reason, 503)
                    result.failed[f.id] = (503, reason)
            result.documents = []
        return result

    async def _read(self, file: FileState) -> Document | tuple[int, str]:
        """The file's document, or (HTTP code, reason) when it cannot be read (recorded as failed)."""
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = self._readers()
            try:
                return await loop.run_in_executor(pool, _read, file)
            except UnsupportedFormat as exc:
                code, reason = 415, str(exc)
            except DocumentError as exc:
                code, reason = 422, str(exc)
            except BrokenProcessPool:
                if self._pool is pool:
                    self._pool = None  # new readers for what comes next
                if attempt == 1:
                    continue  # another file may have broken it: try this one once more, with new readers
                code, reason = (
                    422,
                    (
                        f"{file.name}: reading it stopped the reader process (out of memory, or a file that "
                        "crashes the PDF or image library); check the file or split it, and upload it again"
                    ),
                )
            except Exception as exc:  # a reader's bug: name it, keep the rest of the upload going
                log.exception("reading %s failed", file.name)
                code, reason = 422, f"{file.name}: could not be read ({type(exc).__name__}: {exc})"
            break
        await to_thread.run_sync(self.jobs.set_state, file.id, "failed", reason, code)
        return code, reason

    async def _store_when_free(self, done: list[tuple[FileState, Document]]) -> R:
        """Another writer (a CLI ingest) holding the index is waited out, not a failure: nobody
        is there to upload a queued file again."""
        for attempt in range(1, self._write_tries + 1):
            try:
                return await to_thread.run_sync(self._store, done)
            except self._busy:
                if attempt == self._write_tries:
                    raise
                log.info("upload waits for another writer (try %d of %d)", attempt, self._write_tries)
                await asyncio.sleep(self._retry_s)
        raise AssertionError("unreachable")

    def _store(self, done: list[tuple[FileState, Document]]) -> R:
        """One write for the job's documents; the files are `written` once it is on disk."""
        originals: dict[str, bytes] = {}
        for f, doc in done:
            self.jobs.set_state(f.id, "embedding")
            data = self.jobs.data(f.id)
            if data is not None:
                originals[doc.doc_id] = data
        report = self._write([doc for _, doc in done], originals)
        for f, _ in done:
            self.jobs.set_state(f.id, "written")
        return report

    def close(self) -> None:
        for task in self._running.values():
            task.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self.jobs.close()
        if not self.durable:  # a temporary table: nothing in it outlives this process
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.jobs.path}{suffix}").unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.jobs.path.parent.rmdir()
