"""The app's words and ids as Milvus takes them: each token as an opaque code (so Milvus's analyzer
counts exactly the app's syllables and pairs), a question's tokens, a search's filters as an
expression (only ids `SAFE_ID` allows, so nothing is injected), a text fitted to a VARCHAR."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence

from app.index.lexical import LexicalFilter
from app.index.terms import day_number, folded_tokens, forms

TEXT_MAX = 65_535
SAFE_ID = re.compile(r"[\w.-]{1,512}")  # every doc id the app makes (`app.ingest.doc_id_for`)


def query_tokens(query: str, written: bool) -> tuple[list[str], list[str]]:
    """(exact, folded) tokens of a question, distinct, in order; no exact ones if typed folded."""
    exact, folded = forms(query) if written else ([], folded_tokens(query))
    return list(dict.fromkeys(exact)), list(dict.fromkeys(folded))


def term_code(token: str) -> str:
    """A token as 14 lowercase letters and digits: whatever Milvus's analyzer does, it stays one term."""
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
    return "t" + base64.b32encode(digest).decode("ascii").rstrip("=").lower()


def coded(tokens: Sequence[str]) -> str:
    return " ".join(term_code(t) for t in tokens)


def string_list(values: Sequence[str]) -> str:
    """A list literal of strings already checked against `SAFE_ID`."""
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def fit_text(text: str, limit: int = TEXT_MAX) -> str:
    """Milvus VARCHAR lengths are bytes; codes are ASCII, 15 bytes each with the space."""
    return text if len(text) <= limit else text[: text.rfind(" ", 0, limit)]


def filter_expression(filters: LexicalFilter | None, embedded_only: bool = False) -> str | None:
    """A Milvus expression; None when the filter allows nothing. Milvus Lite has no bound
    parameters, so values are spliced in, and only values that cannot break out of a literal:
    integers, and doc ids of the form every stored doc id has (any other matches nothing)."""
    parts = ["embedded == true"] if embedded_only else []
    if filters is not None:
        if filters.doc_ids is not None:
            ids = [d for d in filters.doc_ids if SAFE_ID.fullmatch(d)]
            if not ids:
                return None
            parts.append(f"doc_id in {string_list(ids)}")
        if filters.date_from or filters.date_to:  # a row without a date (day 0) is excluded
            parts.append(f"day >= {day_number(filters.date_from) if filters.date_from else 1}")
            if filters.date_to:
                parts.append(f"day <= {day_number(filters.date_to)}")
    return " and ".join(parts)
