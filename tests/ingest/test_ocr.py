"""OCR of scans built here: a Vietnamese official letter typeset with PIL, saved as PNG, JPEG, multi-page
TIFF and image-only PDF, must come back nearly character-exact, with every figure exact, a plausible
confidence and the right page numbers; without Tesseract, an image upload fails with an error that
says what to install."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from app.ingest import ocr
from app.ingest.blocks import Block
from app.ingest.errors import CorruptDocument, EmptyDocument, NoTextLayer
from app.ingest.loaders import read_bytes
from app.ingest.ocr import TesseractMissing, ocr_image, ocr_pdf_pages, tesseract_available

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
needs_tesseract = pytest.mark.skipif(
    not FONT.exists() or not tesseract_available(),
    reason="needs tesseract-ocr, tesseract-ocr-vie and fonts-dejavu-core (apt)",
)

LETTER = [  # page 1: a Công văn, one line per printed line
    "ỦY BAN NHÂN DÂN PHƯỜNG QUY NHƠN",
    "Số: 215/UBND-TCKH",
    "V/v báo cáo thu ngân sách quý I năm 2025",
    "Quy Nhơn, ngày 12/3/2025",
    "Kính gửi: Sở Tài chính tỉnh Bình Định.",
    "Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh, Ủy ban nhân dân",
    "phường báo cáo kết quả thu ngân sách như sau: tổng thu trên",
    "địa bàn đạt 348,5 tỷ đồng, bằng 109,4% dự toán năm; số hộ",
    "kinh doanh đã đăng ký thuế là 4.985 hộ.",
    "Đề nghị ông Nguyễn Văn Hưởng, Trưởng phòng Tài chính - Kế",
    "hoạch, phối hợp với bà Trần Thị Thủy tổng hợp số liệu.",
]
FIGURES = ["348,5 tỷ đồng", "4.985", "109,4%", "ngày 12/3/2025", "215/UBND-TCKH"]
NAMES = ["Nguyễn Văn Hưởng", "Trần Thị Thủy", "Ủy ban nhân dân"]
SECOND = [  # page 2 of the TIFF and the PDF
    "Nơi nhận:",
    "- Như trên;",
    "- Lưu: VT, phòng Tài chính - Kế hoạch.",
    "KT. CHỦ TỊCH",
    "PHÓ CHỦ TỊCH",
    "Lê Quang Đức",
]


def _render(lines: list[str], size: int = 30) -> Image.Image:
    font = ImageFont.truetype(str(FONT), size)
    pitch = round(size * 1.5)
    image = Image.new("RGB", (size * 34, pitch * len(lines) + 2 * size), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((size, size + i * pitch), line, font=font, fill="black")
    return image


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one row at a time."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def accuracy(truth: list[str], blocks: list[Block]) -> float:
    want, got = _norm(" ".join(truth)), _norm(" ".join(b.text for b in blocks))
    return 1 - edit_distance(want, got) / len(want)


def _text(blocks: list[Block]) -> str:
    return _norm(" ".join(b.text for b in blocks))


def _check_page(blocks: list[Block], truth: list[str], page: int | None) -> None:
    assert blocks, "nothing recognised"
    assert accuracy(truth, blocks) >= 0.97, _text(blocks)
    assert all(b.kind == "para" and b.page == page for b in blocks)
    assert all(b.text == unicodedata.normalize("NFC", b.text) and "\n" not in b.text for b in blocks)
    confs = {b.ocr for b in blocks}
    assert len(confs) == 1, "one mean confidence per page"
    (conf,) = confs
    assert conf is not None and 80 <= conf <= 100, conf


def _save(images: list[Image.Image], fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    images[0].save(buf, fmt, save_all=len(images) > 1, append_images=images[1:], **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def pages() -> list[Image.Image]:
    return [_render(LETTER), _render(SECOND)]


@needs_tesseract
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_letter_image_is_read_exactly(pages: list[Image.Image], fmt: str) -> None:
    extracted = read_bytes(f"cong-van.{fmt.lower()}", _save(pages[:1], fmt))
    assert extracted.source == "image"
    _check_page(extracted.blocks, LETTER, None)
    text = _text(extracted.blocks)
    for figure in FIGURES + NAMES:
        assert figure in text, figure
    # the letter's header lines stay apart, though Tesseract puts them in one paragraph
    assert [b.text for b in extracted.blocks[:2]] == ["ỦY BAN NHÂN DÂN PHƯỜNG QUY NHƠN", "Số: 215/UBND-TCKH"]


@needs_tesseract
def test_multipage_tiff_gives_one_page_per_frame(pages: list[Image.Image]) -> None:
    data = _save([p.convert("L") for p in pages], "TIFF", compression="tiff_lzw")
    blocks = read_bytes("cong-van.tiff", data).blocks
    _check_page([b for b in blocks if b.page == 1], LETTER, 1)
    _check_page([b for b in blocks if b.page == 2], SECOND, 2)
    assert [b.page for b in blocks] == sorted(b.page for b in blocks)  # reading order across pages
    assert "Lê Quang Đức" in _text(blocks)


@needs_tesseract
def test_image_only_pdf_pages(pages: list[Image.Image]) -> None:
    data = _save(pages, "PDF", resolution=300)
    import pdfplumber
    from pypdf import PdfReader

    assert not "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages).strip()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert not "".join(p.extract_text() or "" for p in pdf.pages).strip()
    result = ocr_pdf_pages(data, [1, 2])
    assert sorted(result) == [1, 2]
    _check_page(result[1], LETTER, 1)
    _check_page(result[2], SECOND, 2)
    for figure in FIGURES:
        assert figure in _text(result[1]), figure


@needs_tesseract
def test_small_text_is_upscaled_before_reading() -> None:
    """At 12 px Tesseract confuses diacritics; read upscaled, the letter is exact again."""
    blocks = ocr_image(_render(LETTER, size=12), page=3)
    _check_page(blocks, LETTER, 3)
    for figure in FIGURES:
        assert figure in _text(blocks), figure


@needs_tesseract
def test_image_without_text_is_empty() -> None:
    data = _save([Image.new("L", (600, 400), 255)], "PNG")
    with pytest.raises(EmptyDocument, match=r"blank\.png: no text was recognised"):
        read_bytes("blank.png", data)


def test_corrupt_images_are_named(pages: list[Image.Image]) -> None:
    png = _save([Image.new("L", (200, 100), 255)], "PNG")
    for name, data in [
        ("garbage.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        ("truncated.png", png[: len(png) // 2]),
        ("renamed.jpg", b"%PDF-1.4 not an image"),
    ]:
        with pytest.raises(CorruptDocument, match=re.escape(name)):
            read_bytes(name, data)


@pytest.fixture
def no_tesseract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract binary to find
    ocr._available.cache_clear()
    yield
    ocr._available.cache_clear()


def test_without_tesseract_an_image_says_what_to_install(
    no_tesseract: None, pages: list[Image.Image]
) -> None:
    assert not tesseract_available()
    with pytest.raises(TesseractMissing) as info:
        read_bytes("scan.png", _save([Image.new("L", (200, 100), 255)], "PNG"))
    assert isinstance(info.value, NoTextLayer)
    message = str(info.value)
    assert "scan.png" in message and "tesseract-ocr" in message and "tesseract-ocr-vie" in message
    with pytest.raises(TesseractMissing, match="tesseract-ocr-vie"):
        ocr_image(Image.new("L", (10, 10), 255))


def test_line_joining() -> None:
    join = ocr._join_lines
    assert join(["tổng thu ngân sách", "đạt 348,5 tỷ đồng"]) == "tổng thu ngân sách đạt 348,5 tỷ đồng"
    assert join(["the manage-", "ment board"]) == "the management board"  # a hyphenated Latin word
    assert join(["tỉnh Bà Rịa-", "Vũng Tàu"]) == "tỉnh Bà Rịa-Vũng Tàu"  # a compound keeps its hyphen
    assert join(["kinh tế-", "xã hội"]) == "kinh tế-xã hội"  # Vietnamese syllables never merge
    assert join(["Tài chính -", "Kế hoạch"]) == "Tài chính - Kế hoạch"


def test_paragraph_splits_only_at_short_or_header_lines() -> None:
    split = ocr._split_lines
    header = [("ỦY BAN NHÂN DÂN", 0, 500), ("Số: 215/UBND", 100, 400), ("V/v báo cáo thu ngân sách", 0, 600)]
    assert split(header) == [["ỦY BAN NHÂN DÂN"], ["Số: 215/UBND"], ["V/v báo cáo thu ngân sách"]]
    wrapped = [("Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh,", 0, 990), ("Ủy ban nhân dân phường", 0, 500)]
    assert split(wrapped) == [[wrapped[0][0], wrapped[1][0]]]
