"""Model answers in several styles, right and wrong, built from an eval question and the passages
retrieved for it: the answers bench/checks.py puts through the LLM answer checks.

A right answer states every gold figure (or name) and cites the passage that states it; the passage
is found among the retrieved ones by the gold's value (`app.text.numbers`), as the passage writes
it ("318,6" in the eval set is "318,6 Tỷ đồng" in the table row). A wrong answer plants one error
in an otherwise right answer and says where the error is (`Answer.plants`), so the bench can tell a
rejection for the planted error from one for something incidental.

Nothing here calls the answer checks (`app.ground`, `LLMAnswerer.problems`): figures are read with
`app.text.numbers`, words and places with `app.text` and `app.ingest.localities`, so the checks are
not graded by their own judgement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from app.answer.question import stop_folded
from app.ingest.localities import count_localities, find_localities, places, split_locality
from app.models import Document, Passage
from app.text import canonical, fold, match_words
from app.text.numbers import Quantity, extract_quantities, figure_in_text, parse_number, quantities_match

INVENTED_NAMES = (
    "Đoàn Minh Khôi",
    "Lương Thị Diệu Hằng",
    "Tạ Quang Vĩnh",
    "Mai Xuân Thưởng",
    "Kha Thị Ngọc Lan",
)

# --- reading passages ----------------------------------------------------------------------------

_CLAUSE_BREAK = re.compile(r"[;\n]\s*|(?<=[.!?])\s+")  # the unit `app.ground.claims` checks a figure in
_ROW = " — "  # a table row as ingest writes it: "label — column: value; column: value"
_LABEL_NOISE = re.compile(r"^(?:[-•+*]\s*|(?:\d{1,3}|[A-ZĐ]|[IVXLC]+)[.)]\s+)+")
_NUMERAL = re.compile(r"\d+(?:[.,]\d+)*")
_DAY_MONTH = re.compile(r"(\d{1,2}) tháng (\d{1,2})(?: năm (\d{4}))?")
_UNIT_WORD = re.compile(r"(?<=\s)([A-ZĐÀ-Ỹ][a-zđà-ỹ]+)")  # "Tỷ", "Triệu", "Người" after a numeral


@lru_cache(maxsize=4096)
def quantities(text: str) -> tuple[Quantity, ...]:
    return tuple(extract_quantities(text))


_DURATION = re.compile(r"^(năm|tháng|tuần|ngày|giờ)\b")


def family(q: Quantity) -> str:
    """What a figure is, for choosing a wrong one of the same sort: percent, money, year, date,
    period (a span of years), duration ("5 năm") or count."""
    if q.kind in ("percent", "date", "year"):
        return q.kind
    if q.kind == "range" and q.unit is None and q.value and q.high and 1000 <= q.value < q.high <= 2100:
        return "period"  # "2026-2030", "1734 – 1802"
    if q.kind == "number" and q.unit is None and re.fullmatch(r"1\d{3}", q.text):
        return "year"  # "năm 1072": a year before 1900 reads as a plain number
    if q.unit and _DURATION.match(q.unit):
        return "duration"
    if q.unit and re.search(r"(?i)đồng|usd", q.unit):
        return "money"
    return "count"


def _bare(s: str) -> str:
    m = _NUMERAL.match(s)
    return m[0] if m else ""


def same_figure(gold: Quantity, p: Quantity) -> bool:
    """`figure_in_text`'s rule, one passage figure at a time: by value, or the bare numeral quoted."""
    if quantities_match(gold, p):
        return True
    if gold.kind == "date" and p.kind == "date" and gold.date and p.date:
        return gold.date.startswith("--") and p.date.endswith(gold.date[1:])
    return (
        gold.kind in ("number", "year")
        and gold.unit is None
        and gold.text == _bare(gold.text)
        and p.kind in ("number", "percent", "year")
        and _bare(p.text) == gold.text
    )


def locate(gold: str, text: str) -> list[tuple[int, int, tuple[Quantity, ...], bool]]:
    """Where `text` states the gold figure: (start, end, its figures, as written). As written first
    (so "11-12" is read as the date the passage makes of it), else by value; a span grows to whole
    figures ("318,6" -> "318,6 Tỷ đồng")."""
    found = quantities(text)
    gold = canonical(gold)
    out = []
    dates = [] if _DAY_MONTH.search(gold) else [d.span() for d in _DAY_MONTH.finditer(text)]
    for m in re.finditer(rf"(?<![\d.,]){re.escape(gold)}(?!\d|[.,]\d)", text, re.IGNORECASE):
        if any(a < m.end() and m.start() < b for a, b in dates):
            continue  # "12 tháng" inside "ngày 12 tháng 5 năm 2025" is no twelve months
        held = tuple(p for p in found if p.start < m.end() and p.end > m.start())
        if held:
            out.append((min(m.start(), held[0].start), max(m.end(), held[-1].end), held, True))
    if out:
        return out
    wanted = quantities(gold)
    if not wanted:
        return []
    for first in (p for p in found if same_figure(wanted[0], p)):
        held = [first]
        for w in wanted[1:]:  # "8 sản phẩm OCOP 3 sao": the rest close after the first
            nxt = next((p for p in found if p.start >= held[-1].end and same_figure(w, p)), None)
            if nxt is None or nxt.start - held[-1].end > 40:
                break
            held.append(nxt)
        if len(held) == len(wanted):
            out.append((held[0].start, held[-1].end, tuple(held), False))
    return out


