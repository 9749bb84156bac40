"""A genre document's spec: evals/genres/spec/<name>.yaml in, a `Spec` of the content model out.

One file per document, holding its words and layout as data: `genre`, `outputs` (each file written
from it, with its description and metadata; the file's suffix says which writer), and its content:
`blocks` (docx, md, txt, pdf), `scan` (a scanned page: png, or pdf pages after any blocks), `sheet`
(xlsx), `article` with `site` (an encyclopedia page), or `news` (a news page). Keys are checked, so
a misspelt one is an error that names the file, not a silently missing paragraph.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from evaluation.genre_docs.model import (
    BLOCK_DEFAULTS,
    Article,
    B,
    C,
    Figure,
    Line,
    NewsPage,
    ScanPage,
    Sheet,
    SheetRow,
    Site,
    Table,
)


class SpecError(ValueError):
    pass


@dataclass(frozen=True)
class Output:
    """One file written from a spec; metadata fields apply to the formats that have them."""

    file: str
    description: str
    title: str = ""
    author: str = ""
    header: str | None = None  # pdf: the running header on every page
    page_numbers: bool = False  # pdf: "Trang N" in every page's footer
    size: float = 11.5  # pdf: body font size
    created: dt.datetime | None = None  # xlsx: when the workbook says it was made


@dataclass(frozen=True)
class Spec:
    name: str
    genre: str
    outputs: tuple[Output, ...]
    blocks: tuple[B, ...] = ()
    scan: ScanPage | None = None
    sheet: Sheet | None = None
    article: Article | None = None
    site: Site | None = None
    news: NewsPage | None = None


def _keys(d: object, where: str, required: set[str], optional: Collection[str] = ()) -> dict:
    if not isinstance(d, dict):
        raise SpecError(f"{where}: expected a mapping, got {d!r}")
    if missing := required - d.keys():
        raise SpecError(f"{where}: missing {sorted(missing)}")
    if unknown := d.keys() - required - set(optional):
        raise SpecError(f"{where}: unknown {sorted(unknown)}")
    return d


def _text(v: object, where: str) -> str:
    if not isinstance(v, str):
        raise SpecError(f"{where}: {v!r} is not text (quote it)")
    return v


def _texts(v: object, where: str) -> tuple[str, ...]:
    if not isinstance(v, list):
        raise SpecError(f"{where}: expected a list of text")
    return tuple(_text(x, where) for x in v)


def _cell(v: object, where: str) -> C | str:
    if isinstance(v, dict):
        d = _keys(v, where, {"text"}, {"colspan", "rowspan"})
        return C(_text(d["text"], where), d.get("colspan", 1), d.get("rowspan", 1))
    return _text(v, where)


def _table(v: object, where: str) -> Table:
    d = _keys(v, where, {"header", "rows"}, {"caption", "note", "widths"})
    return Table(
        header=[[_cell(c, f"{where} header") for c in row] for row in d["header"]],
        rows=[[_cell(c, f"{where} rows") for c in row] for row in d["rows"]],
        caption=d.get("caption"),
        note=d.get("note"),
        col_widths=tuple(d["widths"]) if "widths" in d else None,
    )


def _block(v: object, where: str) -> B:
    """`{p: text, align: center, style: bold}`, `{h3: text}`, `{table: {...}}`: the kind is the key."""
    if not isinstance(v, dict):
        raise SpecError(f"{where}: expected a mapping, got {v!r}")
    kinds = [k for k in v if k not in ("align", "style")]
    if len(kinds) != 1:
        raise SpecError(f"{where}: one of title, h1-h9, p, item, sig, table, got {kinds}")
    key = kinds[0]
    if key == "table":
        _keys(v, where, {"table"})
        return B("table", table=_table(v["table"], f"{where} table"))
    kind, level = (key[0], int(key[1:])) if key[:1] == "h" and key[1:].isdigit() else (key, 0)
    if kind not in BLOCK_DEFAULTS:
        raise SpecError(f"{where}: unknown block kind {key!r}")
    style = {**BLOCK_DEFAULTS[kind], **{k: v[k] for k in ("align", "style") if k in v}}
    return B(kind, _text(v[key], where), level=level, **style)


_LINE_FIELDS = {"size", "bold", "italic", "align", "x0", "x1", "indent", "gap"}


def _lines(v: object, where: str) -> tuple[Line, ...]:
    if not isinstance(v, list):
        raise SpecError(f"{where}: expected a list of lines")
    out = []
    for i, x in enumerate(v):
        d = _keys(x, f"{where}[{i}]", {"text"}, _LINE_FIELDS)
        out.append(Line(_text(d["text"], where), **{k: d[k] for k in _LINE_FIELDS if k in d}))
    return tuple(out)


def _scan(v: object, where: str) -> ScanPage:
    d = _keys(v, where, set(), {"columns", "body", "closing", "skew"})
    return ScanPage(
        columns=tuple(_lines(c, f"{where} columns") for c in d.get("columns", [])),
        body=_lines(d.get("body", []), f"{where} body"),
        closing=_lines(d.get("closing", []), f"{where} closing"),
        skew=d.get("skew", ScanPage.skew),
    )


def _sheet(v: object, where: str) -> Sheet:
    d = _keys(v, where, {"name", "title", "subtitle", "header", "rows", "notes", "widths"})
    rows = []
    for r in d["rows"]:
        if not (isinstance(r, list) and len(r) == 5):
            raise SpecError(f"{where} rows: [label, unit, plan, actual, number format], got {r!r}")
        rows.append(SheetRow(_text(r[0], where), _text(r[1], where), r[2], r[3], _text(r[4], where)))
    return Sheet(
        name=_text(d["name"], where),
        title=_text(d["title"], where),
        subtitle=_text(d["subtitle"], where),
        header=_texts(d["header"], f"{where} header"),
        rows=tuple(rows),
        notes=_texts(d["notes"], f"{where} notes"),
        widths=tuple(d["widths"]),
    )


def _article(v: object, where: str) -> Article:
    d = _keys(v, where, {"title", "lead", "infobox", "sections", "categories", "modified"})
    sections = []
    for s in d["sections"]:
        s = _keys(s, f"{where} sections", {"level", "heading"}, {"paragraphs"})
        sections.append((s["level"], _text(s["heading"], where), _texts(s.get("paragraphs", []), where)))
    return Article(
        title=_text(d["title"], where),
        lead=_texts(d["lead"], f"{where} lead"),
        infobox=tuple((_text(a, where), _text(b, where)) for a, b in d["infobox"]),
        sections=tuple(sections),
        categories=_texts(d["categories"], f"{where} categories"),
        modified=_text(d["modified"], where),
    )


def _site(v: object, where: str) -> Site:
    d = _keys(v, where, {"name", "menu", "footer"})
    return Site(_text(d["name"], where), _texts(d["menu"], where), _texts(d["footer"], where))


_NEWS_TEXT = ("title", "site_title", "banner", "published", "time", "date", "sapo", "byline")
_NEWS_LISTS = ("menu", "share", "paragraphs", "footer")


def _news(v: object, where: str) -> NewsPage:
    d = _keys(v, where, {*_NEWS_TEXT, *_NEWS_LISTS, "breadcrumb", "figures", "related"})
    related = _keys(d["related"], f"{where} related", {"heading", "links"})
    crumbs = [_keys(c, f"{where} breadcrumb", {"text", "href"}) for c in d["breadcrumb"]]
    figures = [_keys(f, f"{where} figures", {"after", "src", "caption"}) for f in d["figures"]]
    return NewsPage(
        **{k: _text(d[k], f"{where} {k}") for k in _NEWS_TEXT},
        **{k: _texts(d[k], f"{where} {k}") for k in _NEWS_LISTS},
        breadcrumb=tuple((_text(c["text"], where), _text(c["href"], where)) for c in crumbs),
        figures=tuple(
            Figure(f["after"], _text(f["src"], where), _text(f["caption"], where)) for f in figures
        ),
        related_heading=_text(related["heading"], where),
        related=_texts(related["links"], f"{where} related"),
    )


_OUTPUT_FIELDS = {"title", "author", "header", "page_numbers", "size", "created"}
_CONTENT = {"blocks", "scan", "sheet", "article", "site", "news"}


def load_spec(path: Path) -> Spec:
    import yaml

    where = path.name
    d = _keys(yaml.safe_load(path.read_text(encoding="utf-8")), where, {"genre", "outputs"}, _CONTENT)
    outputs = []
    for i, o in enumerate(d["outputs"]):
        o = _keys(o, f"{where} outputs[{i}]", {"file", "description"}, _OUTPUT_FIELDS)
        outputs.append(Output(**o))
    return Spec(
        name=path.stem,
        genre=_text(d["genre"], where),
        outputs=tuple(outputs),
        blocks=tuple(_block(b, f"{where} blocks[{i}]") for i, b in enumerate(d.get("blocks", []))),
        scan=_scan(d["scan"], f"{where} scan") if "scan" in d else None,
        sheet=_sheet(d["sheet"], f"{where} sheet") if "sheet" in d else None,
        article=_article(d["article"], f"{where} article") if "article" in d else None,
        site=_site(d["site"], f"{where} site") if "site" in d else None,
        news=_news(d["news"], f"{where} news") if "news" in d else None,
    )
