"""Document -> chunks of a few sentences with overlap, each with offsets into the cleaned text."""

from __future__ import annotations

from app.chunk.sentences import split_sentences
from app.models import Chunk, Document

__all__ = ["chunk_document", "split_sentences"]


def _header(doc: Document) -> str:
    return f"{doc.title} ({doc.date})" if doc.date else doc.title


def chunk_document(doc: Document, max_chars: int = 900, overlap: int = 1) -> list[Chunk]:
    """Pack whole sentences up to `max_chars`; each chunk repeats the last `overlap` sentences."""
    sentences = split_sentences(doc.text, max_chars)
    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for span in sentences:
        if current and span[1] - current[0][0] > max_chars:
            groups.append(current)
            # Carry the overlap only if that still leaves room for the new sentence.
            carry = current[-overlap:] if overlap and len(current) > overlap else []
            current = carry if carry and span[1] - carry[0][0] <= max_chars else []
        current.append(span)
    if current:
        groups.append(current)
    header = _header(doc)
    return [
        Chunk(
            chunk_id=f"{doc.doc_id}#{i}",
            doc_id=doc.doc_id,
            position=i,
            start=g[0][0],
            end=g[-1][1],
            text=doc.text[g[0][0] : g[-1][1]],
            header=header,
        )
        for i, g in enumerate(groups)
    ]
