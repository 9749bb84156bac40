"""The LLM path end to end: the real app over HTTP, the real `openai` client inside it, and a scripted
OpenAI-compatible endpoint on 127.0.0.1 (tests/fake_llm.py) playing good answers, wrong figures and faults."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from fake_llm import FakeLLM, Reply, closed_port_url

from app.config import Settings
from app.serve.server import running_app

QUESTION = "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?"
DEADLINE = 3.0


def llm_settings(seed_index: Settings, base_url: str, **extra: object) -> Settings:
    values: dict[str, object] = {
        "LLM_BASE_URL": base_url,
        "LLM_MODEL": "fake",
        "LLM_PROTOCOL": "free",  # free-text answers are scripted here; the other: test_sentences.py
        "LLM_CONNECT_TIMEOUT_S": 0.5,
        "LLM_FIRST_TOKEN_TIMEOUT_S": 1.0,
        "LLM_IDLE_TIMEOUT_S": 0.5,
        "LLM_DEADLINE_S": DEADLINE,
        "LLM_RETRIES": 1,
        "LLM_BREAKER_FAILURES": 1000,
        **extra,
    }
    return seed_index.model_copy(update=values)


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as fake:
        yield fake


@pytest.fixture(scope="module")
def client(seed_index: Settings, llm: FakeLLM) -> Iterator[httpx.Client]:
    with (
        running_app(llm_settings(seed_index, llm.base_url)) as base,
        httpx.Client(base_url=base, timeout=30) as c,
    ):
        yield c


@pytest.fixture(autouse=True)
def _fresh(llm: FakeLLM) -> None:
    llm.reset()


def budget_n(client: httpx.Client) -> int:
    """The [n] of the retrieved passage that holds the 2025 budget figure."""
    passages = client.post("/search", json={"question": QUESTION}).json()["passages"]
    return next(p["rank"] for p in passages if "348,5 tỷ đồng" in p["text"])


def ask(client: httpx.Client, question: str = QUESTION) -> tuple[dict, float]:
    t0 = time.monotonic()
    r = client.post("/ask", json={"question": question})
    assert r.status_code == 200, r.text
    return r.json(), time.monotonic() - t0


def test_good_answer_passes_with_citations_and_usage(client: httpx.Client, llm: FakeLLM) -> None:
    n = budget_n(client)
    text = f"Năm 2025, tổng thu ngân sách của phường Quy Nhơn là 348,5 tỷ đồng [{n}]."
    llm.script(Reply(text=text))
    body, _ = ask(client)
    assert body["mode"] == "llm" and body["fallback_reason"] is None and not body["abstained"]
    assert body["answer"] == text
    assert [c["id"] for c in body["citations"]] == [n] and "348,5 tỷ đồng" in body["citations"][0]["text"]
    assert [(f["text"], f["verified"], f["citation"]) for f in body["figures"]] == [
        ("2025", True, n),
        ("348,5 tỷ đồng", True, n),
    ]
    usage = body["llm"]
    assert usage["model"] == "fake" and usage["prompt_tokens"] == 120 and usage["completion_tokens"] == 30
    assert usage["latency_ms"] > 0 and usage["first_token_ms"] is not None and not usage["repaired"]
    sent = llm.requests[-1]
    assert sent["model"] == "fake" and sent["stream"] is True
    system, user = sent["messages"]
    assert system["role"] == "system" and "[1]" in system["content"]
    assert user["content"].count("<tai_lieu ") == 5 and QUESTION in user["content"]


def test_wrong_figure_is_repaired(client: httpx.Client, llm: FakeLLM) -> None:
    n = budget_n(client)
    llm.script(
        Reply(text=f"Tổng thu ngân sách là 384,5 tỷ đồng [{n}]."),
        Reply(text=f"Tổng thu ngân sách là 348,5 tỷ đồng [{n}]."),
    )
    body, _ = ask(client)
    assert body["mode"] == "llm" and body["llm"]["repaired"] is True
    assert "348,5 tỷ đồng" in body["answer"] and "384,5" not in body["answer"]
    repair = llm.requests[-1]["messages"]
    assert repair[-2]["role"] == "assistant" and "384,5 tỷ đồng" in repair[-1]["content"]


def test_wrong_twice_falls_back_to_extractive(client: httpx.Client, llm: FakeLLM) -> None:
    n = budget_n(client)
    llm.script(Reply(text=f"Thu 384,5 tỷ đồng [{n}]."), Reply(text=f"Thu 999 tỷ đồng [{n}]."))
    body, _ = ask(client)
    assert body["mode"] == "extractive" and "after one repair" in body["fallback_reason"]
    assert "348,5 tỷ đồng" in body["answer"] and "384,5" not in body["answer"] and "999" not in body["answer"]
    assert all(f["verified"] for f in body["figures"])


def test_figure_from_another_wards_passage_is_caught(client: httpx.Client, llm: FakeLLM) -> None:
    """A small model's classic error: the right-looking figure, cited to a passage that does not hold it."""
    passages = client.post("/search", json={"question": QUESTION}).json()["passages"]
    other = next(p["rank"] for p in passages if "348,5" not in p["text"])
    llm.script(
        Reply(text=f"Tổng thu là 348,5 tỷ đồng [{other}]."), Reply(text=f"Là 348,5 tỷ đồng [{other}].")
    )
    body, _ = ask(client)
    assert body["mode"] == "extractive" and "after one repair" in body["fallback_reason"]


