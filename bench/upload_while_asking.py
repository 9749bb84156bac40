"""How an upload of a scanned document disturbs everyone else's answers, over HTTP, on loopback.

Generates a `--pages` (20) page scanned report (image-only PDF, 300 dpi pages of Vietnamese text, one
commune a page: `bench/scan_pages.py`), builds the seed corpus into a temp index (`python -m app
ingest`; `--index DIR` copies a built one instead), starts `python -m app serve` over it on 127.0.0.1
(ADMIN_API_KEY set, no rate limits, no LLM, `--ocr-workers` as OCR_WORKERS; other settings from the
environment), then:

1. baseline: for `--baseline-s` (10) s, one client calls GET /healthz and another POST /ask (a seed
   question), each back to back;
2. upload: while both keep going, `POST /documents?wait=0` with the scan, then GET /documents/{id}
   every 0.25 s until its `status` is ready or failed (`--timeout-s`, 15 min), noting when each
   status was first seen. A server that answers 201 and whose documents carry no queued/.../ready
   status (the blocking upload) counts as ready when its response arrives;
3. after ready: the question only the scan's last page answers, 20 times: refusals (`abstained`),
   answers holding the expected figure, answers citing the scan (and the pages cited); then, once
   /readyz shows no pending vectors, 5 more.

Prints p50 / p95 / worst latency of /healthz and /ask (200s, client-side) in the baseline (requests
over before the upload began) and during the upload (requests under way at any moment between its
start and ready), with when the worst one started (s from the phase's start), request counts and
other statuses, upload-to-ready with the status timeline, and the after-ready answers; `--json`
prints one JSON line of the same (the report then goes to stderr). Figures only, no asserts.

    .venv/bin/python bench/upload_while_asking.py [--pages 20] [--ocr-workers 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scan_pages import LAST_PAGE_FIGURE, LAST_PAGE_QUESTION, scan_report

ROOT = Path(__file__).resolve().parent.parent
SEED_QUESTION = "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?"
SEED_FIGURE = "348,5 tỷ đồng"
STATES = ("queued", "parsing", "ocr", "embedding", "ready", "failed")
POLL_S = 0.25
AFTER_READY_ASKS = 20

out = sys.stdout  # the report's stream; stderr with --json


def say(*parts: object) -> None:
    print(*parts, file=out, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def norm(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (as bench/load.py)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


@dataclass
class Sample:
    start: float  # seconds since the run's clock started
    seconds: float
    status: int | str
    note: str = ""  # /ask: "right" when the seed answer holds its figure, else "other"


@dataclass
class Loop:
    """One client calling one route back to back until stopped."""

    name: str
    samples: list[Sample] = field(default_factory=list)

    def run(self, base: str, clock: float, stop: threading.Event, timeout: float) -> None:
        with httpx.Client(base_url=base, timeout=timeout) as c:
            while not stop.is_set():
                t0 = time.perf_counter()
                note = ""
                try:
                    if self.name == "/healthz":
                        r = c.get("/healthz")
                    else:
                        r = c.post("/ask", json={"question": SEED_QUESTION})
                        if r.status_code == 200:
                            note = "right" if SEED_FIGURE in norm(r.json().get("answer", "")) else "other"
                    status: int | str = r.status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                t1 = time.perf_counter()
                self.samples.append(Sample(t0 - clock, t1 - t0, status, note))


def ms(value: float) -> float | None:
    """Rounded milliseconds; None for no value (JSON has no NaN)."""
    return None if value != value else round(value, 1)


def fmt(value: float | None) -> str:
    return "       -" if value is None else f"{value:8.1f}"


def stats(samples: list[Sample], origin: float) -> dict:
    """Counts and latencies of 200s; `worst_at_s`: when the slowest one started, seconds from `origin`."""
    ok = [s.seconds * 1000 for s in samples if s.status == 200]
    others = Counter(str(s.status) for s in samples if s.status != 200)
    res: dict = {
        "n": len(samples),
        "ok": len(ok),
        "p50_ms": ms(pct(ok, 0.50)),
        "p95_ms": ms(pct(ok, 0.95)),
        "max_ms": ms(max(ok, default=float("nan"))),
        "worst_at_s": max(
            ((s.seconds, round(s.start - origin, 2)) for s in samples if s.status == 200), default=(0, None)
        )[1],
        "other_statuses": dict(others),
    }
    if others:
        res["max_other_ms"] = round(max(s.seconds * 1000 for s in samples if s.status != 200), 1)
    notes = Counter(s.note for s in samples if s.note)
    if notes:
        res["seed_answer_right"] = notes["right"]
    return res


def line(label: str, st: dict, seconds: float) -> str:
    rate = st["n"] / seconds if seconds > 0 else float("nan")
    text = (
        f"  {label:9s} n={st['n']:4d} ({rate:5.1f}/s)  p50 {fmt(st['p50_ms'])}  p95 {fmt(st['p95_ms'])}  "
        f"worst {fmt(st['max_ms'])} ms"
    )
    if st["worst_at_s"] is not None:
        text += f" (at {st['worst_at_s']:+.1f} s)"
    if st["other_statuses"]:
        text += f"  other statuses {st['other_statuses']} (longest {st['max_other_ms']:.0f} ms)"
    if "seed_answer_right" in st:
        text += f"  answer with {SEED_FIGURE}: {st['seed_answer_right']}/{st['ok']}"
    return text


class Server:
    """`python -m app serve` on 127.0.0.1 in its own session (Ctrl-C reaches us; we stop it)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        cmd = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with log.open("w") as f:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, timeout: float = 180) -> float:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                break
            try:
                if httpx.get(f"{self.url}/readyz", timeout=10).status_code == 200:
                    return time.perf_counter() - t0
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        tail = "".join(self.log.read_text(errors="replace").splitlines(keepends=True)[-20:])
        raise SystemExit(f"the server did not become ready; its log ends with:\n{tail}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def build_index(index_dir: Path, source: Path | None) -> float:
    t0 = time.perf_counter()
    if source is not None:
        if not (source / "CURRENT").exists():
            raise SystemExit(f"{source}: no built index (no CURRENT)")
        shutil.copytree(source, index_dir)
    else:
        env = {**os.environ, "INDEX_DIR": str(index_dir), "LLM_BASE_URL": ""}
        done = subprocess.run(
            [sys.executable, "-m", "app", "ingest"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(f"python -m app ingest failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - t0


def upload_and_wait(c: httpx.Client, name: str, data: bytes, clock: float, timeout: float) -> dict:
    """POST the scan, then follow its status until ready or failed. Times are seconds since the
    upload's start; `timeline` maps each status to when it was first seen."""
    t0 = time.perf_counter()
    timeline: dict[str, float] = {}
    ocr_pages: dict[str, float] = {}
    result: dict = {"upload_start_s": round(t0 - clock, 3), "timeline": timeline, "ocr_pages_done": ocr_pages}

    def seen(status: str) -> None:
        timeline.setdefault(status, round(time.perf_counter() - t0, 3))

    r = c.post("/documents", params={"wait": "0"}, files={"files": (name, data, "application/pdf")})
    result["response_s"] = round(time.perf_counter() - t0, 3)
    result["http_status"] = r.status_code
    if r.status_code not in (201, 202):
        result.update(final="failed", reason=f"HTTP {r.status_code}: {r.text[:300]}")
        result["ready_at"] = time.perf_counter()
        return result
    body = r.json()
    docs = body.get("documents") or []
    if not docs:  # the file was refused (the new contract lists it under "failed")
        result.update(final="failed", reason=str(body.get("failed") or body)[:300])
        result["ready_at"] = time.perf_counter()
        return result
    doc = docs[0]
    doc_id = doc.get("doc_id", "")
    result["doc_id"] = doc_id
    result["job"] = body.get("job")
    first = doc.get("status")
    if first in STATES:
        seen(first)
    if r.status_code == 201 and first not in STATES:
        # The blocking upload: the response comes once the document is stored and answerable. Its
        # document page carries no status: ready at the response.
        page = c.get(f"/documents/{doc_id}")
        if page.status_code != 200 or "status" not in page.json():
            result["mode"] = "blocking (201, no status)"
            result["response_status"] = first
            result["final"] = "ready"
            timeline["ready"] = result["response_s"]
            result["ready_at"] = t0 + result["response_s"]
            result["ready_s"] = result["response_s"]
            return result
    result["mode"] = f"{r.status_code}, status polled"
    status_url = doc.get("status_url") or f"/documents/{doc_id}"
    deadline = t0 + timeout
    status = first if first in STATES else ""
    while status not in ("ready", "failed"):
        if time.perf_counter() > deadline:
            result.update(final="timeout", reason=f"not ready after {timeout:.0f} s (last: {status})")
            result["ready_at"] = time.perf_counter()
            return result
        time.sleep(POLL_S)
        p = c.get(status_url)
        if p.status_code != 200:
            seen(f"HTTP {p.status_code}")
            continue
        page = p.json()
        status = str(page.get("status", "ready"))  # a page with no status: the document is served
        seen(status)
        if page.get("progress") is not None:
            result["progress"] = page["progress"]
        if page.get("pages_done") is not None:  # OCR progress: when each count of pages was first seen
            ocr_pages.setdefault(str(page["pages_done"]), round(time.perf_counter() - t0, 3))
        if status == "failed":
            result["reason"] = page.get("reason")
    result["ready_at"] = time.perf_counter()
    result["final"] = status
    result["ready_s"] = timeline.get(status)
    return result


def ask_last_page(c: httpx.Client, doc_id: str, times: int = AFTER_READY_ASKS) -> dict:
    refusals = figures = cited = errors = 0
    pages_cited: Counter = Counter()
    latencies = []
    sample = ""
    for _ in range(times):
        t0 = time.perf_counter()
        r = c.post("/ask", json={"question": LAST_PAGE_QUESTION})
        latencies.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            errors += 1
            continue
        a = r.json()
        refusals += bool(a.get("abstained"))
        figures += LAST_PAGE_FIGURE in norm(a.get("answer", ""))
        mine = [x for x in a.get("citations", []) if x.get("doc_id") == doc_id]
        cited += bool(mine)
        pages_cited.update(str(x.get("page")) for x in mine)
        if not sample:
            sample = a.get("answer", "")
    return {
        "asked": times,
        "refusals": refusals,
        "figure_found": figures,
        "cites_scan": cited,
        "cited_pages": dict(pages_cited),
        "errors": errors,
        "p50_ms": ms(pct(latencies, 0.5)),
        "first_answer": sample[:300],
    }


def run(args: argparse.Namespace, tmp: Path) -> dict:
    say(f"cores {os.cpu_count()}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    t0 = time.perf_counter()
    data = scan_report(args.pages)
    name = f"bao-cao-ban-chup-{args.pages}-trang.pdf"
    say(f"scan: {args.pages} image-only A4 pages at 300 dpi, {len(data) / 1024:.0f} KiB, "
        f"generated in {time.perf_counter() - t0:.1f} s")  # fmt: skip
    index_dir = tmp / "index"
    took = build_index(index_dir, args.index)
    how = f"copied from {args.index}" if args.index else "seed corpus ingested"
    say(f"index: {how} in {took:.1f} s")

    key = secrets.token_hex(16)
    env = {**os.environ, "INDEX_DIR": str(index_dir), "ADMIN_API_KEY": key, "LLM_BASE_URL": "",
           "RATE_LIMIT_PER_IP": "", "RATE_LIMIT_PER_KEY": "", "LOG_FORMAT": "text"}  # fmt: skip
    if args.ocr_workers:
        env["OCR_WORKERS"] = str(args.ocr_workers)
    ocr_workers = int(env["OCR_WORKERS"]) if env.get("OCR_WORKERS") else "server default"
    server = Server(env, tmp / "server.log")
    try:
        say(f"server {server.url}: ready in {server.wait_ready():.1f} s; OCR_WORKERS={ocr_workers}")
        with httpx.Client(base_url=server.url, timeout=60) as c:  # warm: model, caches, first answer
            for _ in range(3):
                c.post("/ask", json={"question": SEED_QUESTION}).raise_for_status()

        clock = time.perf_counter()
        stop = threading.Event()
        loops = [Loop("/healthz"), Loop("/ask")]
        threads = [
            threading.Thread(target=lp.run, args=(server.url, clock, stop, args.timeout_s + 60), daemon=True)
            for lp in loops
        ]
        for t in threads:
            t.start()
        time.sleep(args.baseline_s)
        say(f"baseline done ({args.baseline_s:.0f} s); uploading {name} ...")
        admin = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=server.url, headers=admin, timeout=args.timeout_s + 60) as c:
            up = upload_and_wait(c, name, data, clock, args.timeout_s)
            ready_at = up.pop("ready_at")
            stop.set()
            after = ask_last_page(c, up.get("doc_id", "")) if up.get("final") == "ready" else None
            vectors_s, after_vectors = None, None
            if up.get("final") == "ready":  # lexical first, vectors in the background (blocking upload)
                deadline = time.perf_counter() + args.timeout_s
                while time.perf_counter() < deadline:
                    r = c.get("/readyz")
                    if r.status_code == 200 and not r.json().get("pending_vectors"):
                        break
                    time.sleep(0.1)
                vectors_s = round(time.perf_counter() - clock - up["upload_start_s"], 2)
                after_vectors = ask_last_page(c, up.get("doc_id", ""), 5)
        for t in threads:
            t.join(timeout=args.timeout_s + 60)
    finally:
        server.stop()

    u0, u1 = up["upload_start_s"], ready_at - clock
    result: dict = {
        "pages": args.pages,
        "pdf_kib": round(len(data) / 1024),
        "ocr_workers": ocr_workers,
        "cores": os.cpu_count(),
        "upload": up,
        "upload_to_ready_s": up.get("ready_s"),
        "vectors_done_s": vectors_s,
        "after_ready": after,
        "after_vectors": after_vectors,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    # baseline: requests over before the upload began; during: those overlapping upload-to-ready
    phases = {
        "baseline": (0.0, u0, lambda s: s.start + s.seconds <= u0),
        "during_upload": (u0, u1, lambda s: s.start < u1 and s.start + s.seconds > u0),
    }
    for phase, (a, b, keep) in phases.items():
        result[phase] = {
            "seconds": round(b - a, 2),
            **{lp.name: stats([s for s in lp.samples if keep(s)], a) for lp in loops},
        }
    return result


def report(r: dict) -> None:
    up = r["upload"]
    for phase in ("baseline", "during_upload"):
        ph = r[phase]
        say(f"{phase.replace('_', ' ')} ({ph['seconds']:.1f} s), client-side ms of 200s:")
        for route in ("/healthz", "/ask"):
            say(line(route, ph[route], ph["seconds"]))
    say(f"upload: HTTP {up['http_status']} after {up['response_s']:.2f} s, mode: {up.get('mode', '?')}")
    timeline = ", ".join(f"{k} +{v:.2f} s" for k, v in up["timeline"].items())
    say(f"  status first seen: {timeline or 'none'}")
    if up["ocr_pages_done"]:
        done = ", ".join(f"{k} +{v:.1f}" for k, v in up["ocr_pages_done"].items())
        say(f"  OCR pages done (count +s since the upload): {done}")
    if up.get("final") == "ready":
        say(f"  upload-to-ready: {r['upload_to_ready_s']:.2f} s "
            f"({r['pages'] / r['upload_to_ready_s']:.2f} pages/s); "
            f"vectors all in after {r['vectors_done_s']:.2f} s")  # fmt: skip
    else:
        say(f"  ended {up.get('final')}: {up.get('reason')}")
    a = r["after_ready"]
    if a:
        say(f"after ready, {a['asked']} x {LAST_PAGE_QUESTION!r}:")
        say(f"  refusals {a['refusals']}/{a['asked']}, answers with {LAST_PAGE_FIGURE!r} "
            f"{a['figure_found']}/{a['asked']}, citing the scan {a['cites_scan']}/{a['asked']} "
            f"(pages cited {a['cited_pages']}), "
            f"errors {a['errors']}; p50 {a['p50_ms']:.0f} ms")  # fmt: skip
        say(f"  first answer: {a['first_answer']!r}")
    v = r["after_vectors"]
    if v:
        say(f"once every vector is in, {v['asked']} more: refusals {v['refusals']}/{v['asked']}, "
            f"answers with the figure {v['figure_found']}/{v['asked']}")  # fmt: skip
    say(f"load average after {' '.join(f'{x:.2f}' for x in r['load_average'])}")


def main() -> int:
    global out
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=20, help="pages of the scanned PDF (default 20)")
    ap.add_argument("--ocr-workers", type=int, help="OCR_WORKERS of the server (default: its own)")
    ap.add_argument("--baseline-s", type=float, default=10, help="seconds of the baseline (default 10)")
    ap.add_argument("--timeout-s", type=float, default=900, help="longest wait for ready (default 900)")
    ap.add_argument("--index", type=Path, help="copy this built index instead of ingesting the seeds")
    ap.add_argument("--json", action="store_true", help="print one JSON line (the report goes to stderr)")
    args = ap.parse_args()
    if args.pages < 1:
        ap.error("--pages must be at least 1")
    if args.json:
        out = sys.stderr

    def stop(signum: int, _frame: object) -> None:  # the server is stopped on the way out
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C even when started in background
    with tempfile.TemporaryDirectory(prefix="upload-while-asking-") as tmp:
        result = run(args, Path(tmp))
    report(result)
    if args.json:
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0 if result["upload"].get("final") == "ready" else 1


if __name__ == "__main__":
    raise SystemExit(main())
