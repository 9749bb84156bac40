"""The admin console at /admin: server-rendered pages (Jinja2) with no script of their own, so there is
no build step and nothing for a newcomer to install; every action is a plain form.

Sign-in exchanges a manage or root key for a session cookie (HttpOnly, SameSite=Strict, path /admin,
expiring after CONSOLE_SESSION_HOURS; only its hash is stored, in ACCESS_DB). Every form carries the
session's CSRF token; the sign-in form a double-submit token. An `ask` key cannot open the console,
and a manage key sees only the collections it manages. A revoked key's session ends with it.
"""

import mimetypes
import secrets
from collections import Counter
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import jinja2
from anyio import to_thread
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.index.listing import select
from app.index.prepare import chunks_of
from app.ingest import DocumentError, document_from_original
from app.serve.access import AccessError, check_name
from app.serve.admin import read_upload_files
from app.serve.eval_runs import EvalFileError, EvalRuns, parse_jsonl, right
from app.serve.gate import Caller, Gate, identify
from app.serve.schemas import clean_question
from app.serve.uploads import documents_url, file_status

router = APIRouter(prefix="/admin", include_in_schema=False)
SESSION = "console_session"
LOGIN_CSRF = "console_login"
_PAGE = 50
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates" / "console"),
    autoescape=True,
)


def _render(template: str, status: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(_templates.get_template(template).render(**context), status_code=status)


def _to_login() -> RedirectResponse:
    return RedirectResponse("/admin/login", status_code=303)


class Console:
    """A signed-in request: who, their CSRF token, and the gate to the collections they manage."""

    def __init__(self, request: Request, caller: Caller, csrf: str) -> None:
        state = request.app.state
        self.request, self.caller, self.csrf = request, caller, csrf
        self.gate = Gate(caller, state.access, state.library, Response())

    def check(self, token: str) -> None:
        if not secrets.compare_digest(token.encode(), self.csrf.encode()):
            raise HTTPException(403, detail="the form is stale or not from this console: reload the page")

    def managed(self) -> list[str]:
        return [c.name for c in self.gate.access.collections() if self.caller.manages(c.name)]

    def page(self, template: str, status: int = 200, **context: object) -> HTMLResponse:
        who = "root" if self.caller.root else f"{self.caller.key.prefix}…" if self.caller.key else "-"
        return _render(template, status, csrf=self.csrf, who=who, root=self.caller.root, **context)


def _signed_in(request: Request) -> Console | None:
    token = request.cookies.get(SESSION)
    access = request.app.state.access
    found = access.session(token) if token else None
    if found is None:
        return None
    key_id, csrf = found
    if key_id == "root":
        return Console(request, Caller(None, root=True), csrf)
    key = access.key(key_id)
    if key is None or key.revoked_at is not None or key.role != "manage":
        return None
    return Console(request, Caller(key), csrf)


def _session_or_login(request: Request) -> Console | RedirectResponse:
    return _signed_in(request) or _to_login()


@router.get("/login")
def login_page(request: Request, error: str | None = None) -> HTMLResponse:
    token = secrets.token_urlsafe(16)
    page = _render("login.html", 401 if error else 200, login_csrf=token, error=error)
    secure = request.url.scheme == "https"
    page.set_cookie(
        LOGIN_CSRF, token, httponly=True, samesite="strict", path="/admin", secure=secure, max_age=600
    )
    return page


@router.post("/login")
def login(
    request: Request, key: Annotated[str, Form(max_length=200)], csrf: Annotated[str, Form(max_length=64)]
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF, "")
    if not cookie or not secrets.compare_digest(cookie.encode(), csrf.encode()):
        return login_page(request, "Biểu mẫu đã hết hạn, vui lòng thử lại.")
    state = request.app.state
    try:
        caller = identify(state.settings, state.access, key.strip(), None)
    except HTTPException:
        return login_page(request, "Khóa không đúng hoặc đã bị thu hồi.")
    if not caller.root and (caller.key is None or caller.key.role != "manage"):
        return login_page(request, "Khóa này chỉ dùng để hỏi (ask): bảng quản trị cần khóa quản lý (manage).")
    ttl = state.settings.CONSOLE_SESSION_HOURS * 3600
    token, _ = state.access.open_session(caller.key_id, ttl)
    state.access.audit(caller.key_id, "console sign-in", None, None, "ok")
    out = RedirectResponse("/admin", status_code=303)
    secure = request.url.scheme == "https"
    out.set_cookie(
        SESSION, token, httponly=True, samesite="strict", path="/admin", secure=secure, max_age=int(ttl)
    )
    out.delete_cookie(LOGIN_CSRF, path="/admin")
    return out


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=64)]) -> Response:
    console = _signed_in(request)
    if console is not None:
        console.check(csrf)
        request.app.state.access.close_session(request.cookies.get(SESSION, ""))
    out = _to_login()
    out.delete_cookie(SESSION, path="/admin")
    return out