def _clean(piece: str) -> str:
    piece = piece.strip().rstrip(".:;,").strip()
    if "›" in piece.split(_ROW)[0]:  # a heading path before a table row's label: keep its last step
        head, sep, rest = piece.partition(_ROW)
        piece = head.rsplit("›", 1)[-1].strip() + sep + rest
    return _LABEL_NOISE.sub("", piece).strip()


def clause_at(text: str, start: int, end: int) -> str:
    """The clause of `text` around [start, end) (split as the checks split: ";", new lines, sentence
    ends), quoted verbatim; a table cell gets its row's label ("Kim ngạch xuất khẩu — Thực hiện
    2024: 58,3 Triệu USD")."""
    b, e = 0, len(text)
    for m in _CLAUSE_BREAK.finditer(text):
        if m.end() <= start:
            b = m.end()
        elif m.start() >= end:
            e = m.start()
            break
    piece = text[b:e]
    line_start = text.rfind("\n", 0, b) + 1
    line = text[line_start : text.find("\n", b) if text.find("\n", b) >= 0 else len(text)]
    row = line.find(_ROW)
    if _ROW not in piece and 0 <= row < b - line_start:
        piece = f"{line[:row]}{_ROW}{piece}"
    return _clean(piece)


def lower_units(figure: str) -> str:
    """A figure as an answer writes it: "318,6 tỷ đồng" for "318,6 Tỷ đồng" (USD stays USD)."""
    return _UNIT_WORD.sub(lambda m: m[1].lower(), figure)


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def folded_words(text: str) -> set[str]:
    return set(match_words(text, True))


# --- what a question asks, and where the retrieved passages answer it ----------------------------


@dataclass(frozen=True)
class Fact:
    """A gold figure or name as one retrieved passage states it."""

    gold: str
    n: int  # the passage's [n]
    text: str  # as the passage writes it
    start: int
    end: int
    clause: str
    family: str  # percent, money, count, year, date; "name" for a name
    quantities: tuple[Quantity, ...] = ()
    unit: str = ""  # the words after its numeral ("đảng viên"), which a question may repeat

    @property
    def fill(self) -> str:
        return lower_units(self.text) if self.family != "name" else self.text


@dataclass
class Case:
    qid: str
    question: str  # as restored with diacritics (a model answers in written Vietnamese)
    passages: dict[int, Passage]
    documents: Mapping[str, Document]
    gold_docs: frozenset[str]
    figures: list[Fact] = field(default_factory=list)
    names: list[Fact] = field(default_factory=list)
    unlocated: list[str] = field(default_factory=list)  # golds no retrieved passage states
    # Per gold figure: the other passages of a gold document that state it as written, with the clause.
    elsewhere: list[list[tuple[int, str]]] = field(default_factory=list)

    def text(self, n: int) -> str:
        return self.passages[n].chunk.text

    def full(self, n: int) -> str:
        p = self.passages[n].chunk
        return f"{p.header}\n{p.text}"

    def gold_ns(self) -> set[int]:
        return {n for n, p in self.passages.items() if p.chunk.doc_id in self.gold_docs}

    def order(self) -> list[int]:
        """Passage numbers, the gold documents' first."""
        return sorted(self.passages, key=lambda n: (self.passages[n].chunk.doc_id not in self.gold_docs, n))


def is_name(item: str) -> bool:
    """A gold_contains item that is a name the name check reads: two or more capitalised words."""
    ws = item.split()
    return len(ws) >= 2 and all(w[:1].isupper() for w in ws)


def _name_at(name: str, text: str) -> int:
    """Where `text` names `name` (compared folded, case aside; NFC keeps offsets); -1 if nowhere."""
    m = re.search(rf"(?<!\w){re.escape(fold(name))}(?!\w)", fold(text))
    return m.start() if m else -1


def build_case(q: dict, question: str, passages: list[Passage], documents: Mapping[str, Document]) -> Case:
    case = Case(q["id"], question, dict(enumerate(passages, 1)), documents, frozenset(q["gold_doc_ids"]))
    keys = question_keys(case)
    for gold in q["gold_figures"]:
        # Where the passages state it, the likeliest first: a gold document, as written, in a clause
        # about what was asked ("30 triệu đồng" of the household asked, not of the one before it).
        found = []
        for n in case.order():
            text = case.text(n)
            for start, end, held, written in locate(gold, text):
                clause = clause_at(text, start, end)
                rank = (n in case.gold_ns(), written, round(overlap(keys, clause), 2), -n, -start)
                found.append((rank, n, start, end, held, clause))
        if not found:
            case.unlocated.append(gold)
            continue
        found.sort(key=lambda f: f[0], reverse=True)
        _, n, start, end, held, clause = found[0]
        best = found[0][0]
        case.elsewhere.append(  # as likely as the one chosen: a gold document, as written, as much on topic
            [(m, c) for r, m, *_, c in found[1:] if m != n and r[:3] == best[:3]]
        )
        said = case.text(n)[start:end]
        unit = re.sub(r"^[\d.,/%\s–-]+", "", said).lower() if said[:1].isdigit() else ""
        fam = "date" if _DAY_MONTH.search(said) else family(held[0])  # "15 tháng 8 năm 1962"
        case.figures.append(Fact(gold, n, said, start, end, clause, fam, held, unit))
    for name in (c for c in q["gold_contains"] if is_name(c)):
        for n in case.order():
            at = _name_at(name, case.text(n))
            if at >= 0:
                text = case.text(n)
                clause = clause_at(text, at, at + len(name))
                end = at + len(name)
                case.names.append(Fact(name, n, text[at:end], at, end, clause, "name"))
                break
        else:
            case.unlocated.append(name)
    return case


