"""A table (a grid of cell texts) -> rows a reader can quote: each value with its column header and
its row's label, "Tổng thu ngân sách — Thực hiện 2025: 348,5 tỷ đồng; So với dự toán: 109,4%".

A row read alone (as retrieval and the answerer see it) must still say what each figure is, so the
header travels with every value, and so does its unit: a unit in the column header ("Tỷ lệ (%)"),
in a unit column ("ĐVT"), in the row label ("Dân số (người)") or in the caption ("Đơn vị tính: tỷ
đồng") is written after each bare number. Digits are never touched: "348,5" and "4.985" stay as
the source wrote them.

Conventions, one each:
- header rows are joined per column from general to specific: "Năm 2025 › Kế hoạch";
- group labels (a cell merged down over several rows, or a section row spanning the table) come
  before the row's own label: "Kinh tế › Tổng thu ngân sách";
- label and values are separated by " — ", values by "; ", each value as "header: value unit".

Merged cells reach `table_blocks` as `Spanned` strings: the merged text repeated in every grid
position the merge covers, flagged `down` (continues the cell above) or `across` (continues the
cell to the left). `html_grid` and `docx_grid` produce them; other readers may too.

Nothing is dropped: the caption and title rows become caption blocks, every value goes out with its
headers, and a one-column or layout table gives its cells as paragraphs. Only the headers of the
label, "STT" and "ĐVT" columns are not repeated when they are generic ("Chỉ tiêu", "STT", "ĐVT"):
the row's shape says what they said.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from app.ingest.blocks import Block

__all__ = [
    "Spanned",
    "caption_unit",
    "docx_grid",
    "header_like",
    "header_rows",
    "html_grid",
    "is_unit",
    "split_unit",
    "table_blocks",
]


class Spanned(str):
    """A merged cell's text, repeated in a grid position the merge covers: `down` when it continues
    the cell above (a group label spanning rows), `across` when it continues the cell to its left
    (a header spanning columns). Knowing this, and not guessing it from repeated text, is what lets
    a header apply to every column it spans and a group label prefix every row it spans."""

    down: bool
    across: bool

    def __new__(cls, text: str, *, down: bool = False, across: bool = False) -> Spanned:
        obj = super().__new__(cls, text)
        obj.down = down
        obj.across = across
        return obj


_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2007\u202f\u200b\ufeff]+")


def _cell(value: object) -> str:
    """A cell's text: spaces collapsed within each line, empty lines gone; a `Spanned` stays one."""
    if value is None:
        return ""
    lines = (_SPACES.sub(" ", ln).strip() for ln in str(value).replace("\r\n", "\n").split("\n"))
    text = "\n".join(ln for ln in lines if ln)
    if isinstance(value, Spanned):
        return Spanned(text, down=value.down, across=value.across)
    return text


def _line(text: str) -> str:
    """A cell's lines as one: "Triệu đồng/người/" + "năm" wrapped after a slash joins without a space."""
    return text.replace("/\n", "/").replace("\n", " ")


def _down(text: str) -> bool:
    return isinstance(text, Spanned) and text.down


def _across(text: str) -> bool:
    return isinstance(text, Spanned) and text.across


# --- what a cell holds ----------------------------------------------------------------------------

