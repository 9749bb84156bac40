"""What a route may depend on, typed: the metrics, and the gate (`app.serve.gate`) through which
every collection is reached. Routes read nothing else from `app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.serve.gate import GENERATION_HEADER, Gate, GateDep
from app.serve.metrics import Metrics
from app.serve.question_log import QuestionLog

__all__ = ["GENERATION_HEADER", "Gate", "GateDep", "MetricsDep", "QuestionLogDep"]


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def get_question_log(request: Request) -> QuestionLog | None:
    return getattr(request.app.state, "questions", None)


QuestionLogDep = Annotated[QuestionLog | None, Depends(get_question_log)]
