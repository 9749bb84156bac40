"""Sanitising, and properties over all of Unicode (surrogates included) for the text stages that
untrusted input reaches first: the sanitiser, the question field, the number parser, the cleaner and
the chunker. None may raise anything but the documented validation error."""

from __future__ import annotations

import math
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.chunk import chunk_document
from app.ingest import document_from_text
from app.ingest.blocks import Extracted
from app.ingest.clean import clean
from app.ingest.formats.text import line_blocks
from app.serve.schemas import MAX_QUESTION_CHARS, AskRequest
from app.text import lone_surrogate, sanitize
from app.text.numbers import extract_quantities, parse_number

# Every code point, surrogates (category Cs) included: hypothesis leaves them out unless told.
ANY_CHAR = st.characters(exclude_categories=())
# Text the stages are written for, so examples also reach their deeper branches.
VIETNAMESE = st.sampled_from(
    [*"0123456789.,;:/%-–() \n\tăâđêôơưáàảãạếềểễệ", " tỷ đồng", " năm 2025", ". A", "; - "]
)
ANY_TEXT = st.lists(st.one_of(ANY_CHAR, VIETNAMESE), max_size=200).map("".join)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BIDI = "\u202e\u202d\u202a\u2066\u2067\u2068\u2069\u200e\u200f"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
CONTROL = "\x00\x01\x07\x1b\x7f\x85\x9f"


def _unsafe(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return ch in BIDI + ZERO_WIDTH or cat == "Cs" or (cat == "Cc" and ch not in "\t\n\r")


@pytest.mark.parametrize(
    ("raw", "clean_text"),
    [
        ("Tổng thu\x00 ngân sách", "Tổng thu ngân sách"),
        ("ngân\u200b sách\u200d", "ngân sách"),
        ("\u202eabc\u202c", "abc"),
        ("x\u2066y\u2069", "xy"),
        ("Tô\u0309ng", "Tổng"),  # NFD -> NFC
        ("a\ud800b", "ab"),
        ("dòng 1\u2028dòng 2", "dòng 1\ndòng 2"),
        ("giữ\tnguyên\r\ndòng", "giữ\tnguyên\r\ndòng"),
    ],
)
def test_sanitize_examples(raw: str, clean_text: str) -> None:
    assert sanitize(raw) == clean_text


def test_lone_surrogate() -> None:
    assert lone_surrogate("a\udc80") and lone_surrogate("\ud83d") and not lone_surrogate("😀 Tổng")


@PROPERTY
@given(ANY_TEXT)
def test_sanitize_output_is_safe_nfc_and_stable(text: str) -> None:
    out = sanitize(text)
    assert not any(_unsafe(c) for c in out)
    assert unicodedata.is_normalized("NFC", out)
    assert sanitize(out) == out
    out.encode("utf-8")  # never raises: nothing unencodable is left


@PROPERTY
@given(ANY_TEXT)
def test_question_field_is_valid_or_a_validation_error(text: str) -> None:
    try:
        q = AskRequest(question=text).question
    except ValidationError as exc:  # the API's 422
        assert exc.errors()[0]["loc"] == ("question",)
        return
    assert q and q == q.strip() and len(q) <= MAX_QUESTION_CHARS
    assert not any(_unsafe(c) for c in q) and not lone_surrogate(text)


@PROPERTY
@given(ANY_TEXT)
def test_number_parser_never_raises(text: str) -> None:
    value = parse_number(text)
    assert value is None or math.isfinite(value)
    for q in extract_quantities(text):
        assert text[q.start : q.end] == q.text
        assert q.value is None or math.isfinite(q.value)


@PROPERTY
@given(ANY_TEXT)
def test_cleaner_never_raises_and_leaves_no_unsafe_character(text: str) -> None:
    c = clean(Extracted(line_blocks(text), "text"))
    kept = "".join(b.text for b in c.blocks)
    assert not any(_unsafe(ch) for ch in kept + c.title)
    assert c.date is None or len(c.date) == 10
    doc = document_from_text("doc", text)  # and every paragraph's span is exactly its text
    assert all(doc.text[s.start : s.end].strip() for s in doc.spans)


@PROPERTY
@given(ANY_TEXT, st.integers(min_value=200, max_value=900), st.integers(min_value=0, max_value=2))
def test_chunker_never_raises_and_chunks_are_spans(text: str, max_chars: int, overlap: int) -> None:
    doc = document_from_text("doc", text)
    chunks = chunk_document(doc, max_chars, overlap)
    for i, ch in enumerate(chunks):
        assert ch.position == i and ch.text == doc.text[ch.start : ch.end] and ch.text.strip()
    if doc.text.strip():
        assert chunks
