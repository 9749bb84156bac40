"""Plain text and Markdown: UTF-8 only."""

from __future__ import annotations

import re

from app.ingest.errors import CorruptDocument
from app.text import nfc

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"^\s{0,3}(#{1,6}|>|[*+]\s)\s*|[*_`]{1,3}", re.MULTILINE)


def decode_utf8(name: str, data: bytes) -> str:
    """UTF-8 only: guessing legacy encodings (TCVN3, VNI, cp1258) silently garbles Vietnamese."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CorruptDocument(
            f"{name}: not valid UTF-8 text (bad byte at position {e.start}). "
            "Open it in an editor and save it as UTF-8, then try again."
        ) from None


def read_txt(name: str, data: bytes) -> str:
    return decode_utf8(name, data)


def read_md(name: str, data: bytes) -> str:
    return _MD_MARKS.sub("", _MD_LINK.sub(r"\1", decode_utf8(name, data)))


_SPACES = re.compile(r"[ \t\f\v\u00a0\u2007\u202f\u200b\ufeff]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalize(text: str) -> str:
    """NFC, plain newlines and spaces, at most one blank line: extracted text is messier than .txt."""
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", ln).strip() for ln in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
