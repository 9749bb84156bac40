"""A scanned multi-page Vietnamese report: image-only PDF pages at 300 dpi, one commune a page.

Each page is rendered by `evaluation/genre_docs/scan.py` (`render_scan`: DejaVu Serif on a greyscale A4 page,
slight skew and blur, a scanner's paper tone) and placed as an image with no text layer
(`pdf_scan_page`), the way `cong-van-1208-ung-pho-bao-ban-chup.pdf` is built. Every page reports a
different commune with its own figures; the last page is always xã Hòa Bình, whose budget
(`LAST_PAGE_FIGURE`) no other page and no seed document states, so `LAST_PAGE_QUESTION` is answered
by that page alone. Deterministic: the same `pages` gives the same bytes.

    .venv/bin/python bench/scan_pages.py OUT.pdf [--pages 20]   # needs the dev extra (fpdf2)
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from evaluation.genre_docs.model import Line
from evaluation.genre_docs.pdf import new_pdf, pdf_scan_page
from evaluation.genre_docs.scan import render_scan

LAST_PAGE_PLACE = "Hòa Bình"
LAST_PAGE_FIGURE = "52,7 tỷ đồng"
LAST_PAGE_QUESTION = f"Tổng thu ngân sách xã {LAST_PAGE_PLACE} năm 2025 là bao nhiêu?"

_FIRST = ["An", "Bình", "Phú", "Tân", "Mỹ", "Long", "Hưng", "Thạnh", "Vĩnh", "Quảng"]
_SECOND = ["Lộc", "Hải", "Sơn", "Phong", "Điền", "Thuận", "Xuân", "Nghĩa", "Khánh", "Trung"]
_SCHOOLS = ["Tiểu học", "Trung học cơ sở", "Mầm non"]
_CROPS = ["lúa", "ngô", "sắn", "lạc"]


def commune_names(n: int) -> list[str]:
    """`n` distinct commune names, the last one `LAST_PAGE_PLACE` (up to 100 pages)."""
    names = [f"{a} {b}" for b in _SECOND for a in _FIRST if f"{a} {b}" != LAST_PAGE_PLACE]
    if n > len(names) + 1:
        raise ValueError(f"at most {len(names) + 1} pages")
    random.Random(31).shuffle(names)
    return [*names[: n - 1], LAST_PAGE_PLACE]


def _num(value: float, decimals: int = 1) -> str:
    """Vietnamese number: '.' groups thousands, ',' marks decimals (1.234,5)."""
    whole, _, frac = f"{value:,.{decimals}f}".partition(".")
    whole = whole.replace(",", ".")
    return f"{whole},{frac}" if decimals else whole


def page_sentences(n: int, pages: int, place: str) -> list[str]:
    """A commune's section of the district's yearly report: about twenty sentences with figures."""
    rng = random.Random(20250000 + n)
    last = n == pages
    budget = LAST_PAGE_FIGURE if last else f"{_num(rng.uniform(18, 95))} tỷ đồng"
    if not last and budget == LAST_PAGE_FIGURE:
        budget = "53,1 tỷ đồng"
    spend = rng.uniform(15, 80)
    crop = rng.choice(_CROPS)
    poor = rng.randint(40, 400)
    return [
        f"Tổng thu ngân sách xã {place} năm 2025 đạt {budget}, bằng {_num(rng.uniform(95, 130))}% dự toán "
        "huyện giao, chủ yếu từ thu tiền sử dụng đất và thuế ngoài quốc doanh.",
        f"Tổng chi ngân sách xã năm 2025 là {_num(spend)} tỷ đồng, trong đó chi đầu tư phát triển "
        f"{_num(spend * rng.uniform(0.3, 0.5))} tỷ đồng, chi thường xuyên bảo đảm đúng dự toán.",
        f"Diện tích gieo trồng {crop} cả năm đạt {_num(rng.uniform(300, 2400), 0)} ha, năng suất bình quân "
        f"{_num(rng.uniform(45, 68))} tạ/ha, sản lượng tăng so với năm 2024.",
        f"Tổng đàn gia súc có {_num(rng.randint(1200, 9000), 0)} con, đàn gia cầm "
        f"{_num(rng.randint(20, 90) * 1000, 0)} con; dịch bệnh được kiểm soát tốt.",
        f"Toàn xã còn {poor} hộ nghèo, giảm {rng.randint(10, poor // 2)} hộ so với đầu năm; tỷ lệ hộ nghèo "
        f"còn {_num(rng.uniform(1, 6), 2)}%.",
        f"Trong năm đã bê tông hóa {_num(rng.uniform(2, 18))} km đường giao thông nông thôn với tổng vốn "
        f"{_num(rng.uniform(4, 30))} tỷ đồng, trong đó nhân dân đóng góp {rng.randint(10, 35)}%.",
        f"Thu nhập bình quân đầu người đạt {_num(rng.uniform(48, 82))} triệu đồng/người/năm.",
        f"Tỷ lệ người dân tham gia bảo hiểm y tế đạt {_num(rng.uniform(88, 98))}%; trạm y tế xã khám "
        f"và điều trị cho {_num(rng.randint(3000, 12000), 0)} lượt người.",
        f"Trường {rng.choice(_SCHOOLS)} {place} được công nhận đạt chuẩn quốc gia mức độ "
        f"{rng.randint(1, 2)}; tỷ lệ học sinh hoàn thành chương trình lớp học đạt "
        f"{_num(rng.uniform(97, 100))}%.",
        f"Có {rng.randint(2, 9)} hợp tác xã đang hoạt động, thu hút {rng.randint(150, 900)} lao động; "
        f"số lao động được giải quyết việc làm mới trong năm là {rng.randint(120, 600)} người.",
        f"Tỷ lệ hộ dân sử dụng nước sạch đạt {_num(rng.uniform(80, 99))}%; tỷ lệ thu gom rác thải sinh "
        f"hoạt đạt {_num(rng.uniform(70, 95))}%.",
        f"Công an xã tiếp nhận {rng.randint(5, 40)} vụ việc, giải quyết {rng.randint(3, 5)} phần năm số vụ; "
        "tình hình an ninh chính trị, trật tự an toàn xã hội ổn định.",
        f"Năm 2026, xã {place} phấn đấu tổng thu ngân sách tăng {rng.randint(5, 15)}% và giảm tỷ lệ hộ "
        "nghèo thêm 1 điểm phần trăm.",
    ]


# page 1's letterhead: the district's name and number left, the national motto and date right
_LEFT = [
    Line("ỦY BAN NHÂN DÂN", size=12.5, align="center", x0=200, x1=1150, gap=0),
    Line("HUYỆN ĐỒNG XUÂN", size=12.5, bold=True, align="center", x0=200, x1=1150, gap=0.6),
    Line("Số: 215/BC-UBND", size=12.5, align="center", x0=200, x1=1150),
]
_RIGHT = [
    Line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=11.5, bold=True, align="center", x0=1100, x1=2400, gap=0),
    Line("Độc lập - Tự do - Hạnh phúc", size=12.5, bold=True, align="center", x0=1100, x1=2400, gap=0.6),
    Line("Đồng Xuân, ngày 15 tháng 01 năm 2026", size=12.5, italic=True, align="center", x0=1100, x1=2400),
]
_TITLE = [
    Line("BÁO CÁO", size=14, bold=True, align="center", gap=0),
    Line("Kết quả thực hiện nhiệm vụ kinh tế - xã hội năm 2025 của các xã", size=13, bold=True,
         align="center", gap=0.8),
]  # fmt: skip


def page_image(n: int, pages: int, place: str):
    """Page `n` as a 300-dpi greyscale scan (a PIL image): page 1 opens with the letterhead."""
    columns = [_LEFT, _RIGHT] if n == 1 else []
    lines = list(_TITLE) if n == 1 else []
    lines.append(Line(f"{n}. XÃ {place.upper()}", size=13, bold=True, gap=0.5))
    lines += [Line(s, size=13, indent=120, align="left", gap=0.3) for s in page_sentences(n, pages, place)]
    lines.append(Line(f"Trang {n}/{pages}", size=11, align="center", gap=0))
    return render_scan(columns, lines, skew_deg=0.3 if n % 2 else -0.4)


def scan_report(pages: int = 20) -> bytes:
    """An image-only PDF of `pages` A4 pages at 300 dpi; needs fpdf2 (dev extra) and DejaVu fonts."""
    pdf = new_pdf(header=None, footer_pages=False, title_="", author="")
    for n, place in enumerate(commune_names(pages), 1):
        pdf_scan_page(pdf, page_image(n, pages, place))
    return bytes(pdf.output())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--pages", type=int, default=20)
    args = ap.parse_args()
    args.out.write_bytes(scan_report(args.pages))
    print(f"{args.out}: {args.pages} scanned pages, {args.out.stat().st_size / 1024:.0f} KiB")
    print(f"last page answers: {LAST_PAGE_QUESTION} -> {LAST_PAGE_FIGURE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
