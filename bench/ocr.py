"""OCR speed on scanned A4 pages at 300 dpi: seconds per page and pages/s, by workers and threads.

Why: a scanned report is OCRed page by page at upload time, so its pages/s is the upload's speed
(the issue's target: <= 3 s a page on 2 cores). Each page is one tesseract process; OCR_WORKERS
runs that many side by side and OMP_THREAD_LIMIT caps each one's OpenMP threads. The defaults
(OCR_WORKERS=2, one thread each) were chosen from these numbers. Figures only, no asserts.

The "report" pages are Vietnamese report text typeset with DejaVu Sans at 11 pt; the "list" pages
are numbered lists in DejaVu Serif whose items wrap so the last word ("đồng.") is a line of its own,
the layout on which Tesseract's page segmentation drops lines and `ocr` reads the region again (its
slow path). Both are rasterised at 300 dpi, saved as an image-only PDF and read back through
`ocr_pdf_pages` (pdfium render + OCR), the path a scanned PDF takes. Character accuracy is printed
too, as a check that speed was not bought with quality.

    .venv/bin/python bench/ocr.py [--pages 6] [--configs 1x1,2x1,1x2,2x2] [--kinds report,list]

1x2 and 2x2 (two OpenMP threads a process) are not run by default: beside any other busy process
they take 4-13x longer a page, so a run takes minutes.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import sys
import time
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
_DPI = 300
_A4 = (round(8.27 * _DPI), round(11.69 * _DPI))
_SUBJECTS = [
    "Tổng thu ngân sách trên địa bàn phường",
    "Giá trị sản xuất công nghiệp - tiểu thủ công nghiệp",
    "Kim ngạch xuất khẩu của các doanh nghiệp",
    "Vốn đầu tư xây dựng cơ bản từ ngân sách tỉnh",
    "Số hộ kinh doanh cá thể đăng ký mới",
    "Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ",
]
_TAILS = [
    "tăng so với cùng kỳ năm trước, chủ yếu nhờ các khoản thu từ đất và thuế thu nhập cá nhân.",
    "đạt kế hoạch đề ra; Ủy ban nhân dân phường tiếp tục chỉ đạo các phòng, ban rà soát nguồn thu.",
    "theo báo cáo của Chi cục Thống kê khu vực Quy Nhơn gửi ngày 15/01/2025.",
    "trong đó khu vực kinh tế tư nhân chiếm tỷ trọng lớn nhất, bảo đảm tiến độ giải ngân.",
]
_HOUSEHOLDS = [
    "bà Huỳnh Thị Lài",
    "ông Trương Văn Bảy",
    "ông Lê Văn Út",
    "bà Nguyễn Thị Hường",
    "bà Đỗ Thị Sen",
]
_HAMLETS = ["Phú Thạnh", "Mỹ Hòa", "Hòa Đông", "Tân Lập"]


def page_text(rng: random.Random, lines: int, width: int) -> list[str]:
    """Report-like sentences with figures, wrapped to about `width` characters a line."""
    words: list[str] = []
    while len(" ".join(words)) < lines * width:
        value = f"{rng.randint(1, 999)},{rng.randint(1, 9)}"
        pct = f"{rng.randint(80, 130)},{rng.randint(0, 9)}%"
        sentence = (
            f"{rng.choice(_SUBJECTS)} năm 2025 ước đạt {value} tỷ đồng, bằng {pct} dự toán, "
            f"{rng.choice(_TAILS)}"
        )
        words.extend(sentence.split())
    out, line = [], ""
    for w in words:
        if len(line) + len(w) + 1 > width:
            out.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return out[:lines]


def list_page(rng: random.Random, n: int) -> tuple[Image.Image, list[str]]:
    """An appendix page: 22 numbered items (DejaVu Serif, 34 px), first line indented, the last word
    wrapped alone to the margin; on a light grey scanner tone."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(SERIF, 34)
    image = Image.new("L", _A4, 242)
    draw = ImageDraw.Draw(image)
    lines = [f"PHỤ LỤC {n}: DANH SÁCH HỘ ĐỀ NGHỊ HỖ TRỢ"]
    draw.text((354, 240), lines[0], font=font, fill=25)
    y = 360
    for i in range(1, 23):
        work = rng.choice(["xây mới, 50", "sửa chữa, 30"])
        item = f"{i}. Hộ {rng.choice(_HOUSEHOLDS)}, thôn {rng.choice(_HAMLETS)}: {work} triệu đồng."
        *head, last = item.split()
        draw.text((474, y), " ".join(head), font=font, fill=25)
        draw.text((354, y + 45), last, font=font, fill=25)
        lines += [" ".join(head), last]
        y += 2 * 45 + 20
    return image, lines


