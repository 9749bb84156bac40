"""HTML page -> blocks of its main content. Menus, headers, footers, sidebars and share bars are
left out, and every line of text they held is named in `removed` (never dropped silently)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from selectolax.lexbor import LexborHTMLParser, LexborNode

from app.ingest.blocks import Block, Extracted, Removed, captions_table
from app.ingest.formats.text import decode_utf8
from app.profiles import active
from app.text import nfc

_INVISIBLE = "script, style, noscript, template, svg, head"
_CHROME_TAGS = {"nav": "site menu", "header": "page header", "footer": "page footer",
                "aside": "sidebar", "form": "form", "iframe": "embedded frame"}  # fmt: skip
_MARK_SPLIT = re.compile(r"[\s_-]+")
_TITLE_SEP = re.compile(r"\s+[|–—-]\s+")


def _chrome_words() -> Mapping[str, str]:
    """The profile's `html_chrome` part: class/id word -> the reason such an element is left out."""
    return active().part("html_chrome").get("words", {})


def _chrome_reason(node: LexborNode) -> str | None:
    """The reason an element is page chrome, from the words of its class and id; None if it is not."""
    marks = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
    words = _chrome_words()
    for token in _MARK_SPLIT.split(marks.lower()):
        if token in words:
            return f"{words[token]} (class/id '{token}')"
    return None


_KEEP_TAGS = {"html", "body", "article", "main"}
_BLOCKS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "div", "section",
    "article", "main", "blockquote", "pre", "table", "thead", "tbody", "tfoot", "caption", "figure",
    "figcaption", "address", "hr",
}  # fmt: skip
_HEADING = re.compile(r"^h([1-6])$")
_WS = re.compile(r"\s+")


def _key_values(table: LexborNode) -> list[tuple[str, str]]:
    """A two-column table whose every row opens with a <th> (an infobox: "Sinh | 1418") holds name-value
    pairs, not a header row over data; [] for any other table."""
    pairs = []
    for tr in table.css("tr"):
        cells = [c for c in tr.iter() if c.tag in ("td", "th")]
        if not cells:
            continue
        if len(cells) != 2 or cells[0].tag != "th" or cells[1].tag != "td":
            return []
        key, value = (_WS.sub(" ", c.text(separator=" ")).strip() for c in cells)
        if key or value:
            pairs.append((key, value))
    return pairs


class _Walker:
    """Depth-first walk: inline text gathers in `buf`; a block boundary flushes it as its own block."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.buf: list[str] = []
        self.tables = 0

    def flush(self, kind: str = "para", level: int = 0) -> None:
        for piece in "".join(self.buf).split("\n"):  # a <br> ("\n") starts a new block
            if line := _WS.sub(" ", piece).strip():
                self.blocks.append(Block(line, kind, level=level))  # type: ignore[arg-type]
        self.buf.clear()

    def table(self, node: LexborNode) -> None:
        from app.ingest.tables import html_grid, table_blocks

        caption_node = node.css_first("caption")
        caption = _WS.sub(" ", caption_node.text(separator=" ")).strip() if caption_node else None
        if not caption and self.blocks and captions_table(self.blocks[-1]):
            caption = self.blocks.pop().text  # the title just above the table becomes its caption
        self.tables += 1
        if pairs := _key_values(node):  # an infobox: each row is a "name: value" of its own
            if caption:
                self.blocks.append(Block(caption, "caption", table=self.tables))
            self.blocks.extend(
                Block(f"{k}: {v}", "row", table=self.tables, row=n) for n, (k, v) in enumerate(pairs, start=1)
            )
            return
        self.blocks.extend(table_blocks(html_grid(node), self.tables, caption=caption))

    def walk(self, node: LexborNode) -> None:
        for child in node.iter(include_text=True):
            if child.is_text_node:
                self.buf.append(_WS.sub(" ", child.text_content or ""))  # source newlines are spaces
                continue
            tag = child.tag
            if tag is None or tag.startswith("-"):  # comments, doctype
                continue
            if tag == "br":
                self.buf.append("\n")
            elif tag == "table":
                self.flush()
                self.table(child)
            elif m := _HEADING.match(tag):
                self.flush()
                self.walk(child)
                self.flush("heading", int(m[1]))
            elif tag == "li":
                self.flush()
                self.walk(child)
                self.flush("item")
            elif tag in _BLOCKS:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)


def _text_lines(node: LexborNode) -> list[str]:
    """The lines a reader sees in `node` (inline text joined, blocks apart), and the hints shown in
    its empty input boxes ("Tìm kiếm"): what a removal must name."""
    walker = _Walker()
    walker.walk(node)
    walker.flush()
    lines = [b.text for b in walker.blocks]
    for field in node.css("input[placeholder], textarea[placeholder]"):
        if hint := _WS.sub(" ", field.attributes.get("placeholder") or "").strip():
            lines.append(hint)
    return lines


def read_html(name: str, data: bytes) -> Extracted:
    tree = LexborHTMLParser(nfc(decode_utf8(name, data)))
    title_node = tree.css_first("title")
    page_title = _WS.sub(" ", title_node.text()).strip() if title_node else ""
    for node in tree.css(_INVISIBLE):
        node.decompose()
    removed: list[Removed] = []
    for node in tree.css(", ".join(_CHROME_TAGS)):
        if node.parent is not None:  # not already inside removed chrome
            removed.extend(
                Removed(ln, f"{_CHROME_TAGS[node.tag]} (<{node.tag}>)") for ln in _text_lines(node)
            )
            node.decompose()
    for node in tree.css("[class], [id]"):
        if node.tag in _KEEP_TAGS or node.parent is None:
            continue
        if reason := _chrome_reason(node):
            removed.extend(Removed(ln, reason) for ln in _text_lines(node))
            node.decompose()
    root = tree.css_first("article") or tree.css_first("main") or tree.body
    if root is None:
        return Extracted([], "html", title=page_title or None, removed=removed)
    if root.tag in ("article", "main") and tree.body is not None:
        # Text outside the article (a site's menus without markup, related links) is chrome too.
        inside = set(_text_lines(root))
        outside = [ln for ln in _text_lines(tree.body) if ln not in inside]
        removed.extend(Removed(ln, f"outside the page's <{root.tag}>") for ln in outside)
    walker = _Walker()
    walker.walk(root)
    walker.flush()
    blocks = walker.blocks
    # "<title>Article – Site name</title>": the site's name repeated as a line of the page is chrome.
    parts = _TITLE_SEP.split(page_title)
    site = parts[-1].strip() if len(parts) > 1 else ""
    if site:
        removed.extend(Removed(b.text, "site name") for b in blocks if b.text == site)
        blocks = [b for b in blocks if b.text != site]
    h1 = next((b for b in blocks if b.kind == "heading" and b.level == 1), None)
    if h1 is not None:  # the article's own title goes first, wherever it sat in the page
        blocks = [h1, *(b for b in blocks if b is not h1)]
    elif page_title:
        blocks = [Block(page_title, "heading", level=1), *blocks]
    return Extracted(blocks, "html", title=h1.text if h1 else page_title or None, removed=removed)
