"""Document -> chunks of a few sentences with overlap, each with offsets into the cleaned text.

Chunks follow the document's structure: a chunk never spans two articles (Điều) or two sections
under different headings, a table's rows are chunked apart from the prose around them, and text
read by OCR apart from text that was not, so a chunk's heading path, table rows and OCR confidence
are its own. A list item that starts a chunk brings its lead-in ("... trong các trường hợp sau:").
"""

from __future__ import annotations

import re

from app.chunk.sentences import split_sentences
from app.models import Chunk, Document, Span

__all__ = ["chunk_document", "split_sentences"]

PATH_SEP = " › "
_MINOR = ("Khoản ", "Điểm ")  # within an article: chunks may pack several


def _section_key(s: Span) -> tuple:
    """A scanned page is its own section: a chunk cites one page, and a chunk running from the end
    of page 19 into page 20 cited page 19 for what page 20 says."""
    major = tuple(p for p in s.path if not p.startswith(_MINOR))
    return major, s.table, s.ocr is not None, s.page if s.ocr is not None else None


def _sections(spans: tuple[Span, ...]) -> list[list[int]]:
    """Indexes of spans, grouped where a chunk must not cross: a heading after content, another
    article or section, into or out of a table, into or out of OCR'd text or from one scanned page
    to the next."""
    out: list[list[int]] = []
    for i, s in enumerate(spans):
        if out:
            prev = spans[out[-1][-1]]
            heading_after_content = s.kind == "heading" and prev.kind != "heading"
            if not heading_after_content and (
                prev.kind == "heading" or _section_key(s) == _section_key(prev)
            ):
                out[-1].append(i)
                continue
        out.append([i])
    return out


def _paragraph_spans(text: str) -> tuple[Span, ...]:
    """Documents stored before spans existed: one plain paragraph per line."""
    spans, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append(Span(pos, pos + len(line)))
        pos += len(line) + 1
    return tuple(spans)


def _common_path(spans: list[Span]) -> tuple[str, ...]:
    paths = [s.path for s in spans if s.kind != "heading"] or [s.path for s in spans]
    common = paths[0]
    for p in paths[1:]:
        n = 0
        while n < min(len(common), len(p)) and common[n] == p[n]:
            n += 1
        common = common[:n]
    return common


def _header(doc: Document, path: tuple[str, ...], table_label: str | None) -> str:
    base = f"{doc.title} ({doc.date})" if doc.date else doc.title
    parts = [*path, table_label] if table_label else list(path)
    return PATH_SEP.join([base, *parts]) if parts else base


def _table_labels(doc: Document, spans: tuple[Span, ...]) -> dict[int, str]:
    labels: dict[int, str] = {}
    for s in spans:
        if s.table is not None and s.table not in labels:
            caption = doc.text[s.start : s.end] if s.kind == "caption" else ""
            caption = caption if len(caption) <= 120 else caption[:119].rsplit(" ", 1)[0] + "…"
            named = re.match(r"(?i)(bảng|biểu|phụ lục)\b", caption)  # "Bảng 1. Kết quả ..." names itself
            labels[s.table] = (
                caption if named else f"Bảng {s.table}: {caption}" if caption else f"Bảng {s.table}"
            )
    return labels