# --- restating the question as its answer --------------------------------------------------------


@dataclass(frozen=True)
class Fill:
    text: str
    n: int  # cited passage
    kind: str  # figure, when, name
    unit: str = ""  # the gold's unit words, which the question may repeat after its slot


def fills_of(facts: list[Fact], units: list[str] | None = None) -> list[Fill]:
    """Fills for `restate`; `units`: the gold's unit words per fact, when a fact is a stand-in."""
    kinds = {"year": "when", "date": "when", "name": "name", "period": "when"}
    units = units or [f.unit for f in facts]
    return [Fill(f.fill, f.n, kinds.get(f.family, "figure"), u) for f, u in zip(facts, units, strict=True)]


_SLOTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "when",
        re.compile(
            r"(?i)\b(?:vào |từ )?(?:(?:ngày,? tháng,? năm|ngày tháng năm|ngày|năm|tháng|thời gian|"
            r"thời điểm|lúc|thế kỷ|thời kỳ|giai đoạn|nhiệm kỳ) nào|khi nào|bao giờ)(?!\w)"
        ),
    ),
    ("figure", re.compile(r"(?i)\b(?:bao nhiêu|mấy|bao lâu)(?!\w)(?: (?:phần trăm|tiền)(?!\w)| ?%)?")),
    ("name", re.compile(r"(?i)\btên (?:là )?gì(?!\w)")),
    ("name", re.compile(r"(?i)(?<!\w)(?:là ai|ai là|ai)(?!\w)")),
    ("name", re.compile(r"(?i)(?<!\w)(?:ở|tại) đâu(?!\w)")),
    ("which", re.compile(r"(?i)(?<!\w)(\w+) nào(?!\w)")),
)
_PLURAL = re.compile(r"(?i)\b(?:những|các)(?: \w+){0,3} ?$")
_WHEN_VERBS = ("khi nào", "bao giờ", "thời gian nào", "thời điểm nào", "lúc nào")


def _slots(question: str) -> list[tuple[str, re.Match[str]]]:
    taken: list[tuple[str, re.Match[str]]] = []
    for kind, rx in _SLOTS:
        for m in rx.finditer(question):
            if all(m.end() <= t.start() or m.start() >= t.end() for _, t in taken):
                taken.append((kind, m))
    return sorted(taken, key=lambda s: s[1].start())


_SPAN_NOUNS = ("nhiệm kỳ", "giai đoạn", "thời kỳ", "thế kỷ")


def _when_text(slot: str, fill: str) -> str:
    """A date or year in the place of "năm nào", "ngày nào", "khi nào", "nhiệm kỳ nào"."""
    low = slot.lower()
    lead = low.split()[0] if low.split()[0] in ("vào", "từ") else ""
    noun_m = re.match(r"(?i)(ngày|năm|tháng)\s+", fill)
    core = fill[noun_m.end() :] if noun_m else fill
    if noun_m:
        noun = noun_m[1].lower()
    elif re.fullmatch(r"\d{4}", core):
        noun = "năm"
    elif re.match(r"\d{1,2}\s*(?:[-/.]\s*\d{1,2}|tháng)", core):
        noun = "ngày"
    else:
        noun = ""
    span = next((n for n in _SPAN_NOUNS if n in low), None)
    if span and not re.search(r"(?i)ngày|tháng", fill):
        said = f"{span} {core}"
    elif any(low.endswith(v) for v in _WHEN_VERBS):
        lead = lead or "vào"
        said = f"{noun} {core}".strip()
    else:
        said = f"{noun or low.split()[-2]} {core}".strip()
    return f"{lead} {said}".strip()


def _join(texts: list[str]) -> str:
    return texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} và {texts[-1]}"


_TAKES = {"when": ("when", "figure"), "figure": ("figure", "when"), "name": ("name",), "which": ("name",)}


def _repeated_words(fill_words: list[str], after: str) -> int:
    """How many characters of `after` (the question after a slot) repeat the fill's unit words:
    "đảng viên" of "76 đảng viên" in " đảng viên mới", "sản phẩm OCOP" in " sản phẩm OCOP"."""
    words = list(re.finditer(r"\w+", after))
    n = 0
    while n < min(len(words), len(fill_words)) and fold(words[n][0]) == fold(fill_words[n]):
        n += 1
    if not n or after[: words[0].start()].strip():
        return 0
    return words[n - 1].end()