_NUM = r"[+\-−]?(?:\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,]\d+)?"
_BARE_NUMBER = re.compile(_NUM)  # fullmatch: a figure with nothing after it, which can take a unit
# A figure, maybe with a short unit ("12.000 người", "109,4%", "(12,5)"): data, not a header.
_DATA = re.compile(rf"\(?{_NUM}\)?\s*[%‰]?(?:\s+\S+){{0,2}}")
# Column headers, not figures: years ("2024 | 2025") and periods ("6 tháng", "9 tháng đầu năm").
_YEAR = re.compile(r"(?:19|20)\d{2}|\d{1,2}\s+(?:tháng|quý|năm)(?:\s.*)?", re.IGNORECASE)
_NUMBERING = re.compile(r"\(?(?:[A-Za-z]|\d{1,2})\)?(?:\s*=\s*\S.*)?")  # "A | B | (1) | (2) | (3)=(2)/(1)"
_STT_HEAD = re.compile(r"(?:s[ốo]\s*)?(?:stt|tt|th[ứu]\s*t[ựu])\.?|no\.?|#", re.IGNORECASE)
_STT_VALUE = re.compile(r"(?:\d{1,3}(?:\.\d{1,2}){0,2}|[IVXLC]{1,6}|[A-Za-zđ])[.)]?")
_SECTION_STT = re.compile(r"(?:[IVXLC]{1,6}|[A-Z])[.)]?")  # "I", "II", "A": a section, not a row
# A label column headed like this says nothing the label does not ("Chỉ tiêu: Tổng thu"); any other
# header ("Phường", "Tên dự án", "Năm") tells what the label is, so it goes with it: "Phường: Quy Nhơn".
_GENERIC_LABEL = re.compile(
    r"$|(?:tên\s+|các\s+)*(?:chỉ tiêu|nội dung|danh mục|hạng mục|khoản mục|mục|diễn giải|tiêu chí|"
    r"công việc|nhiệm vụ)\b",
    re.IGNORECASE,
)
_UNIT_COLUMN = re.compile(r"đvt|đ\.\s?v\.\s?t\.?|đơn vị tính|đơn vị đo|đơn vị", re.IGNORECASE)
_LAYOUT = re.compile(
    r"c[ộo]ng h(?:òa|oà) xã hội chủ nghĩa|độc lập\s*[-–—]\s*tự do|nơi nhận\s*:|^(?:TM|KT|Q)\.\s",
    re.IGNORECASE | re.MULTILINE,
)

_UNIT_WORDS = frozenset(
    """% ‰ đồng đ vnđ vnd usd eur tỷ triệu nghìn ngàn trđ tr.đ tấn tạ yến kg g ha héc-ta km m m2 m²
    m3 m³ km2 km² cm mm lít kwh mw kw người hộ lượt khách con cái chiếc giường trường lớp phòng
    tháng ngày năm giờ căn nhà vụ lần điểm xã phường thôn tổ bộ gói suất thẻ cây tuyến cuộc trẻ""".split()
) | frozenset(
    {"lượt người", "lượt khách", "giường bệnh", "doanh nghiệp", "hợp tác xã", "lao động", "học sinh",
     "cơ sở", "dự án", "công trình", "hồ sơ", "văn bản", "chỉ tiêu", "cán bộ", "đảng viên", "hội viên",
     "thành viên", "học viên", "sinh viên", "giáo viên", "bác sĩ", "căn hộ", "km đường"}
)  # fmt: skip
_MULTIPLIER = re.compile(r"^(?:nghìn|ngàn|triệu|tỷ|trăm|1[.,]?000|10[.,]?000)\s+", re.IGNORECASE)


def is_unit(text: str) -> bool:
    """A unit of measure ("tỷ đồng", "%", "người/km²"), not a qualifier like "(ước)" or "(điều chỉnh)"."""
    t = text.strip().lower()
    if not t or len(t) > 30:
        return False
    return all(_MULTIPLIER.sub("", p.strip()) in _UNIT_WORDS for p in t.split("/"))


_EXPLICIT_UNIT = r"(?:đvt|đ\.\s?v\.\s?t\.?|đơn vị tính|đơn vị)"
_UNIT_IN_BRACKETS = re.compile(rf"\s*[(\[]\s*{_EXPLICIT_UNIT}\s*[:.]?\s*([^)\]]+?)\s*[)\]]", re.IGNORECASE)
_UNIT_AFTER_LABEL = re.compile(rf"(?:^|[\s,;–-]+){_EXPLICIT_UNIT}\s*:\s*(.+)$", re.IGNORECASE)
_TRAILING_BRACKETS = re.compile(r"\s*\(([^()]+)\)\s*$")
_TRAILING_COMMA_PART = re.compile(r"\s*,\s*([^,]+)$")
_CAPTION_UNIT = re.compile(rf"{_EXPLICIT_UNIT}\s*[:.]\s*([^)\];\n]+)", re.IGNORECASE)


