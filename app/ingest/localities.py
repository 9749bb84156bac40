"""Which wards, communes and towns a document talks about, as metadata for filtering and matching."""

from __future__ import annotations

import re

from app.text.names import SURNAMES

# The kind word may open a sentence ("Phường Quy Nhơn Nam được thành lập ..."): any case but "TP".
_LOCALITY = re.compile(
    r"\b((?i:phường|xã|thị trấn|thị xã|thành phố|quận|huyện|tỉnh)|TP)\s+(?=((?:\S+\s*){1,4}))"
)
# Capitalised words that start a clause rather than continue a name.
_NOT_NAME = {"Ủy", "UBND", "HĐND", "Đảng", "Nghị", "Ban", "Thường", "Chủ", "Bí"}
# "Chủ tịch UBND phường Nguyễn Thị Bích Hoa": an office holder's name, not a place.
_OFFICE = re.compile(r"(Chủ tịch|Bí thư|Giám đốc|Trưởng|Thường trực)[^,.;]{0,25}$")


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
    for kind in ("thị trấn", "thị xã", "thành phố"):
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
        caps = m[1].isupper() and m[1] != "TP"
        parts = _caps_name_words(m[2]) if caps else _name_words(m[2])
        if caps and m[1] == "XÃ" and parts[:1] == ["Hội"]:
            continue  # "KINH TẾ - XÃ HỘI", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA": the word "society", not a commune
        if not parts:
            continue
        if (
            parts[0] in SURNAMES
            and len(parts) >= 3
            and _OFFICE.search(text[max(0, m.start() - 40) : m.start()])
        ):
            continue
        kind = "thành phố" if m[1] == "TP" else m[1].lower()
        name = f"{kind} {' '.join(parts)}"
        seen[name] = seen.get(name, 0) + 1
    return seen