def scanned_pdf(pages: int, kind: str = "report") -> tuple[bytes, list[str]]:
    """An image-only PDF of `pages` A4 pages at 300 dpi, and each page's text."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, round(11 / 72 * _DPI))
    rng = random.Random(20250312)
    images, texts = [], []
    for n in range(1, pages + 1):
        if kind == "list":
            image, lines = list_page(rng, n)
        else:
            lines = [f"BÁO CÁO TÌNH HÌNH KINH TẾ - XÃ HỘI PHƯỜNG QUY NHƠN - TRANG {n}"]
            lines += page_text(rng, 44, 78)
            image = Image.new("L", _A4, 255)
            draw = ImageDraw.Draw(image)
            for i, line in enumerate(lines):
                draw.text((round(0.9 * _DPI), round(0.9 * _DPI) + i * 68), line, font=font, fill=0)
        images.append(image)
        texts.append(" ".join(lines))
    buf = io.BytesIO()
    images[0].save(buf, "PDF", resolution=_DPI, save_all=True, append_images=images[1:])
    return buf.getvalue(), texts


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def accuracy(truth: str, got: str) -> float:
    """1 - Levenshtein distance / len(truth), on NFC text with whitespace collapsed."""
    a, b = _norm(truth), _norm(got)
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return 1 - prev[-1] / max(len(a), 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=6, help="A4 pages per run (default 6)")
    ap.add_argument(
        "--configs",
        default="1x1,2x1",
        help="WORKERSxTHREADS runs: parallel tesseract processes x OpenMP threads each",
    )
    ap.add_argument("--kinds", default="report,list", help="page kinds: report (plain text), list")
    args = ap.parse_args()

    from app.ingest import ocr

    if not ocr.tesseract_available():
        print("tesseract with 'vie' not found: apt install tesseract-ocr tesseract-ocr-vie")
        return 1
    print(f"cores {os.cpu_count()}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    pages = list(range(1, args.pages + 1))
    for kind in args.kinds.split(","):
        data, texts = scanned_pdf(args.pages, kind)
        chars = sum(map(len, texts)) // args.pages
        print(f"{kind}: {args.pages} A4 pages at {_DPI} dpi, {chars} chars/page")
        ocr.ocr_pdf_pages(data, [1], workers=1)  # warm the page cache: tesseract's model files
        for config in args.configs.split(","):
            workers, threads = (int(x) for x in config.split("x"))
            ocr.OCR_THREADS = threads
            t0 = time.perf_counter()
            result = ocr.ocr_pdf_pages(data, pages, workers=workers)
            elapsed = time.perf_counter() - t0
            acc = min(
                accuracy(text, " ".join(b.text for b in result[n]))
                for n, text in zip(pages, texts, strict=True)
            )
            conf = min(result[n][0].ocr or 0 for n in pages)
            print(
                f"  workers {workers} x threads {threads}: {elapsed / args.pages:5.2f} s/page, "
                f"{args.pages / elapsed:5.2f} pages/s; worst page: accuracy {acc:.4f}, confidence {conf:.1f}"
            )
    print(f"load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