def split_unit(header: str) -> tuple[str, str | None]:
    """ "Thực hiện (tỷ đồng)" -> ("Thực hiện", "tỷ đồng"); "Tỷ lệ %" -> ("Tỷ lệ", "%");
    "Giá trị - ĐVT: triệu đồng" -> ("Giá trị", "triệu đồng"); "Kế hoạch (ước)" -> unchanged."""
    head = header.strip()
    if m := _UNIT_IN_BRACKETS.search(head):
        return _tidy(head[: m.start()] + head[m.end() :]), m[1].strip()
    if m := _UNIT_AFTER_LABEL.search(head):
        return _tidy(head[: m.start()]), m[1].strip().rstrip(".")
    if (m := _TRAILING_BRACKETS.search(head)) and is_unit(m[1]):
        return _tidy(head[: m.start()]), m[1].strip()
    if (m := _TRAILING_COMMA_PART.search(head)) and is_unit(m[1]):
        return _tidy(head[: m.start()]), m[1].strip()
    if head.endswith(("%", "‰")) and (len(head) == 1 or not head[-2].isdigit()):
        return _tidy(head[:-1]), head[-1]
    return head, None


def _tidy(text: str) -> str:
    return _SPACES.sub(" ", text).strip(" ,;:-–")


def caption_unit(captions: Sequence[str]) -> str | None:
    """The unit a caption declares for the whole table: "(Đơn vị tính: tỷ đồng)" -> "tỷ đồng"."""
    for caption in captions:
        for m in _CAPTION_UNIT.finditer(caption):
            unit = m[1].strip().rstrip(".").strip()
            if unit and len(unit) <= 30:
                return unit
    return None


def _with_unit(value: str, unit: str | None) -> str:
    if not unit or not _BARE_NUMBER.fullmatch(value):
        return value
    return f"{value}{unit}" if unit in ("%", "‰") else f"{value} {unit}"


def _is_data(text: str) -> bool:
    return bool(_DATA.fullmatch(text)) and not _YEAR.fullmatch(text)


def header_like(row: Sequence[str]) -> bool:
    """Mostly words, few figures: what a header row (or a title row) looks like."""
    cells = [_line(c) for c in row if c and not _across(c)]  # a header spanning columns counts once
    return bool(cells) and sum(map(_is_data, cells)) < 0.4 * len(cells)


def _mostly_data(values: Sequence[str]) -> bool:
    cells = [_line(v) for v in values if v]
    return bool(cells) and sum(map(_is_data, cells)) >= 0.5 * len(cells)


def _is_numbering(row: Sequence[str]) -> bool:
    """The "A | B | 1 | 2 | 3=2/1" row under a Vietnamese table header that numbers its columns:
    every column numbered, letters and figures each counting up by one. Only then is a row left
    out as structure, so a data row is never mistaken for it."""
    if len(row) < 3 or not all(c and _NUMBERING.fullmatch(c) for c in row):
        return False
    keys = [re.match(r"\(?([A-Za-z]|\d+)", c)[1] for c in row]  # type: ignore[index]
    numbers = [int(k) for k in keys if k.isdigit()]
    letters = [ord(k.upper()) for k in keys if not k.isdigit()]
    return all(b == a + 1 for a, b in itertools.pairwise(numbers)) and all(
        b == a + 1 for a, b in itertools.pairwise(letters)
    )


def _spans_across(row: Sequence[str]) -> bool:
    if any(_across(c) for c in row):
        return True
    return any(row[j] and row[j] == row[j - 1] and not _down(row[j]) for j in range(1, len(row)))


def _has_group_merges(body: Sequence[Sequence[str]], col: int) -> bool:
    if any(_down(r[col]) for r in body):
        return True
    return any(body[i][col] and body[i][col] == body[i - 1][col] for i in range(1, len(body)))


def _is_layout(rows: Sequence[Sequence[str]]) -> bool:
    """One column, one cell, or the national-motto / signature blocks official letters lay out as a
    table: text to read as paragraphs, not a grid of values."""
    if len(rows[0]) == 1:
        return True
    origins = {c for r in rows for c in r if c and not isinstance(c, Spanned)}
    if len(origins) <= 1:
        return True
    return len(rows) <= 4 and any(_LAYOUT.search(c) for c in origins)