def _slot_fill(kind: str, slot: str, said: str) -> str:
    """What takes the slot's place: the fills, with what the slot's own words still have to say."""
    if kind == "when":
        return said
    if kind == "figure":
        if re.search(r"(?i)phần trăm|%", slot) and not re.search(r"%|phần trăm", said):
            said += " phần trăm"
        return said
    low = slot.lower()
    if kind == "which":
        return f"{slot.rsplit(' ', 1)[0]} {said}"
    if low == "là ai":
        return f"là {said}"
    if low == "ai là":
        return f"{said} là"
    if low.startswith("tên"):
        return f"tên là {said}"
    if low.endswith("đâu"):
        return f"{low.split()[0]} {said}"
    return said


def restate(question: str, fills: list[Fill]) -> str:
    """The question turned into its answer: each slot ("bao nhiêu", "năm nào", "ai", "những X nào")
    takes the next fill of its kind (the last slot that can, all that are left); what no slot takes
    is added after a colon. One passage cited: one [n] at the end; several: each fill its own."""
    one = len({f.n for f in fills}) == 1
    text = question.strip().rstrip("?.!").strip()
    slots = _slots(text)
    queue = list(fills)
    out, pos = [], 0
    for i, (kind, m) in enumerate(slots):
        kinds = _TAKES[kind]
        group = next(
            ([f for f in queue if f.kind == k] for k in kinds if any(f.kind == k for f in queue)), []
        )
        if not group:
            continue
        last = not any(any(f.kind in _TAKES[k] for f in group) for k, _ in slots[i + 1 :])
        if not last and not _PLURAL.search(text[: m.start()]):
            group = group[:1]
        for f in group:
            queue.remove(f)
        slot, end = m[0], m.end()
        before = text[pos : m.start()]
        texts = []
        for f in group:
            t = f.text
            lead = re.match(r"(\D+?)\s*(?=\d)", t)  # "lần thứ 5" where the question says "lần thứ mấy"
            if kind == "figure" and lead and fold(before).rstrip().endswith(fold(lead[1]).strip()):
                t = t[lead.end() :]
            if kind == "when":
                t = _when_text(slot, t)
            texts.append(t if one else f"{t} [{f.n}]")
        if kind == "figure":
            unit = group[-1].unit.split() if re.search(r"\d\s*\S*[^\W\d]", group[-1].text) else []
            end += _repeated_words(unit, text[end:])  # "76 đảng viên" + "đảng viên mới"
        out.append(before + _slot_fill(kind, slot, _join(texts)))
        pos = end
    out.append(text[pos:])
    sentence = "".join(out).strip()
    if queue:
        sentence += ": " + _join([f.text if one else f"{f.text} [{f.n}]" for f in queue])
    if one:
        sentence += f" [{fills[0].n}]"
    return cap(sentence) + "."


# --- the styles ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    style: str
    right: bool
    text: str
    # For a wrong answer: a problem message holding every string of one tuple names the planted error.
    plants: tuple[tuple[str, ...], ...] = ()


RIGHT_STYLES = (
    "verbatim",
    "restated",
    "unit_words",
    "rounded_said",
    "reordered",
    "date_dash",
    "date_slash",
    "date_words",
    "percent_short",
    "percent_words",
    "name_plain",
    "name_titled",
    "split",
)
WRONG_STYLES = (
    "neighbour_figure",
    "other_indicator",
    "other_year",
    "other_place",
    "invented_name",
    "extra_claim",
    "wrong_citation",
    "wrong_total",
)


def _with(facts: list[Fact], i: int, **changes: object) -> list[Fact]:
    return [replace(f, **changes) if j == i else f for j, f in enumerate(facts)]


def _vn(x: float, decimals: int) -> str:
    """A number in Vietnamese notation: "." groups thousands, "," marks decimals."""
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "\0").replace(".", ",").replace("\0", ".")


def verbatim(case: Case) -> str:
    groups = list(dict.fromkeys((f.n, f.clause) for f in case.figures))
    return " ".join(f"{cap(c)} [{n}]." for n, c in groups)


_REWORD: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\s+tỷ đồng$"), " tỷ"),
    (re.compile(r"(?i)\s+triệu đồng$"), " triệu"),
    (re.compile(r"(?i)\s+triệu usd$"), " triệu đô la Mỹ"),
    (re.compile(r"(?i)\s+usd$"), " đô la Mỹ"),
    (re.compile(r"(?i)\s+ha$"), " héc-ta"),
    (re.compile(r"(?i)\s+km2$"), " km²"),
    (re.compile(r"(?i)\s+m2$"), " m²"),
    (re.compile(r"(?i)\s+nghìn\b"), " ngàn"),
)


def reword(f: Fact) -> str | None:
    """The figure with its unit in other words: "348,5 tỷ đồng" -> "348,5 tỷ", "18.500.000 đồng" ->
    "18,5 triệu đồng", "139 triệu USD" -> "139 triệu đô la Mỹ"."""
    text = f.fill
    q = f.quantities[0]
    if (
        len(f.quantities) == 1
        and q.value
        and q.value >= 1e6
        and re.fullmatch(r"\d{1,3}(\.\d{3})+( đồng)?", text)
    ):
        millions = q.value / 1e6
        decimals = next(d for d in range(7) if round(millions, d) == millions)  # no digit lost
        return f"{_vn(millions, decimals)} triệu{' đồng' if 'đồng' in text else ''}"
    for rx, sub in _REWORD:
        if rx.search(text):
            return rx.sub(sub, text)
    return None


