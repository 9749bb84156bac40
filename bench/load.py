"""Load, overload and upstream faults against the real server, on loopback only, bounded in time.

Starts `python -m app serve` in its own process over the built index, with the LLM path pointed at
the scripted endpoint of tests/fake_llm.py (run here, so its script can be switched mid-run), then:

1. load: `--clients` (50) clients for `--seconds` (60) s on POST /ask, 10% streamed (SSE read to the
   final event); each client has its own loopback address (127.0.0.x), as real visitors would.
   Prints requests/s, p50/p99, status counts and the server's RSS before and after.
2. overload: `--flood` (200) clients with no pause for `--flood-seconds` (15) s, half of them from 2
   addresses (past the rate limit), half from 100 (together past the in-flight cap). Prints the
   statuses (only 200/429/503 expected), then how long until a fresh client is answered normally.
3. faults: the load again while the scripted LLM hangs, then answers 500, for `--fault-seconds` (30)
   s in all; /healthz is polled every 50 ms meanwhile. Prints /healthz p50/p99 and how the answers
   kept coming (mode, fallback).

    .venv/bin/python bench/load.py [--clients 50] [--seconds 60] [--embed-threads 1] [--think-s 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_llm import FakeLLM, Reply  # noqa: E402

from evaluation.sets import load_questions  # noqa: E402

LLM_TEXT = "Theo tài liệu được cung cấp [1]."  # cited, no figure: the whole LLM path runs and passes


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    modes: Counter = field(default_factory=Counter)

    def add(self, status: int | str, seconds: float, body: dict | None = None) -> None:
        self.statuses[status] += 1
        if status == 200:
            self.latencies.append(seconds)
        if body:
            mode = body.get("mode", "?")
            self.modes[f"{mode}{' (fallback)' if body.get('fallback_reason') else ''}"] += 1


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz").status_code == 200
    except httpx.ConnectError:  # bound, not yet listening
        return False


def client(base: str, address: str, timeout: float = 60) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=base, transport=transport, timeout=timeout)


async def one_ask(c: httpx.AsyncClient, question: str, stream: bool, tally: Tally) -> None:
    t0 = time.perf_counter()
    try:
        if not stream:
            r = await c.post("/ask", json={"question": question})
            tally.add(r.status_code, time.perf_counter() - t0, r.json() if r.status_code == 200 else None)
            return
        async with c.stream("POST", "/ask", json={"question": question, "stream": True}) as r:
            final, event = None, ""
            async for line in r.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event in ("final", "error"):
                    final = json.loads(line[6:]) if event == "final" else None
                    if event == "error":
                        tally.add("sse-error", time.perf_counter() - t0)
                        return
            tally.add(r.status_code, time.perf_counter() - t0, final)
    except httpx.HTTPError as exc:
        tally.add(type(exc).__name__, time.perf_counter() - t0)


async def run_clients(
    base: str, addresses: list[str], seconds: float, questions: list[str], tally: Tally, think_s: float = 0
) -> float:
    """Each client asks, waits for the whole answer, (reads it for ~`think_s`,) asks again, until the
    time is up. With no think time the clients form a closed loop that saturates the server: its
    latency is then clients / throughput (Little's law), whatever the code does."""
    stop = time.monotonic() + seconds
    rng = random.Random(8)

    async def loop(address: str) -> None:
        async with client(base, address) as c:
            if think_s:  # people do not all arrive in the same millisecond
                await asyncio.sleep(rng.uniform(0, think_s))
            while time.monotonic() < stop:
                await one_ask(c, rng.choice(questions), rng.random() < 0.10, tally)
                if think_s:
                    await asyncio.sleep(think_s * rng.uniform(0.5, 1.5))

    t0 = time.perf_counter()
    await asyncio.gather(*(loop(a) for a in addresses))
    return time.perf_counter() - t0


def report_load(name: str, tally: Tally, elapsed: float) -> None:
    n = sum(tally.statuses.values())
    lat = tally.latencies
    p50, p99, worst = (v * 1000 for v in (pct(lat, 0.5), pct(lat, 0.99), max(lat, default=0)))
    print(f"{name}: {n} requests in {elapsed:.1f} s = {n / elapsed:.1f} req/s; "
          f"200s p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {worst:.0f} ms")  # fmt: skip
    print(f"  statuses: {dict(tally.statuses)}  answers: {dict(tally.modes)}")


async def recovery(base: str, question: str) -> float:
    """Seconds until a fresh client (its own address) gets a normal answer."""
    t0 = time.perf_counter()
    async with client(base, "127.0.0.250", timeout=10) as c:
        while time.perf_counter() - t0 < 30:
            try:
                r = await c.post("/ask", json={"question": question})
                if r.status_code == 200:
                    return time.perf_counter() - t0
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    return float("inf")


def health_buckets(metrics: str) -> str:
    """The share of /healthz requests the server answered within 10 / 50 ms (its own histogram)."""
    key = 'http_request_duration_seconds_bucket{le="%s",method="GET",route="/healthz"}'
    counts = {
        ln.rsplit(" ", 1)[0]: float(ln.rsplit(" ", 1)[1]) for ln in metrics.splitlines() if "/healthz" in ln
    }
    total = counts.get(key % "+Inf", 0) or 1
    return ", ".join(
        f"{counts.get(key % le, 0) / total:.2%} within {float(le) * 1000:.0f} ms" for le in ("0.01", "0.05")
    )


async def poll_health(base: str, stop: asyncio.Event) -> list[float]:
    out: list[float] = []
    async with client(base, "127.0.0.251", timeout=10) as c:
        while not stop.is_set():
            t0 = time.perf_counter()
            r = await c.get("/healthz")
            out.append((time.perf_counter() - t0) if r.status_code == 200 else float("inf"))
            await asyncio.sleep(0.05)
    return out


async def faults(base: str, fake: FakeLLM, args: argparse.Namespace, questions: list[str]) -> None:
    tally, stop = Tally(), asyncio.Event()
    addresses = [f"127.0.0.{10 + i}" for i in range(args.clients)]
    health = asyncio.create_task(poll_health(base, stop))
    half = args.fault_seconds / 2

    async def script() -> None:
        await asyncio.sleep(5)
        fake.default = Reply(mode="hang")
        print(f"  t=5 s: the LLM endpoint hangs for {half:.0f} s", flush=True)
        await asyncio.sleep(half)
        fake.default = Reply(mode="status", status=500)
        print(f"  t={5 + half:.0f} s: the LLM endpoint answers 500 for {half:.0f} s", flush=True)
        await asyncio.sleep(half)
        fake.default = Reply(text=LLM_TEXT)
        print(f"  t={5 + 2 * half:.0f} s: the LLM endpoint answers again", flush=True)

    seconds = 5 + args.fault_seconds + 5
    _, elapsed = await asyncio.gather(script(), run_clients(base, addresses, seconds, questions, tally))
    stop.set()
    h = await health
    report_load(f"faults ({args.clients} clients, {seconds:.0f} s)", tally, elapsed)
    p50, p99, worst = (v * 1000 for v in (pct(h, 0.5), pct(h, 0.99), max(h)))
    print(f"  /healthz in the faults, client-side: n={len(h)} p50 {p50:.1f} p99 {p99:.1f} max {worst:.1f} ms")
    async with client(base, "127.0.0.252") as c:
        print(f"  /healthz over the whole run, server-side: {health_buckets((await c.get('/metrics')).text)}")


async def main_async(args: argparse.Namespace, base: str, pid: int, fake: FakeLLM) -> None:
    questions = [q["question"] for q in load_questions()]
    warm = Tally()
    async with client(base, "127.0.0.2") as c:
        for q in questions[:20]:
            await one_ask(c, q, False, warm)
            await asyncio.sleep(0.25)  # within the per-address rate limit
    print(f"warm-up: {dict(warm.statuses)}; server RSS {rss_mb(pid):.0f} MB", flush=True)

    rss0, cpu0, me0 = rss_mb(pid), cpu_s(pid), time.process_time()
    tally = Tally()
    addresses = [f"127.0.0.{10 + i}" for i in range(args.clients)]
    elapsed = await run_clients(base, addresses, args.seconds, questions, tally, args.think_s)
    think = f", think time ~{args.think_s:g} s" if args.think_s else ", no think time"
    report_load(f"load ({args.clients} clients, {args.seconds:.0f} s, 10% streamed{think})", tally, elapsed)
    print(f"  server RSS before {rss0:.0f} MB, after {rss_mb(pid):.0f} MB; CPU: server "
          f"{(cpu_s(pid) - cpu0) / elapsed:.0%}, "
          f"clients + scripted LLM {(time.process_time() - me0) / elapsed:.0%} "
          f"(of one core)", flush=True)  # fmt: skip

    flood = Tally()
    # Half from 2 addresses (past their rate limit: 429), half from 100 (within it, but together
    # past the in-flight cap: 503).
    flood_addresses = [
        f"127.0.1.{1 + i % 2}" if i % 2 else f"127.0.2.{1 + i % 100}" for i in range(args.flood)
    ]
    elapsed = await run_clients(base, flood_addresses, args.flood_seconds, questions, flood)
    report_load(
        f"overload ({args.flood} clients, half from 2 addresses, {args.flood_seconds:.0f} s)", flood, elapsed
    )
    others = {s: n for s, n in flood.statuses.items() if s not in (200, 429, 503)}
    print(f"  statuses other than 200/429/503: {others or 'none'}")
    print(f"  answered normally again after {await recovery(base, questions[0]):.2f} s", flush=True)

    await asyncio.sleep(2)
    await faults(base, fake, args, questions)
    print(f"server RSS at the end {rss_mb(pid):.0f} MB; load average {os.getloadavg()}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--flood", type=int, default=200)
    ap.add_argument("--flood-seconds", type=float, default=15)
    ap.add_argument("--fault-seconds", type=float, default=30)
    ap.add_argument("--embed-threads", type=int, default=1, help="EMBED_THREADS of the server")
    ap.add_argument("--rate-limit", default="5/second", help="RATE_LIMIT_PER_IP of the server")
    ap.add_argument(
        "--think-s", type=float, default=0, help="load phase: mean pause between a client's questions"
    )
    args = ap.parse_args()

    log_path = Path(tempfile.gettempdir()) / "vn-docqa-load-server.log"
    with FakeLLM() as fake:
        fake.default = Reply(text=LLM_TEXT)
        port = free_port()
        env = {
            **os.environ,
            "LLM_BASE_URL": fake.base_url,
            "LLM_MODEL": "fake",
            "LLM_PROTOCOL": "free",  # LLM_TEXT is a free-text answer
            "EMBED_THREADS": str(args.embed_threads),
            "RATE_LIMIT_PER_IP": args.rate_limit,
            "LOG_FORMAT": "json",
        }
        print(f"server: EMBED_THREADS={args.embed_threads} RATE_LIMIT_PER_IP={args.rate_limit}; "
              f"LLM: scripted; server log: {log_path}", flush=True)  # fmt: skip
        cmd = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]
        with log_path.open("w") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            assert proc.stdout is not None
            base = proc.stdout.readline().strip().removeprefix("serving on ")
            deadline = time.monotonic() + 60
            while not ready(base):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the server did not become ready (is the index built? make index)")
                time.sleep(0.2)
            asyncio.run(main_async(args, base, proc.pid, fake))
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
