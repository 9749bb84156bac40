"""What a question asks: its kind, the places and periods it names, and its content words.

The extractive answerer checks a candidate sentence against each of these, so that a question
about one ward or year is never answered with another's figure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from app.ground.kind import Kind, asked_kind
from app.ingest.localities import find_localities, places, split_locality
from app.profiles import Profile, active
from app.retrieve import Query
from app.text import canonical, fold, folded_words, match_words, words
from app.text.numbers import extract_quantities

# Function words and question words: they say how something is asked, not what. Written forms,
# so "cận" (near) is not mistaken for "cần" (need); a question typed without diacritics uses their folds.
_STOP_WRITTEN = frozenset(
    """
    bao nhiêu mấy là gì nào ai đâu khi giờ sao thế như ra tại vì có không được của và các những
    trong cho với thì mà ở từ đến tới trên dưới về theo để này đó kia ấy hiện nay đang đã sẽ cần riêng
    bị một hai lượng phần trăm bằng hay hoặc cũng nhất rất vẫn còn tính năm khoảng lại tiền lâu
    vào lên xuống sau trước lúc nếu mỗi mọi chỉ hơn đợt cụ thể chính thức tổng cộng toàn bộ
    """.split()
)


@cache
def _stops(profile: Profile) -> tuple[frozenset[str], frozenset[str]]:
    # A place's kind ("phường", from the profile) says where; its name says what.
    written = _STOP_WRITTEN | {w for kind in places().written_kinds for w in kind.split()}
    return written, frozenset(fold(w) for w in written)


def stop_written() -> frozenset[str]:
    return _stops(active())[0]


def stop_folded() -> frozenset[str]:
    return _stops(active())[1]


# "Điều 15", "khoản 2", "chương II", "điểm a": the numbered part of a regulation or contract asked about,
# read folded so "dieu 15" counts too.
_PART = re.compile(r"\b(phan|chuong|muc|dieu|khoan)\s+([ivxlc]+|\d{1,3}[a-z]?|[a-z])\b(?!\s*[%.,]\d)")
_PART_NAMES = {"phan": "Phần", "chuong": "Chương", "muc": "Mục", "dieu": "Điều", "khoan": "Khoản"}
# A point of an article is a lower-case letter ("điểm a"); "điểm D" is a grade.
_POINT = re.compile(r"(?<!\w)(?i:điểm|diem)\s+([a-zđ])\)?(?![\w,])")


def named_parts(text: str) -> tuple[str, ...]:
    """The document parts a question names, as heading paths label them ("Điều 15", "Chương II")."""
    out = []
    for m in _PART.finditer(fold(text)):
        kind, number = m[1], m[2]
        if kind == "muc" and not number[0].isdigit() and not re.fullmatch(r"[ivxlc]+", number):
            continue  # "mục a" is rare; "mục tiêu" never matches (a number must follow)
        if kind in ("chuong", "phan") or (kind == "muc" and not number[0].isdigit()):
            number = number.upper()
        out.append(f"{_PART_NAMES[kind]} {number}")
    out += [f"Điểm {m[1]}" for m in _POINT.finditer(text)]
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Question:
    query: Query
    kind: Kind
    years: tuple[int, ...]  # single years named ("năm 2025")
    ranges: tuple[tuple[int, int], ...]  # periods named ("nhiệm kỳ 2025-2030")
    localities: tuple[str, ...]  # folded names the corpus knows ("quy nhon nam")
    unknown_localities: tuple[str, ...]  # "phường X" the corpus has never heard of
    terms: tuple[str, ...]  # content words, folded
    asked: tuple[str, ...]  # what "bao nhiêu ..." counts ("đảng viên", "hộ cận nghèo"), folded words
    pairs: tuple[str, ...]  # adjacent folded word pairs with at least one content word ("dan so")
    role: tuple[str, ...]  # for "who": the office asked about ("chu tich ubnd"), folded words
    parts: tuple[str, ...] = ()  # parts of a document it names: ("Điều 15", "Khoản 2")
    names: tuple[str, ...] = ()  # its capitalised words after the first ("Mỹ Hòa", "hạng C"), as terms
    acronyms: frozenset[str] = frozenset()  # those of its names written in capitals ("HTX"), folded
    # The words around the question word, folded: ("hieu luc tu ngay" before "nào"; "ky cong van"
    # after "Ai"). An answer often says them with the answer where the question word stood.
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    words: tuple[str, ...] = ()  # all its words, folded


_MAX_NAME_WORDS = 8


def name_runs(text: str) -> set[str]:
    """Every run of up to _MAX_NAME_WORDS of the text's words, folded: what could name a place."""
    ws = re.findall(r"\w+", fold(text))
    return {
        " ".join(ws[i:j]) for i in range(len(ws)) for j in range(i + 1, min(len(ws), i + _MAX_NAME_WORDS) + 1)
    }


