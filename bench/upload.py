"""Upload of one 5-page PDF report to answerable, over HTTP, against a copy of the built index.

Builds a ~5-page Vietnamese PDF (seed sentences, DejaVu font, fpdf2 from the dev extra), uploads it to
POST /documents on the real app on 127.0.0.1, then asks a question whose figure only that file holds,
and prints the time from the start of the upload to the answer, split into upload and ask, and then
to the moment its vectors are in the index too (uploads embed in the background by default;
`--sync` makes the upload wait for its vectors, EMBED_UPLOADS_IN_BACKGROUND=false).

    .venv/bin/python bench/upload.py [--pages 5] [--repeat 3] [--sync]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from pydantic import SecretStr

from app.config import Settings
from app.serve.limits import unthrottled
from app.serve.server import running_app

ROOT = Path(__file__).resolve().parent.parent
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def report_pdf(ward: str, figure: str, pages: int) -> bytes:
    import fpdf

    sentences = [s.strip() + "." for p in sorted((ROOT / "seeds").glob("*.txt"))
                 for s in p.read_text(encoding="utf-8").split(". ") if len(s) > 40]  # fmt: skip
    random.Random(7).shuffle(sentences)
    pdf = fpdf.FPDF()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    line = {"new_x": "LMARGIN", "new_y": "NEXT"}
    pdf.multi_cell(0, 7, f"Báo cáo tổng kết năm 2025 của phường {ward}", **line)
    pdf.multi_cell(0, 7, f"Năm 2025, tổng thu ngân sách phường {ward} đạt {figure}, vượt dự toán.", **line)
    i = 0
    while pdf.page_no() <= pages:
        pdf.multi_cell(0, 7, " ".join(sentences[i % len(sentences) : i % len(sentences) + 4]), **line)
        pdf.ln(3)
        i += 4
    return bytes(pdf.output())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sync", action="store_true", help="the upload waits for its vectors")
    args = ap.parse_args()
    base = unthrottled(Settings())  # a measurement, not abuse: no rate limit
    if not (base.INDEX_DIR / "CURRENT").exists():
        print("no index: run `python -m app ingest` first")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(base.INDEX_DIR, Path(tmp) / "index")
        settings = base.model_copy(
            update={
                "INDEX_DIR": Path(tmp) / "index",
                "ADMIN_API_KEY": SecretStr("bench"),
                "EMBED_UPLOADS_IN_BACKGROUND": not args.sync,
            }
        )
        with running_app(settings) as url, httpx.Client(base_url=url, timeout=120) as c:
            totals, uploads, complete = [], [], []
            for n in range(args.repeat):
                ward, figure = f"Thử Nghiệm {n + 1}", f"{100 + n},{n + 1} tỷ đồng"
                data = report_pdf(ward, figure, args.pages)
                t0 = time.perf_counter()
                r = c.post("/documents", headers={"X-API-Key": "bench"}, files={"files": (f"r{n}.pdf", data)})
                t1 = time.perf_counter()
                r.raise_for_status()
                chunks = r.json()["documents"][0]["chunks"]
                a = c.post(
                    "/ask", json={"question": f"Tổng thu ngân sách phường {ward} năm 2025 là bao nhiêu?"}
                )
                t2 = time.perf_counter()
                ok = figure in a.json()["answer"]
                while c.get("/readyz").json()["pending_vectors"]:
                    time.sleep(0.05)
                t3 = time.perf_counter()
                uploads.append(t1 - t0)
                totals.append(t2 - t0)
                complete.append(t3 - t0)
                size = f"{len(data) / 1024:.0f} KiB, {args.pages} pages, {chunks} chunks"
                print(f"{size}: upload {t1 - t0:.2f} s, ask {t2 - t1:.2f} s, answerable {t2 - t0:.2f} s, "
                      f"figure found: {ok}; vectors in {t3 - t0:.2f} s")  # fmt: skip
            print(f"median upload-to-answerable {statistics.median(totals):.2f} s "
                  f"(upload {statistics.median(uploads):.2f} s); "
                  f"upload-to-vectors {statistics.median(complete):.2f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