def test_right_figure_for_the_wrong_ward_is_caught(client: httpx.Client, llm: FakeLLM) -> None:
    """The figure is true of the passage it cites, but that passage is another ward's report."""
    q = "Tổng thu ngân sách phường Quy Nhơn Nam năm 2025 là bao nhiêu?"  # only Quy Nhơn's is given
    passages = client.post("/search", json={"question": q}).json()["passages"]
    quy_nhon = next(p["rank"] for p in passages if "348,5 tỷ đồng" in p["text"])
    llm.script(Reply(text=f"Là 348,5 tỷ đồng [{quy_nhon}]."), Reply(text=f"Là 348,5 tỷ đồng [{quy_nhon}]."))
    body, _ = ask(client, q)
    assert body["mode"] == "extractive" and body["abstained"] and "348,5" not in body["answer"]
    assert "địa phương khác" in llm.requests[-1]["messages"][-1]["content"]


def test_figure_of_another_year_is_caught(client: httpx.Client, llm: FakeLLM) -> None:
    """2025's figure, verbatim and from the right ward's passage, does not answer a question about 2024."""
    q = "Tổng thu ngân sách phường Quy Nhơn năm 2024 là bao nhiêu?"
    passages = client.post("/search", json={"question": q}).json()["passages"]
    n = next(p["rank"] for p in passages if "348,5 tỷ đồng" in p["text"])
    llm.script(Reply(text=f"Là 348,5 tỷ đồng [{n}]."), Reply(text=f"Là 348,5 tỷ đồng [{n}]."))
    body, _ = ask(client, q)
    assert body["mode"] == "extractive" and body["abstained"] and "348,5" not in body["answer"]
    assert "năm hoặc nhiệm kỳ" in llm.requests[-1]["messages"][-1]["content"]


def test_empty_answer_is_not_an_answer(client: httpx.Client, llm: FakeLLM) -> None:
    n = budget_n(client)
    llm.script(Reply(text=f"[{n}]"), Reply(text=f"[{n}]."))
    body, _ = ask(client)
    assert body["mode"] == "extractive" and "không có nội dung" in body["fallback_reason"]
    assert "348,5 tỷ đồng" in body["answer"]


def test_unmarked_figure_is_attributed(client: httpx.Client, llm: FakeLLM) -> None:
    n = budget_n(client)
    llm.script(Reply(text="Năm 2025, tổng thu ngân sách của phường Quy Nhơn là 348,5 tỷ đồng."))
    body, _ = ask(client)
    assert body["mode"] == "llm" and f"348,5 tỷ đồng [{n}]" in body["answer"] and not body["llm"]["repaired"]


def test_markers_to_no_passage_are_dropped(client: httpx.Client, llm: FakeLLM) -> None:
    n = budget_n(client)
    llm.script(Reply(text=f"Tổng thu ngân sách là 348,5 tỷ đồng [{n}][9]."))
    body, _ = ask(client)
    assert body["mode"] == "llm" and "[9]" not in body["answer"] and f"[{n}]" in body["answer"]


