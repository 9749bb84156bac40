"""Which sentence of a retrieved document answers: over an encyclopedia article and a club charter
(not ward reports), the sentence that says something about what is asked, not the title or letterhead
that repeats the question's names; two neighbouring sentences when the answer runs over both."""

from __future__ import annotations

import pytest
from conftest import make_settings

from app.answer.extractive import _slot
from app.answer.question import analyse
from app.embed import Embedder
from app.index import ingest_documents
from app.ingest import document_from_text
from app.pipeline import Pipeline
from app.retrieve import Query

ARTICLE = """Võ Trung Khải
Võ Trung Khải là một tướng thời Lê sơ, quê ở làng Bồng Thượng.
Tiểu sử
Ông xuất thân từ một gia đình làm nghề chài lưới ven sông.
Năm 1418, ông theo Lê Lợi tham gia khởi nghĩa Lam Sơn và được giao chỉ huy đội thuyền chiến.
Trong chiến dịch năm 1427, ông được giao chặn đường sông dẫn tới thành Xương Giang. \
Ông cho quân đóng cọc, dựng đồn ở hai bên bờ, khiến quân Minh trong thành không thể nhận thêm lương thực.
Ông mất năm 1451 tại làng Bồng Thượng.
Tưởng niệm
Hằng năm, lễ giỗ ông được dân làng tổ chức tại đền Bồng Thượng vào ngày 20 tháng Tám âm lịch. \
Trong lễ giỗ, dân làng tổ chức đua thuyền trên sông để tưởng nhớ ông."""

CHARTER = """CÂU LẠC BỘ NHIẾP ẢNH PHỐ HIẾN
ĐIỀU LỆ CÂU LẠC BỘ NHIẾP ẢNH PHỐ HIẾN
Điều 1. Tên gọi và trụ sở
1. Tên gọi: Câu lạc bộ Nhiếp ảnh Phố Hiến.
2. Trụ sở Câu lạc bộ đặt tại tầng 2 Nhà văn hóa phường Hiến Nam, số 8 đường Chùa Chuông.
Điều 2. Thành viên
1. Câu lạc bộ được thành lập ngày 02 tháng 9 năm 1998 với 17 thành viên sáng lập.
2. Thành viên đóng hội phí 300.000 đồng mỗi năm."""


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Pipeline:
    settings = make_settings(tmp_path_factory.mktemp("choosing"))
    docs = [document_from_text("vo_trung_khai", ARTICLE), document_from_text("dieu_le", CHARTER)]
    ingest_documents(settings, embedder, docs)
    return Pipeline.open(settings, embedder)


def test_the_sentence_that_answers_not_the_title_that_repeats_the_names(pipeline: Pipeline) -> None:
    answer = pipeline.ask_sync("Trụ sở của Câu lạc bộ Nhiếp ảnh Phố Hiến đặt ở đâu?").answer
    assert not answer.abstained and "tầng 2 Nhà văn hóa" in answer.text, answer.text


def test_a_word_of_the_title_does_not_tell_paragraphs_apart(pipeline: Pipeline) -> None:
    checks = pipeline.answerer.checks
    assert checks.specificity("dieu_le", "pho") < 0.2  # in the title: every paragraph is about it
    assert checks.specificity("dieu_le", "hoi") > 0.6  # "hội phí": one paragraph
    assert checks.specificity("dieu_le", "xuong") == 1.0  # never in it


def test_the_answer_runs_over_two_neighbouring_sentences(pipeline: Pipeline) -> None:
    answer = pipeline.ask_sync("Lễ giỗ Võ Trung Khải được dân làng tổ chức như thế nào?").answer
    assert not answer.abstained and "đền Bồng Thượng" in answer.text and "đua thuyền" in answer.text, (
        answer.text
    )


def test_the_words_around_the_question_word_said_with_an_answer_in_its_place() -> None:
    question = analyse(
        Query("Nghị quyết có hiệu lực từ ngày nào?", True, "Nghị quyết có hiệu lực từ ngày nào?"), {}
    )
    assert question.before == ("luc", "tu", "ngay")
    asked = frozenset(question.words)
    said = tuple("nghi quyet co hieu luc tu ngay 01 thang 01 nam 2026".split())
    echoed = tuple("dieu 3 quy dinh ve hieu luc tu ngay".split())  # nothing where "nào" stood
    assert _slot(question, said, asked) == 1.0
    assert _slot(question, echoed, asked) == 0.0
    assert _slot(question, tuple("nghi quyet gom 5 dieu".split()), asked) == 0.0


def test_a_question_word_is_read_with_its_diacritics() -> None:
    """Folded, "May" (a company) is "mấy" and "Đầu" is "đâu": neither asks anything."""
    text = "Đầu năm 2025, Công ty May có bao nhiêu người lao động?"
    question = analyse(Query(text, True, text), {})
    assert question.before == ("ty", "may", "co") and question.after == ("nguoi", "lao", "dong")


def test_a_name_the_document_never_uses_is_not_answered_from_it(pipeline: Pipeline) -> None:
    """The charter states a fee and a seat; a question about another club's fee finds the same
    sentences, but "Hải Âu" is nowhere in the document."""
    checks = pipeline.answerer.checks
    assert checks.in_document("dieu_le", "hien") and not checks.in_document("dieu_le", "au")
    answer = pipeline.ask_sync("Thành viên Câu lạc bộ Nhiếp ảnh Hải Âu đóng hội phí bao nhiêu?").answer
    assert answer.abstained, answer.text
    answer = pipeline.ask_sync("Thành viên Câu lạc bộ Nhiếp ảnh Phố Hiến đóng hội phí bao nhiêu?").answer
    assert not answer.abstained and "300.000 đồng" in answer.text, answer.text


def test_an_acronym_the_question_writes_is_found_spelled_out(pipeline: Pipeline) -> None:
    """ "CLB" is how people write "Câu lạc bộ": the charter names the club, though never so. Only a
    word the question writes in capitals is read as initials; the initials of another name are not."""
    checks = pipeline.answerer.checks
    assert checks.in_document("dieu_le", "clb", acronym=True)
    assert not checks.in_document("dieu_le", "clb")  # as a word, it is nowhere
    assert not checks.in_document("dieu_le", "htx", acronym=True)
    # Two letters are the initials of some pair of words in any long text: never read as initials.
    assert not checks.in_document("dieu_le", "cl", acronym=True)
    text = "Thành viên CLB Nhiếp ảnh Phố Hiến đóng hội phí bao nhiêu?"
    assert analyse(Query(text, True, text), {}).acronyms == frozenset({"clb"})
    answer = pipeline.ask_sync(text).answer
    assert not answer.abstained and "300.000 đồng" in answer.text, answer.text
    answer = pipeline.ask_sync("Thành viên CLB Nhiếp ảnh Hải Âu đóng hội phí bao nhiêu?").answer
    assert answer.abstained, answer.text
