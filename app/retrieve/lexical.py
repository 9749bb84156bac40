"""BM25 over syllables and syllable pairs, both as written and folded (no diacritics).

Folding makes "tong thu ngan sach" find "tổng thu ngân sách", but it also merges different words
("năm" year / "Nam" south). So a question typed with diacritics is scored mainly on the exact index
and only a little on the folded one: exact matches outrank folded ones.
"""

from __future__ import annotations

import itertools

import bm25s
import numpy as np

from app.text import match_words
from app.text.normalize import word_forms

FOLDED_WEIGHT_WHEN_WRITTEN = 0.25


def tokens(text: str, folded: bool) -> list[str]:
    """Syllables plus adjacent pairs, so "Quy Nhơn Nam" is closer to itself than to "Quy Nhơn"."""
    return _with_pairs(match_words(text, folded))


def _with_pairs(ws: list[str]) -> list[str]:
    return ws + [f"{a}_{b}" for a, b in itertools.pairwise(ws)]


class LexicalIndex:
    def __init__(self, texts: list[str]) -> None:
        self.size = len(texts)
        forms = [word_forms(t) for t in texts]  # one pass per text for both indexes
        self._exact = self._build([_with_pairs(exact) for exact, _ in forms])
        self._folded = self._build([_with_pairs(plain) for _, plain in forms])

    @staticmethod
    def _build(corpus: list[list[str]]) -> bm25s.BM25 | None:
        if not corpus:
            return None
        bm = bm25s.BM25()
        bm.index(corpus, show_progress=False)
        return bm

    def scores(self, query: str, written: bool) -> np.ndarray:
        """BM25 score of every row; `written` = the query carries diacritics."""
        if self._exact is None or self._folded is None:
            return np.zeros(0, dtype=np.float32)
        query_tokens = tokens(query, folded=True)
        if not query_tokens:  # only punctuation or symbols: nothing to match (bm25s fails on none)
            return np.zeros(self.size, dtype=np.float32)
        folded = np.asarray(self._folded.get_scores(query_tokens), dtype=np.float32)
        if not written:
            return folded
        exact = np.asarray(self._exact.get_scores(tokens(query, folded=False)), dtype=np.float32)
        return exact + FOLDED_WEIGHT_WHEN_WRITTEN * folded
