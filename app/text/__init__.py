"""Vietnamese text: sanitising, NFC, tone-mark placement, diacritic folding, numbers and units."""

from app.text.normalize import canonical, fold, folded_words, has_diacritics, match_words, nfc, words
from app.text.sanitize import lone_surrogate, sanitize

__all__ = [
    "canonical",
    "fold",
    "folded_words",
    "has_diacritics",
    "lone_surrogate",
    "match_words",
    "nfc",
    "sanitize",
    "words",
]
