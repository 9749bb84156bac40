"""The question log over HTTP: every answer has an id, feedback lands on it, staff see what was asked
and the abstained questions grouped as content gaps; no address is kept; it can be switched off."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from app.config import Settings
from app.serve.server import running_app

# Other tests serve the session's seed index in place: leave its collections, keys and questions behind.
FRESH = shutil.ignore_patterns("access.sqlite*", "questions.sqlite*", "collections")

KEY = "question-log-root"
ROOT = {"X-API-Key": KEY}
ANSWERED = "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?"
MISSING = ("Lịch tiêm chủng mở rộng của phường Hoà Bình?", "lịch tiêm chủng mở rộng của phường Hòa Bình")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, seed_index: Settings) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("questions")
    shutil.copytree(seed_index.INDEX_DIR, root / "index", ignore=FRESH)
    settings = seed_index.model_copy(update={"INDEX_DIR": root / "index", "ADMIN_API_KEY": SecretStr(KEY)})
    with running_app(settings) as base:
        yield base, root / "index"


def test_answers_feedback_questions_and_gaps(service: tuple[str, Path]) -> None:
    base, index = service
    with httpx.Client(base_url=base, timeout=120) as c:
        answered = c.post("/ask", json={"question": ANSWERED}).json()
        assert not answered["abstained"] and len(answered["answer_id"]) == 32
        streamed = c.post("/ask/stream", json={"question": MISSING[0]}).text
        final = json.loads(streamed.split("event: final\ndata: ", 1)[1].split("\n", 1)[0])
        assert final["abstained"] and final["answer_id"]
        chat = {"messages": [{"role": "user", "content": MISSING[1]}]}
        assert c.post("/v1/chat/completions", json=chat, headers=ROOT).json()["answer_id"]

        r = c.post(
            "/feedback", json={"answer_id": answered["answer_id"], "rating": 1, "comment": " Đúng  rồi "}
        )
        assert r.status_code == 201  # `default` is public: no key needed
        assert c.post("/feedback", json={"answer_id": final["answer_id"], "rating": -1}).status_code == 201
        assert c.post("/feedback", json={"answer_id": "0" * 32, "rating": 1}).status_code == 404
        assert c.post("/feedback", json={"answer_id": answered["answer_id"], "rating": 5}).status_code == 422

        assert c.get("/questions").status_code == 401  # what people asked is for staff
        listed = c.get("/questions", headers=ROOT).json()
        assert listed["total"] == 3
        by_question = {q["question"]: q for q in listed["questions"]}
        assert by_question[ANSWERED]["answered"] and by_question[ANSWERED]["rating"] == 1
        assert (
            by_question[ANSWERED]["comment"] == "Đúng rồi" and by_question[ANSWERED]["mode"] == "extractive"
        )
        assert by_question[MISSING[0]]["rating"] == -1 and by_question[MISSING[0]]["latency_ms"] > 0
        abstained = c.get("/questions", params={"abstained": "true"}, headers=ROOT).json()["questions"]
        assert {q["question"] for q in abstained} == set(MISSING)
        gaps = c.get("/collections/default/gaps", headers=ROOT).json()["gaps"]
        assert (
            gaps[0]["count"] == 2 and gaps[0]["normalized"] == "lịch tiêm chủng mở rộng của phường hòa bình"
        )
    raw = b"".join(p.read_bytes() for p in index.glob("questions.sqlite*"))
    assert b"127.0.0.1" not in raw and KEY.encode() not in raw


def test_feedback_on_a_private_collections_answer_needs_its_key(service: tuple[str, Path]) -> None:
    base, _ = service
    with httpx.Client(base_url=base, timeout=120) as c:
        assert c.post("/collections", json={"name": "rieng"}, headers=ROOT).status_code == 201
        key = {
            "X-API-Key": c.post("/collections/rieng/keys", json={"role": "ask"}, headers=ROOT).json()["key"]
        }
        body = c.post("/ask", json={"question": ANSWERED}, headers=key).json()
        assert body["abstained"]  # the collection is empty
        assert c.post("/feedback", json={"answer_id": body["answer_id"], "rating": 1}).status_code == 404
        assert (
            c.post("/feedback", json={"answer_id": body["answer_id"], "rating": 1}, headers=key).status_code
            == 201
        )
        assert (
            c.get("/collections/rieng/questions", headers=key).status_code == 403
        )  # ask keys do not read it
        mine = c.get("/collections/rieng/questions", headers=ROOT).json()["questions"]
        assert [q["question"] for q in mine] == [ANSWERED]
        gaps = c.get("/collections/rieng/gaps", headers=ROOT).json()["gaps"]
        assert [(g["question"], g["count"]) for g in gaps] == [(ANSWERED, 1)]  # each collection its own


def test_the_log_can_be_switched_off(tmp_path: Path, seed_index: Settings) -> None:
    shutil.copytree(seed_index.INDEX_DIR, tmp_path / "index", ignore=FRESH)
    settings = seed_index.model_copy(
        update={"INDEX_DIR": tmp_path / "index", "ADMIN_API_KEY": SecretStr(KEY), "QUESTION_LOG": False}
    )
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=120) as c:
        body = c.post("/ask", json={"question": ANSWERED}).json()
        r = c.post("/feedback", json={"answer_id": body["answer_id"], "rating": 1})
        assert r.status_code == 404 and "QUESTION_LOG" in r.json()["error"]
        assert c.get("/questions", headers=ROOT).status_code == 404
    assert not list((tmp_path / "index").glob("questions.sqlite*"))
