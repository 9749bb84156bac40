"""The sentence protocol: the model names sentence ids, the service quotes them; what the model
says in its own words is shown only when the quoted sentences say it. Over HTTP, through the real
`openai` client, against the scripted endpoint."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import httpx
import pytest
from conftest import make_settings
from fake_llm import FakeLLM, Reply

from app.answer.sentences import OUTDONE, SHOWN, SentenceAnswerer, _best_sentences, parse_reply
from app.config import Settings
from app.embed import Embedder
from app.serve.server import running_app

QUESTION = "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?"
BUDGET = "348,5 tỷ đồng"


@pytest.mark.parametrize(
    ("reply", "ids", "short"),
    [
        ('{"cau": ["2.3"], "tra_loi": "348,5 tỷ đồng"}', [(2, 3)], "348,5 tỷ đồng"),
        ('Đây là kết quả:\n```json\n{"cau": ["(1.2)", "3.1"], "tra_loi": "x"}\n```', [(1, 2), (3, 1)], "x"),
        ('{"sentences": ["1,4", "1.4"], "answer": "y"}', [(1, 4)], "y"),
        ('{"cau": [], "tra_loi": ""}', [], ""),
    ],
)
def test_replies_are_read_tolerantly(reply: str, ids: list, short: str) -> None:
    assert parse_reply(reply) == (ids, short)


@pytest.mark.parametrize(
    "reply", ["[1]", "[6,5 [1]]", "348,5 tỷ đồng [2]", '{"tra_loi": "348,5"}', "{broken"]
)
def test_what_is_not_the_protocol_is_not_an_answer(reply: str) -> None:
    assert parse_reply(reply) is None


def test_the_short_answer_is_shown_only_when_the_sentences_say_it() -> None:
    said = [["Năm 2025, tổng thu ngân sách là 348,5 tỷ đồng, đạt 109,4% dự toán.", "Chi ngân sách tăng 8%."]]
    write = SentenceAnswerer.write
    assert write(QUESTION, "348,5 tỷ đồng", [(1, 1)], said).startswith("348,5 tỷ đồng: “Năm 2025")
    for claim in ("giảm 348,5 tỷ đồng", "350 tỷ đồng", "[1] [1]", QUESTION):  # a word or figure of its own
        assert write(QUESTION, claim, [(1, 1)], said).startswith("Theo tài liệu: “Năm 2025")
    both = write(QUESTION, "", [(1, 2), (1, 1)], said)
    assert both == f"Theo tài liệu: “{said[0][0]} … {said[0][1]}” [1]"


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as fake:
        yield fake


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, seed_index: Settings, llm: FakeLLM
) -> Iterator[httpx.Client]:
    # A copy: a server opening the session's seed index may save a vector base in it, which other
    # tests' copies would then inherit.
    root = tmp_path_factory.mktemp("sentences")
    shutil.copytree(seed_index.INDEX_DIR, root / "index")
    settings = seed_index.model_copy(
        update={
            "INDEX_DIR": root / "index",
            "LLM_BASE_URL": llm.base_url,
            "LLM_MODEL": "fake",
            "LLM_PROTOCOL": "sentences",
            "LLM_DEADLINE_S": 5.0,
            "LLM_FIRST_TOKEN_TIMEOUT_S": 2.0,
            "LLM_BREAKER_FAILURES": 1000,
        }
    )
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=30) as c:
        yield c


@pytest.fixture(autouse=True)
def _fresh(llm: FakeLLM) -> None:
    llm.reset()


def _sentence_ids(client: httpx.Client, needle: str, question: str = QUESTION) -> tuple[int, int]:
    """(n, k) of the first retrieved sentence holding `needle`, as the prompt numbers them."""
    from app.chunk import split_sentences

    for p in client.post("/search", json={"question": question}).json()["passages"]:
        text = p["text"]
        for k, (s, e) in enumerate(split_sentences(text, len(text) + 1), start=1):
            if needle in text[s:e]:
                return p["rank"], k
    raise AssertionError(f"{needle!r} not retrieved")


def _sentence(client: httpx.Client, n: int, k: int, question: str = QUESTION) -> str:
    from app.chunk import split_sentences

    for p in client.post("/search", json={"question": question}).json()["passages"]:
        if p["rank"] == n:
            text = p["text"]
            s, e = split_sentences(text, len(text) + 1)[k - 1]
            return text[s:e].strip()
    raise AssertionError(f"no passage {n}")


def _ask(client: httpx.Client, question: str = QUESTION) -> dict:
    r = client.post("/ask", json={"question": question})
    assert r.status_code == 200, r.text
    return r.json()


def test_chosen_sentences_are_quoted_with_the_short_answer(client: httpx.Client, llm: FakeLLM) -> None:
    n, k = _sentence_ids(client, BUDGET)
    llm.script(Reply(text=json.dumps({"cau": [f"{n}.{k}"], "tra_loi": BUDGET}, ensure_ascii=False)))
    body = _ask(client)
    assert body["mode"] == "llm" and not body["abstained"], body
    assert body["answer"].startswith(f"{BUDGET}: “") and body["answer"].endswith(f"” [{n}]")
    assert all(f["verified"] for f in body["figures"]) and BUDGET in {f["text"] for f in body["figures"]}
    sent = llm.requests[-1]
    assert sent["response_format"]["type"] == "json_schema"
    assert f"({n}.{k})" in sent["messages"][1]["content"]


def test_another_wards_sentence_is_refused_and_the_extractive_answer_given(
    client: httpx.Client, llm: FakeLLM
) -> None:
    """The sentence of another ward's budget is a real sentence of a real passage: the checks still
    refuse it as the answer about Quy Nhơn."""
    question = "Tổng thu ngân sách phường Quy Nhơn Nam năm 2025 là bao nhiêu?"
    n, k = _sentence_ids(client, BUDGET, question)
    llm.script(Reply(text=json.dumps({"cau": [f"{n}.{k}"], "tra_loi": BUDGET}, ensure_ascii=False)))
    body = _ask(client, question)
    assert body["mode"] == "extractive" and BUDGET not in body["answer"], body
    assert body["fallback_reason"]
    # It was not even offered: the model sees only sentences that could answer for the ward asked
    # (here none, so it is not asked at all).
    assert all(f"({n}.{k})" not in r["messages"][1]["content"] for r in llm.requests)


def test_a_pick_that_was_not_offered_is_dropped_and_the_offered_one_quoted(
    client: httpx.Client, llm: FakeLLM
) -> None:
    n, k = _sentence_ids(client, BUDGET)
    llm.script(Reply(text=json.dumps({"cau": ["9.9", f"{n}.{k}"], "tra_loi": ""}, ensure_ascii=False)))
    body = _ask(client)
    assert body["mode"] == "llm" and body["answer"] == f"Theo tài liệu: “{_sentence(client, n, k)}” [{n}]"


def test_a_name_the_question_says_must_be_in_the_chosen_document(client: httpx.Client, llm: FakeLLM) -> None:
    """ "Đông Thạch" is in no seed document: Quy Nhơn's budget sentence is not its answer."""
    question = "Tổng thu ngân sách của làng Đông Thạch năm 2025 là bao nhiêu?"
    try:
        n, k = _sentence_ids(client, BUDGET, question)
    except AssertionError:
        pytest.skip("the budget sentence is not retrieved for this question")
    llm.script(Reply(text=json.dumps({"cau": [f"{n}.{k}"], "tra_loi": BUDGET}, ensure_ascii=False)))
    body = _ask(client, question)
    assert body["mode"] != "llm" and "names" in body["fallback_reason"], body


