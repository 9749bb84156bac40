"""What a figure in a passage is the figure of: the words that label it.

A sentence often holds several figures ("tổng thu ngân sách là 348,5 tỷ đồng, đạt 109,4% dự toán";
a table row "Tổng thu — Thực hiện 2024: 286,4; Năm 2025 › Thực hiện: 318,6"). Each is labelled by the
words since the figure before it in its clause, the few words right after it, and what it counts
(its unit); in a table row also by the row's label (before " — "), which every value of the row
shares. A figure stated for a question is bound to it when its label holds the question's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.chunk import split_sentences
from app.ground.kind import Kind, is_answer_figure
from app.text import match_words
from app.text.numbers import Quantity, extract_quantities, quantities_match

_CLAUSE = re.compile(r";\s+")
_ROW = " — "


def words(text: str, written: bool) -> set[str]:
    """Words as a question is compared: as written (lower case) when it has diacritics, so "bình
    quân" is not "Hòa Bình"; folded when it was typed without them."""
    return {w.lower() for w in match_words(text, not written)}


def label(clause: str, q: Quantity, previous_end: int, written: bool, row: str = "") -> set[str]:
    """The words that say what figure `q` of `clause` is (see the module docstring). `row`: the table
    row's label, when the clause is a row's value."""
    head = clause[previous_end : q.start]
    if _ROW in head:
        head = head.rsplit(_ROW, 1)[1]
    tail = re.split(r"[,;.:(]", clause[q.end : q.end + 60], maxsplit=1)[0]
    unit = words(q.unit or "", written)  # "4.985 đảng viên": what it counts says what it is
    out = words(head, written) | {w.lower() for w in match_words(tail, not written)[:6]} | unit
    return out | words(row, written)


def labelled(sentence: str, written: bool, with_row: bool = True) -> Iterator[tuple[Quantity, set[str]]]:
    """Each figure of a sentence (not its years, periods or dates, which label the next figure:
    "giai đoạn 2026 - 2030 là 4,2 tỷ đồng") with its label; offsets within the sentence."""
    row = sentence.split(_ROW, 1)[0] if with_row and _ROW in sentence else ""
    offset = 0
    for clause in _CLAUSE.split(sentence):
        offset = sentence.find(clause, offset)
        previous = 0
        for q in extract_quantities(clause):
            if q.kind in ("year", "date") or q.period:
                continue
            yield (
                Quantity(
                    q.text, offset + q.start, offset + q.end, q.kind, q.value, q.high, q.denominator, q.unit
                ),
                label(clause, q, previous, written, row),
            )
            previous = q.end


_ITEM = re.compile(r"^\s*(?:[a-zđA-ZĐ0-9]{1,2}[.)]|[-–•+*])\s+")


def bound_elsewhere(
    q: Quantity,
    passage: str,
    terms: set[str],
    kind: Kind,
    written: bool,
    rivals: tuple[str, ...] = (),
    counting: bool = False,
) -> bool:
    """Whether another figure of the kind asked is labelled with at least two more of the question's
    words than figure `q` is, or with all of its and more, where the passage states it: `q` is then
    the passage's figure of something else ("8,26%" of "tổng giá trị sản phẩm" for "tỷ lệ thu gom
    rác thải"). A figure of a list item ("b) Giỏi: từ 3,20 đến 3,59") is weighed against its own item
    only: the words that say what the list is of stand in its lead-in, not next to each item's."""
    sentences = [passage[s:e] for s, e in split_sentences(passage, len(passage) + 1)]
    figures = [[(p, frozenset(w & terms)) for p, w in labelled(text, written)] for text in sentences]

    def same(p: Quantity) -> bool:
        return quantities_match(p, q) or p.text == q.text

    holding = [i for i, fs in enumerate(figures) if any(same(p) for p, _ in fs)]
    if not holding:
        return False
    mine = max((hit for i in holding for p, hit in figures[i] if same(p)), key=len)
    items = all(_ITEM.match(sentences[i]) for i in holding)
    weighed = holding if items else range(len(sentences))

    def rival(p: Quantity) -> bool:  # of the kind asked; for "bao nhiêu X", a count (not a rate)
        return is_answer_figure(p, kind) and not (counting and p.kind == "percent")

    others = [hit for i in weighed for p, hit in figures[i] if not same(p) and rival(p)]
    if not items:  # the other passages the answer could have cited (of the place asked) compete too
        for text in rivals:
            for s, e in split_sentences(text, len(text) + 1):
                others += [frozenset(w & terms) for p, w in labelled(text[s:e], written) if rival(p)]
    # Another figure carries two more of the question's words, or every one this one carries and
    # more ("TỔNG THU … dự toán: 107,2%" against "TỔNG CHI … dự toán: 103,7%" for "tổng thu").
    return any(len(hit) >= len(mine) + 2 or hit > mine for hit in others)


def labelled_years(q: Quantity, passage: str, written: bool) -> set[int] | None:
    """The years in figure `q`'s label where the passage states it ("Thực hiện 2024: 286,4" -> 2024),
    over every place it is stated; None when the passage does not state it."""
    found: set[int] | None = None
    for s, e in split_sentences(passage, len(passage) + 1):
        for p, w in labelled(passage[s:e], written):
            if quantities_match(p, q) or p.text == q.text:
                found = (found or set()) | {int(x) for x in w if re.fullmatch(r"(?:1[0-9]|20)\d\d", x)}
    return found
