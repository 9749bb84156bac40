"""Value types shared by the stages. API schemas live in `app.serve`, not here."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Removed:
    """A line ingest left out, and why ("photo caption", "page footer", "site menu (<nav>)")."""

    text: str
    reason: str


@dataclass(frozen=True)
class Span:
    """Where one paragraph of a document's text came from: `text[start:end]` is one block."""

    start: int
    end: int
    kind: str = "para"  # heading | para | item | row | caption | header (a table's column line)
    path: tuple[str, ...] = ()  # heading path: ("Chương II", "Điều 6", "Khoản 2")
    page: int | None = None
    table: int | None = None
    row: int | None = None
    ocr: float | None = None  # mean OCR confidence (0-100) of the scanned page it was read from
    # Words OCR read with doubt: (start, end, confidence 0-100), offsets within this span's text, so
    # a person checking a scan sees which words to compare with the original.
    doubtful: tuple[tuple[int, int, float], ...] = ()


@dataclass(frozen=True)
class Document:
    """A cleaned document: the source of truth every derived index is built from."""

    doc_id: str
    title: str
    text: str  # cleaned, NFC; paragraphs separated by a blank line, one `Span` each
    date: str | None = None  # ISO yyyy-mm-dd when the source gives one
    # What the profile found in it, by facet: {"places": ("phường Quy Nhơn", ...)}. Not hashed.
    facets: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    source: str | None = None  # file name it came from
    content_hash: str = ""
    format: str = "text"  # the reader that produced it (text, markdown, html, pdf, docx, xlsx, image)
    spans: tuple[Span, ...] = ()
    removed: tuple[Removed, ...] = ()  # what cleaning left out, each with its reason

    def span_index(self, offset: int) -> int | None:
        """The index in `spans` of the paragraph holding text offset `offset` (None for documents
        stored before spans). A bisect: no query walks a document's spans."""
        i = bisect.bisect_right(self.spans, offset, key=lambda s: s.start) - 1
        return i if i >= 0 and offset < self.spans[i].end else None

    def span_at(self, offset: int) -> Span | None:
        i = self.span_index(offset)
        return None if i is None else self.spans[i]


@dataclass(frozen=True)
class Chunk:
    """A span of a document's cleaned text; `text == document.text[start:end]`."""

    chunk_id: str  # f"{doc_id}#{position}"
    doc_id: str
    position: int
    start: int
    end: int
    text: str
    header: str  # title + date + heading path (+ table caption), prepended when embedding
    path: str = ""  # heading path in the original: "Chương II › Điều 6 › Khoản 2"
    page: int | None = None  # first page it comes from (PDF, scans)
    table: int | None = None  # the table its rows come from, when it is table rows
    rows: tuple[int, ...] = ()  # those rows' numbers within the table
    ocr: float | None = None  # lowest mean OCR confidence of the scanned pages it was read from
    # Its words OCR read with doubt, each with its own confidence (0-100): a misread digit ("198,4%"
    # for "109,4%") can sit on a page whose mean confidence is high.
    doubtful: tuple[tuple[str, float], ...] = ()

    @property
    def embed_text(self) -> str:
        return f"{self.header}\n{self.text}" if self.header else self.text


@dataclass
class Passage:
    """A retrieved chunk with its score and the document fields a citation needs."""

    chunk: Chunk
    score: float
    title: str | None = None
    date: str | None = None
    ranks: dict[str, int] = field(default_factory=dict)  # retriever name -> 1-based rank
    similarity: float | None = None  # cosine of its vector to the question's (None: not embedded yet)


@dataclass(frozen=True)
class Figure:
    """A figure stated in an answer, and whether the passage it cites holds it (by value)."""

    text: str
    value: float | None
    unit: str | None
    citation: int | None  # the n of the [n] it is checked against
    verified: bool
    computed: bool = False  # not quoted but computed from cited figures, and checked by recomputing


@dataclass(frozen=True)
class Citation:
    """A passage an answer cites: `id` is the n of its [n] markers (its rank among the passages given)."""

    id: int
    passage: Passage


@dataclass
class LLMUsage:
    """What the language-model call cost, for the response and the logs."""

    model: str
    latency_ms: float = 0.0
    first_token_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    attempts: int = 0
    repaired: bool = False


@dataclass
class Answer:
    text: str
    abstained: bool
    mode: str  # "extractive" | "llm": which path produced the text
    citations: list[Citation]
    figures: list[Figure] = field(default_factory=list)
    fallback_reason: str | None = None  # why the LLM answer was not used, when it was not
    llm: LLMUsage | None = None
    corrected: bool = False  # the streamed text was replaced by this one
    confidence: float | None = None  # extractive: calibrated probability that the quote answers
