"""A question that names a year or a term is answered only by what is said of that period.

"Năm 2024" is not answered by the 2025 figure, however verbatim. A sentence's period is its own years
if it names any; else the one its paragraph set before it ("Theo báo cáo, năm 2025, ..."); else the
document's date or title.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.text.numbers import extract_quantities


@dataclass(frozen=True)
class TimeMarks:
    years: frozenset[int]
    ranges: frozenset[tuple[int, int]]

    @classmethod
    def of(cls, text: str) -> TimeMarks:
        years: set[int] = set()
        ranges: set[tuple[int, int]] = set()
        for q in extract_quantities(text):
            if q.kind == "year" and q.value:
                years.add(int(q.value))
            elif q.kind == "range" and q.value and q.high and 1900 <= q.value <= 2100 and q.high <= 2100:
                ranges.add((int(q.value), int(q.high)))
            elif q.kind == "date" and q.date and q.date[:4].isdigit():
                years.add(int(q.date[:4]))
        return cls(frozenset(years), frozenset(ranges))

    def __bool__(self) -> bool:
        return bool(self.years or self.ranges)


NO_TIME = TimeMarks(frozenset(), frozenset())


def in_period(
    years: tuple[int, ...],
    ranges: tuple[tuple[int, int], ...],
    own: TimeMarks,
    before: TimeMarks,
    title: TimeMarks,
    doc_date: str | None,
) -> bool:
    """Whether a sentence with these time marks (its own, its paragraph's before it, its document's
    title) speaks of every year and term asked. For a "when" question pass `own=NO_TIME`: the years
    in the sentence are the answer, not its period."""
    for r in ranges:
        if r not in own.ranges | before.ranges | title.ranges:
            return False
    for y in years:
        if own:
            if y not in own.years:
                return False
        elif before.years:
            if y not in before.years:
                return False
        elif not (doc_date and doc_date.startswith(str(y))) and y not in title.years:
            return False
    return True
