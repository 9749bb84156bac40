"""Which places (wards, communes, towns: the kinds the profile's `places` part names) a text talks about,
as metadata for filtering and matching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from app.profiles import Profile, active
from app.text import fold


@dataclass(frozen=True)
class Places:
    """The profile's `places` part, compiled. A profile without it names no place: every function
    here then finds none, and the answer's place rules never fire."""

    kinds: tuple[str, ...]  # words that name the kind of a place, lower case ("phường", "thành phố")
    abbreviated: dict[str, str]  # "TP" -> "thành phố"
    locality: re.Pattern[str] | None
    not_name: frozenset[str]
    office: re.Pattern[str] | None
    surnames: frozenset[str]
    not_after: dict[str, re.Pattern[str]]  # kind -> what, right before it, makes it another noun
    # Every way a kind is written, in lower case ("thành phố", "tp"), and folded, word by word.
    written_kinds: tuple[str, ...]
    folded_kinds: tuple[tuple[str, ...], ...]


@cache
def _compiled(profile: Profile) -> Places:
    part = profile.part("places")
    kinds = tuple(part.get("kinds", ()))
    abbreviated = dict(part.get("abbreviations", {}))
    offices = tuple(part.get("offices", ()))
    # The kind word may open a sentence ("Phường Quy Nhơn Nam được thành lập ..."): any case but an
    # abbreviation ("TP").
    alternatives = [f"(?i:{'|'.join(sorted(kinds, key=len, reverse=True))})"] if kinds else []
    alternatives += [re.escape(a) for a in abbreviated]
    written = (*kinds, *(a.lower() for a in abbreviated))
    pattern = rf"\b({'|'.join(alternatives)})\s+(?=((?:\S+\s*){{1,4}}))"
    return Places(
        kinds=kinds,
        abbreviated=abbreviated,
        locality=re.compile(pattern) if alternatives else None,
        not_name=frozenset(part.get("not_name", ())),
        office=re.compile(rf"({'|'.join(offices)})[^,.;]{{0,25}}$") if offices else None,
        surnames=frozenset(part.get("surnames", ())),
        not_after={
            kind: re.compile(rf"(?:{'|'.join(map(re.escape, before))})\s+$", re.IGNORECASE)
            for kind, before in part.get("not_after", {}).items()
            if before
        },
        written_kinds=written,
        folded_kinds=tuple(tuple(fold(k).split()) for k in written),
    )


def places() -> Places:
    return _compiled(active())


def _name_words(tail: str, not_name: frozenset[str]) -> list[str]:
    parts: list[str] = []
    for w in tail.split("\n", 1)[0].split():  # a name never runs on into the next paragraph
        word = w.strip(",.;:?!()“”\"'")
        if not word or not word[0].isupper() or word in not_name or (word.isupper() and len(word) > 1):
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
    for kind in (k for k in places().kinds if " " in k):
        if locality.startswith(kind + " "):
            return kind, locality[len(kind) + 1 :]
    kind, _, name = locality.partition(" ")
    return kind, name


def facets_of(text: str) -> dict[str, tuple[str, ...]]:
    """A document's facets: the metadata the profile knows how to find in it. Today the places it
    names (the `places` part); a profile without that part gives none."""
    found = find_localities(text)
    return {"places": found} if found else {}


def find_localities(text: str) -> tuple[str, ...]:
    """Distinct localities in order of first mention, kind in lower case: ("phường Quy Nhơn", ...)."""
    return tuple(count_localities(text))


def count_localities(text: str) -> dict[str, int]:
    """Mentions per locality, in order of first mention; the most mentioned is what a report is about."""
    seen: dict[str, int] = {}
    p = places()
    if p.locality is None:
        return seen
    for m in p.locality.finditer(text):
        caps = m[1].isupper() and m[1] not in p.abbreviated
        parts = _caps_name_words(m[2]) if caps else _name_words(m[2], p.not_name)
        if caps and m[1] == "XÃ" and parts[:1] == ["Hội"]:
            continue  # "KINH TẾ - XÃ HỘI", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA": the word "society", not a commune
        if not parts:
            continue
        if (
            parts[0] in p.surnames
            and len(parts) >= 3
            and p.office is not None
            and p.office.search(text[max(0, m.start() - 40) : m.start()])
        ):
            continue
        kind = p.abbreviated.get(m[1], m[1].lower())
        if (before := p.not_after.get(kind)) and before.search(text, max(0, m.start() - 30), m.start()):
            continue
        name = f"{kind} {' '.join(parts)}"
        seen[name] = seen.get(name, 0) + 1
    return seen