def rounded(f: Fact) -> str | None:
    """The figure rounded, and the rounding said: "khoảng 348 tỷ đồng" for "348,5 tỷ đồng"."""
    if f.family in ("year", "date") or f.quantities[0].kind not in ("number", "percent"):
        return None
    numeral = _bare(f.fill)
    if "," not in numeral:
        return None
    value = parse_number(numeral)
    decimals = len(numeral.split(",")[1])
    if value is None or (decimals == 1 and abs(value) < 10):
        return None  # "khoảng 0%" for "0,1%" is no rounding anyone would say
    new = _vn(round(value, decimals - 1 if decimals > 1 else 0), decimals - 1 if decimals > 1 else 0)
    return None if new == numeral else f"khoảng {new}{f.fill[len(numeral) :]}"


def _split(case: Case) -> list[tuple[int, str]] | None:
    """Two or more gold figures cited to two passages: the passages the figures were found in if they
    differ; else the first figure's and another passage stating a later one (the same report as a DOCX
    and as a PDF). None when every gold figure is in one passage only."""
    figs = case.figures
    if len(figs) < 2:
        return None
    if len({f.n for f in figs}) > 1:
        return list(dict.fromkeys((f.n, f.clause) for f in figs))
    for i in range(1, len(figs)):
        for n, clause in case.elsewhere[i]:
            parts = [(f.n, f.clause) for f in figs]
            parts[i] = (n, clause)
            if len({c for _, c in parts}) == len(parts):  # one sentence twice is no split
                return parts
    return None


def reordered(case: Case) -> str | None:
    """The clauses of the verbatim answer in another order: the segment with the figure first, the
    clauses of several figures last to first."""
    groups = list(dict.fromkeys((f.n, f.clause) for f in case.figures))
    out, moved = [], len(groups) > 1
    for n, clause in reversed(groups):
        if _ROW in clause:  # a table row: its cell first, then its label
            label, _, cell = clause.partition(_ROW)
            out.append(f"{cap(cell)}{_ROW}{label} [{n}].")
            moved = True
            continue
        segments = clause.split(", ")
        holding = [i for i, s in enumerate(segments) if any(f.text in s for f in case.figures if f.n == n)]
        if len(segments) > 1 and holding and holding[0] > 0:
            i = holding[0]
            rest = segments[:i] + segments[i + 1 :]
            words = rest[0].split()
            if len(words) > 1 and not words[1][:1].isupper():  # its capital was the sentence's
                rest[0] = rest[0][:1].lower() + rest[0][1:]
            segments = [segments[i], *rest]
            moved = True
        out.append(f"{cap(', '.join(segments))} [{n}].")
    return " ".join(out) if moved else None


def date_parts(f: Fact) -> tuple[int, int, int | None] | None:
    """Day, month and year (None when not written) of a date the passage states."""
    q = f.quantities[0]
    if q.kind == "date" and q.date:
        parts = q.date.removeprefix("--").split("-")
        if q.date.startswith("--"):
            return int(parts[1]), int(parts[0]), None
        if len(parts) == 3:
            return int(parts[2]), int(parts[1]), int(parts[0])
    m = _DAY_MONTH.search(f.text)
    if m:
        return int(m[1]), int(m[2]), int(m[3]) if m[3] else None
    return None


def date_forms(f: Fact) -> dict[str, str]:
    parts = date_parts(f)
    if parts is None:
        return {}
    d, m, y = parts
    return {
        "date_dash": f"ngày {d}-{m}" + (f"-{y}" if y else ""),
        "date_slash": f"ngày {d}/{m}" + (f"/{y}" if y else ""),
        "date_words": f"ngày {d} tháng {m}" + (f" năm {y}" if y else ""),
    }


_PERCENT_VERBS = ("tăng", "giảm", "đạt", "chiếm", "bằng", "còn", "vượt", "là")


def percent_verb(case: Case, f: Fact) -> str:
    """The verb the passage puts before the percentage ("giảm bình quân hàng năm 0,1%": "giảm")."""
    text = case.text(f.n)
    said = [w.lower() for w in re.findall(r"\w+", text[max(0, f.start - 80) : f.start])]
    cut = max((i for i, w in enumerate(said) if w in (".", ";")), default=-1)
    verbs = [w for w in said[cut + 1 :] if w in _PERCENT_VERBS]
    return verbs[-1] if verbs else "đạt"


_HONORIFIC = re.compile(
    r"(?i)(?<!\w)(đồng chí|ông|bà|thầy|cô|nghệ nhân|nhà giáo|TS\.|ThS\.|PGS\.\s?TS\.|GS\.\s?TS\.)\s+$"
)
_KIND = re.compile(
    r"(?i)(?<!\w)(phường|xã|thị trấn|thôn|làng|tỉnh|huyện|quận|công ty|chùa|đình|đền|trường|sông|núi)\s+$"
)
_PLACE_NOUNS = frozenset("phường xã thôn làng tỉnh huyện quận địa phương di tích nơi".split())


