"""Which wards, communes and towns a document talks about, as metadata for filtering and matching."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from app.text import fold

# The vocabulary (kinds, offices, surnames) is data: app/ingest/profiles/places_vi.toml.
PLACES = tomllib.loads((Path(__file__).resolve().parent / "profiles" / "places_vi.toml").read_text("utf-8"))
KINDS: tuple[str, ...] = tuple(PLACES["kinds"])
_ABBREVIATED: dict[str, str] = PLACES["abbreviations"]
# The kind word may open a sentence ("Phường Quy Nhơn Nam được thành lập ..."): any case but an
# abbreviation ("TP").
_LOCALITY = re.compile(
    rf"\b((?i:{'|'.join(sorted(KINDS, key=len, reverse=True))})|{'|'.join(_ABBREVIATED)})"
    r"\s+(?=((?:\S+\s*){1,4}))"
)
_NOT_NAME = frozenset(PLACES["not_name"])
_OFFICE = re.compile(rf"({'|'.join(PLACES['offices'])})[^,.;]{{0,25}}$")
_SURNAMES = frozenset(PLACES["surnames"])
# Every way a kind is written, in lower case ("thành phố", "tp"), and folded, word by word.
PLACE_KINDS: tuple[str, ...] = (*KINDS, *(a.lower() for a in _ABBREVIATED))
FOLDED_KINDS: tuple[tuple[str, ...], ...] = tuple(tuple(fold(k).split()) for k in PLACE_KINDS)


def _name_words(tail: str) -> list[str]:
    parts: list[str] = []
    for w in tail.split("\n", 1)[0].split():  # a name never runs on into the next paragraph
        word = w.strip(",.;:?!()“”\"'")
        if not word or not word[0].isupper() or word in _NOT_NAME or (word.isupper() and len(word) > 1):
            break
        parts.append(word)
        if word != w:  # punctuation ends the name
            break
    return parts


def _caps_name_words(tail: str) -> list[str]:
    """A letterhead writes the place in capitals ("PHƯỜNG AN THỊNH"): its words, in title case."""
    parts: list[str] = []
    ws = tail.split("\n", 1)[0].split()[:5]
    for i, w in enumerate(ws[:4]):
        word = w.strip(",.;:?!()“”\"'")
        if not word or not word.isalpha() or not word.isupper():
            break
        if word == "NĂM" and i + 1 < len(ws) and ws[i + 1][:1].isdigit():
            break  # "XÃ AN PHÚ NĂM 2025": a year follows the name
        parts.append(word.capitalize())
        if word != w:
            break
    return parts


def split_locality(locality: str) -> tuple[str, str]:
    """("phường", "Quy Nhơn Nam") from "phường Quy Nhơn Nam"; kinds may be two words ("thành phố")."""
    for kind in (k for k in KINDS if " " in k):
        if locality.startswith(kind + " "):
            return kind, locality[len(kind) + 1 :]
    kind, _, name = locality.partition(" ")
    return kind, name


def find_localities(text: str) -> tuple[str, ...]:
    """Distinct localities in order of first mention, kind in lower case: ("phường Quy Nhơn", ...)."""
    return tuple(count_localities(text))


def count_localities(text: str) -> dict[str, int]:
    """Mentions per locality, in order of first mention; the most mentioned is what a report is about."""
    seen: dict[str, int] = {}
    for m in _LOCALITY.finditer(text):
        caps = m[1].isupper() and m[1] not in _ABBREVIATED
        parts = _caps_name_words(m[2]) if caps else _name_words(m[2])
        if caps and m[1] == "XÃ" and parts[:1] == ["Hội"]:
            continue  # "KINH TẾ - XÃ HỘI", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA": the word "society", not a commune
        if not parts:
            continue
        if (
            parts[0] in _SURNAMES
            and len(parts) >= 3
            and _OFFICE.search(text[max(0, m.start() - 40) : m.start()])
        ):
            continue
        kind = _ABBREVIATED.get(m[1], m[1].lower())
        name = f"{kind} {' '.join(parts)}"
        seen[name] = seen.get(name, 0) + 1
    return seen