def _header_rows(rows: Sequence[Sequence[str]]) -> int:
    """How many leading rows are header: the first if it is mostly words; more while each is mostly
    words and merges tie it to the row above (a header spanning columns needs sub-headers below),
    at most 4, and the column-numbering row if there is one. At least one body row is left."""
    if len(rows) < 2 or not header_like(rows[0]):
        return 0
    n = 1
    while n < min(len(rows) - 1, 4):
        row = rows[n]
        if _is_numbering(row):
            return n + 1
        if not header_like(row) or _section_like(row):
            break
        if not (_spans_across(rows[n - 1]) or _spans_across(row) or any(_down(c) for c in row)):
            break
        n += 1
    return n


def _section_like(row: Sequence[str]) -> bool:
    """One text merged across most of the row ("A | KINH TẾ" over the whole width): a section of
    the body, not a header row."""
    origins = {c for c in row if c and not _across(c)}
    return len(origins) <= 2 and sum(map(_across, row)) >= len(row) / 2


def _fill_header_gaps(rows: list[list[str]]) -> None:
    """Merges a grid did not mark (pdfplumber finds a cell behind a merged header when the rules
    are drawn per cell): in a two-row header, an empty top cell between a header and sub-headers
    continues the header to its left ("Năm 2025" over "Kế hoạch | Thực hiện"), and an empty cell
    under a header that then spans both rows continues it down ("Chỉ tiêu")."""
    if len(rows) < 3 or not header_like(rows[0]) or not header_like(rows[1]) or _section_like(rows[1]):
        return
    top, sub = rows[0], rows[1]
    for j in range(1, len(top)):
        if not top[j] and sub[j] and top[j - 1] and sub[j - 1]:
            top[j] = Spanned(top[j - 1], across=True)
    if any(map(_across, top)):
        for j, cell in enumerate(top):
            if cell and not sub[j] and not _across(cell):
                sub[j] = Spanned(cell, down=True)


def _dedupe(parts: Sequence[str]) -> list[str]:
    """Drop empty parts and a part equal to the one before it (a merge seen twice)."""
    out: list[str] = []
    for p in parts:
        if p and (not out or out[-1] != p):
            out.append(p)
    return out


def _numbered(stt: str, label: str) -> str:
    """The STT before the label, as the document would write it: "1. Tổng thu", "I. Kinh tế"."""
    if not label or re.match(rf"{re.escape(stt)}[.):\s]", label):
        return label or stt
    return f"{stt} {label}" if stt[-1] in ".)" or "." in stt else f"{stt}. {label}"


def _normalise(grid: Sequence[Sequence[str | None]]) -> list[list[str]]:
    """Cell texts cleaned, empty rows and columns gone, every row as wide as the widest."""
    rows = [[_cell(c) for c in r] for r in grid]
    rows = [r for r in rows if any(r)]
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    used = [c for c in range(width) if any(r[c] for r in rows)]
    return [[r[c] for c in used] for r in rows]


def _title_rows(rows: Sequence[Sequence[str]]) -> int:
    """Leading rows holding one text (a title merged across the table), with a header and a row
    still below them."""
    n = 0
    while len(rows) - n >= 3 and len(rows[n]) > 1 and len({c for c in rows[n] if c}) == 1:
        n += 1
    return n


def header_rows(grid: Sequence[Sequence[str | None]]) -> list[list[str | None]]:
    """The grid's leading title and header rows, as given: what a table continued on the next
    page (without its header) needs in front of its rows to be read the same way."""
    given = [list(r) for r in grid if any(_cell(c) for c in r)]
    rows = _normalise(grid)
    if not rows or _is_layout(rows):
        return []
    titles = _title_rows(rows)
    body = rows[titles:]
    if len(body) < 2:
        return []
    _fill_header_gaps(body)
    return given[: titles + _header_rows(body)]