def which_noun(question: str) -> str | None:
    """The noun a "những X nào" question asks for ("phường", "địa phương"); None when the noun is
    part of a longer phrase ("những lãnh đạo thị xã nào" asks for people)."""
    m = re.search(r"(?i)(?:^|\b(?:những|các)\s+)([^\W\d]+(?:\s+[^\W\d]+)?)\s+nào\b", question)
    return m[1].lower() if m else None


def titled(case: Case, f: Fact) -> str | None:
    """The name with a title: a place's kind where the question asks for places ("phường Ngô Mây",
    though Ngô is a surname); a person's honorific from the passage, else ông/bà; else the kind of
    thing the passage names before it ("đền Sòng Sơn"). None when there is none to give."""
    text = case.text(f.n)
    before = [text[max(0, m.start() - 20) : m.start()] for m in re.finditer(re.escape(f.text), text)]
    kinds = [m[1].lower() for b in before if (m := _KIND.search(b))]
    asked = which_noun(case.question)
    if re.search(r"(?i)\b(?:ở|tại) (?:đâu|đầu)\b|\b(?:nơi|địa điểm|địa bàn) nào\b", case.question):
        asked = "nơi"  # where: "Vũ Quang" is a place, though Vũ is a surname
    if asked in _PLACE_NOUNS:
        kind = kinds[0] if kinds else (asked if asked not in ("địa phương", "nơi") else None)
        return f"{kind} {f.text}" if kind else None
    if f.text.split()[0] in places().surnames:
        honorific = next((m[1] for b in before if (m := _HONORIFIC.search(b))), None)
        if honorific:
            return f"{honorific if '.' in honorific else honorific.lower()} {f.text}"
        return f"{'bà' if ' Thị ' in f' {f.text} ' else 'ông'} {f.text}"
    return f"{kinds[0]} {f.text}" if kinds else None


def right_answers(case: Case) -> Iterator[Answer]:
    figs, names = case.figures, case.names
    facts = figs + names
    if figs:
        yield Answer("verbatim", True, verbatim(case))
        yield Answer("restated", True, restate(case.question, fills_of(facts)))
        reworded = [reword(f) if f.family not in ("percent", "year", "date") else None for f in figs]
        if any(reworded):
            fx = [replace(f, text=r) if r else f for f, r in zip(figs, reworded, strict=True)]
            yield Answer("unit_words", True, restate(case.question, fills_of(fx + names)))
        rounds = [rounded(f) for f in figs]
        if any(rounds):
            fx = [replace(f, text=r) if r else f for f, r in zip(figs, rounds, strict=True)]
            yield Answer("rounded_said", True, restate(case.question, fills_of(fx + names)))
        text = reordered(case)
        if text:
            yield Answer("reordered", True, text)
        forms = [date_forms(f) for f in figs]
        if any(forms):
            for style in ("date_dash", "date_slash", "date_words"):
                fx = [
                    replace(f, text=d[style], family="date") if d else f
                    for f, d in zip(figs, forms, strict=True)
                ]
                yield Answer(style, True, restate(case.question, fills_of(fx + names)))
        if any(f.family == "percent" for f in figs):
            said = [f"{percent_verb(case, f)} {f.fill}" if f.family == "percent" else f.fill for f in figs]
            ns = list(dict.fromkeys(f.n for f in figs))
            cites = " ".join(f"[{n}]" for n in ns)
            yield Answer("percent_short", True, f"{cap(', '.join(said))} {cites}.")
            fx = [
                replace(f, text=re.sub(r"\s*%", " phần trăm", f.fill)) if f.family == "percent" else f
                for f in figs
            ]
            yield Answer("percent_words", True, restate(case.question, fills_of(fx + names)))
        split = _split(case)
        if split:
            yield Answer("split", True, cap("; ".join(f"{c} [{n}]" for n, c in split)) + ".")
    if names:
        yield Answer("name_plain", True, restate(case.question, fills_of(facts)))
        titles = [titled(case, f) for f in names]
        if any(titles):
            fx = [replace(f, text=t) if t else f for f, t in zip(names, titles, strict=True)]
            yield Answer("name_titled", True, restate(case.question, fills_of(figs + fx)))


# --- wrong answers -------------------------------------------------------------------------------


def question_keys(case: Case) -> set[str]:
    """What the question asks about, folded: its content words less places, years and figures."""
    places = {w for loc in find_localities(case.question) for w in fold(split_locality(loc)[1]).split()}
    return {
        w
        for w in folded_words(case.question)
        if w not in stop_folded() and w not in places and not any(c.isdigit() for c in w) and len(w) > 1
    }


def overlap(keys: set[str], clause: str) -> float:
    return len(keys & folded_words(clause)) / len(keys) if keys else 0.0


def _is_gold(case: Case, q: Quantity) -> bool:
    """A gold figure, or one with a gold's value: "4" beside the gold "4/135" (4th of 135) is no error."""
    return any(
        same_figure(g, q) or same_figure(q, g) or (q.value is not None and q.value == g.value)
        for f in case.figures
        for g in f.quantities
    )


def _holds_gold(case: Case, n: int) -> bool:
    return any(f.n == n for f in case.figures) or any(
        figure_in_text(g, case.full(n)) for f in case.figures for g in f.quantities
    )


