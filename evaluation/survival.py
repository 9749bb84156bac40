"""What ingest kept of the genre documents: ingested documents and their source records in, per-file
survival out.

Each source record (evals/genres/sources/*.json) lists the lines a document must keep (`content`,
table header labels) and the site chrome it must lose. Measured on the documents as ingest read them,
before any question is asked, so a lost line shows up as an ingest failure, not as a wrong answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_UNIT = re.compile(r"\s*\([^()]*\)$")  # "Đơn giá (đồng)" -> "Đơn giá": rows may carry the unit instead


def _flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _chrome_kept(line: str, text: str, lines: set[str]) -> bool:
    """A chrome line is still there when it is a paragraph of its own, or (long enough not to occur
    by chance) anywhere in the text."""
    line = _flat(line)
    return line in lines or (len(line) >= 15 and line in text)


def ingest_survival(documents: Iterable, sources: dict[str, dict]) -> dict[str, dict]:
    """Per file: the share of its source `content` lines found in the ingested text, the chrome
    lines left in, and those removed without being named."""
    out: dict[str, dict] = {}
    for doc in documents:
        record = sources.get(doc.source or "")
        if record is None:
            continue
        text = _flat(f"{doc.title}\n{doc.text}")  # a title the reader took from the page counts as kept
        lines = {_flat(ln) for ln in doc.text.split("\n") if ln.strip()}
        content = [_flat(c) for c in record["content"]]
        lost = [c for c in content if c not in text]
        labels = [_UNIT.sub("", h) for h in record.get("table_headers", []) if h not in ("TT", "STT")]
        headers_lost = [h for h in labels if _flat(h) not in text]
        removed = [_flat(r.text) for r in getattr(doc, "removed", ())]
        kept = [c["text"] for c in record["chrome"] if _chrome_kept(c["text"], text, lines)]
        unnamed = [
            c["text"]
            for c in record["chrome"]
            if c["text"] not in kept and not any(_flat(c["text"]) in r for r in removed)
        ]
        out[record["file"]] = {
            "genre": record["genre"],
            "ocr": bool(record.get("ocr_pages")),
            "content": len(content),
            "content_kept": (len(content) - len(lost)) / len(content) if content else 1.0,
            "lost": lost,
            "table_headers": len(labels),
            "table_headers_lost": headers_lost,
            "chrome": len(record["chrome"]),
            "chrome_left_in": kept,
            "chrome_unnamed": unnamed,
        }
    return out


def ingest_summary(files: dict[str, dict]) -> dict[str, float | int]:
    """The set's ingest measures, gated in thresholds.toml's [genres.ingest]: content kept (text and
    OCR apart, weighted by lines), chrome left in, chrome removed without a reason."""

    def share(rows: list[dict], key: str, total: str) -> float | None:
        n = sum(r[total] for r in rows)
        return None if not n else sum(r[key] * r[total] for r in rows) / n

    text = [r for r in files.values() if not r["ocr"]]
    ocr = [r for r in files.values() if r["ocr"]]
    out: dict[str, float | int] = {}
    for name, rows in (("content_kept", text), ("ocr_content_kept", ocr)):
        value = share(rows, "content_kept", "content")
        if value is not None:
            out[name] = value
    out["chrome_left_in"] = sum(len(r["chrome_left_in"]) for r in files.values())
    out["chrome_unnamed"] = sum(len(r["chrome_unnamed"]) for r in files.values())
    return out