def table_blocks(
    grid: Sequence[Sequence[str | None]],
    table: int,
    caption: str | None = None,
    page: int | None = None,
    *,
    first_row: int = 1,
    unit: str | None = None,
    carry: dict[str, str] | None = None,
) -> list[Block]:
    """Caption blocks (the caption, then any title rows), then one row block per data row. Each
    line of a multi-line `caption` is its own caption block. `first_row` numbers the first data
    row: a table continued on the next PDF page goes on counting. `unit` applies where nothing
    nearer (caption, column, row) gives one: that continued table's caption unit. `carry`, if
    given, holds the section the table ends in ({"section": "A. KINH TẾ"}) and the one it starts in,
    so its rows on the next page still carry it."""
    rows = _normalise(grid)
    width = len(rows[0]) if rows else 0
    captions = [ln for ln in _cell(caption).split("\n") if ln]

    def block(text: str, kind: str = "row", row: int | None = None) -> Block:
        return Block(text, kind, page=page, table=table, row=row)  # type: ignore[arg-type]

    if not rows:
        return [block(c, "caption") for c in captions]
    if _is_layout(rows):
        out = [Block(c, page=page) for c in captions]
        for r in rows:
            for c in r:
                if c and not isinstance(c, Spanned):
                    out.extend(Block(ln, page=page) for ln in c.split("\n"))
        return out

    titles = _title_rows(rows)
    captions += [_line(next(c for c in r if c)) for r in rows[:titles]]
    rows = rows[titles:]
    out = [block(c, "caption") for c in captions]
    if len(rows) == 1:
        return [*out, block(" | ".join(_dedupe([_line(c) for c in rows[0]])), row=first_row)]

    _fill_header_gaps(rows)
    n_header = _header_rows(rows)
    header, body = rows[:n_header], rows[n_header:]
    numbering = n_header >= 2 and _is_numbering(header[-1])
    names: list[str] = []
    units: list[str | None] = []
    for c in range(width):
        split = [
            split_unit(p) for p in _dedupe([_line(r[c]) for r in (header[:-1] if numbering else header)])
        ]
        names.append(" › ".join(n for n, _ in split if n))
        units.append(next((u for _, u in reversed(split) if u), None))

    stt = 0 if width >= 3 and _is_stt(names[0], [r[0] for r in body]) else None
    first = 0 if stt is None else 1
    unit_col = next(
        (c for c in range(first + 1, width) if _is_unit_column(names[c], [r[c] for r in body])), None
    )
    label_cols = [first]
    while (nxt := label_cols[-1] + 1) < width - 1 and nxt != unit_col:
        if not _has_group_merges(body, label_cols[-1]) or _mostly_data([r[nxt] for r in body]):
            break
        label_cols.append(nxt)
    value_cols = [c for c in range(width) if c != stt and c != unit_col and c not in label_cols]
    table_unit = caption_unit(captions) or unit
    label_head = names[label_cols[-1]]
    label_head = "" if _GENERIC_LABEL.match(label_head) else label_head
    # The header line itself, as written ("STT | Chỉ tiêu | ĐVT | Năm 2025 › Kế hoạch"): every word of
    # the table stays in the document even where a row needs none of it.
    heads = _dedupe([" › ".join(_dedupe([_line(r[c]) for r in header if r[c]])) for c in range(width)])
    if n_header and any(heads):
        out.append(block(" | ".join(h for h in heads if h), "header"))

    section = carry.get("section", "") if carry is not None else ""
    n = first_row - 1
    for r in body:
        stt_text = _line(r[stt]) if stt is not None else ""
        labels = [_line(r[c]) for c in label_cols]
        labels[-1] = _numbered(stt_text, labels[-1]) if stt_text else labels[-1]
        merged = {c for i, c in enumerate(r) if c and i != stt}
        full_merge = len(merged) == 1 and any(_across(c) for c in r)  # one text across the row
        row_unit = _line(r[unit_col]) if unit_col is not None and not full_merge else ""
        values = [c for c in value_cols if r[c] and not (full_merge or _continues_label(r, c, value_cols))]
        if not values and not row_unit and (full_merge or _SECTION_STT.fullmatch(stt_text)):
            if full_merge:
                section = _numbered(stt_text, _line(merged.pop())) if stt_text else _line(merged.pop())
            else:
                section = " › ".join(_dedupe(labels))
            n += 1
            out.append(block(section, row=n))  # the section's own line; it also prefixes the rows below
            continue

        label_unit = _label_unit(labels[-1])
        parts: list[tuple[list[str], str]] = []
        unit_used = False
        for c in values:
            value = _line(r[c])
            if _across(r[c]) and parts and c - 1 in values and r[c - 1] == r[c]:
                parts[-1][0].append(names[c])  # one value merged over several columns
                continue
            unit = units[c] or row_unit or label_unit or table_unit
            unit_used |= (
                bool(row_unit)
                and units[c] is None
                and (_BARE_NUMBER.fullmatch(value) is not None or value.endswith(row_unit))
            )
            parts.append(([names[c]], _with_unit(value, unit)))
        if row_unit and not unit_used:
            parts.append(([names[unit_col] if unit_col is not None else ""], row_unit))
        if label_head and labels[-1] and not labels[-1].lower().startswith(label_head.lower()):
            labels[-1] = f"{label_head}: {labels[-1]}"
        label = " › ".join(_dedupe([section, *labels]))
        values_text = "; ".join(
            f"{', '.join(_dedupe(heads))}: {value}" if _dedupe(heads) else value for heads, value in parts
        )
        text = f"{label} — {values_text}" if label and values_text else label or values_text
        if text:
            n += 1
            out.append(block(text, row=n))
    if carry is not None:
        carry["section"] = section
    return out