def _find_known(text: str, known: Mapping[str, str], written: bool) -> list[str]:
    """Known localities named in the question (folded keys), longest first, without overlaps.

    `known` maps a folded name to its written form. A question with diacritics is matched as written,
    so "Quy Nhơn năm 2025" is not "Quy Nhơn Nam"; a folded one is matched folded, reading "nam" before
    a number as "năm" (the Vietnamese way to name a year) when the shorter name is known too.
    """
    hay = text.lower() if written else fold(text)
    found: list[str] = []
    taken = [False] * len(hay)
    # Only the question's own word runs can be names: look those up, never scan every known place.
    grams = name_runs(text)
    for key in sorted((g for g in grams if g in known), key=lambda k: (-len(k), k)):
        name = known[key].lower() if written else key
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", hay):
            if any(taken[m.start() : m.end()]):
                continue
            shorter = key.rsplit(" ", 1)[0]
            if (
                not written
                and key.endswith(" nam")
                and shorter in known
                and re.match(r"\s+\d", hay[m.end() :])
            ):
                continue
            taken[m.start() : m.end()] = [True] * (m.end() - m.start())
            found.append(key)
    return found


def _is_stop(word: str, written: bool) -> bool:
    return word in stop_written() if written else fold(word) in stop_folded()


# Units of measure end what is counted: "bao nhiêu ha đất" asks for hectares, of land. A unit asked
# by its name ("bao nhiêu hecta", "cao bao nhiêu mét") is looked for as documents write it ("24.600
# ha", "2.436 m").
MEASURES = frozenset("ha km2 km m2 m3 m tan kg dong usd ty trieu nghin ngan".split())
_UNIT_NAMES = {
    ("hecta",): "ha",
    ("hec", "ta"): "ha",
    ("met", "vuong"): "m2",
    ("met", "khoi"): "m3",
    ("ki", "lo", "met"): "km",
    ("kilomet",): "km",
    ("cay", "so"): "km",
    ("met",): "m",
    ("ki", "lo", "gam"): "kg",
    ("kilogam",): "kg",
}


def _unit_at(folded: list[str], j: int) -> str | None:
    """The unit a name starting at `folded[j]` stands for ("mét vuông" -> "m2"), longest name first."""
    for name in sorted(_UNIT_NAMES, key=len, reverse=True):
        if tuple(folded[j : j + len(name)]) == name:
            return _UNIT_NAMES[name]
    return None


def _asked(ws: list[str], written: bool) -> list[str]:
    """What is counted: the noun after "bao nhiêu" / "mấy" (or "số ..." before it), up to four words.
    "mấy" is read as written when the question has diacritics: folded, it is "máy" ("Công ty May")."""
    folded = [fold(w) for w in ws]
    for i, w in enumerate(folded):
        how_many = ws[i].lower() == "mấy" if written else w == "may"
        after_number_word = how_many or (w == "nhieu" and i and folded[i - 1] == "bao")
        count_noun = w == "so" and i + 1 < len(ws) and not _is_stop(ws[i + 1], written)
        if after_number_word or (count_noun and (i == 0 or folded[i - 1] in ("tong", "co"))):
            phrase: list[str] = []
            rest = [fold(w) for w in ws[i + 1 : i + 5]]
            for j, nxt in enumerate(ws[i + 1 : i + 5]):
                if _is_stop(nxt, written) or nxt[0].isdigit():
                    break
                if unit := _unit_at(rest, j):
                    phrase.append(unit)
                    break
                phrase.append(rest[j])
                if rest[j] in MEASURES:
                    break
            if phrase:
                return phrase
    return []


def _role(folded: list[str], written: list[str], is_written: bool) -> list[str]:
    """The office in "Ai là Chủ tịch UBND phường X?" / "Bí thư Đảng ủy phường X là ai?": the words
    right before the place. A question that names no place ("Ai là người sáng lập trường?") has no
    role to hold a sentence to: its words count through coverage like any other question's."""
    starts = (
        i
        for i in range(len(folded))
        if any(tuple(folded[i : i + len(k)]) == k for k in places().folded_kinds)
    )
    end = next(starts, None)
    if end is None:
        return []
    run: list[str] = []
    for f, w in zip(reversed(folded[:end]), reversed(written[:end]), strict=True):
        if _is_stop(w, is_written):
            break
        run.insert(0, f)
    return run


_LETTERS = re.compile(r"[^\W\d_]+")


