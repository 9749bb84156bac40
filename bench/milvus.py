"""The shared index (Milvus) against the embedded one on the same corpus, and what several replicas
and a Milvus outage do. Figures only, no asserts; they go into closing notes.

Takes an embedded index built by `bench/scale.py --keep DIR` (synthetic vectors around real seed
vectors; its README says so), copies it into a Milvus Lite server started here on loopback with
`python -m app migrate --to milvus` (no embedding), then prints:
- copy time and rows;
- /search and /ask p50 / p95 over HTTP, each backend served by `python -m app serve` in its own
  process (the questions are the seed eval's, embedded for real);
- upload through replica A to answerable through replica B (two Milvus replicas), several times;
- Milvus killed for 10 s while a client keeps asking replica A: responses by status (a 500 is a
  failure), the longest response, and the time from Milvus's return to the first answer.

    .venv/bin/python bench/milvus.py --index /tmp/scale/index-100000 [--data DIR] [--queries 40]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from scale import KEY, Server, latencies, percentile, say

from app.config import Settings
from app.index.migrate import to_milvus
from evaluation.sets import QUESTION_FILES, load_questions

AUTH = {"Authorization": f"Bearer {KEY}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Milvus:
    """`milvus-lite server` on 127.0.0.1 (what the tests run against)."""

    def __init__(self, data: Path, port: int) -> None:
        self.data, self.port = data, port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Milvus:
        exe = Path(sys.executable).parent / "milvus-lite"
        self.proc = subprocess.Popen(
            [
                str(exe),
                "server",
                "--data-dir",
                str(self.data),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(600):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("milvus-lite did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)

    def rss_mib(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def http_latency(server: Server, questions: list[str], label: str) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        latencies(c, "/ask", questions[:5])  # warm-up: caches, the first searches
        for path in ("/search", "/ask"):
            srv, cli = latencies(c, path, questions)
            say(
                f"{label} {path} p50 / p95",
                f"{percentile(srv, 50):.1f} / {percentile(srv, 95):.1f} ms server "
                f"({percentile(cli, 50):.1f} / {percentile(cli, 95):.1f} client)",
            )


def replicas(index_dir: Path, env: dict[str, str], rounds: int = 5) -> None:
    a, b = Server(index_dir, **env), Server(index_dir, **env)
    try:
        a.ready(), b.ready()
        seen = []
        for i in range(rounds):
            ward = f"Thử Nghiệm {i}"
            text = (
                f"Phường {ward} tổng kết năm 2025\n\nTổng thu ngân sách phường {ward} đạt {70 + i},5 tỷ đồng."
            )
            question = f"Tổng thu ngân sách phường {ward} năm 2025 là bao nhiêu?"
            r = httpx.post(
                f"{a.url}/documents", headers=AUTH, json={"doc_id": f"bench-{i}", "text": text}, timeout=120
            )
            r.raise_for_status()
            t0 = time.perf_counter()
            while httpx.post(f"{b.url}/ask", json={"question": question}, timeout=60).json()["abstained"]:
                if time.perf_counter() - t0 > 30:
                    break
                time.sleep(0.02)
            seen.append(time.perf_counter() - t0)
            httpx.delete(f"{a.url}/documents/bench-{i}", headers=AUTH, timeout=60)
        say(
            "upload on A to answer on B",
            f"median {sorted(seen)[len(seen) // 2]:.2f} s, max {max(seen):.2f} s",
        )
    finally:
        a.stop()
        b.stop()


def outage(index_dir: Path, env: dict[str, str], milvus: Milvus, questions: list[str], down_s: float) -> None:
    server = Server(index_dir, **env)
    statuses: Counter[str] = Counter()
    slowest = 0.0
    first_ok_after: list[float] = []
    back_at: list[float] = []
    stop = threading.Event()

    def client() -> None:
        nonlocal slowest
        i = 0
        while not stop.is_set():
            t = time.perf_counter()
            try:
                code = str(httpx.post(f"{server.url}/ask", json={"question": questions[i % len(questions)]},
                                      timeout=30).status_code)  # fmt: skip
            except httpx.TransportError as exc:
                code = type(exc).__name__
            slowest = max(slowest, time.perf_counter() - t)
            statuses[code] += 1
            if code == "200" and back_at and not first_ok_after:
                first_ok_after.append(time.perf_counter() - back_at[0])
            i += 1

    try:
        server.ready()
        threads = [threading.Thread(target=client) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(3)
        milvus.kill()
        time.sleep(down_s)
        milvus.start()
        back_at.append(time.perf_counter())
        deadline = time.perf_counter() + 60
        while not first_ok_after and time.perf_counter() < deadline:
            time.sleep(0.1)
        time.sleep(3)
        stop.set()
        for t in threads:
            t.join(60)
        say(
            f"Milvus down {down_s:.0f} s under load",
            ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())),
        )
        say("longest response", f"{slowest:.2f} s")
        say(
            "first answer after it came back",
            f"{first_ok_after[0]:.2f} s" if first_ok_after else "none in 10 s",
        )
    finally:
        server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True, help="an embedded index (bench/scale.py --keep)")
    ap.add_argument("--data", type=Path, help="Milvus Lite data dir, kept (default: a temp dir)")
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--down", type=float, default=10.0, help="seconds Milvus is killed for")
    args = ap.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="milvus-bench-"))
    milvus = Milvus(data, free_port()).start()
    questions = [q["question"] for q in load_questions(QUESTION_FILES["seeds"])][: args.queries]
    env = {
        "VECTOR_STORE": "milvus",
        "MILVUS_URI": milvus.uri,
        "MILVUS_COLLECTION": "bench",
        "MILVUS_TIMEOUT_S": "10",
        "RELOAD_INTERVAL_S": "0.5",
    }
    try:
        settings = Settings(INDEX_DIR=args.index, **env)  # type: ignore[arg-type]
        report = to_milvus(settings, progress=True)
        say("copied into Milvus", report.summary())
        for label, extra in (("faiss", {"VECTOR_STORE": "faiss"}), ("milvus", env)):
            server = Server(args.index, **extra)
            try:
                say(f"{label} server ready", f"{server.ready():.1f} s")
                http_latency(server, questions, label)
                say(f"{label} server RSS", f"{server.rss_mib():,.0f} MiB")
            finally:
                server.stop()
        say("milvus-lite RSS", f"{milvus.rss_mib():,.0f} MiB")
        replicas(args.index, env)
        outage(args.index, env, milvus, questions, args.down)
    finally:
        milvus.kill()
        if not args.data:
            shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
