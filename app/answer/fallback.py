"""When the extractive answer replaces the model's: the whole policy, in one place.

The model's answer is used when it arrived and passed its checks. The extractive answer is used
when the model failed (fault, stall, open breaker, an answer that failed its checks after a repair),
and also when the model said the documents do not answer but a passage verifiably does: the checked
extractive answer beats a wrong "the documents do not say".
"""

from __future__ import annotations

from app.answer.base import Draft


def use_extractive(model: Draft | None, extractive: Draft | None) -> tuple[bool, str | None]:
    """Whether to answer with `extractive` instead of `model`, and why (None: no reason to give).
    `extractive` is only computed when `model` is missing or abstained (pass None otherwise)."""
    if model is None:
        return True, None
    if model.abstained and extractive is not None and not extractive.abstained:
        return True, "the LLM found no answer, but a passage answers the question"
    return False, None