@router.get("")
async def home(request: Request) -> Response:
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    rows = []
    for name in console.managed():
        info = console.gate.access.collection(name)
        # Sizes of the collections already open: listing must not open a thousand indexes.
        shelf = console.gate.library.opened(name)
        gen = shelf.pipeline.generation if shelf is not None and shelf.pipeline is not None else None
        size = (len(gen.documents), gen.chunk_count) if gen else (None, None)
        rows.append(
            {"name": name, "public": bool(info and info.public), "documents": size[0], "chunks": size[1]}
        )
    return console.page("collections.html", collections=rows)


@router.post("/collections")
async def make_collection(
    request: Request,
    csrf: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=64)],
    public: Annotated[bool, Form()] = False,
) -> Response:
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    console.check(csrf)
    console.gate.require_root("make a collection")
    try:
        check_name(name)
        await to_thread.run_sync(console.gate.access.create_collection, name, public)
    except AccessError as exc:
        return console.page("error.html", 422, message=str(exc))
    console.gate.audit("create collection", name, None, "ok (console)")
    return RedirectResponse(f"/admin/c/{quote(name)}", status_code=303)


def _managing(console: Console, name: str) -> None:
    console.gate.may_manage(name, "open the console")


@router.get("/c/{name}")
async def documents(
    request: Request,
    name: str,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    q: Annotated[str, Query(max_length=200)] = "",
    order: Annotated[str, Query(pattern="^(doc_id|title|date|-date|chunks)$")] = "doc_id",
) -> Response:
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    _managing(console, name)
    gen = (await console.gate.pipeline(name)).generation
    found = await to_thread.run_sync(lambda: select(gen.document_index(), q, order))
    rows = [{"doc_id": d.doc_id, "title": d.title, "date": d.date, "format": d.format, "chunks": d.chunks,
             "pending": gen.pending_of(d.doc_id)} for d in found[offset : offset + _PAGE]]  # fmt: skip
    return console.page(
        "documents.html",
        name=name,
        documents=rows,
        total=len(found),
        offset=offset,
        size=_PAGE,
        q=q,
        order=order,
        all=len(gen.documents),
    )


def _marked(text: str, doubtful: tuple[tuple[int, int, float], ...]) -> list[tuple[str, float | None]]:
    """A paragraph cut into plain runs and OCR's doubtful words (with their confidence), for marking."""
    parts: list[tuple[str, float | None]] = []
    at = 0
    for start, end, conf in doubtful:
        if start < at or end > len(text):
            continue  # stored offsets that no longer fit this text: leave the words unmarked
        if start > at:
            parts.append((text[at:start], None))
        parts.append((text[start:end], conf))
        at = end
    if at < len(text) or not parts:
        parts.append((text[at:], None))
    return parts


@router.get("/c/{name}/d/{doc_id}")
async def document(request: Request, name: str, doc_id: str) -> Response:
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    _managing(console, name)
    gen = (await console.gate.pipeline(name)).generation
    doc = gen.documents.get(doc_id)
    if doc is None:
        return console.page("error.html", 404, message=f"Không có tài liệu {doc_id}")
    low_ocr = console.gate.library.settings.OCR_MIN_CONFIDENCE
    removed: dict[str, list[str]] = {}
    for r in doc.removed:
        removed.setdefault(r.reason, []).append(r.text)
    paragraphs = [
        {
            "path": " › ".join(s.path),
            "kind": s.kind,
            "page": s.page,
            "ocr": s.ocr,
            "parts": _marked(doc.text[s.start : s.end], s.doubtful),
        }
        for s in doc.spans
    ]
    ocr_pages: dict[int | None, dict[str, float]] = {}
    for s in doc.spans:
        if s.ocr is not None:
            page = ocr_pages.setdefault(s.page, {"confidence": s.ocr, "doubtful": 0, "low": 0})
            page["doubtful"] += len(s.doubtful)
            page["low"] += sum(conf < low_ocr for _, _, conf in s.doubtful)
    headings = list(dict.fromkeys(p["path"] for p in paragraphs if p["path"]))
    tables: dict[int, dict[str, list[str]]] = {}
    for s in doc.spans:
        if s.table is not None:
            part = "header" if s.kind in ("header", "caption") else "rows"
            tables.setdefault(s.table, {"header": [], "rows": []})[part].append(doc.text[s.start : s.end])
    return console.page(
        "document.html",
        name=name,
        doc=doc,
        removed=removed,
        removed_counts=Counter(r.reason for r in doc.removed),
        paragraphs=paragraphs,
        low_ocr=low_ocr,
        ocr_pages=ocr_pages,
        headings=headings,
        tables=tables,
        # The chunks as the index cut them (the same chunker and sizes), each as a citation shows it.
        chunks=await to_thread.run_sync(chunks_of, console.gate.library.settings, doc),
        original=f"/admin/c/{quote(name)}/d/{quote(doc_id, safe='')}/original",
    )


