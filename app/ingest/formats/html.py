"""HTML page -> its main text: the article, without menus, headers, footers, sidebars or scripts."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from app.ingest.formats.text import decode_utf8

_HTML_DROP = "script, style, noscript, nav, header, footer, aside, form, template, iframe, svg"
_CHROME = re.compile(
    r"(?:^|[\s_-])(?:menu|nav|navbar|navigation|sidebar|breadcrumbs?|footer|header|share|sharing|social"
    r"|comments?|related)(?:$|[\s_-])",
    re.IGNORECASE,
)
_KEEP_TAGS = {"html", "body", "article", "main"}
_BLOCKS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "div", "section",
    "article", "main", "blockquote", "pre", "table", "thead", "tbody", "tfoot", "caption", "figure",
    "figcaption", "address", "hr",
}  # fmt: skip
_WS = re.compile(r"\s+")


def _flush(buf: list[str], out: list[str]) -> None:
    """Gathered inline text -> paragraphs; a <br> ("\n" in `buf`) starts a new one."""
    for piece in "".join(buf).split("\n"):
        if line := _WS.sub(" ", piece).strip():
            out.append(line)
    buf.clear()


def _html_lines(node: LexborNode, out: list[str], buf: list[str]) -> None:
    """Depth-first walk: text gathers in `buf`; a block boundary flushes it as its own paragraph."""
    for child in node.iter(include_text=True):
        if child.is_text_node:
            buf.append(_WS.sub(" ", child.text_content or ""))  # source newlines are just spaces
            continue
        tag = child.tag
        if tag is None or tag.startswith("-"):  # comments, doctype
            continue
        if tag == "br":
            buf.append("\n")
        elif tag == "tr":
            _flush(buf, out)
            cells = [_WS.sub(" ", c.text(separator=" ")).strip() for c in child.css("td, th")]
            row = " | ".join(c for c in cells if c)
            if row:
                out.append(row)
        elif tag in _BLOCKS:
            _flush(buf, out)
            _html_lines(child, out, buf)
            _flush(buf, out)
        else:
            _html_lines(child, out, buf)


def read_html(name: str, data: bytes) -> str:
    tree = LexborHTMLParser(decode_utf8(name, data))
    title_node = tree.css_first("title")
    page_title = title_node.text(strip=True) if title_node else ""
    for node in tree.css(_HTML_DROP):
        node.decompose()
    for node in tree.css("[class], [id]"):
        if node.tag in _KEEP_TAGS:
            continue
        marks = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
        if _CHROME.search(marks):
            node.decompose()
    root = tree.css_first("article") or tree.css_first("main") or tree.body
    if root is None:
        return ""
    h1 = root.css_first("h1")
    title = _WS.sub(" ", h1.text(separator=" ")).strip() if h1 else page_title
    if h1 is not None:
        h1.decompose()  # emitted first below, wherever it sat in the page
    lines: list[str] = []
    buf: list[str] = []
    _html_lines(root, lines, buf)
    _flush(buf, lines)
    lines = [title, *lines] if title else lines
    return "\n\n".join(lines)
