"""The document list an admin reads: every document's id, title, date, format and chunk count, cheap
enough to read whole at 10,000 documents (no document text), then searched and sorted here, so
both backends list the same way and only the page shown is read in full."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from app.text import fold

Order = Literal["doc_id", "title", "date", "-date", "chunks"]
ORDERS: tuple[str, ...] = ("doc_id", "title", "date", "-date", "chunks")


@dataclass(frozen=True)
class Listed:
    doc_id: str
    title: str
    date: str | None
    format: str
    chunks: int
    # Folded once when listed (a generation's list is read again and again): the title, and id + title.
    folded_title: str = field(default="", compare=False)
    folded: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        title = fold(self.title)
        object.__setattr__(self, "folded_title", title)
        object.__setattr__(self, "folded", f"{fold(self.doc_id)} {title}")


def select(entries: Iterable[Listed], query: str = "", order: str = "doc_id") -> list[Listed]:
    """Those whose id or title holds every word of `query` (folded: "quy nhon" finds "Quy Nhơn"),
    sorted by `order` (doc_id breaks ties)."""
    words = fold(query).split()
    found = [e for e in entries if all(w in e.folded for w in words)]
    found.sort(key=lambda e: e.doc_id)
    if order == "title":
        found.sort(key=lambda e: e.folded_title)
    elif order in ("date", "-date"):
        dated = [e for e in found if e.date]
        dated.sort(key=lambda e: e.date or "", reverse=order == "-date")
        found = dated + [e for e in found if not e.date]  # undated last either way
    elif order == "chunks":
        found.sort(key=lambda e: -e.chunks)
    return found
