"""Reader throughput for the formats with tables: PDF pages/s and XLSX rows/s, through `read_bytes`.

Why: the PDF reader runs pdfplumber (slow, pure Python) only on pages whose rules could draw a
table and pdfium (fast) on the rest, so its speed depends on how many pages hold tables. The target
is a 20-page text report with a table on some pages in <= 2 s on 2 cores. Documents are generated
here (seed sentences, DejaVu font, fpdf2 from the dev extra; openpyxl), so no fixture is needed.
Figures only, no asserts.

    .venv/bin/python bench/formats.py [--pages 20] [--rows 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.ingest.loaders import read_bytes  # noqa: E402

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BOLD = FONT.with_name("DejaVuSans-Bold.ttf")


def _sentences() -> list[str]:
    sentences = [s.strip() + "." for p in sorted((ROOT / "seeds").glob("*.txt"))
                 for s in p.read_text(encoding="utf-8").split(". ") if 40 < len(s) < 250]  # fmt: skip
    random.Random(7).shuffle(sentences)
    return sentences or ["Năm 2025, phường Thử Nghiệm hoàn thành các chỉ tiêu kinh tế - xã hội đề ra."]


def report_pdf(pages: int, table_every: int = 0) -> bytes:
    """`pages` A4 pages of report prose with a running header and a "Trang N/M" footer; with
    `table_every` k, every k-th page also holds a ruled 4x9 table of figures."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self) -> None:
            self.set_font("DejaVu", size=9)
            self.cell(0, 6, "ỦY BAN NHÂN DÂN PHƯỜNG THỬ NGHIỆM - BÁO CÁO NĂM 2025", align="C")
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("DejaVu", size=9)
            self.cell(0, 10, f"Trang {self.page_no()}/{pages}", align="C")

    sentences = _sentences()
    shuffle = random.Random(11).shuffle
    pdf = Report()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.add_font("DejaVu", style="B", fname=str(BOLD))
    pdf.set_auto_page_break(False)
    line = {"new_x": "LMARGIN", "new_y": "NEXT"}
    i = 0
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("DejaVu", size=11)
        table = bool(table_every) and page % table_every == 0
        shuffle(sentences)  # no page starts like another: recurring body text is not a header
        while pdf.get_y() < (140 if table else 240):
            pdf.multi_cell(0, 6, " ".join(sentences[(i + k) % len(sentences)] for k in range(3)), **line)
            pdf.ln(2)
            i += 3
        if table:
            pdf.cell(0, 8, f"Bảng {page}. Kết quả thực hiện chỉ tiêu trang {page}", **line)
            with pdf.table(col_widths=(70, 35, 35, 30)) as t:
                header = ("Chỉ tiêu", "Kế hoạch (tỷ đồng)", "Thực hiện (tỷ đồng)", "Tỷ lệ (%)")
                for values in [
                    header,
                    *((f"Chỉ tiêu {page}.{r}", "318,6", f"{340 + r},5", "109,4") for r in range(8)),
                ]:
                    row = t.row()
                    for value in values:
                        row.cell(value)
    return bytes(pdf.output())


def indicators_xlsx(rows: int) -> bytes:
    """One sheet: a merged title row, a header with units, `rows` rows of figures (one formula)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Chỉ tiêu 2025"
    ws.append(["BẢNG CHỈ TIÊU KINH TẾ - XÃ HỘI NĂM 2025"])
    ws.merge_cells("A1:E1")
    ws.append(["Chỉ tiêu", "ĐVT", "Kế hoạch", "Thực hiện", "Tỷ lệ"])
    for r in range(rows):
        ws.append(
            [f"Chỉ tiêu số {r + 1}", "tỷ đồng", 300 + r * 0.5, 320.25 + r, (320.25 + r) / (300 + r * 0.5)]
        )
        ws.cell(row=r + 3, column=5).number_format = "0.0%"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _time(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--rows", type=int, default=5000, help="XLSX data rows")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not FONT.exists():
        print(f"{FONT} missing (apt install fonts-dejavu-core)")
        return 1
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    read_bytes("warm.pdf", report_pdf(2, 1))  # imports and font caches out of the timings
    for label, table_every in [("text only", 0), ("table every 5th page", 5), ("table on every page", 1)]:
        data = report_pdf(args.pages, table_every)
        extracted = read_bytes("report.pdf", data)
        rows = sum(b.kind == "row" for b in extracted.blocks)
        best, median = _time(lambda data=data: read_bytes("report.pdf", data), args.repeat)
        print(
            f"PDF {args.pages} pages, {label:<21}: best {best:.3f} s, median {median:.3f} s, "
            f"{args.pages / median:6.1f} pages/s ({len(extracted.blocks)} blocks, {rows} table rows, "
            f"{len(extracted.removed)} removed)"
        )
    data = indicators_xlsx(args.rows)
    extracted = read_bytes("chi-tieu.xlsx", data)
    best, median = _time(lambda: read_bytes("chi-tieu.xlsx", data), args.repeat)
    print(
        f"XLSX {args.rows} rows ({len(data) // 1024} KiB): best {best:.3f} s, median {median:.3f} s, "
        f"{args.rows / median:,.0f} rows/s ({len(extracted.blocks)} blocks)"
    )
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