def _plausible(q: Quantity, unit: str | None) -> bool:
    """A figure a model could give for the gold's: no unit, or the gold's ("15 hộ" is no answer to
    "bao nhiêu đảng viên", "21/21 hộ" none to an area in km2)."""
    return not q.unit or not unit or q.unit.split("/")[0] == unit.split("/")[0]


def _enumerator(text: str, q: Quantity) -> bool:
    """A number that counts nothing: "2." numbering a table row or a list item, "số 12" naming a
    storm, a telephone number."""
    before = text[max(0, q.start - 2) : q.start].strip()
    if q.kind == "number" and text[q.end : q.end + 1] in (".", ")") and before in ("", "›"):
        return True
    # "bão số 12", "Nghị quyết số 57": a number naming something; "0256 3822 ...": a telephone
    return bool(re.search(r"(?i)\bsố\s*$", text[max(0, q.start - 4) : q.start])) or bool(
        re.match(r"0\d{3}", q.text)
    )


def _candidates(case: Case, ns: list[int], fam: str) -> Iterator[tuple[int, Quantity, str]]:
    """Figures of family `fam` (and a unit that could be the gold's) in passages `ns` that are not a
    gold figure, with their clause."""
    unit = case.figures[0].quantities[0].unit
    for n in ns:
        text = case.text(n)
        for q in quantities(text):
            if family(q) != fam or (q.value is None and q.kind != "date") or _is_gold(case, q):
                continue
            if not _plausible(q, unit) or _enumerator(text, q):
                continue
            if any(f.n == n and q.start < f.end and q.end > f.start for f in case.figures):
                continue
            yield n, q, clause_at(text, q.start, q.end)


def _years(text: str) -> set[int]:
    out = set()
    for q in quantities(text):
        if q.kind == "year" and q.value:
            out.add(int(q.value))
        elif q.kind == "range" and q.value and q.high and 1900 <= q.value <= 2100:
            out |= {int(q.value), int(q.high)}
        elif q.kind == "date" and q.date and q.date[:4].isdigit():
            out.add(int(q.date[:4]))
    return out


def _main_place(doc: Document) -> str | None:
    counts = count_localities(f"{doc.title}\n{doc.text}")
    if not counts:
        return None
    top = max(counts, key=lambda k: counts[k])
    return fold(split_locality(top)[1])


def _pick(cands: list[tuple[float, int, Quantity, str]], unit: str | None) -> tuple[int, Quantity] | None:
    """The best candidate: the gold's unit first, then the score, then passage order."""
    if not cands:
        return None
    best = min(cands, key=lambda c: (c[2].unit != unit, -c[0], c[1], c[2].start))
    return best[1], best[2]


def _quoted(said: str) -> str:
    """How a problem message quotes a figure the answer states: as `app.text.numbers` reads it
    ("2031" of "năm 2031")."""
    found = quantities(said)
    return found[0].text if found else said


def _wrong_figure(case: Case, style: str, n: int, q: Quantity) -> Answer:
    wrong = lower_units(case.text(n)[q.start : q.end])
    units = [f.unit for f in case.figures]
    facts = _with(case.figures, 0, text=wrong, n=n)
    plants: tuple[tuple[str, ...], ...] = ((_quoted(wrong),),)
    if all(f.n != n for f in case.figures):  # a passage of its own: saying it is about elsewhere is a catch
        plants += ((f"đoạn [{n}] nói về",), (f"đoạn [{n}] không thuộc",))
    fills = fills_of(facts + case.names, units + [""] * len(case.names))
    return Answer(style, False, restate(case.question, fills), plants)


def invented_figure(case: Case, f: Fact) -> str:
    """A figure of the same sort as `f` that no retrieved passage holds."""
    everything = "\n".join(case.full(n) for n in case.passages)
    q = f.quantities[0]
    if f.family in ("year", "date"):
        year = (max(_years(everything) | {2000})) + 3
        while str(year) in everything:
            year += 1
        return f"năm {year}"
    numeral = _bare(f.fill)
    value = parse_number(numeral) or (q.value or 7)
    decimals = len(numeral.split(",")[1]) if "," in numeral else 0
    tail = f.fill[len(numeral) :] if numeral and f.fill.startswith(numeral) else ""
    if q.kind == "fraction":
        tail = ""
    factor = 1.37
    while True:
        text = _vn(value * factor, decimals) + (tail if q.kind != "fraction" else f" {q.unit or ''}".rstrip())
        new = quantities(text)
        if new and not any(figure_in_text(new[0], case.full(n)) for n in case.passages):
            return text
        factor += 0.11