@pytest.mark.parametrize("text", ["[1]", "[6,5 [1]]", '{"cau": ["9.9"], "tra_loi": "348,5 tỷ đồng"}'])
def test_a_reply_that_is_no_answer_is_never_shown(client: httpx.Client, llm: FakeLLM, text: str) -> None:
    llm.script(Reply(text=text))
    body = _ask(client)
    assert body["mode"] == "extractive" and BUDGET in body["answer"] and text not in body["answer"]


def test_an_empty_choice_abstains_but_a_passage_that_answers_is_quoted(
    client: httpx.Client, llm: FakeLLM
) -> None:
    llm.script(Reply(text='{"cau": [], "tra_loi": ""}'))
    body = _ask(client)
    assert body["mode"] == "extractive" and BUDGET in body["answer"]


def test_an_endpoint_refusing_a_format_is_asked_the_next_way_then_in_plain_text(
    client: httpx.Client, llm: FakeLLM
) -> None:
    n, k = _sentence_ids(client, BUDGET)
    reply = json.dumps({"cau": [f"{n}.{k}"], "tra_loi": BUDGET}, ensure_ascii=False)
    llm.script(
        Reply(mode="status", status=400),
        Reply(mode="status", status=500),
        Reply(text=f"```json\n{reply}\n```"),
    )
    body = _ask(client)
    assert body["mode"] == "llm" and BUDGET in body["answer"], body
    sent = [r.get("response_format", {}).get("type") for r in llm.requests]
    assert sent == ["json_schema", "json_object", None]


