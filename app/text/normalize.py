"""Vietnamese text normalisation: one canonical form for matching, and a folded form for typing.

Users type NFD or NFC, old-style tone placement ("hoà", "thuỷ") or new-style ("hòa", "thủy"), or no
diacritics at all. `canonical` makes the first two compare equal while keeping every diacritic;
`fold` drops diacritics (and đ -> d) so a question typed without them still matches.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from app.profiles import Profile, active

# Combining tone marks: huyền, sắc, hỏi, ngã, nặng.
_TONES = "\u0300\u0301\u0309\u0303\u0323"
_VOWELS = set("aăâeêioôơuưy")
# Vowels whose own diacritic (breve, circumflex, horn) makes them carry the tone.
_MARKED = set("ăâêôơư")
_WORD = re.compile(r"\w+", re.UNICODE)
# A lexical token: a whole numeral ("348,5", "4.985", "20/21") or a run of letters.
_TOKEN = re.compile(r"\d+(?:[.,/]\d+)*|[^\W\d_]+", re.UNICODE)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=1 << 16)
def _place_tone(word: str) -> str:
    """Move a syllable's tone mark to its canonical vowel (the "new style": hòa, thủy). Cached: a
    corpus has a few thousand distinct syllables and every index build canonicalises each chunk."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) != 1:
        return word  # no tone, or not a single Vietnamese syllable
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    lower = bare.lower()
    idx = [i for i, c in enumerate(lower) if c in _VOWELS]
    if not idx:
        return word
    # "qu" and "gi" onsets: their u/i belong to the consonant, not the vowel cluster.
    if len(idx) > 1 and idx[0] == 1 and lower[:2] in ("qu", "gi"):
        idx = idx[1:]
    # The vowel cluster is the contiguous run starting at the first vowel.
    cluster = [idx[0]]
    for i in idx[1:]:
        if i != cluster[-1] + 1:
            break
        cluster.append(i)
    marked = [i for i in cluster if lower[i] in _MARKED]
    has_coda = cluster[-1] + 1 < len(lower)
    if marked:
        pos = marked[-1]  # "ươ" -> ơ, "uyê" -> ê
    elif len(cluster) == 1:
        pos = cluster[0]
    elif len(cluster) == 3:
        pos = cluster[1]  # ngoài, khuỷu
    elif has_coda:
        pos = cluster[-1]  # hoàng, toán
    else:
        pos = cluster[0]  # open pairs: hòa, thủy, khỏe, mùa, chịu
    out = bare[: pos + 1] + tones[0] + bare[pos + 1 :]
    return unicodedata.normalize("NFC", out)


def canonical(text: str) -> str:
    """NFC with tone marks in one place, so "hoà" == "hòa" and "thuỷ" == "thủy"; case kept."""
    return _WORD.sub(lambda m: _place_tone(m.group(0)), nfc(text))


def fold(text: str) -> str:
    """Lower case without diacritics: "Tổng thu ngân sách" -> "tong thu ngan sach"."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("đ", "d")


@lru_cache(maxsize=1 << 16)
def _fold_word(word: str) -> str:
    return fold(word)


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese mark, i.e. it was not typed folded."""
    return fold(text) != text.lower()


def words(text: str) -> list[str]:
    """Syllables (and numerals) of a text in canonical lower case; the unit of lexical matching."""
    return [w.lower() for w in _TOKEN.findall(canonical(text))]


@cache
def _abbreviations(profile: Profile) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """Names official documents write in full or abbreviated (the profile's `abbreviations` part),
    by first word: most words start no full name, so matching costs one dict lookup per word."""
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for full, short in profile.part("abbreviations").items():
        by_first.setdefault(full.split()[0], []).append((tuple(full.split()), str(short)))
    return by_first


def match_words(text: str, folded: bool) -> list[str]:
    """The words matching compares: canonical lower case (or folded), full administrative names
    contracted to their abbreviation, so "Ủy ban nhân dân" and "UBND" are one word."""
    return word_forms(text)[1 if folded else 0]


def word_forms(text: str) -> tuple[list[str], list[str]]:
    """`match_words(text, False)` and `match_words(text, True)` from one pass over the text: an
    index build needs both for every chunk."""
    ws = words(text)
    fw = [_fold_word(w) for w in ws]
    abbreviated = _abbreviations(active())
    exact: list[str] = []
    plain: list[str] = []
    i = 0
    while i < len(ws):
        for full, short in abbreviated.get(fw[i], ()):
            if tuple(fw[i : i + len(full)]) == full:
                exact.append(short)
                plain.append(_fold_word(short))
                i += len(full)
                break
        else:
            exact.append(ws[i])
            plain.append(fw[i])
            i += 1
    return exact, plain


def folded_words(text: str) -> list[str]:
    return match_words(text, folded=True)
