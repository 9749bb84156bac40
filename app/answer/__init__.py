"""Passages -> a draft answer. The extractive answerer is the default; an LLM one joins later."""

from app.answer.base import ABSTAIN_TEXT, Answerer, Draft
from app.answer.extractive import ExtractiveAnswerer

__all__ = ["ABSTAIN_TEXT", "Answerer", "Draft", "ExtractiveAnswerer"]
