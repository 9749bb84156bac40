"""Put diacritics back on a question typed without them, using the corpus's own vocabulary.

The dense model reads "tong thu ngan sach" as a different language (recall@5 fell from 0.96 to 0.39
on an outside set), so such a question is restored before it is embedded. Each folded syllable may
stand for several written ones ("nam" -> "năm" / "nam"); a Viterbi pass over syllable-pair counts
picks the sequence the corpus makes most likely ("quy nhon nam" -> "quy nhơn nam", "nam 2025" ->
"năm 2025").
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict

from app.text import fold, words

_MAX_CANDIDATES = 4
_NUMBER = re.compile(r"\d")
# How questions are asked: words a report rarely contains but a question always does.
QUESTION_PHRASES = (
    "bao nhiêu",
    "là bao nhiêu",
    "có bao nhiêu",
    "mấy",
    "là gì",
    "gì",
    "nào",
    "năm nào",
    "ai",
    "là ai",
    "khi nào",
    "bao giờ",
    "ở đâu",
    "thế nào",
    "như thế nào",
    "ra sao",
    "tại sao",
    "vì sao",
    "không",
    "được không",
    "những gì",
    "có mấy",
    "tên là gì",
    "tên gì",
    "gồm những",
    "bao nhiêu người",
    "bao nhiêu phần trăm",
    "tỷ lệ bao nhiêu",
    "hiện nay",
    "hiện tại",
)


def _lm_key(word: str) -> str:
    """Numbers share one class, so "năm 2025" also teaches "năm 2027"."""
    return "<num>" if _NUMBER.match(word) else word


class DiacriticRestorer:
    def __init__(self, texts: list[str]) -> None:
        self._unigrams: Counter[str] = Counter()
        self._bigrams: Counter[tuple[str, str]] = Counter()
        for text in [*texts, *(QUESTION_PHRASES * 3)]:
            ws = [_lm_key(w) for w in words(text)]
            self._unigrams.update(ws)
            self._bigrams.update(itertools.pairwise(ws))
        variants: dict[str, Counter[str]] = defaultdict(Counter)
        for w, n in self._unigrams.items():
            if w != "<num>":
                variants[fold(w)][w] += n
        self._variants = {f: [w for w, _ in c.most_common(_MAX_CANDIDATES)] for f, c in variants.items()}
        self._total = sum(self._unigrams.values()) or 1

    def _logp(self, prev: str | None, w: str) -> float:
        w = _lm_key(w)
        prev = _lm_key(prev) if prev is not None else None
        uni = (self._unigrams[w] + 0.1) / (self._total + 0.1 * len(self._unigrams))
        if prev is None:
            return math.log(uni)
        pair = self._bigrams[(prev, w)]
        return math.log((pair + 0.5 * uni * 10) / (self._unigrams[prev] + 5))

    def restore(self, question: str) -> str:
        """The question with diacritics restored where the corpus knows the syllable; case kept."""
        typed = words(question)
        if not typed:
            return question
        lattice = [self._variants.get(w, [w]) if fold(w) == w else [w] for w in typed]
        best: dict[str, tuple[float, list[str]]] = {w: (self._logp(None, w), [w]) for w in lattice[0]}
        for options in lattice[1:]:
            step: dict[str, tuple[float, list[str]]] = {}
            for w in options:
                step[w] = max(
                    ((score + self._logp(prev, w), [*path, w]) for prev, (score, path) in best.items()),
                    key=lambda t: t[0],
                )
            best = step
        chosen = iter(max(best.values(), key=lambda t: t[0])[1])
        # Re-apply to the original string so punctuation and capitals survive.
        return re.sub(
            r"\d+(?:[.,/]\d+)*|[^\W\d_]+",
            lambda m: _match_case(m.group(0), next(chosen, m.group(0))),
            question,
        )


def _match_case(original: str, restored: str) -> str:
    if original.isupper() and len(original) > 1:
        return restored.upper()
    if original[:1].isupper():
        return restored[:1].upper() + restored[1:]
    return restored
