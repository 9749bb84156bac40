"""Put diacritics back on a question typed without them, using the corpus's own vocabulary.

The dense model reads "tong thu ngan sach" as a different language (recall@5 fell from 0.96 to 0.39
on an outside set), so such a question is restored before it is embedded. Each folded syllable may
stand for several written ones ("nam" -> "năm" / "nam"); a Viterbi pass over syllable-pair counts
picks the sequence the corpus makes most likely ("quy nhon nam" -> "quy nhơn nam", "nam 2025" ->
"năm 2025").

The counts come from a `Vocabulary` (`app.index.vocabulary`): running counts kept in the index's
SQLite file, so nothing is recounted when a document changes. The question phrases below are added
on top of them here, in memory, as they always were.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from app.index.vocabulary import MAX_VARIANTS, NUM, CountedVocabulary, Vocabulary, count, lm_key
from app.text import fold, words

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


# Counted exactly as a text would be, three times over, once: the same for every vocabulary.
_PHRASE_WORDS, _PHRASE_PAIRS = count(QUESTION_PHRASES * 3)
_PHRASE_TOTAL = sum(_PHRASE_WORDS.values())
_PHRASE_FORMS: dict[str, list[str]] = {}
for _w in _PHRASE_WORDS:  # first seen first
    if _w != NUM:
        _PHRASE_FORMS.setdefault(fold(_w), []).append(_w)


class _Counts:
    """The vocabulary's counts plus the question phrases', memoised for one question only: nothing is
    kept between questions, so a vocabulary that changes is never read stale."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self._vocab = vocabulary
        self._words: dict[str, int] = {}
        self._variants: dict[str, list[str]] = {}
        self.total = (vocabulary.total() + _PHRASE_TOTAL) or 1
        self.distinct = vocabulary.distinct() + sum(1 for w in _PHRASE_WORDS if not vocabulary.unigram(w))

    def unigram(self, key: str) -> int:
        n = self._words.get(key)
        if n is None:
            n = self._words[key] = self._vocab.unigram(key) + _PHRASE_WORDS[key]
        return n

    def bigram(self, a: str, b: str) -> int:
        return self._vocab.bigram(a, b) + _PHRASE_PAIRS[(a, b)]

    def variants(self, folded: str) -> list[str]:
        """Written forms, most frequent first, ties to the first seen (texts before phrases)."""
        out = self._variants.get(folded)
        if out is None:
            phrased = _PHRASE_FORMS.get(folded)
            if not phrased:
                out = self._vocab.variants(folded)
            else:  # the phrase counts can reorder the forms: rank them all again
                forms = self._vocab.forms(folded)
                forms += [w for w in phrased if w not in forms]
                out = sorted(forms, key=self.unigram, reverse=True)[:MAX_VARIANTS]
            self._variants[folded] = out
        return out

    def logp(self, prev: str | None, w: str) -> float:
        w = lm_key(w)
        uni = (self.unigram(w) + 0.1) / (self.total + 0.1 * self.distinct)
        if prev is None:
            return math.log(uni)
        prev = lm_key(prev)
        pair = self.bigram(prev, w)
        return math.log((pair + 0.5 * uni * 10) / (self.unigram(prev) + 5))


class DiacriticRestorer:
    """Restores folded questions from a vocabulary's counts. Holds no counts itself: build one per
    index generation over that generation's vocabulary."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> DiacriticRestorer:
        """Over the texts' counts in memory (tests and tools)."""
        return cls(CountedVocabulary(texts))

    def restore(self, question: str) -> str:
        """The question with diacritics restored where the corpus knows the syllable; case kept."""
        typed = words(question)
        if not typed:
            return question
        counts = _Counts(self.vocabulary)
        lattice = [(counts.variants(w) or [w]) if fold(w) == w else [w] for w in typed]
        best: dict[str, tuple[float, list[str]]] = {w: (counts.logp(None, w), [w]) for w in lattice[0]}
        for options in lattice[1:]:
            step: dict[str, tuple[float, list[str]]] = {}
            for w in options:
                step[w] = max(
                    ((score + counts.logp(prev, w), [*path, w]) for prev, (score, path) in best.items()),
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
