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
    tail = re.split(r"[,;.:(]", clause[q.end : q.end + 40], maxsplit=1)[0]
    unit = words(q.unit or "", written)  # "4.985 đảng viên": what it counts says what it is
    out = words(head, written) | {w.lower() for w in match_words(tail, not written)[:3]} | unit
    return out | words(row, written)


def labelled(sentence: str, written: bool, with_row: bool = True) -> Iterator[tuple[Quantity, set[str]]]:
    """Each figure of a sentence (not its years or dates, which label the next figure) with its label;
    offsets within the sentence."""
    row = sentence.split(_ROW, 1)[0] if with_row and _ROW in sentence else ""
    offset = 0
    for clause in _CLAUSE.split(sentence):
        offset = sentence.find(clause, offset)
        previous = 0
        for q in extract_quantities(clause):
            if q.kind in ("year", "date"):
                continue
            yield (
                Quantity(
                    q.text, offset + q.start, offset + q.end, q.kind, q.value, q.high, q.denominator, q.unit
                ),
                label(clause, q, previous, written, row),
            )
            previous = q.end


def bound_elsewhere(q: Quantity, passage: str, terms: set[str], kind: Kind, written: bool) -> bool:
    """Whether figure `q`, as the passage states it, is labelled with none of the question's words
    while another figure of the kind asked is labelled with two or more of them: the passage's
    figure of something else ("8,26%" of "tổng giá trị sản phẩm" for "tỷ lệ thu gom rác thải")."""
    mine, others = 0, 0
    found = False
    for s, e in split_sentences(passage, len(passage) + 1):
        for p, words_ in labelled(passage[s:e], written):
            score = len(words_ & terms)
            if quantities_match(p, q) or p.text == q.text:
                found = True
                mine = max(mine, score)
            elif is_answer_figure(p, kind):
                others = max(others, score)
    return found and mine == 0 and others >= 2
