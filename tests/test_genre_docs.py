"""The genre documents are reproducible: `python -m evaluation genre-docs` writes, from
evals/genres/spec/*.yaml, the committed text files byte for byte and binary files with the same content;
a spec with a misspelt key is refused with its file named.

Text files must come out byte for byte. Binary files (PDF, DOCX, XLSX, images) are compared by what
can be read from them, never by their bytes: fpdf2, python-docx, openpyxl, Pillow, FreeType and the
fonts on a machine change the bytes (compression, font subsets, object order) but not the content.
"""

from __future__ import annotations

import difflib
import io
from pathlib import Path

import docx
import numpy as np
import openpyxl
import pypdfium2 as pdfium
import pytest
from docx.table import Table as DocxTable
from PIL import Image, ImageSequence

from app.ingest import read_bytes
from evaluation.genre_docs.build import build
from evaluation.genre_docs.spec import SpecError, load_spec
from evaluation.sets import GENRES

TEXT_SUFFIXES = {".md", ".txt", ".html", ".htm", ".json"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
# Pixels are compared after both images are shrunk to this width (about 1.35 mm a pixel on an A4
# page), as the mean absolute difference of grey levels (0-255). Drawing the same text with another
# layout engine (Pillow with and without libraqm moves glyphs and even rewraps a word) differs by
# about 1.3 there, a 0.05° change of skew by 0.6; a blank page differs from the scanned letter by
# 10.7 and another scanned page by 12.6. A changed word or figure on a scan moves it by less than 0.2,
# lost in that noise: the words on a scan are pinned exactly by its sources/*.json (same Line lists).
PIXEL_WIDTH = 155
PIXEL_TOLERANCE = 3.0

Facts = list[tuple[str, object]]


def _pdf_content(data: bytes) -> tuple[Facts, list[tuple[str, Image.Image]]]:
    """A PDF: its title, author and page count, each page's text layer (whitespace collapsed, so a
    different line wrap is no change) and the pixel size of every image on it; pages that carry an
    image (a scan) are rendered for a pixel comparison."""
    pdf = pdfium.PdfDocument(data)
    meta = pdf.get_metadata_dict()
    facts: Facts = [("title, author", (meta.get("Title"), meta.get("Author"))), ("pages", len(pdf))]
    pixels = []
    for number, page in enumerate(pdf, 1):
        text = " ".join(page.get_textpage().get_text_range().split())
        images = list(page.get_objects(filter=(pdfium.raw.FPDF_PAGEOBJ_IMAGE,)))
        sizes = [(m.width, m.height) for m in (im.get_metadata() for im in images)]
        facts += [(f"page {number} text", text), (f"page {number} image sizes", sizes)]
        if images:
            pixels.append((f"page {number}", page.render(scale=0.5, grayscale=True).to_pil()))
    return facts, pixels


def _reader_facts(name: str, data: bytes) -> Facts:
    """What the project's own reader makes of the file (blocks, title, what it left out)."""
    extracted = read_bytes(name, data)
    facts: Facts = [("reader title", extracted.title), ("reader removed", extracted.removed)]
    facts.append(("reader blocks", len(extracted.blocks)))
    facts += [(f"reader block {i}", b) for i, b in enumerate(extracted.blocks, 1)]
    return facts


def _docx_content(name: str, data: bytes) -> Facts:
    """A DOCX: title and author, every paragraph (style, alignment, runs with bold and italic) and
    every table's cell texts, in document order; then what the project's reader makes of it."""
    document = docx.Document(io.BytesIO(data))
    props = document.core_properties
    facts: Facts = [("title, author", (props.title, props.author))]
    for i, part in enumerate(document.iter_inner_content(), 1):
        if isinstance(part, DocxTable):
            facts.append((f"body {i} (table)", [[c.text for c in row.cells] for row in part.rows]))
        else:
            runs = [(r.text, r.bold, r.italic) for r in part.runs]
            facts.append((f"body {i}", (part._p.style, part.alignment, runs)))  # style id, no lookup
    return facts + _reader_facts(name, data)


def _xlsx_content(name: str, data: bytes) -> Facts:
    """An XLSX: title and author, sheet names, merged ranges, every non-empty cell's value or formula,
    the value Excel cached for it and its number format; then what the project's reader makes of it."""
    formulas = openpyxl.load_workbook(io.BytesIO(data))
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    props = formulas.properties
    facts: Facts = [("title, author", (props.title, props.creator)), ("sheets", formulas.sheetnames)]
    for ws, values in zip(formulas.worksheets, cached.worksheets, strict=True):
        facts.append((f"{ws.title} merged", sorted(str(r) for r in ws.merged_cells.ranges)))
        for row, value_row in zip(ws.iter_rows(), values.iter_rows(), strict=True):
            for cell, value in zip(row, value_row, strict=True):
                if cell.value is not None or value.value is not None:
                    facts.append(
                        (f"{ws.title}!{cell.coordinate}", (cell.value, value.value, cell.number_format))
                    )
    return facts + _reader_facts(name, data)


def _image_content(data: bytes) -> tuple[Facts, list[tuple[str, Image.Image]]]:
    """An image: frame count, pixel size and resolution of each frame, and the frames' pixels."""
    image = Image.open(io.BytesIO(data))
    dpi = image.info.get("dpi")
    facts: Facts = [("frames", getattr(image, "n_frames", 1)), ("dpi", dpi and tuple(round(d) for d in dpi))]
    pixels = []
    for i, frame in enumerate(ImageSequence.Iterator(image), 1):
        facts.append((f"frame {i} size", frame.size))
        pixels.append((f"frame {i}", frame.convert("L")))
    return facts, pixels


def _content(name: str, data: bytes) -> tuple[Facts, list[tuple[str, Image.Image]]]:
    """A binary file as facts that must be equal and images that must look alike (no OCR)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        return _pdf_content(data)
    if suffix == ".docx":
        return _docx_content(name, data), []
    if suffix == ".xlsx":
        return _xlsx_content(name, data), []
    if suffix in IMAGE_SUFFIXES:
        return _image_content(data)
    raise AssertionError(f"{name}: no content comparison for {suffix} files; add one to _content()")


def _grey_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of grey levels once both are shrunk to PIXEL_WIDTH (same shape)."""
    size = (PIXEL_WIDTH, round(PIXEL_WIDTH * a.height / a.width))
    small = [np.asarray(im.convert("L").resize(size, Image.Resampling.BOX), np.int16) for im in (a, b)]
    return float(np.abs(small[0] - small[1]).mean())


def _short(value: object, start: int = 0) -> str:
    text = repr(value)
    return ("..." if start else "") + text[start : start + 300] + ("..." if len(text) > start + 300 else "")


def _built_vs_committed(a: object, b: object) -> str:
    """Both values, from a little before the first character where their reprs differ."""
    ra, rb = repr(a), repr(b)
    same = next((i for i, (x, y) in enumerate(zip(ra, rb, strict=False)) if x != y), min(len(ra), len(rb)))
    start = max(0, same - 60)
    return f"built {_short(a, start)}, committed {_short(b, start)}"


def _differences(name: str, built: bytes, committed: bytes) -> str | None:
    """None if the built file has the committed file's content, else where they first differ."""
    if Path(name).suffix.lower() in TEXT_SUFFIXES:
        if built == committed:
            return None
        a, b = committed.decode("utf-8").splitlines(), built.decode("utf-8").splitlines()
        return _short(list(difflib.unified_diff(a, b, "committed", "built", n=0, lineterm=""))[2:6])
    (facts, pixels), (facts_c, pixels_c) = _content(name, built), _content(name, committed)
    if facts != facts_c:
        parts, parts_c = [k for k, _ in facts], [k for k, _ in facts_c]
        if parts != parts_c:
            return f"parts differ: {_built_vs_committed(parts, parts_c)}"
        key, a, b = next((k, a, b) for (k, a), (_, b) in zip(facts, facts_c, strict=True) if a != b)
        return f"{key}: {_built_vs_committed(a, b)}"
    assert [k for k, _ in pixels] == [k for k, _ in pixels_c], name
    for (key, a), (_, b) in zip(pixels, pixels_c, strict=True):
        if (diff := _grey_difference(a, b)) > PIXEL_TOLERANCE:
            return f"{key}: pixels differ by {diff:.2f} grey levels on average (> {PIXEL_TOLERANCE})"
    return None


def _built_differences(root: Path, folders: tuple[str, ...] = ("docs", "sources")) -> dict[str, str]:
    """Each file the builder wrote under `root` whose content is not the committed file's, and how."""
    out = {}
    for folder in folders:
        built = {p.name: p.read_bytes() for p in (root / folder).iterdir()}
        # Documents written by hand (the bk-, qd-, vb- families) sit beside the built ones.
        committed = {p.name: p.read_bytes() for p in (GENRES / folder).iterdir() if p.name in built}
        assert sorted(committed) == sorted(built), f"rerun {REBUILD} ({folder}: files missing)"
        for name in sorted(built):
            if why := _differences(name, built[name], committed[name]):
                out[f"{folder}/{name}"] = why
    return out


REBUILD = "python -m evaluation genre-docs"


def test_genre_documents_are_what_the_specs_build(tmp_path: Path) -> None:
    """The committed documents are reproducible: the builder writes the same text files and binary
    files with the same content (edit a spec, then rebuild; never edit the documents by hand)."""
    written = build(tmp_path)
    assert len(written) >= 15 and len(set(written)) == len(written)
    differences = _built_differences(tmp_path)
    assert differences == {}, f"rerun {REBUILD}:\n" + "\n".join(
        f"{name}: {why}" for name, why in differences.items()
    )


def test_a_spec_with_a_wrong_key_is_refused_by_name(tmp_path: Path) -> None:
    spec = tmp_path / "doc.yaml"
    outputs = "outputs: [{file: doc.md, description: d}]"
    spec.write_text(f"genre: regulation\n{outputs}\nblocks:\n- p: x\n  allign: center\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"doc\.yaml blocks\[0\]"):
        load_spec(spec)
    spec.write_text(f"genre: regulation\n{outputs}\nblocks:\n- item: 12\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not text"):  # a number where words belong: quote it
        load_spec(spec)
    spec.write_text(f"genre: regulation\n{outputs}\nblocks:\n- h3: Điều 1\n- sig: Ký\n", encoding="utf-8")
    heading, sig = load_spec(spec).blocks
    assert (heading.kind, heading.level) == ("h", 3) and (sig.align, sig.style) == ("right", "bold")