@router.get("/c/{name}/d/{doc_id}/original")
async def original(request: Request, name: str, doc_id: str) -> Response:
    """The file as uploaded, for a signed-in manager (the API's route wants a key in a header)."""
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    _managing(console, name)
    shelf = await console.gate.library.shelf(name)
    data = await to_thread.run_sync(shelf.service.original, doc_id)
    doc = shelf.pipeline.generation.documents.get(doc_id) if shelf.pipeline is not None else None
    if data is None or doc is None:
        return console.page("error.html", 404, message=f"Không có bản gốc của {doc_id}")
    filename = doc.source or doc_id
    return Response(
        data,
        media_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.post("/c/{name}/d/{doc_id}/reindex")
async def reindex_document(
    request: Request, name: str, doc_id: str, csrf: Annotated[str, Form(max_length=64)]
) -> Response:
    """Read the kept original again with today's readers and profile, and write what they make of it
    (vectors of unchanged chunks are reused)."""
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    console.check(csrf)
    shelf = await console.gate.managed(name, "reindex", doc_id)
    doc = shelf.pipeline.generation.documents.get(doc_id) if shelf.pipeline is not None else None
    data = await to_thread.run_sync(shelf.service.original, doc_id) if doc is not None else None
    if doc is None or data is None or not doc.source:
        return console.page("error.html", 404, message=f"Không có bản gốc của {doc_id} để đọc lại")
    try:
        fresh = await to_thread.run_sync(document_from_original, doc_id, doc.source, data)
    except DocumentError as exc:
        return console.page("error.html", 422, message=f"{doc.source}: {exc}")
    report = await to_thread.run_sync(lambda: shelf.service.write([fresh], [], {doc_id: data}))
    console.gate.audit("reindex", name, doc_id, f"ok (console): {report.summary()}")
    return RedirectResponse(f"/admin/c/{quote(name)}/d/{quote(doc_id, safe='')}", status_code=303)


@router.post("/c/{name}/d/{doc_id}/delete")
async def delete_document(
    request: Request, name: str, doc_id: str, csrf: Annotated[str, Form(max_length=64)]
) -> Response:
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    console.check(csrf)
    shelf = await console.gate.managed(name, "delete", doc_id)
    if shelf.pipeline is None or doc_id not in shelf.pipeline.generation.documents:
        return console.page("error.html", 404, message=f"Không có tài liệu {doc_id}")
    report = await to_thread.run_sync(lambda: shelf.service.write([], [doc_id], None))
    console.gate.audit("delete", name, doc_id, f"ok (console): {report.summary()}")
    return RedirectResponse(f"/admin/c/{quote(name)}", status_code=303)


@router.get("/c/{name}/questions")
async def questions(request: Request, name: str) -> Response:
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    _managing(console, name)
    log = request.app.state.questions
    if log is None:
        return console.page("questions.html", name=name, off=True, questions=[], gaps=[])
    _, rows = await to_thread.run_sync(log.page, name, None, 0, 100)
    gaps = await to_thread.run_sync(log.gaps, name, 50)
    return console.page("questions.html", name=name, off=False, questions=rows, gaps=gaps)


@router.get("/c/{name}/keys")
def keys(request: Request, name: str, made: str | None = None) -> Response:
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    console.gate.require_root("manage keys")
    console.gate.readable_or_404(name)
    return console.page(
        "keys.html", name=name, keys=console.gate.access.keys(name), base=str(request.base_url).rstrip("/")
    )


@router.post("/c/{name}/keys")
def make_key(
    request: Request,
    name: str,
    csrf: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form(pattern="^(ask|manage)$")],
    origins: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    console.check(csrf)
    console.gate.require_root("make a key")
    console.gate.readable_or_404(name)
    pages = [o.strip().rstrip("/") for o in origins.replace(",", " ").split() if o.strip()]
    record, token = console.gate.access.create_key(role, [name], None, pages)  # type: ignore[arg-type]
    console.gate.audit("create key", name, None, f"ok (console): key {record.id} ({record.role})")
    base = str(request.base_url).rstrip("/")
    return console.page(
        "keys.html", name=name, keys=console.gate.access.keys(name), base=base, made=record, token=token
    )


@router.post("/c/{name}/keys/{key_id}/revoke")
def revoke_key(
    request: Request, name: str, key_id: str, csrf: Annotated[str, Form(max_length=64)]
) -> Response:
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    console.check(csrf)
    console.gate.require_root("revoke a key")
    if console.gate.access.revoke(key_id) is None:
        return console.page("error.html", 404, message=f"Không có khóa {key_id}")
    console.gate.audit("revoke key", name, None, f"ok (console): key {key_id}")
    return RedirectResponse(f"/admin/c/{quote(name)}/keys", status_code=303)


@router.post("/c/{name}/upload")
async def upload(request: Request, name: str) -> Response:
    """Several files at once (a file input takes a drop of files too); each is read in the upload
    queue's workers and followed on the upload's page, stage by stage."""
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    form = await request.form(max_files=50)
    console.check(str(form.get("csrf", "")))
    shelf = await console.gate.managed(name, "upload")
    try:
        files = await read_upload_files(request)
    except HTTPException as exc:
        return console.page("error.html", exc.status_code, message=str(exc.detail))
    job, states = await shelf.uploads.submit(files)
    console.gate.audit(
        "upload", name, ", ".join(f.doc_id for f in states)[:400], f"queued as job {job} (console)"
    )
    return RedirectResponse(f"/admin/c/{quote(name)}/uploads/{quote(job)}", status_code=303)


_STAGES = {"queued": "đang chờ", "parsing": "đang đọc", "ocr": "đang nhận dạng chữ (OCR)",
           "embedding": "đang nhúng", "ready": "sẵn sàng", "failed": "lỗi"}  # fmt: skip


@router.get("/c/{name}/uploads/{job}")
async def upload_status(request: Request, name: str, job: str) -> Response:
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    _managing(console, name)
    shelf = await console.gate.library.shelf(name)
    files = await to_thread.run_sync(shelf.uploads.jobs.job, job)
    if not files:
        return console.page("error.html", 404, message=f"Không có lượt tải lên {job}")
    generation = shelf.pipeline.generation if shelf.pipeline is not None else None
    rows = [file_status(f, generation, documents_url(name)) for f in files]
    done = all(r.status in ("ready", "failed") for r in rows)
    return console.page("upload.html", name=name, job=job, files=rows, done=done, stages=_STAGES)


@router.get("/c/{name}/try")
async def try_it(request: Request, name: str, q: Annotated[str, Query(max_length=1000)] = "") -> Response:
    """Ask within the collection: the answer, why it abstained if it did, and every passage
    retrieved with its score."""
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    _managing(console, name)
    result = None
    question = clean_question(q) if q.strip() else ""
    if question:
        pipeline = await console.gate.pipeline(name)
        result = await pipeline.ask(question, 8)
    return console.page("try.html", name=name, q=question, result=result)


def _chart(runs: list[dict[str, object]]) -> list[tuple[float, float, dict[str, object]]]:
    """Points of the score-over-runs chart (an inline SVG, 600 x 160, no script)."""
    if not runs:
        return []
    step = 560 / max(1, len(runs) - 1)
    return [(20 + i * step, 150 - 130 * float(r["score"]), r) for i, r in enumerate(runs)]  # type: ignore[arg-type]


@router.get("/c/{name}/evals")
def evals(request: Request, name: str, run: Annotated[int | None, Query(ge=1)] = None) -> Response:
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    _managing(console, name)
    store: EvalRuns = request.app.state.eval_runs
    runs = store.runs(name)
    shown = run or (int(runs[-1]["id"]) if runs else None)  # type: ignore[arg-type]
    results = store.results(name, shown) if shown else None
    return console.page("evals.html", name=name, runs=runs, points=_chart(runs), results=results, shown=shown)


@router.post("/c/{name}/evals")
async def run_evals(request: Request, name: str) -> Response:
    """Every question asked through the collection's pipeline, as a user would, then scored."""
    console = _session_or_login(request)
    if isinstance(console, RedirectResponse):
        return console
    form = await request.form(max_files=1)
    console.check(str(form.get("csrf", "")))
    console.gate.may_manage(name, "run evals")
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return console.page("error.html", 422, message="Chọn một tệp JSONL câu hỏi")
    try:
        questions = parse_jsonl(await upload.read(2_000_000))
    except EvalFileError as exc:
        return console.page("error.html", 422, message=f"{upload.filename}: {exc}")
    pipeline = await console.gate.pipeline(name)
    results: list[dict[str, object]] = []
    for q in questions:
        got = await pipeline.ask(q.question, 5)
        a = got.answer
        results.append({"question": q.question, "expected": list(q.expected), "answer": a.text,
                        "abstained": a.abstained, "right": right(q, a.text, a.abstained)})  # fmt: skip
    store: EvalRuns = request.app.state.eval_runs
    run_id = await to_thread.run_sync(store.add, name, upload.filename or "evals.jsonl", results)
    console.gate.audit("run evals", name, None, f"ok (console): run {run_id}, {len(results)} questions")
    return RedirectResponse(f"/admin/c/{quote(name)}/evals?run={run_id}", status_code=303)