def test_model_abstention_is_an_abstention(client: httpx.Client, llm: FakeLLM) -> None:
    llm.script(Reply(text="Tài liệu hiện có không nêu thông tin này."))
    body, _ = ask(client, "Dân số phường Hạc Thành là bao nhiêu?")
    assert body["mode"] == "llm" and body["abstained"] and body["citations"] == []


def test_wrong_abstention_gives_way_to_a_verified_answer(client: httpx.Client, llm: FakeLLM) -> None:
    """A small model often says "not in the documents" when a passage answers: the checked quote wins."""
    llm.script(Reply(text="Tài liệu hiện có không nêu thông tin này."))
    body, _ = ask(client)
    assert body["mode"] == "extractive" and not body["abstained"] and "348,5 tỷ đồng" in body["answer"]
    assert "found no answer" in body["fallback_reason"] and body["corrected"]


FAULTS = [
    pytest.param([Reply(mode="status", status=500), Reply(mode="status", status=503)], "HTTP 503", id="5xx"),
    pytest.param([Reply(mode="status", status=429, retry_after=60)], "429", id="429-too-long"),
    pytest.param([Reply(mode="status", status=401)], "HTTP 401", id="401"),
    pytest.param([Reply(mode="hang")], "no response", id="hang-before-headers"),
    pytest.param([Reply(mode="not_json")], "no text", id="not-json"),
    pytest.param([Reply(mode="empty_choices")], "no text", id="empty-choices"),
    pytest.param([Reply(mode="empty_content")], "no text", id="empty-content"),
    pytest.param(
        [Reply(mode="stall", text="Tổng thu ngân sách là 348,5 tỷ đồng [1].")], "stalled", id="stall"
    ),
    pytest.param(
        [Reply(mode="no_done", text="Tổng thu ngân sách là 348,5 tỷ đồng [1].")], "[DONE]", id="no-done"
    ),
    pytest.param([Reply(mode="malformed", text="Tổng thu ngân sách [1].")], "malformed", id="malformed"),
]


@pytest.mark.parametrize(("replies", "reason"), FAULTS)
def test_faults_give_the_extractive_answer_in_time(
    client: httpx.Client, llm: FakeLLM, replies: list[Reply], reason: str
) -> None:
    llm.script(*replies)
    body, elapsed = ask(client)
    assert body["mode"] == "extractive" and reason in body["fallback_reason"], body["fallback_reason"]
    assert "348,5 tỷ đồng" in body["answer"] and all(f["verified"] for f in body["figures"])
    assert elapsed < DEADLINE + 1.0


def test_429_retry_after_is_honoured_within_the_deadline(client: httpx.Client, llm: FakeLLM) -> None:
    n = budget_n(client)
    llm.script(Reply(mode="status", status=429, retry_after=0.3), Reply(text=f"Là 348,5 tỷ đồng [{n}]."))
    body, elapsed = ask(client)
    assert body["mode"] == "llm" and body["llm"]["attempts"] == 2 and elapsed >= 0.3


def test_connection_refused(seed_index: Settings) -> None:
    settings = llm_settings(seed_index, closed_port_url())
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=30) as c:
        body, elapsed = ask(c)
    assert body["mode"] == "extractive" and "cannot connect" in body["fallback_reason"]
    assert elapsed < DEADLINE + 1.0


def test_circuit_breaker_opens_and_readyz_says_so(seed_index: Settings, llm: FakeLLM) -> None:
    settings = llm_settings(seed_index, llm.base_url, LLM_RETRIES=0, LLM_BREAKER_FAILURES=2)
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=30) as c:
        llm.script(*[Reply(mode="status", status=500)] * 5)
        assert c.get("/readyz").json()["llm"]["breaker"] == "closed"
        ask(c)
        ask(c)
        calls = len(llm.requests)
        ready = c.get("/readyz").json()["llm"]
        assert ready["breaker"] == "open" and ready["failures"] == 2 and "500" in ready["last_error"]
        body, elapsed = ask(c)
        assert "paused" in body["fallback_reason"] and len(llm.requests) == calls  # not called while open
        assert elapsed < DEADLINE  # no waiting on the endpoint


