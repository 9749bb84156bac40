"""A question that names a part of a document ("Điều 15", "khoản 2 Điều 9", "Chương II") is answered
only from that part: where the document is numbered that way, the passage's heading path must hold
every part named; where it is not (a news article citing "Điều 5 của Luật ..."), its text must."""

from __future__ import annotations

from app.text import fold


def structured(paths: list[tuple[str, ...]]) -> bool:
    """The document numbers its articles (some paragraph sits under an "Điều")."""
    return any(label.startswith("Điều ") for path in paths for label in path)


def in_part(parts: tuple[str, ...], path: tuple[str, ...], text: str, numbered: bool) -> bool:
    """Whether a passage at `path` holding `text` is inside every part the question names."""
    if not parts:
        return True
    if numbered:
        return all(p in path for p in parts)
    folded = f" {' '.join(fold(text).split())} "
    return all(f" {fold(p)} " in folded or f" {fold(p)}." in folded for p in parts)