def wrong_figures(case: Case) -> Iterator[tuple[str, int, Quantity]]:
    """(style, passage, figure) of each wrong-figure style the case has: a neighbouring passage's
    figure, another indicator's in the gold passage, another year's, another place's."""
    gold = case.figures[0]
    fam, unit = gold.family, gold.quantities[0].unit
    keys = question_keys(case)
    others = [n for n in case.passages if not _holds_gold(case, n)]
    picked = _pick([(0.0, n, q, c) for n, q, c in _candidates(case, others, fam)], unit)
    if picked:
        yield "neighbour_figure", *picked
    golds = {(f.n, f.clause) for f in case.figures}
    cands = [
        (-overlap(keys, c), n, q, c)
        for n, q, c in _candidates(case, [gold.n], fam)
        if (n, c) not in golds and overlap(keys, c) < 0.5
    ]
    picked = _pick(cands, unit)
    if picked:
        yield "other_indicator", *picked
    asked = _years(case.question)
    if asked:
        cands = [
            (overlap(keys, c), n, q, c)
            for n, q, c in _candidates(case, case.order(), fam)
            if _years(c) - asked and not _years(c) & asked and overlap(keys, c) >= 0.6
        ]
        picked = _pick(cands, unit)
        if picked:
            yield "other_year", *picked
    places = {fold(split_locality(p)[1]) for p in find_localities(case.question)}
    if places:
        elsewhere = [
            n
            for n in case.order()
            if (doc := case.documents.get(case.passages[n].chunk.doc_id)) is not None
            and (main := _main_place(doc)) is not None
            and main not in places
            and not {fold(split_locality(p)[1]) for p in find_localities(doc.title)} & places
        ]
        cands = [
            (overlap(keys, c), n, q, c)
            for n, q, c in _candidates(case, elsewhere, fam)
            if overlap(keys, c) >= 0.6
        ]
        picked = _pick(cands, unit)
        if picked:
            yield "other_place", *picked


def invented_name(case: Case) -> str:
    """A person's name no retrieved passage holds."""
    everything = fold(" ".join(case.full(n) for n in case.passages))
    return next((n for n in INVENTED_NAMES if fold(n) not in everything), INVENTED_NAMES[0])


def wrong_answers(case: Case) -> Iterator[Answer]:
    figs, names = case.figures, case.names
    facts = figs + names
    if figs:
        gold = figs[0]
        for style, n, q in wrong_figures(case):
            yield _wrong_figure(case, style, n, q)
        extra = invented_figure(case, gold)
        right = restate(case.question, fills_of(facts))
        yield Answer(
            "extra_claim",
            False,
            f"{right} Ngoài ra, kế hoạch đề ra là {extra} [{gold.n}].",
            ((_quoted(extra),),),
        )
        yield from _wrong_total(case, right)
    invented = invented_name(case)
    if names:
        fx = _with(names, 0, text=invented)
        yield Answer("invented_name", False, restate(case.question, fills_of(figs + fx)), ((invented,),))
    elif figs:
        right = restate(case.question, fills_of(facts))
        text = f"{right} Số liệu này do ông {invented} báo cáo [{figs[0].n}]."
        yield Answer("invented_name", False, text, ((invented,),))
    if facts:
        holders = {f.n for f in facts}
        bare = [
            n
            for n in case.passages
            if n not in holders
            and not any(figure_in_text(g, case.full(n)) for f in figs for g in f.quantities)
            and not any(_name_at(f.text, case.full(n)) >= 0 for f in names)
        ]
        if bare:
            k = bare[0]
            fx = [replace(f, n=k) for f in facts]
            plants = tuple((_quoted(f.fill), f"[{k}]") for f in figs) + tuple((f.text,) for f in names)
            # Any figure the answer states missing from [k] says the citation is wrong.
            plants += ((f"không có trong đoạn [{k}]",), (f"đoạn [{k}] nói về",), (f"đoạn [{k}] không thuộc",))
            yield Answer("wrong_citation", False, restate(case.question, fills_of(fx)), plants)


_SCALES = {"nghìn": 1e3, "ngàn": 1e3, "triệu": 1e6, "tỷ": 1e9, "tỉ": 1e9}


def _wrong_total(case: Case, right: str) -> Iterator[Answer]:
    """A total after the figures that is not their sum ("Tổng cộng X"): over the gold figures if two
    or more of them count the same thing ("8 sản phẩm OCOP 3 sao", "2 sản phẩm OCOP 4 sao"), else
    over the figures with the gold's unit in the clause the verbatim answer quotes."""
    figs = case.figures
    addable = [
        f.quantities[0] for f in figs if f.family in ("money", "count") and f.quantities[0].kind == "number"
    ]
    heads = {" ".join(f.unit.split()[:2]) for f in figs}
    base, text = right, figs[0].fill
    if len(addable) < 2 or len(addable) < len(figs) or len(heads) > 1 or not figs[0].unit:
        unit = figs[0].quantities[0].unit
        addable = [
            q
            for q in quantities(figs[0].clause)
            if q.kind == "number" and q.value and unit and q.unit == unit and family(q) in ("money", "count")
        ]
        if len(addable) < 2:
            return
        base, text = verbatim(case), lower_units(addable[0].text)
    total = sum(q.value or 0 for q in addable)
    numeral = _bare(text)
    rest = re.split(r"\s\d", text[len(numeral) :])[0]  # "sản phẩm" of "8 sản phẩm OCOP 3 sao"
    scale = next((v for w, v in _SCALES.items() if rest.strip().lower().startswith(w)), 1.0)
    shown = total / scale
    wrong = shown + max(1, round(shown * 0.1)) if float(shown).is_integer() else round(shown * 1.1, 1)
    said = f"{_vn(wrong, 0 if float(wrong).is_integer() else 1)}{rest}"
    yield Answer("wrong_total", False, f"{base} Tổng cộng {said} [{figs[0].n}].", ((_quoted(said),),))
