"""Vietnamese text: NFC, tone-mark placement, diacritic folding, numbers and units."""

from app.text.normalize import canonical, fold, folded_words, has_diacritics, match_words, nfc, words

__all__ = ["canonical", "fold", "folded_words", "has_diacritics", "match_words", "nfc", "words"]
