"""Raw article text -> content only, with its date and title.

The seed files are scraped news pages: a " date 2025-12-11" header, site chrome (weather widget and
its city list, section breadcrumbs, "Ngày đăng ... | View count"), photo captions ("... Ảnh: Dũng
Nhân"), and bylines. None of that may rank or be quoted, so it is removed here, once, before anything
is chunked or embedded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.text import sanitize

# " date 2025-12-11 (GLO)- Năm 2025, ..." : crawler header, optionally followed by a source tag.
_DATE_HEADER = re.compile(r"^\s*date\s+(\d{4})-(\d{2})-(\d{2})\s*(?:\([A-ZĐ]{2,10}\)\s*[-–—]\s*)?")
# "Ngày đăng 15/03/2023 | 19:52  | View count: 55"
_POSTED = re.compile(r"^\s*Ngày đăng\s+(\d{1,2})/(\d{1,2})/(\d{4})\b.*$", re.IGNORECASE)
_VIEW_COUNT = re.compile(r"\|\s*(View count|Lượt xem)\s*:?\s*\d+", re.IGNORECASE)
# A photo credit closing a caption: "... hội nghị, Ảnh: Dũng Nhân" / "(Ảnh: ...)".
_PHOTO_CREDIT = re.compile(r"[.,;(]?\s*Ảnh\s*:\s*[^.:;]{2,40}\)?\s*$")
_WEATHER = re.compile(r"^\s*thời tiết( các vùng)?\s*$", re.IGNORECASE)
# A byline: a short last line of capitalised words, optionally "(CTV)" / "(TTXVN)".
_BYLINE = re.compile(r"^[A-ZÀ-Ỹ][^\d.!?:;]{0,40}?(\s*\([A-ZÀ-Ỹ]{2,8}\))?\.?$")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-Ỹ\"“])")
_TITLE_MAX = 200


@dataclass(frozen=True)
class Cleaned:
    text: str
    title: str
    date: str | None


def _is_caption_or_label(line: str) -> bool:
    """Short stand-alone lines without a figure: photo captions, sub-headings, award labels."""
    words = line.split()
    return len(words) <= 10 and not re.search(r"\d", line)


def _is_byline(line: str) -> bool:
    words = line.replace("(", " ").split()
    if not 1 <= len(words) <= 5 or not _BYLINE.match(line):
        return False
    return all(w[0].isupper() for w in words)


def _first_sentence(paragraph: str) -> str:
    first = _SENTENCE_END.split(paragraph, maxsplit=1)[0].strip()
    if len(first) <= _TITLE_MAX:
        return first
    return first[:_TITLE_MAX].rsplit(" ", 1)[0] + "…"


def clean(raw: str) -> Cleaned:
    text = sanitize(raw).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = [ln.strip() for ln in text.split("\n")]
    date: str | None = None

    # Crawler date header on the first non-empty line.
    for i, ln in enumerate(lines):
        if not ln:
            continue
        if m := _DATE_HEADER.match(ln):
            date = f"{m[1]}-{m[2]}-{m[3]}"
            lines[i] = ln[m.end() :].strip()
        break

    # "Ngày đăng" marks where the article starts: the line before it is the title, all above is chrome.
    title_idx: int | None = None
    for i, ln in enumerate(lines):
        if m := _POSTED.match(ln):
            date = date or f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
            lines[i] = ""
            prev = [j for j in range(i) if lines[j]]
            if prev:
                title_idx = prev[-1]
                for j in prev[:-1]:
                    lines[j] = ""
            break

    kept: list[str] = []
    in_weather = False
    for i, ln in enumerate(lines):
        if not ln or _VIEW_COUNT.search(ln):
            continue
        if _WEATHER.match(ln):
            in_weather = True  # the widget's city list follows, up to the next long line
            continue
        if in_weather:
            if len(ln.split()) <= 4 and not ln.endswith("."):
                continue
            in_weather = False
        is_title = i == title_idx or (title_idx is None and not kept)
        if not is_title and _PHOTO_CREDIT.search(ln):
            continue
        if not is_title and _is_caption_or_label(ln):
            continue
        kept.append(ln)

    while len(kept) > 1 and _is_byline(kept[-1]):
        kept.pop()

    body = "\n\n".join(kept)
    title = _first_sentence(kept[0]) if kept else ""
    return Cleaned(text=body, title=title, date=date)