def test_for_a_list_the_chosen_sentence_must_convince_the_scorer(client: httpx.Client, llm: FakeLLM) -> None:
    """No figure binds a list to its question: a true sentence about something else is refused, the
    sentence that names the centres is quoted."""
    question = (
        "Phường Quy Nhơn Nam phối hợp phát huy hiệu quả những trung tâm khoa học, công nghệ nào "
        "để trở thành trung tâm KHCN, AI của tỉnh?"
    )
    n, k = _sentence_ids(client, "ICISE", question)
    llm.script(Reply(text=json.dumps({"cau": [f"{n}.{k}"], "tra_loi": ""})))
    right = _ask(client, question)
    assert right["mode"] == "llm" and "ICISE" in right["answer"], right
    other = _sentence_ids(client, "đảng viên", question)
    llm.script(Reply(text=json.dumps({"cau": [f"{other[0]}.{other[1]}"], "tra_loi": ""})))
    wrong = _ask(client, question)
    assert wrong["mode"] == "extractive" and "ICISE" in wrong["answer"], wrong


def test_a_chosen_sentence_must_hold_a_figure_of_what_was_asked() -> None:
    from app.answer.question import analyse
    from app.answer.sentences import _bound
    from app.retrieve import Query

    question = analyse(Query(QUESTION, True, QUESTION), {})
    assert _bound(question, ["Năm 2025, tổng thu ngân sách là 348,5 tỷ đồng, đạt 109,4% dự toán."])
    assert not _bound(question, ["A. KINH TẾ › 3."])  # a number, but of nothing asked


PROCEDURE = """# HƯỚNG DẪN THỦ TỤC ĐĂNG KÝ HỘ KINH DOANH

Ủy ban nhân dân xã Tân Lộc hướng dẫn thủ tục đăng ký hộ kinh doanh như sau.

## 1. Hồ sơ

Người đăng ký hộ kinh doanh nộp các giấy tờ sau:

- Giấy đề nghị đăng ký hộ kinh doanh theo mẫu.
- Bản sao căn cước của chủ hộ kinh doanh.
- Bản sao hợp đồng thuê địa điểm kinh doanh, nếu thuê.

## 2. Thời hạn

Trong 3 ngày làm việc kể từ ngày nhận đủ hồ sơ, Phòng Kinh tế cấp giấy chứng nhận đăng ký hộ kinh doanh.
"""


def test_a_chosen_lead_in_is_quoted_with_its_items(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, llm: FakeLLM
) -> None:
    """The model names the lead-in ("… nộp các giấy tờ sau:"); alone it answers nothing, so the
    answer quotes it with the items it announces, as the extractive answer would."""
    from app.index import ingest_documents
    from app.ingest import load_document

    root = tmp_path_factory.mktemp("procedure")
    (root / "docs").mkdir()
    source = root / "docs" / "ho-kinh-doanh.md"
    source.write_text(PROCEDURE, encoding="utf-8")
    settings = make_settings(
        root,
        LLM_BASE_URL=llm.base_url,
        LLM_MODEL="fake",
        LLM_PROTOCOL="sentences",
        LLM_DEADLINE_S=5.0,
        LLM_BREAKER_FAILURES=1000,
    )
    ingest_documents(settings, embedder, [load_document(source)])
    question = "Đăng ký hộ kinh doanh cần nộp những giấy tờ gì?"
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=30) as c:
        n, k = _sentence_ids(c, "nộp các giấy tờ sau:", question)
        llm.script(Reply(text=json.dumps({"cau": [f"{n}.{k}"], "tra_loi": ""}, ensure_ascii=False)))
        body = _ask(c, question)
    assert body["mode"] == "llm", body
    assert "nộp các giấy tờ sau:" in body["answer"]
    assert "Bản sao căn cước của chủ hộ kinh doanh." in body["answer"], body["answer"]