def chunk_document(doc: Document, max_chars: int = 900, overlap: int = 1) -> list[Chunk]:
    """Pack whole sentences up to `max_chars` within each section; each chunk repeats the last
    `overlap` sentences of the one before it in the same section (or the list's lead-in)."""
    spans = doc.spans or _paragraph_spans(doc.text)
    labels = _table_labels(doc, spans)
    chunks: list[Chunk] = []
    for section in _sections(spans):
        # (start, end, span index) of every sentence of the section
        units = [
            (doc_start + s, doc_start + e, i)
            for i in section
            for doc_start in [spans[i].start]
            for s, e in split_sentences(doc.text[spans[i].start : spans[i].end], max_chars)
        ]
        # Table rows say what each figure is on their own: a few per chunk keep a row's figure from
        # being drowned among a dozen others when the question is matched to passages.
        in_table = spans[section[-1]].table is not None
        for group in _pack(units, spans, max_chars // 2 if in_table else max_chars, overlap):
            members = [spans[i] for i in dict.fromkeys(u[2] for u in group)]
            tables = {s.table for s in members if s.table is not None}
            table = tables.pop() if len(tables) == 1 else None
            rows = tuple(sorted({s.row for s in members if s.row is not None}))
            ocr = [s.ocr for s in members if s.ocr is not None]
            pages = [s.page for s in members if s.page is not None]
            path = _common_path(members)
            header = _header(doc, path, labels.get(table) if table else None)
            if (lead := _lead_in_before(doc, spans, group[0])) is not None:
                header = f"{header}{PATH_SEP}{lead}"
            n = len(chunks)
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}#{n}",
                    doc_id=doc.doc_id,
                    position=n,
                    start=group[0][0],
                    end=group[-1][1],
                    text=doc.text[group[0][0] : group[-1][1]],
                    header=header,
                    path=PATH_SEP.join(path),
                    page=min(pages) if pages else None,
                    table=table,
                    rows=rows,
                    ocr=min(ocr) if ocr else None,
                    doubtful=_doubtful_in(members, group[0][0], group[-1][1], doc.text),
                )
            )
    return chunks


def _doubtful_in(spans: list[Span], start: int, end: int, text: str) -> tuple[tuple[str, float], ...]:
    """The doubtful OCR words of these spans that lie within text[start:end]."""
    return tuple(
        (text[s.start + a : s.start + b], conf)
        for s in spans
        for a, b, conf in s.doubtful
        if start <= s.start + a and s.start + b <= end
    )


def _lead_in_before(doc: Document, spans: tuple[Span, ...], first: tuple[int, int, int]) -> str | None:
    """A chunk that starts inside a list too long to carry its lead-in in the text gets it in its
    header, so the items are still read as what they are ("... trong các trường hợp sau:")."""
    if spans[first[2]].kind != "item":
        return None
    lead = first[2] - 1
    while lead >= 0 and spans[lead].kind == "item":
        lead -= 1
    if lead < 0 or spans[lead].kind != "para" or doc.text[spans[lead].end - 1] != ":":
        return None
    text = doc.text[spans[lead].start : spans[lead].end]
    return text if len(text) <= 200 else "… " + text[-198:].split(" ", 1)[-1]


def _lead_in(group: list[tuple[int, int, int]], spans: tuple[Span, ...], item: int) -> list:
    """The units of the lead-in ("... sau:") of the list that item `item` belongs to, if in `group`."""
    lead = item - 1
    while lead >= 0 and spans[lead].kind == "item":
        lead -= 1
    if lead < 0 or lead == item or spans[lead].kind != "para":
        return []
    units = [u for u in group if u[2] == lead]
    return units[-1:] if units else []


def _pack(
    units: list[tuple[int, int, int]], spans: tuple[Span, ...], max_chars: int, overlap: int
) -> list[list[tuple[int, int, int]]]:
    groups: list[list[tuple[int, int, int]]] = []
    current: list[tuple[int, int, int]] = []
    for unit in units:
        if current and unit[1] - current[0][0] > max_chars:
            groups.append(current)
            carry = current[-overlap:] if overlap and len(current) > overlap else []
            if spans[unit[2]].kind == "item" and (lead := _lead_in(current, spans, unit[2])):
                # An item is read with the sentence that says what the list is (and the items between).
                carry = [u for u in current if u[0] >= lead[0][0]]
            # Carry only if that still leaves room for the new sentence.
            current = carry if carry and unit[1] - carry[0][0] <= max_chars else []
        current.append(unit)
    if current:
        groups.append(current)
    return groups
