"""Build the genre eval documents: evals/genres/spec/*.yaml in, evals/genres/docs/* and
evals/genres/sources/<file>.json out (`python -m evaluation genre-docs [OUT_DIR]`).

Each spec names the files written from it; the file's suffix picks the writer, and every file gets
the source record of exactly the text it was built from (`record.py`). All organisations, people and
figures are fictional. The build is deterministic (same bytes every run on one machine), so the
committed files only change when a spec or a writer does. Files already in docs/ and sources/ are
overwritten, never removed: the hand-written documents (bk-, qd-, vb-) sit beside the built ones.
"""

from __future__ import annotations

from pathlib import Path

from evaluation.genre_docs.model import ScanPage
from evaluation.genre_docs.office import write_docx, write_xlsx
from evaluation.genre_docs.pdf import new_pdf, pdf_blocks, pdf_scan_page
from evaluation.genre_docs.record import Record
from evaluation.genre_docs.scan import png_bytes, render_scan
from evaluation.genre_docs.spec import Output, Spec, SpecError, load_spec
from evaluation.genre_docs.text import write_md, write_txt
from evaluation.genre_docs.web import encyclopedia_page, news_page
from evaluation.sets import GENRES

SPECS = GENRES / "spec"


def _scan_image(page: ScanPage):
    return render_scan([list(c) for c in page.columns], [*page.body, *page.closing], skew_deg=page.skew)


def _add_scan(rec: Record, page: ScanPage) -> None:
    """The page's fixed lines (header columns, then its closing) before its body."""
    rec.add_scan([*(ln for col in page.columns for ln in col), *page.closing, *page.body])


def _pdf(spec: Spec, out: Output, path: Path, rec: Record, image) -> None:
    """Typed pages from the blocks (if any), then the scanned page (if any)."""
    pdf = new_pdf(header=out.header, footer_pages=out.page_numbers, title_=out.title, author=out.author)
    if spec.blocks:
        pdf.add_page()
        pdf_blocks(pdf, list(spec.blocks), size=out.size)
    typed = pdf.page_no()
    if spec.scan is not None:
        pdf_scan_page(pdf, image)
    path.write_bytes(bytes(pdf.output()))
    rec.add_blocks(list(spec.blocks))
    if out.header:
        rec.chrome_line(out.header, "page header repeated on every page")
    if out.page_numbers:
        for n in range(1, pdf.page_no() + 1):
            rec.chrome_line(f"Trang {n}", "page number in the page footer")
    if spec.scan is not None:
        rec.ocr_pages = [typed + 1]
        _add_scan(rec, spec.scan)


def _sheet(spec: Spec, out: Output, path: Path, rec: Record) -> None:
    sheet = spec.sheet
    if sheet is None or out.created is None:
        raise SpecError(f"{spec.name}: {out.file} needs a `sheet` and the output's `created`")
    shown = write_xlsx(sheet, path, out.title, out.author, out.created)
    rec.add(sheet.title, split=False)
    rec.add(sheet.subtitle, split=False)
    rec.table_headers = list(sheet.header)
    for row in shown:
        for t in row[1:]:  # the STT column carries no content
            rec.add(t, split=False)
    for note in sheet.notes:
        rec.add(note, split=False)
    rec.tables.append({"caption": sheet.title, "columns": list(sheet.header), "rows": shown})


def _html(spec: Spec, out: Output, path: Path, rec: Record) -> None:
    if spec.article is not None and spec.site is not None:
        page = encyclopedia_page(spec.article, spec.site, rec)
    elif spec.news is not None:
        page = news_page(spec.news, rec)
    else:
        raise SpecError(f"{spec.name}: {out.file} needs an `article` with its `site`, or `news`")
    path.write_text(page, encoding="utf-8")


def _write(spec: Spec, out: Output, path: Path, rec: Record, image) -> None:
    suffix = path.suffix.lower()
    if suffix in (".docx", ".md", ".txt"):
        blocks = list(spec.blocks)
        if suffix == ".docx":
            write_docx(blocks, path, out.title, out.author)
        else:
            (write_md if suffix == ".md" else write_txt)(blocks, path)
        rec.add_blocks(blocks)
    elif suffix == ".pdf":
        _pdf(spec, out, path, rec, image)
    elif suffix == ".png" and spec.scan is not None:
        path.write_bytes(png_bytes(image))
        rec.ocr_pages = [1]
        _add_scan(rec, spec.scan)
    elif suffix == ".xlsx":
        _sheet(spec, out, path, rec)
    elif suffix == ".html":
        _html(spec, out, path, rec)
    else:
        raise SpecError(f"{spec.name}: no writer for {out.file} from this spec")


def build(root: Path = GENRES, specs: Path = SPECS) -> list[str]:
    """Write docs/ and sources/ under `root` (tests build elsewhere to compare); the files written."""
    docs, sources = root / "docs", root / "sources"
    docs.mkdir(parents=True, exist_ok=True)
    sources.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(specs.glob("*.yaml")):
        spec = load_spec(path)
        image = _scan_image(spec.scan) if spec.scan is not None else None
        for out in spec.outputs:
            rec = Record(out.file, spec.genre, out.description)
            _write(spec, out, docs / out.file, rec, image)
            rec.write(sources)
            written.append(out.file)
    return written
