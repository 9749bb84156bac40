"""Questions answered by a computation or a comparison across documents, over HTTP, on an index of
documents that are not ward reports: a school's report with a table of three years, two communes'
reports (one of which lacks an indicator the other has)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import make_settings

from app.answer.comparison_question import parse
from app.answer.question import analyse
from app.embed import Embedder
from app.ingest import find_sources, load_document
from app.retrieve import Query
from app.serve.server import running_app

DOCS = Path(__file__).parent / "comparison_docs"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[httpx.Client]:
    from app.index import ingest_documents

    settings = make_settings(tmp_path_factory.mktemp("comparison"))
    ingest_documents(settings, embedder, [load_document(p) for p in find_sources([DOCS])])
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=60) as c:
        yield c


def _ask(client: httpx.Client, question: str) -> dict:
    r = client.post("/ask", json={"question": question})
    assert r.status_code == 200, r.text
    body = r.json()
    assert all(f["verified"] for f in body["figures"]), body
    return body


def _computed(body: dict) -> list[str]:
    return [f["text"] for f in body["figures"] if f["computed"]]


def test_a_change_between_two_years_is_computed_from_the_table(client: httpx.Client) -> None:
    body = _ask(client, "Số học sinh của Trường THCS Tân Lập năm 2025 tăng bao nhiêu so với năm 2024?")
    assert not body["abstained"], body
    assert "1.243 - 1.186 = 57" in body["answer"] and _computed(body) == ["57"]
    assert len(body["citations"]) == 1  # one row holds both years: quoted once


def test_a_share_of_a_total(client: httpx.Client) -> None:
    body = _ask(
        client,
        "Chi lương chiếm bao nhiêu phần trăm tổng kinh phí hoạt động năm 2025 của Trường THCS Tân Lập?",
    )
    assert "7.420 / 9.850 = 75,3%" in body["answer"], body
    assert _computed(body) == ["75,3%"]


def test_which_of_two_places_cites_both_documents(client: httpx.Client) -> None:
    body = _ask(client, "Xã nào có tổng thu ngân sách năm 2025 cao hơn, Hòa Bình hay Tân Phú?")
    assert not body["abstained"], body
    assert "41,2 > 37,8" in body["answer"] and "Hòa Bình cao hơn" in body["answer"]
    titles = {c["title"] for c in body["citations"]}
    assert any("Hòa Bình" in t for t in titles) and any("Tân Phú" in t for t in titles)


def test_a_total_over_two_documents(client: httpx.Client) -> None:
    body = _ask(client, "Tổng diện tích lúa gieo cấy năm 2025 của xã Hòa Bình và xã Tân Phú là bao nhiêu?")
    assert "1.860 + 2.140 = 4.000 ha" in body["answer"], body
    assert len({c["doc_id"] for c in body["citations"]}) == 2


def test_a_comparison_with_one_side_missing_abstains(client: httpx.Client) -> None:
    # Tân Phú's report gives no poverty rate: half a comparison is no answer.
    body = _ask(client, "Xã nào có tỷ lệ hộ nghèo thấp hơn, Hòa Bình hay Tân Phú?")
    assert body["abstained"], body


def test_the_stream_carries_the_same_computed_answer(client: httpx.Client) -> None:
    question = "Số giáo viên của Trường THCS Tân Lập năm 2025 tăng bao nhiêu so với năm 2023?"
    with client.stream("POST", "/ask/stream", json={"question": question}) as r:
        text = r.read().decode()
    assert "67 - 62 = 5" in text


def test_figures_of_different_scales_are_compared_as_written(client: httpx.Client) -> None:
    body = _ask(client, "Tổng thu ngân sách năm 2025 của xã Hòa Bình gấp bao nhiêu lần của xã Phú Lợi?")
    assert "41,2 tỷ / 9.870 triệu = 4,2 lần" in body["answer"], body


def test_an_average_of_one_count_over_another(client: httpx.Client) -> None:
    body = _ask(client, "Bình quân mỗi thôn của xã Phú Lợi có bao nhiêu hộ dân?")
    assert "2.736 / 9 = 304 hộ" in body["answer"], body


def test_one_answer_for_each_place_asked_about(client: httpx.Client) -> None:
    body = _ask(client, "Xã Hòa Bình và xã Tân Phú mỗi xã có bao nhiêu thôn?")
    assert not body["abstained"], body
    assert "5 thôn" in body["answer"] and "7 thôn" in body["answer"]
    assert len({c["doc_id"] for c in body["citations"]}) == 2


def test_years_between_the_two_years_a_sentence_gives(client: httpx.Client) -> None:
    body = _ask(client, "Nguyễn Văn Khiêm thọ bao nhiêu tuổi?")
    assert "1887 - 1820 = 67 tuổi" in body["answer"], body
    body = _ask(client, "Cầu đá Bến Giang được xây dựng trong bao nhiêu năm?")
    assert "1874 - 1871 = 3 năm" in body["answer"], body


@pytest.mark.parametrize(
    ("question", "op", "sides"),
    [
        ("Doanh thu quý II tăng bao nhiêu so với quý I?", "difference", 2),
        ("Chênh lệch giữa dự toán và thực hiện chi thường xuyên là bao nhiêu?", "difference", 2),
        ("Chi đầu tư chiếm bao nhiêu phần trăm tổng chi?", "share", 2),
        ("Lệ phí trước bạ gấp bao nhiêu lần thu phí, lệ phí?", "ratio", 2),
        ("Tổng số vốn của dự án A và dự án B là bao nhiêu?", "sum", 2),
        ("Số dân năm 2025 giảm bao nhiêu phần trăm so với năm 2020?", "change", 2),
    ],
)
def test_the_sides_of_a_comparison_are_found_in_any_wording(question: str, op: str, sides: int) -> None:
    found = parse(analyse(Query(question, True, question), {}), lambda k: k)
    assert found is not None and found.op == op and len(found.sides) == sides


@pytest.mark.parametrize(
    "question",
    [
        "Tổng thu ngân sách năm 2025 là bao nhiêu?",
        "Số giáo viên năm 2025 là bao nhiêu?",
        "Ai là hiệu trưởng nhà trường?",
        "Tỷ lệ hộ nghèo năm 2025 giảm còn bao nhiêu?",  # one year, no second side: asked as it is
    ],
)
def test_a_question_asking_no_computation_is_answered_as_any_other(question: str) -> None:
    assert parse(analyse(Query(question, True, question), {}), lambda k: k) is None
