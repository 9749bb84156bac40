"""What the answerer needs to know about each sentence of a chunk, computed once per chunk.

Parsing figures, years and words is the costly part of answering; chunks do not change within an
index generation, so each chunk is analysed the first time it is retrieved and kept.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from app.chunk import split_sentences
from app.ground.claims import phrase
from app.ground.period import TimeMarks
from app.ingest.localities import find_localities, split_locality
from app.models import Chunk, Document
from app.text import fold, match_words
from app.text.numbers import Quantity, extract_quantities

_CLAUSE = re.compile(r";\s+")
# "1. ", "a) ", "2) " opening a list item: its number orders the list, it is not a figure of it.
_ENUMERATOR = re.compile(r"^\s*(?:\d{1,2}|[a-zđ])[.)]\s+")


def terms(text: str, folded: bool) -> frozenset[str]:
    """Words (as written, or folded), numerals in one notation, and adjacent pairs."""
    ws = [re.sub(r"[./,-]", ".", w) if w[0].isdigit() else w for w in match_words(text, folded)]
    return frozenset(ws) | {f"{a} {b}" for a, b in itertools.pairwise(ws)}


@dataclass(frozen=True)
class Clause:
    text: str
    written: frozenset[str]
    folded: frozenset[str]
    folded_seq: str  # " word word ... " for phrase look-ups
    quantities: tuple[Quantity, ...]

    def terms(self, folded: bool) -> frozenset[str]:
        return self.folded if folded else self.written


@dataclass(frozen=True)
class Sentence:
    text: str
    clauses: tuple[Clause, ...]
    written: frozenset[str]
    folded: frozenset[str]
    context_written: frozenset[str]  # its paragraph and the document title
    context_folded: frozenset[str]
    time: TimeMarks
    time_before: TimeMarks  # what its paragraph said before it ("Theo báo cáo, năm 2025, ...")
    words: tuple[str, ...] = ()  # its own folded words, in order
    offset: int = 0  # where it starts in the document's text
    span: int | None = None  # index of its paragraph in the document's spans (heading path, row, OCR)
    places: frozenset[tuple[str, str]] = frozenset()  # the places it names: ("huyện", "tuong van")

    def terms(self, folded: bool) -> frozenset[str]:
        return self.folded if folded else self.written

    @property
    def quantities(self) -> tuple[Quantity, ...]:
        return tuple(q for c in self.clauses for q in c.quantities)

    def context(self, folded: bool) -> frozenset[str]:
        return self.context_folded if folded else self.context_written


def _clause(text: str) -> Clause:
    return Clause(
        text=text.strip(),
        written=terms(text, False),
        folded=terms(text, True),
        folded_seq=phrase(text),
        quantities=tuple(extract_quantities(_ENUMERATOR.sub(lambda m: " " * len(m[0]), text))),
    )


def clauses_of(sentence: str) -> tuple[Clause, ...]:
    """A sentence's clauses (split at "; "), each with its figures: a table row's columns, one each."""
    return tuple(_clause(c) for c in _CLAUSE.split(sentence))


def lead_in(doc: Document, index: int | None) -> int | None:
    """The paragraph that announces the list this item belongs to ("... gồm các điều kiện sau:"):
    the first non-item paragraph above its run of items, if it ends in a colon."""
    if index is None or doc.spans[index].kind != "item":
        return None
    i = index - 1
    while i >= 0 and doc.spans[i].kind == "item":
        i -= 1
    if i >= 0 and doc.text[doc.spans[i].start : doc.spans[i].end].rstrip().endswith(":"):
        return i
    return None


def _heading(doc: Document, index: int | None) -> str:
    """What the sentence sits under: its heading path ("Chương II Điều 6 Khoản 2") with the headings'
    own words ("Điều 5. Nghĩa vụ của Bên B"), and for a table row its table's caption. They are part
    of what the sentence says, so they count as its words, as a list item's lead-in does ("Xếp loại
    học lực:" over "b) Giỏi: từ 3,20 đến 3,59"). Found by walking back from its paragraph."""
    if index is None:
        return ""
    span = doc.spans[index]
    parts = list(span.path)
    depth = len(span.path)
    i = index - 1
    while i >= 0 and depth > 0 and len(parts) < 12:
        s = doc.spans[i]
        if s.kind == "heading" and len(s.path) <= depth and span.path[: len(s.path)] == s.path:
            parts.append(doc.text[s.start : s.end])
            depth = len(s.path) - 1
        i -= 1
    if (lead := lead_in(doc, index)) is not None:
        parts.append(doc.text[doc.spans[lead].start : doc.spans[lead].end])
    if span.kind == "row":  # the caption sits above the table's rows
        i = index - 1
        while i >= 0 and doc.spans[i].table == span.table:
            if doc.spans[i].kind == "caption":
                parts.append(doc.text[doc.spans[i].start : doc.spans[i].end])
            i -= 1
    return " ".join(parts)


def analyse_chunk(chunk: Chunk, doc: Document) -> tuple[Sentence, ...]:
    out = []
    paragraphs: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
    for s, e in split_sentences(chunk.text, len(chunk.text) + 1):
        offset = chunk.start + s
        start = doc.text.rfind("\n", 0, offset) + 1
        end = doc.text.find("\n", offset)
        if start not in paragraphs:  # its paragraph, and where it sits (title, heading path, table)
            paragraph = f"{doc.text[start : end if end >= 0 else len(doc.text)]} {chunk.header}"
            paragraphs[start] = (terms(paragraph, False), terms(paragraph, True))
        text = chunk.text[s:e]
        index = doc.span_index(offset)
        heading = _heading(doc, index)
        own = f"{heading} {text}" if heading else text
        out.append(
            Sentence(
                text=text,
                clauses=clauses_of(text),
                written=terms(own, False),
                folded=terms(own, True),
                context_written=paragraphs[start][0],
                context_folded=paragraphs[start][1],
                time=TimeMarks.of(text),
                time_before=TimeMarks.of(doc.text[start:offset]),
                words=tuple(match_words(text, True)),
                offset=offset,
                span=index,
                places=frozenset((k, fold(n)) for k, n in map(split_locality, find_localities(text))),
            )
        )
    return tuple(out)
