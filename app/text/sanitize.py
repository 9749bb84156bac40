"""Untrusted text -> text that is safe to embed, match, store and show.

Questions and documents arrive from anyone. Invisible characters change what a string means to a
reader without changing what it looks like: bidi overrides reorder what is displayed ("Trojan
Source"), zero-width characters split a word so it no longer matches, NUL and other control
characters break logs, files and terminals. Lone surrogates (only reachable through JSON `\\ud800`
escapes) cannot be encoded as UTF-8 at all and crash whatever writes them. `sanitize` removes all of
these and returns NFC; `lone_surrogate` lets an API refuse such input instead.
"""

from __future__ import annotations

import re
import unicodedata

# Bidi embeddings, overrides and isolates, and the implicit marks (LRM, RLM, ALM).
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
# Zero-width space / non-joiner / joiner, word joiner, invisible operators, BOM / ZWNBSP, soft hyphen.
_ZERO_WIDTH = "\u200b-\u200d\u2060-\u2064\ufeff\u00ad"
# C0 controls except tab, line feed and carriage return; DEL; C1 controls.
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_SURROGATE = "\ud800-\udfff"
_UNSAFE = re.compile(f"[{_BIDI}{_ZERO_WIDTH}{_CONTROL}{_SURROGATE}]")
_LONE_SURROGATE = re.compile(f"[{_SURROGATE}]")
# Line and paragraph separators, and the vertical white space of C0, read as line breaks.
_LINE_BREAKS = re.compile("[\u2028\u2029\x0b\x0c]")


def lone_surrogate(text: str) -> bool:
    """True when the text holds a surrogate code point, which no valid UTF-8 text can."""
    return _LONE_SURROGATE.search(text) is not None


def sanitize(text: str) -> str:
    """NFC text without control, bidi-control, zero-width or surrogate code points.

    Tab, LF and CR stay (documents have lines); U+2028/U+2029, VT and FF become LF so line-based
    cleaning still sees the break. Idempotent: sanitize(sanitize(x)) == sanitize(x).
    """
    text = _UNSAFE.sub("", _LINE_BREAKS.sub("\n", text))
    # NFC can only compose; it never brings back a removed character, so one pass is enough.
    return unicodedata.normalize("NFC", text)