def _label_unit(label: str) -> str | None:
    """ "Dân số (người)", "Thu ngân sách (ĐVT: tỷ đồng)": a unit the row's own label states."""
    if m := _UNIT_IN_BRACKETS.search(label):
        return m[1].strip()
    if (m := _TRAILING_BRACKETS.search(label)) and is_unit(m[1]):
        return m[1].strip()
    return None


def _continues_label(row: Sequence[str], col: int, value_cols: Sequence[int]) -> bool:
    """A value cell that only repeats a label merged across into it."""
    return _across(row[col]) and col - 1 >= 0 and col - 1 not in value_cols and row[col - 1] == row[col]


def _is_stt(name: str, values: Sequence[str]) -> bool:
    """The "STT" (số thứ tự) column numbering the rows: it numbers the label, it is not a value."""
    if _STT_HEAD.fullmatch(name):
        return True
    filled = [v for v in values if v]
    return not name and len(filled) >= 2 and all(_STT_VALUE.fullmatch(v) for v in filled)


def _is_unit_column(name: str, values: Sequence[str]) -> bool:
    """ "ĐVT" / "Đơn vị tính"; a bare "Đơn vị" only when its cells are units (else it is an agency)."""
    filled = [_line(v) for v in values if v]
    if _UNIT_COLUMN.fullmatch(name):
        return name.lower() != "đơn vị" or sum(map(is_unit, filled)) >= 0.6 * max(len(filled), 1)
    return not name and len(filled) >= 2 and all(map(is_unit, filled))


# --- grids from markup ----------------------------------------------------------------------------

_HTML_BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr",
    "blockquote", "pre", "section", "article", "hr", "caption", "figure", "figcaption", "address",
}  # fmt: skip
_HTML_SKIP_TAGS = {"script", "style", "noscript", "template", "svg"}


def _html_text(node: object) -> str:
    """A cell's text with its own line breaks (<br>, <p>): inline tags ("348,<b>5</b>") do not split."""
    parts: list[str] = []

    def walk(n: object) -> None:
        for child in n.iter(include_text=True):  # type: ignore[attr-defined]
            if child.is_text_node:
                parts.append((child.text_content or "").replace("\n", " "))
                continue
            tag = child.tag
            if tag is None or tag.startswith("-") or tag in _HTML_SKIP_TAGS:
                continue
            if tag == "br":
                parts.append("\n")
            elif tag in ("td", "th"):
                parts.append(" ")
                walk(child)
                parts.append(" ")
            elif tag in _HTML_BLOCK_TAGS:
                parts.append("\n")
                walk(child)
                parts.append("\n")
            else:
                walk(child)

    walk(node)
    return "".join(parts)


