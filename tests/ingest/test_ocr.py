"""OCR of scans built here: a Vietnamese official letter typeset with PIL, saved as PNG, JPEG, multi-page
TIFF and image-only PDF, must come back nearly character-exact, with every figure exact, a plausible
confidence and the right page numbers; a numbered list whose wrapped lines hold one word loses none of
them; specks read as junk are dropped and counted; without Tesseract, an image upload fails with an
error that says what to install."""

from __future__ import annotations

import io
import random
import re
import unicodedata
from collections import Counter
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


SERIF = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
ITEMS = [  # an appendix list; each item wraps so its last word, "đồng.", is a line of its own
    "Hộ bà Huỳnh Thị Lài, thôn Phú Thạnh: xây mới, 50 triệu đồng.",
    "Hộ ông Trương Văn Bảy, thôn Phú Thạnh: xây mới, 50 triệu đồng.",
    "Hộ ông Lê Văn Út, thôn Mỹ Hòa: xây mới, 50 triệu đồng.",
    "Hộ bà Nguyễn Thị Hường, thôn Mỹ Hòa: xây mới, 50 triệu đồng.",
    "Hộ ông Phan Văn Tư, thôn Hòa Đông: sửa chữa, 30 triệu đồng.",
    "Hộ bà Đỗ Thị Sen, thôn Hòa Đông: sửa chữa, 30 triệu đồng.",
]


def _wrapped_list(size: int = 40) -> Image.Image:
    """A 300 dpi scan of a numbered list set the official way: first line indented, the wrapped
    line at the margin. Tesseract's page layout (psm 3) takes the narrow margin column - the item
    numbers and the one-word lines - for non-text and drops it."""
    font = ImageFont.truetype(str(SERIF), size)
    pitch = round(size * 1.32)
    image = Image.new("L", (2480, 2 * pitch * len(ITEMS) + 500), 242)
    draw = ImageDraw.Draw(image)
    y = 250
    for n, item in enumerate(ITEMS, 1):
        *head, last = f"{n}. {item}".split()
        draw.text((474, y), " ".join(head), font=font, fill=25)
        draw.text((354, y + pitch), last, font=font, fill=25)
        y += 2 * pitch + round(0.3 * pitch)
    return image


@pytest.mark.skipif(not SERIF.exists() or not tesseract_available(), reason="needs tesseract and DejaVu")
def test_wrapped_list_keeps_every_line() -> None:
    blocks = ocr_image(_wrapped_list(), page=2, dpi=300)
    want = Counter(" ".join(f"{n}. {item}" for n, item in enumerate(ITEMS, 1)).split())
    got = Counter(_text(blocks).split())
    assert not want - got, f"lost {dict(want - got)}: {_text(blocks)}"
    # one block an item, in order, each with its number and its wrapped last word
    assert [b.text.split()[0] for b in blocks] == [f"{n}." for n in range(1, len(ITEMS) + 1)]
    assert all(b.text.endswith("đồng.") and b.page == 2 for b in blocks)


def test_junk_tokens_are_dropped_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A speck read as "—_" at low confidence is not text; a printed dash (read at 90+) is."""

    def tsv(images: list[Image.Image], *args: object, **kw: object) -> list[list[ocr._Word]]:
        words = [
            ocr._Word(1, 1, 1, "—_", 28.4, 300, 60, 10, 7),
            ocr._Word(1, 1, 1, "PHỤ", 92.8, 400, 40, 130, 50),
            ocr._Word(1, 1, 1, "LỤC", 90.8, 550, 40, 120, 50),
            ocr._Word(2, 1, 1, "-", 93.2, 300, 160, 16, 7),
            ocr._Word(2, 1, 1, "Như", 96.0, 330, 140, 90, 48),
            ocr._Word(2, 1, 1, "trên;", 96.0, 440, 140, 110, 48),
            ocr._Word(2, 1, 1, ":", 60.0, 600, 150, 6, 20),
        ]
        return [words for _ in images]

    monkeypatch.setattr(ocr, "_require", lambda lang: None)
    monkeypatch.setattr(ocr, "_tesseract_tsv", tsv)
    blocks = ocr_image(Image.new("L", (1000, 300), 255))
    assert [b.text for b in blocks] == ["PHỤ LỤC", "- Như trên;"]
    assert blocks.dropped == ["—_", ":"]


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
    # list items of even length: a full line ending a sentence, then a line starting "4. "
    items = [
        ("3. Hộ ông Lê Văn Út, thôn Mỹ Hòa: xây mới, 50 triệu đồng.", 0, 980),
        ("4. Hộ bà Nguyễn", 0, 990),
    ]
    assert split(items) == [[items[0][0]], [items[1][0]]]
    law = [("Giao nhiệm vụ theo quy định tại Điều", 0, 990), ("5. Luật Ngân sách nhà nước", 0, 980)]
    assert split(law) == [[law[0][0], law[1][0]]]  # no sentence ended: a wrapped reference, not an item


@needs_tesseract
def test_a_smudged_figure_is_kept_as_a_doubtful_word_of_its_paragraph() -> None:
    """A blur and specks over "đồng, bằng 109,4%" on an otherwise clean page: the page's mean stays
    high, the smudged words come back with their own low confidence, and the stored document marks
    them where they stand in its text (what the console marks and the checks refuse to quote)."""
    from PIL import ImageFilter

    from app.ingest import document_from_bytes

    image = _render(LETTER)
    size, pitch = 30, 45
    box = (size * 2 + 250, size + 7 * pitch, size * 2 + 520, size + 8 * pitch)  # line 8, its middle
    image.paste(image.crop(box).filter(ImageFilter.GaussianBlur(2.2)), box)
    draw, rng = ImageDraw.Draw(image), random.Random(1)
    for _ in range(900):
        shade = rng.randint(0, 255)
        draw.point((rng.randint(box[0], box[2]), rng.randint(box[1], box[3])), fill=(shade,) * 3)
    doc = document_from_bytes("cong-van.png", _save([image], "PNG"))
    assert all(s.ocr is not None and s.ocr >= 80 for s in doc.spans)  # the page reads well overall
    low = [
        (doc.text[s.start + a : s.start + b], conf, doc.text[s.start : s.end])
        for s in doc.spans
        for a, b, conf in s.doubtful
        if conf < 60
    ]
    assert low, [s.doubtful for s in doc.spans]
    assert any(re.search(r"\d", word) for word, _, _ in low), low  # the smudged percentage
    assert all("dự toán" in paragraph for _, _, paragraph in low), low  # and nothing elsewhere
