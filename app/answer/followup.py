"""Turn a follow-up ("còn năm 2026 thì sao?") into a standalone question, from the turn before it.

Chat clients send the whole conversation; retrieval needs one self-contained question. A short
question that only changes the year or the place is the previous question with that part replaced.
"""

from __future__ import annotations

import re

from app.ingest.localities import find_localities
from app.text import fold, nfc

_FOLLOW_UP = re.compile(r"^(con|the con|vay con|vay|the|va|con ve|con o|con voi|con tai)\b")
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_MAX_WORDS = 8


def standalone(question: str, previous: str | None) -> str:
    question = nfc(question).strip()
    if not previous:
        return question
    folded = fold(question)
    if not (_FOLLOW_UP.match(folded) or len(question.split()) <= 3):
        return question
    if len(question.split()) > _MAX_WORDS:
        return question
    years = [m.group(0) for m in _YEAR.finditer(question)]
    places = find_localities(question)
    result = previous
    if years:
        if _YEAR.search(result):
            result = _YEAR.sub(years[0], result)
        else:
            result = f"{result.rstrip('?. ')} năm {years[0]}?"
    if places:
        old = find_localities(result)
        if old:
            result = re.sub(re.escape(old[0]), places[0], result, count=1, flags=re.IGNORECASE)
        else:
            result = f"{result.rstrip('?. ')} của {places[0]}?"
    return result if (years or places) else question


def conversation_question(user_turns: list[str]) -> str:
    """The standalone form of the last user turn, rewriting each turn against the one before."""
    current: str | None = None
    for turn in user_turns:
        current = standalone(turn, current)
    return current or ""
