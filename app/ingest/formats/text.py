"""Plain text and Markdown: UTF-8 only. One block per non-empty line; Markdown marks become kinds."""

from __future__ import annotations

import re

from app.ingest.blocks import Block, Extracted
from app.ingest.errors import CorruptDocument
from app.text import nfc

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_ITEM = re.compile(r"^\s*(?:[*+-]|\d{1,3}[.)])\s+")
_MD_BULLET = re.compile(r"^\s*[*+]\s+")  # "-" and "1." are kept: they are how Vietnamese lists are written
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?")
_MD_EMPHASIS = re.compile(r"(\*{1,3}|_{2,3}|`{1,3})(?=\S)(.+?)(?<=\S)\1")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def decode_utf8(name: str, data: bytes) -> str:
    """UTF-8 only: guessing legacy encodings (TCVN3, VNI, cp1258) silently garbles Vietnamese."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CorruptDocument(
            f"{name}: not valid UTF-8 text (bad byte at position {e.start}). "
            "Open it in an editor and save it as UTF-8, then try again."
        ) from None


_SPACES = re.compile(r"[ \t\f\v\u00a0\u2007\u202f\u200b\ufeff]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalize(text: str) -> str:
    """NFC, plain newlines and spaces, at most one blank line: extracted text is messier than .txt."""
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", ln).strip() for ln in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def line_blocks(text: str) -> list[Block]:
    """Each non-empty line a paragraph block: how the seed scrapes and most .txt files are laid out."""
    return [Block(ln) for ln in (_SPACES.sub(" ", x).strip() for x in text.split("\n")) if ln]


def read_txt(name: str, data: bytes) -> Extracted:
    text = nfc(decode_utf8(name, data)).replace("\r\n", "\n").replace("\r", "\n")
    return Extracted(line_blocks(text), "text")


def _inline(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    return _SPACES.sub(" ", _MD_EMPHASIS.sub(r"\2", text)).strip()


def read_md(name: str, data: bytes) -> Extracted:
    from app.ingest.tables import table_blocks

    text = nfc(decode_utf8(name, data)).replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[Block] = []
    table: list[list[str]] = []
    caption: str | None = None
    tables = 0

    def flush_table() -> None:
        nonlocal tables, caption
        if table:
            tables += 1
            blocks.extend(
                table_blocks(
                    [r for r in table if not _MD_TABLE_RULE.match("|".join(r))], tables, caption=caption
                )
            )
            table.clear()
            caption = None

    for raw in text.split("\n"):
        line = raw.strip()
        if line.startswith("|") and line.count("|") >= 2:
            if not table and blocks and blocks[-1].kind == "para" and blocks[-1].text.endswith(":"):
                caption = blocks[-1].text
            table.append([_inline(c) for c in line.strip("|").split("|")])
            continue
        flush_table()
        if not line or re.fullmatch(r"[-*_]{3,}", line):
            continue
        if m := _MD_HEADING.match(line):
            if body := _inline(m[2]):
                blocks.append(Block(body, "heading", level=len(m[1])))
            continue
        line = _MD_QUOTE.sub("", line)
        if _MD_ITEM.match(line):
            blocks.append(Block(_inline(_MD_BULLET.sub("- ", line)), "item"))
        elif body := _inline(line):
            blocks.append(Block(body))
    flush_table()
    title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    return Extracted(blocks, "markdown", title=title)