def _acronyms(text: str) -> frozenset[str]:
    """Words written in capitals ("HTX", "THCS"): a document may spell them out."""
    return frozenset(
        fold(m[0]) for m in _LETTERS.finditer(canonical(text)) if len(m[0]) > 1 and m[0].isupper()
    )


def _names(text: str, written: bool) -> tuple[str, ...]:
    """Capitalised words past the first: names and designations ("thôn Mỹ Hòa", "giải Khuyến khích",
    "hạng C", "Bên C"). A sentence that has none of them is likely about something else."""
    out = []
    for i, m in enumerate(_LETTERS.finditer(canonical(text))):
        if i and m[0][0].isupper():
            out.append(m[0].lower() if written else fold(m[0]))
    return tuple(dict.fromkeys(out))


# Question words, read as written: folded, "mấy" is "máy" ("Công ty May"), "đâu" is "đầu" ("Đầu
# năm 2025"); "sao" alone is a star or "sao la", so it asks only in a pair ("tại sao").
_WH_WRITTEN = frozenset("gì nào ai đâu mấy".split())
_WH_PAIRS = frozenset(
    {"bao nhieu", "bao gio", "bao lau", "tai sao", "vi sao", "ra sao", "lam sao", "the nao"}
)


def _around_question_word(written: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Up to three words, folded, before and after the first question word ("nào", "bao nhiêu",
    "ai")."""
    folded = [fold(w) for w in written]
    for i, w in enumerate(written):
        pair = i > 0 and f"{folded[i - 1]} {folded[i]}" in _WH_PAIRS
        if pair or w in _WH_WRITTEN:
            start = i - 1 if pair else i
            return tuple(folded[max(0, start - 3) : start]), tuple(folded[i + 1 : i + 4])
    return (), ()


def _number_term(w: str) -> str:
    """One spelling for a numeral in any notation: "1/7", "1.7" and "1-7" all become "1.7"."""
    return re.sub(r"[./,-]", ".", w)


def analyse(query: Query, known_localities: Mapping[str, str]) -> Question:
    """`known_localities`: folded name (without kind) -> written name, for every place the corpus names."""
    kind: Kind = asked_kind(query.restored)
    years: list[int] = []
    ranges: list[tuple[int, int]] = []
    for q in extract_quantities(query.restored):
        if q.kind == "year" and q.value is not None:
            years.append(int(q.value))
        elif q.kind == "range" and q.value and q.high and 1900 <= q.value <= 2100 and 1900 <= q.high <= 2100:
            ranges.append((int(q.value), int(q.high)))
    localities = _find_known(query.text if query.written else query.restored, known_localities, query.written)
    named = [fold(split_locality(n)[1]) for n in find_localities(query.restored)]
    unknown = [n for n in named if n not in localities and n not in known_localities]
    # Words are compared as typed: with diacritics when the question has them ("đặt" is not "đạt").
    written = query.written
    covered = {w for key in localities for w in (known_localities[key].lower() if written else key).split()}
    year_tokens = {str(y) for y in years} | {str(y) for r in ranges for y in r}
    text = query.text if written else query.restored
    ws = words(text)
    stop_flags = [(w if written else fold(w), _is_stop(w, written)) for w in ws]
    stops = {f for f, stop in stop_flags if stop} - {f for f, stop in stop_flags if not stop}
    terms: list[str] = []
    pairs: list[str] = []
    mw = [_number_term(w) if w[0].isdigit() else w for w in match_words(text, folded=not written)]
    for i, f in enumerate(mw):
        content = f not in stops and f not in covered and f not in year_tokens
        if content and f not in terms:
            terms.append(f)
        prev = mw[i - 1] if i else None
        if prev and prev not in year_tokens and (content or (prev not in stops and prev not in covered)):
            pairs.append(f"{prev} {f}")
    folded_all = match_words(query.restored, True)
    before, after = _around_question_word(match_words(query.restored, False))
    return Question(
        query=query,
        kind=kind,
        years=tuple(years),
        ranges=tuple(ranges),
        localities=tuple(localities),
        unknown_localities=tuple(unknown),
        terms=tuple(terms),
        asked=tuple(folded_words(" ".join(_asked(ws, query.written)))) if kind in ("figure", "money") else (),
        pairs=tuple(p for p in pairs if p.split()[1] not in year_tokens),
        role=tuple(_role(match_words(text, True), match_words(text, False), written))
        if kind == "who"
        else (),
        parts=named_parts(query.restored),
        names=_names(query.text, written),
        acronyms=_acronyms(query.text),
        before=before,
        after=after,
        words=tuple(folded_all),
    )