def _events(response: httpx.Response) -> list[tuple[str, dict]]:
    out, event = [], None
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            out.append((event, json.loads(line.removeprefix("data: "))))
    return out


def test_stream_event_order_and_final(client: httpx.Client, llm: FakeLLM) -> None:
    n = budget_n(client)
    text = f"Năm 2025, tổng thu ngân sách của phường Quy Nhơn là 348,5 tỷ đồng [{n}]."
    llm.script(Reply(text=text, chunk_size=5))
    with client.stream("POST", "/ask", json={"question": QUESTION, "stream": True}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = _events(r)
    kinds = [k for k, _ in events]
    assert kinds[0] == "citations" and kinds[-1] == "final" and set(kinds[1:-1]) == {"delta"}
    assert len(kinds) > 5  # streamed in pieces, not at once
    assert [c["id"] for c in events[0][1]["citations"]] == [1, 2, 3, 4, 5]
    assert "".join(d["text"] for k, d in events if k == "delta") == text
    final = events[-1][1]
    assert final["answer"] == text and final["mode"] == "llm" and not final["corrected"]


def test_stream_that_stalls_ends_with_a_correction(client: httpx.Client, llm: FakeLLM) -> None:
    llm.script(Reply(mode="stall", text="Tổng thu ngân sách của phường là 348,5 tỷ đồng [1] và"))
    with client.stream("POST", "/ask/stream", json={"question": QUESTION}) as r:
        events = _events(r)
    assert events[-1][0] == "final"
    final = events[-1][1]
    assert final["corrected"] and final["mode"] == "extractive" and "stalled" in final["fallback_reason"]


def test_extractive_mode_streams_too(seed_index: Settings) -> None:
    with running_app(seed_index) as base, httpx.Client(base_url=base, timeout=30) as c:
        with c.stream("POST", "/ask", json={"question": QUESTION, "stream": True}) as r:
            events = _events(r)
        plain = c.post("/ask", json={"question": QUESTION}).json()
    assert [k for k, _ in events] == ["citations", "delta", "final"]
    assert events[1][1]["text"] == plain["answer"] == events[2][1]["answer"]


def test_client_disconnect_frees_the_server(client: httpx.Client, llm: FakeLLM) -> None:
    llm.script(Reply(mode="stall", text="Tổng thu ngân sách là 348,5 tỷ đồng [1] và còn nữa", delay=30))
    with client.stream("POST", "/ask", json={"question": QUESTION, "stream": True}) as r:
        lines = r.iter_lines()
        assert next(lines).startswith("event: citations")
        assert any(line.startswith("event: delta") for line in lines)  # the model is mid-answer
    assert llm.pending == 0
    # The server goes on answering others at once, and answers a stream to its end.
    t0 = time.monotonic()
    assert client.get("/healthz").status_code == 200 and time.monotonic() - t0 < 2.0
    n = budget_n(client)
    llm.script(Reply(text=f"Là 348,5 tỷ đồng [{n}]."))
    body, _ = ask(client)
    assert body["mode"] == "llm", body["fallback_reason"]


def test_a_name_no_cited_passage_holds_is_caught(client: httpx.Client, llm: FakeLLM) -> None:
    """A small model's other classic error: a fluent name from outside the documents, with a citation."""
    q = "Tổng thống Mỹ hiện nay là ai?"
    llm.script(Reply(text="Tổng thống Mỹ là Donald Trump [1]."), Reply(text="Đó là Donald Trump [1]."))
    body, _ = ask(client, q)
    assert body["mode"] == "extractive" and "Donald Trump" not in body["answer"]
    assert "Donald Trump" in llm.requests[-1]["messages"][-1]["content"]  # the repair named it


def test_a_name_the_passage_holds_passes(client: httpx.Client, llm: FakeLLM) -> None:
    q = "Chủ tịch UBND phường Quy Nhơn Nam là ai?"
    passages = client.post("/search", json={"question": q}).json()["passages"]
    n = next(p["rank"] for p in passages if "Nguyễn Thị Bích Hoa" in p["text"])
    llm.script(
        Reply(text=f"Theo tài liệu, Chủ tịch UBND phường Quy Nhơn Nam là bà Nguyen Thi Bich Hoa [{n}].")
    )
    body, _ = ask(client, q)
    assert body["mode"] == "llm" and "Bich Hoa" in body["answer"], body


def test_a_passage_outside_the_article_asked_is_caught(client: httpx.Client, llm: FakeLLM) -> None:
    """The seed reports have no articles: "Điều 15" is then looked for in the cited text itself."""
    q = "Điều 15 của nghị quyết quy định tổng thu ngân sách phường Quy Nhơn là bao nhiêu?"
    n = budget_n(client)
    llm.script(Reply(text=f"Là 348,5 tỷ đồng [{n}]."), Reply(text=f"Là 348,5 tỷ đồng [{n}]."))
    body, _ = ask(client, q)
    assert body["mode"] == "extractive", body
    assert "Điều 15" in llm.requests[-1]["messages"][-1]["content"]


def test_a_figure_of_another_indicator_is_caught(client: httpx.Client, llm: FakeLLM) -> None:
    """ "bao nhiêu phần trăm dự toán" answered with the amount, though the passage holds it verbatim:
    the repair request names it; the corrected answer passes."""
    question = "Năm 2025 tổng thu ngân sách phường Quy Nhơn đạt bao nhiêu phần trăm dự toán?"
    n = budget_n(client)
    llm.script(
        Reply(text=f"Tổng thu đạt 348,5 tỷ đồng [{n}]."), Reply(text=f"Tổng thu đạt 109,4% dự toán [{n}].")
    )
    body, _ = ask(client, question)
    assert body["mode"] == "llm" and body["llm"]["repaired"] and "109,4%" in body["answer"], body
    assert "tỷ lệ phần trăm" in llm.requests[-1]["messages"][-1]["content"]


def test_a_name_from_outside_the_documents_falls_back(client: httpx.Client, llm: FakeLLM) -> None:
    n = budget_n(client)
    llm.script(Reply(text=f"Tổng thống Mỹ là Donald Trump [{n}]."), Reply(text=f"Đó là Donald Trump [{n}]."))
    body, _ = ask(client, "Ai là tổng thống Mỹ?")
    assert body["mode"] == "extractive" and "Donald Trump" not in body["answer"] and body["abstained"], body
    assert "Donald Trump" in llm.requests[-1]["messages"][-1]["content"]


def test_markers_used_to_number_a_list_are_sent_back(client: httpx.Client, llm: FakeLLM) -> None:
    """A small model numbering its own list with [1] [2] cites nothing: it is asked to repair, and a
    second list of that shape gives the extractive answer."""
    n = budget_n(client)
    llm.script(Reply(text="[1] Thương mại\n[2] Dịch vụ"), Reply(text="[1] Thương mại\n[2] Dịch vụ"))
    body, _ = ask(client)
    assert body["mode"] == "extractive" and "348,5 tỷ đồng" in body["answer"], body
    assert "đánh số" in llm.requests[-1]["messages"][-1]["content"]
    llm.script(Reply(text=f"Tổng thu ngân sách là 348,5 tỷ đồng [{n}]."))
    assert ask(client)[0]["mode"] == "llm"


def test_a_labelled_figure_of_another_target_is_caught(client: httpx.Client, llm: FakeLLM) -> None:
    """ "Phấn đấu 100% chi bộ hoàn thành tốt nhiệm vụ" holds a percentage labelled with a word of the
    question ("phấn đấu"), but no clause around it convinces the extractive scorer that it answers
    "bao nhiêu phần trăm tổ dân phố": the repair request names it, and the extractive answer (the
    target's own 75%) is given."""
    question = (
        "Đến năm 2025, phường Quang Trung phấn đấu duy trì bao nhiêu phần trăm tổ dân phố được công "
        "nhận 'Tổ dân phố văn hóa'?"
    )
    passages = client.post("/search", json={"question": question}).json()["passages"]
    other = next(p["rank"] for p in passages if "100% chi bộ hoàn thành tốt nhiệm vụ" in p["text"])
    wrong = f"Phường phấn đấu 100% [{other}]."
    llm.script(Reply(text=wrong), Reply(text=wrong))
    body, _ = ask(client, question)
    assert body["mode"] == "extractive" and "75%" in body["answer"], body
    repair = llm.requests[-1]["messages"][-1]["content"]
    assert "“100%”" in repair and "không phải số liệu của điều được hỏi" in repair, repair
