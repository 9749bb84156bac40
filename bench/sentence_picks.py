"""Model replies of the sentence protocol (`app.answer.sentences`), right and wrong, built from an
eval question and the passages retrieved for it: what bench/checks.py --protocol sentences sends.

In that protocol the model names sentence ids and may add a short answer; the service quotes the
sentences. A right pick names the sentences that state every gold figure or name; a wrong one names
the sentence of a figure that is not the answer (the wrong-figure styles of bench/answer_styles.py),
or the right sentences with a short answer that adds a claim of the model's own. A wrong reply is
rejected when the service does not use it, or uses it without showing the planted error (a short
answer it dropped).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from answer_styles import WRONG_STYLES, Case, invented_figure, invented_name, lower_units, wrong_figures

from app.chunk import split_sentences

RIGHT_PICKS = ("pick", "pick_short", "pick_extra")
# The wrong styles a pick can plant: a citation or a total is not the model's to write here.
WRONG_PICKS = tuple(s for s in WRONG_STYLES if s not in ("wrong_citation", "wrong_total"))


@dataclass(frozen=True)
class Pick:
    style: str
    right: bool
    ids: tuple[tuple[int, int], ...]  # (passage, sentence), 1-based, as the prompt numbers them
    short: str
    plant: str = ""  # for a wrong pick: the text whose showing is the error

    @property
    def text(self) -> str:
        return " ".join(f"({n}.{k})" for n, k in self.ids) + (f" {self.short}" if self.short else "")


def sentence_at(case: Case, n: int, offset: int) -> int | None:
    """The 1-based sentence of passage n holding the character at `offset`."""
    text = case.text(n)
    for k, (start, end) in enumerate(split_sentences(text, len(text) + 1), start=1):
        if start <= offset < end:
            return k
    return None


def _ids(case: Case, places: list[tuple[int, int]]) -> tuple[tuple[int, int], ...] | None:
    out: list[tuple[int, int]] = []
    for n, offset in places:
        k = sentence_at(case, n, offset)
        if k is None:
            return None
        if (n, k) not in out:
            out.append((n, k))
    return tuple(out)


def picks(case: Case) -> Iterator[Pick]:
    facts = case.figures + case.names
    right = _ids(case, [(f.n, f.start) for f in facts])
    if not facts or right is None:
        return
    fills = ", ".join(f.fill for f in facts)
    yield Pick("pick", True, right, "")
    yield Pick("pick_short", True, right, fills)
    n, k = right[0]
    count = len(split_sentences(case.text(n), len(case.text(n)) + 1))
    extra = next(((n, j) for j in (k + 1, k - 1) if 1 <= j <= count and (n, j) not in right), None)
    if extra:
        yield Pick("pick_extra", True, (*right, extra), "")
    if case.figures:
        for style, m, q in wrong_figures(case):
            ids = _ids(case, [(m, q.start)])
            if ids is None or ids[0] in right:
                continue  # the wrong figure's sentence also states the gold: quoting it is right
            said = lower_units(case.text(m)[q.start : q.end])
            yield Pick(style, False, ids, said, said)
        name = invented_name(case)
        yield Pick("invented_name", False, right, f"{fills} do ông {name} báo cáo", name)
        extra_figure = invented_figure(case, case.figures[0])
        yield Pick("extra_claim", False, right, f"{fills}, kế hoạch là {extra_figure}", extra_figure)
