"""A figure must be the figure of what was asked, not merely a figure its passage holds.

"Kết nạp bao nhiêu đảng viên mới?" asks for a count of "đảng viên mới": the clause that states the
figure must name what it counts, or the figure answers another question ("20/21 chỉ tiêu"). Used to
score extractive candidates and to check each figure of an LLM answer against its cited passage.
"""

from __future__ import annotations

import re

from app.ground.kind import Kind, is_answer_figure
from app.ingest.localities import find_localities, split_locality
from app.text import match_words
from app.text.numbers import Quantity, extract_quantities, figure_in_text

_CLAUSE = re.compile(r"[;\n]\s*|(?<=[.!?])\s+")


def phrase(text: str) -> str:
    """Folded words, space-bounded, for looking up what a clause counts; a place's name is masked,
    since what is counted is never in it: folded, "xã Tân Thành" holds "tan", as "tấn" does."""
    seq = f" {' '.join(match_words(text, True))} "
    for place in find_localities(text):
        name = match_words(split_locality(place)[1], True)
        if name:
            seq = seq.replace(f" {' '.join(name)} ", f" {' '.join('·' * len(name))} ")
    return seq


def counts_asked(
    asked: tuple[str, ...], folded_seq: str, quantities: tuple[Quantity, ...] | list[Quantity]
) -> bool:
    """Whether a clause (its folded words and figures) counts what "bao nhiêu X" asks: the first two
    words of X as a phrase ("hộ cận nghèo" is not "hộ nghèo"), the rest anywhere, and a count (a
    percentage is not a head count)."""
    if not asked:
        return True
    if not any(is_answer_figure(q, "figure") and q.kind != "percent" for q in quantities):
        return False
    head, rest = asked[:2], asked[2:]
    return f" {' '.join(head)} " in folded_seq and all(f" {w} " in folded_seq for w in rest)


def asked_gap(asked: tuple[str, ...], folded_seq: str, quantities: tuple[Quantity, ...]) -> float:
    """0 when the clause counts what was asked; 0.5 when a count is followed by the asked head noun
    but not by the rest ("326 hộ" for "bao nhiêu hộ dân"); 1 when it counts something else."""
    if counts_asked(asked, folded_seq, quantities):
        return 0.0
    counts = [q for q in quantities if is_answer_figure(q, "figure") and q.kind != "percent"]
    words = folded_seq.split()
    for q in counts:  # "326 hộ": the head noun is the figure's unit, or the word right after it
        said = match_words(q.text, True)
        head = len(said) if said[-1] == asked[0] else len(said) + 1
        for i in range(len(words) - len(said) + 1):
            if words[i : i + len(said)] != said or (
                head > len(said) and words[i + len(said) : i + head] != [asked[0]]
            ):
                continue
            after = words[i + head] if i + head < len(words) else None
            # "21/21 hộ nghèo" for "hộ cận nghèo": the head qualified by the asked words in another
            # order counts a sibling category; "326 hộ với ..." counts the head unqualified.
            if after is None or after not in asked[1:]:
                return 0.5
    return 1.0


def figure_answers(q: Quantity, passage_text: str, kind: Kind, asked: tuple[str, ...]) -> bool:
    """Whether figure `q`, as its passage states it, is of the kind asked and counts what was asked:
    some clause of the passage holding it must do both."""
    if kind not in ("figure", "money", "percent", "when"):
        return True
    for clause in _CLAUSE.split(passage_text):
        if not figure_in_text(q, clause):
            continue
        quantities = extract_quantities(clause)
        held = [p for p in quantities if figure_in_text(p, q.text)] or quantities
        if not any(is_answer_figure(p, kind) for p in held):
            continue
        if kind == "figure" and not counts_asked(asked, phrase(clause), held):
            continue
        return True
    return False