def _span(value: str | None, limit: int, *, zero_to_end: bool = False) -> int:
    try:
        n = int((value or "1").strip())
    except ValueError:
        return 1
    if n == 0:  # rowspan="0": to the end of the table; colspan="0" is read as 1, as browsers do
        return limit if zero_to_end else 1
    return max(1, min(n, limit))


def _html_rows(table: object) -> list[object]:
    """This table's own <tr>s (not a nested table's): <thead> first and <tfoot> last, as shown."""
    head: list[object] = []
    body: list[object] = []
    foot: list[object] = []
    for child in table.iter():  # type: ignore[attr-defined]
        if child.tag == "tr":
            body.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            target = head if child.tag == "thead" else foot if child.tag == "tfoot" else body
            target.extend(tr for tr in child.iter() if tr.tag == "tr")
    return head + body + foot


def html_grid(table: object) -> list[list[str | None]]:
    """An HTML <table> node -> its grid of cell texts, colspan and rowspan expanded into `Spanned`."""
    trs = _html_rows(table)
    grid: list[list[str | None]] = []
    pending: dict[int, tuple[str, int, bool]] = {}  # column -> (text, rows still covered, across)
    for i, tr in enumerate(trs):
        row: list[str | None] = []
        fresh: set[int] = set()

        def take_pending(row: list[str | None] = row, fresh: set[int] = fresh) -> None:
            while len(row) in pending and len(row) not in fresh:
                text, left, across = pending[len(row)]
                if left > 1:
                    pending[len(row)] = (text, left - 1, across)
                else:
                    del pending[len(row)]
                row.append(Spanned(text, down=True, across=across))

        for cell in (c for c in tr.iter() if c.tag in ("td", "th")):  # type: ignore[attr-defined]
            take_pending()
            text = _cell(_html_text(cell))
            colspan = _span(cell.attributes.get("colspan"), 1000)
            rowspan = _span(cell.attributes.get("rowspan"), len(trs) - i, zero_to_end=True)
            for k in range(colspan):
                if rowspan > 1:
                    pending[len(row)] = (text, rowspan - 1, k > 0)
                    fresh.add(len(row))
                row.append(text if k == 0 else Spanned(text, across=True))
        for col in sorted(c for c in pending if c >= len(row) and c not in fresh):
            row.extend([""] * (col - len(row)))
            take_pending()
        grid.append(row)
    return grid


def _docx_text(cell: object) -> str:
    """A Word cell's paragraphs, and any table nested in it (row by row), so nothing is lost."""
    from docx.table import Table

    lines: list[str] = []
    for item in cell.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(item, Table):
            for r in item.rows:
                lines.append(" | ".join(_dedupe([_line(_cell(_docx_text(c))) for c in r.cells])))
        else:
            lines.append(item.text)
    return "\n".join(lines)


def docx_grid(table: object) -> list[list[str | None]]:
    """A python-docx Table -> its grid. python-docx repeats a merged cell in every position it
    covers; the repeats are marked `Spanned` (same <w:tc> as the cell left of or above them)."""
    grid: list[list[str | None]] = []
    above: list[object] = []  # the row above's <w:tc>s, kept referenced so lxml keeps their identity
    for row in table.rows:  # type: ignore[attr-defined]
        before = getattr(row, "grid_cols_before", 0) or 0
        tcs: list[object] = [None] * before
        texts: list[str | None] = [""] * before
        for cell in row.cells:
            tc, col = cell._tc, len(tcs)
            across = col > 0 and tcs[-1] is tc
            down = col < len(above) and above[col] is tc
            if across or down:
                text = texts[-1] if across else grid[-1][col]
                texts.append(Spanned(text or "", down=down, across=across))
            else:
                texts.append(_cell(_docx_text(cell)))
            tcs.append(tc)
        grid.append(texts)
        above = tcs
    return grid
