"""Names an answer states (people, organisations, places, titles of works) must be in what it cites.

A figure is checked by value; a name is checked by presence: each run of two or more capitalised
words in the answer ("Donald Trump", "Nguyễn Thị Bích Hoa", "Trường Đại học Duyên Hải") must occur
in a passage the answer cites, compared folded (case, diacritics and tone placement aside). A run that
opens a sentence may owe its first capital to the sentence ("Theo Nghị quyết ..."), so it also passes
if it holds without that first word.
"""

from __future__ import annotations

import re

from app.models import Passage
from app.text import fold

_WORD = re.compile(r"[^\W\d_][\w'’-]*")  # a word that starts with a letter
_SENTENCE_START = re.compile(r"(?:^|[.!?…:;\n“\"(]\s*|\]\s*)$")
_MARKER = re.compile(r"\[\d+\]")
_NON_WORD = re.compile(r"[^\w]+")


def _folded(text: str) -> str:
    """Words only, folded, space-bounded: "Hoa." and "hoà" both read " hoa "."""
    return f" {' '.join(_NON_WORD.sub(' ', fold(text)).split())} "


def stated_names(text: str) -> list[tuple[str, bool]]:
    """Each run of capitalised words in `text`, and whether it opens a sentence."""
    text = _MARKER.sub(" ", text)
    runs: list[list[re.Match[str]]] = []
    for m in _WORD.finditer(text):
        if not m[0][0].isupper():
            continue
        run = runs[-1] if runs else None
        if run and not text[run[-1].end() : m.start()].strip():  # only white space between
            run.append(m)
        else:
            runs.append([m])
    out = []
    for run in runs:
        words = [m[0] for m in run]
        if len(words) < 2 or all(w.isupper() and len(w) > 1 for w in words):
            continue  # one capitalised word, a line in capitals ("BÁO CÁO") or acronyms
        start = run[0].start()
        out.append((text[start : run[-1].end()], bool(_SENTENCE_START.search(text[:start]))))
    return out


def unsupported_names(
    text: str, cited: list[Passage], asked: str = "", documents: tuple[str, ...] = ()
) -> list[str]:
    """The names `text` states that none of the `cited` passages (header or text) holds. A name the
    question itself says (`asked`: "... phường Quy Nhơn Nam ...") is the user's, restated: it passes
    when the cited passages' documents (`documents`, their whole texts) name it, since a passage
    rarely repeats the name of the place or body its document is about."""
    haystack = " ".join(_folded(f"{p.chunk.header}\n{p.chunk.text}") for p in cited)
    question = _folded(asked)
    whole = " ".join(_folded(d) for d in documents)
    missing = []
    for name, opens_sentence in stated_names(text):
        rest = name.split(maxsplit=1)[1]
        if opens_sentence and len(rest.split()) < 2:
            continue  # "Theo Nghị ...": one capitalised word after the sentence's own capital
        candidates = [name, rest] if opens_sentence else [name]
        if any(_folded(c) in haystack for c in candidates):
            continue
        restated = [c for c in candidates if _folded(c) in question]
        if restated and any(_folded(c) in whole for c in restated):
            continue
        missing.append(name)
    return list(dict.fromkeys(missing))