def test_the_scorers_first_choice_needs_less_when_the_model_chose_it_too(
    seed_index: Settings, embedder: Embedder, llm: FakeLLM
) -> None:
    """With the operating point out of reach, a pick is still used when it is the sentence the scorer
    ranks first and the scorer is at least LLM_AGREE_MIN sure of it; any other pick is refused, and
    LLM_AGREE_MIN=1 refuses both."""
    import asyncio
    from dataclasses import replace

    import numpy as np

    from app.answer.base import Draft
    from app.answer.generative import Unverified
    from app.answer.scoring import Scorer
    from app.models import LLMUsage
    from app.pipeline import Pipeline

    strict = replace(Scorer.load(), threshold=0.999)
    update = {"LLM_BASE_URL": llm.base_url, "LLM_MODEL": "fake", "LLM_PROTOCOL": "sentences"}

    def answer(agree_min: float, ids: list[tuple[int, int]], scorer: Scorer = strict) -> str:
        settings = seed_index.model_copy(update=update | {"LLM_AGREE_MIN": agree_min})
        pipeline = Pipeline.open(settings, embedder, scorer)
        assert isinstance(pipeline.llm, SentenceAnswerer)
        query, passages = pipeline.retrieve(QUESTION, 5, None)
        llm.script(Reply(text=json.dumps({"cau": [f"{n}.{k}" for n, k in ids], "tra_loi": ""})))

        async def drain() -> str:
            out = ""
            try:
                async for item in pipeline.llm.stream(query, passages, LLMUsage(model="fake")):
                    out = item.text if isinstance(item, Draft) else out
            except Unverified as e:
                return f"unverified: {e}"
            finally:
                await pipeline.client.close()
            return out

        return asyncio.run(drain())

    probe = Pipeline.open(seed_index, embedder, strict)
    query, passages = probe.retrieve(QUESTION, 5, None)
    question = probe.answerer.checks.analyse(query)
    usable = [c for c in probe.answerer.candidates(question, passages) if c.reason is None]
    top, confidence = strict.choose(np.array([c.features for c in usable]))
    first = (usable[top].rank + 1, usable[top].index + 1)
    assert confidence >= 0.2, "the seed budget question's first choice is one the scorer is sure of"
    other = next((c.rank + 1, c.index + 1) for c in usable if (c.rank + 1, c.index + 1) != first)

    assert BUDGET in answer(0.2, [first])
    assert answer(0.2, [other]).startswith("unverified: the chosen sentences score")
    assert answer(1.0, [first]).startswith("unverified: the chosen sentences score")

    # With no operating point at all, a pick the scorer is far less sure of than of its own first
    # choice is still refused (most often another indicator's figure), and the first choice is not.
    lax = replace(Scorer.load(), threshold=0.0)
    sentences = {(c.rank + 1, c.index + 1) for c in usable}
    own = {
        ids: lax.choose(np.array([c.features for c in usable if (c.rank + 1, c.index + 1) == ids]))[1]
        for ids in sentences
    }
    shown = _best_sentences(usable, lax, SHOWN)
    outdone = [ids for ids in shown if ids != first and confidence - own[ids] > OUTDONE]
    assert outdone, "the seed budget passages hold sentences the scorer is far less sure of"
    assert BUDGET in answer(1.0, [first], lax)
    assert "the scorer's own choice" in answer(1.0, [outdone[0]], lax)
