"""Text and dates -> the terms both lexical indexes store and query: syllables plus adjacent pairs,
exact and folded, and a date as one integer. The embedded index (tantivy, `lexical.py`) and the
shared one (BM25 in Milvus, `milvus.py`) take them from here, so the two rank a question alike."""

from __future__ import annotations

import datetime as dt
import itertools

from app.text import match_words
from app.text.normalize import word_forms


def tokens(text: str, folded: bool) -> list[str]:
    """Syllables plus adjacent pairs, so "Quy Nhơn Nam" is closer to itself than to "Quy Nhơn"."""
    return _with_pairs(match_words(text, folded))


def _with_pairs(ws: list[str]) -> list[str]:
    return ws + [f"{a}_{b}" for a, b in itertools.pairwise(ws)]


def forms(text: str) -> tuple[list[str], list[str]]:
    """`(tokens(text, False), tokens(text, True))` from one pass over the text: half the cost of two
    calls, and tokenising is most of a write."""
    exact, plain = word_forms(text)
    return _with_pairs(exact), _with_pairs(plain)


def folded_tokens(text: str) -> list[str]:
    return tokens(text, folded=True)


def day_number(iso: str) -> int:
    """ISO date -> 20250131, so date bounds are one integer range query on a fast field."""
    d = dt.date.fromisoformat(iso)
    return d.year * 10_000 + d.month * 100 + d.day
