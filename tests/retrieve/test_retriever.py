"""Hybrid retrieval on the seeds: folded questions, exact-over-folded, filters, diacritic restoration."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.config import Settings
from app.embed import Embedder
from app.index import load_generation
from app.retrieve import Filters, Retriever
from app.retrieve import retriever as retriever_module
from app.retrieve.diacritics import DiacriticRestorer


@pytest.fixture(scope="module")
def retriever(seed_index: Settings, embedder: Embedder) -> Retriever:
    return Retriever(load_generation(seed_index.INDEX_DIR, embedder.name), embedder)


@pytest.mark.parametrize(
    ("question", "doc", "needle"),
    [
        ("Phường Quy Nhơn Nam có bao nhiêu đảng viên?", "001_3f1230e1580dd915", "4.985"),
        ("phuong Quy Nhon Nam co bao nhieu dang vien", "001_3f1230e1580dd915", "4.985"),
        ("ty le gia dinh van hoa phuong Quang Trung", "003_18c0cf6a5e024732", "94,54%"),
        ("Tỷ lệ gia đình văn hoá phường Quang Trung", "003_18c0cf6a5e024732", "94,54%"),
        ("Hạc Thành có bao nhiêu chỉ tiêu vượt kế hoạch", "002_65dc7c8ac4db1663", "11 chỉ tiêu"),
    ],
)
def test_answer_passage_ranks_first_or_second(
    retriever: Retriever, question: str, doc: str, needle: str
) -> None:
    top = retriever.search(question, 2)
    assert any(p.chunk.doc_id == doc and needle in p.chunk.text for p in top), [p.chunk.chunk_id for p in top]


def test_folded_and_written_find_the_same_passage(retriever: Retriever) -> None:
    a = retriever.search("Tổng thu ngân sách phường Quy Nhơn năm 2025", 1)[0]
    b = retriever.search("tong thu ngan sach phuong quy nhon nam 2025", 3)
    assert a.chunk.chunk_id in {p.chunk.chunk_id for p in b}


def test_exact_words_outrank_folded_ones(retriever: Retriever) -> None:
    """ "năm" (year) and "Nam" (south) fold alike; written with diacritics, the exact one must win."""
    gen = retriever.generation
    key, _ = gen.lexical.search("phường Quy Nhơn năm 2025", True, 1)[0]
    assert gen.chunks([key])[key].doc_id == "000_ba4ab6dccccf8163"


def test_filters_restrict_results(retriever: Retriever) -> None:
    only = retriever.search("đảng viên", 5, Filters(doc_ids=("003_18c0cf6a5e024732",)))
    assert only and {p.chunk.doc_id for p in only} == {"003_18c0cf6a5e024732"}
    dated = retriever.search("đảng viên", 5, Filters(date_from="2025-01-01", date_to="2025-12-31"))
    assert dated and all(p.date and p.date.startswith("2025") for p in dated)
    assert retriever.search("đảng viên", 5, Filters(doc_ids=("nope",))) == []


def test_a_filter_finds_passages_however_far_down_they_rank(retriever: Retriever) -> None:
    """Filtering happens inside the search: a document far from the question still gives its
    closest passages, as many as asked, not whatever survived a fetch of the top few."""
    gen = retriever.generation
    unfiltered = retriever.search("tổng thu ngân sách", 200)
    last_doc = unfiltered[-1].chunk.doc_id
    own = gen.chunk_count_of(last_doc)
    only = retriever.search("tổng thu ngân sách", 3, Filters(doc_ids=(last_doc,)))
    assert len(only) == min(3, own) and {p.chunk.doc_id for p in only} == {last_doc}


def test_restorer_uses_corpus_vocabulary() -> None:
    r = DiacriticRestorer.from_texts(["Tổng thu ngân sách của phường đạt 348,5 tỷ đồng trong năm 2025."])
    assert r.restore("tong thu ngan sach cua phuong") == "tổng thu ngân sách của phường"
    assert r.restore("Tong thu ngan sach bao nhieu") == "Tổng thu ngân sách bao nhiêu"
    assert r.restore("xyz 123") == "xyz 123"


class _Embedder:
    """The real embedder, told whether the machine is idle: a backend that uses idle cores."""

    def __init__(self, inner: Embedder, idle: bool) -> None:
        self.inner, self.idle = inner, idle
        self.name, self.dim, self.threads = inner.name, inner.dim, 1

    def threads_now(self, is_query: bool) -> int:
        return 2 if self.idle and is_query else 1

    def encode(self, texts: list[str], kind: str) -> np.ndarray:
        return self.inner.encode(texts, kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lexical_ms", "idle", "first"),
    [(1.0, True, True), (1.0, False, False), (20.0, True, False), (None, True, False)],
)
def test_a_cheap_lexical_search_goes_before_the_embedding_on_an_idle_machine(
    seed_index: Settings,
    embedder: Embedder,
    monkeypatch: pytest.MonkeyPatch,
    lexical_ms: float | None,
    idle: bool,
    first: bool,
) -> None:
    """Before it (in the caller's thread) when cheap and the cores are free, else beside it; the
    passages are the same either way."""
    gen = load_generation(seed_index.INDEX_DIR, embedder.name)
    costs = retriever_module._Costs()
    costs.lexical_ms, costs.embed_beside_ms = lexical_ms, 30.0
    monkeypatch.setattr(retriever_module, "_COSTS", costs)
    ran_in: list[int] = []
    original = Retriever._lexical

    def recorded(self: Retriever, *args: object) -> list[int]:
        ran_in.append(threading.get_ident())
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Retriever, "_lexical", recorded)
    question = "Phường Quy Nhơn Nam có bao nhiêu đảng viên?"
    got = Retriever(gen, _Embedder(embedder, idle)).search(question, 5)
    assert (ran_in == [threading.get_ident()]) is first
    monkeypatch.setattr(retriever_module, "_COSTS", retriever_module._Costs())  # beside: no estimates
    beside = Retriever(gen, embedder).search(question, 5)
    assert [p.chunk.chunk_id for p in got] == [p.chunk.chunk_id for p in beside]


def test_running_means_decide_the_order() -> None:
    costs = retriever_module._Costs()
    assert not costs.lexical_first()  # nothing measured yet: side by side, as before
    costs.note("lexical_ms", 2.0)
    costs.note("embed_beside_ms", 36.0)
    assert costs.lexical_first()
    for _ in range(30):  # the index grew: lexical searches now cost as much as the embedding
        costs.note("lexical_ms", 30.0)
    assert not costs.lexical_first()


def test_a_passage_waiting_for_its_vector_gets_the_similarity_it_will_have(
    index_copy: Settings, embedder: Embedder
) -> None:
    """Found lexically while its vector is pending, a fresh upload's passage is measured against the
    question (its text embedded on the spot), so the answerer weighs it as it will once embedded."""
    from app.index import embed_pending, ingest_documents
    from app.ingest import document_from_text

    doc = document_from_text(
        "thong_bao_an_hoa", "Thông báo xã An Hòa\n\nNăm 2026, xã An Hòa cấp 1.204 thẻ bảo hiểm y tế."
    )
    ingest_documents(index_copy, embedder, [doc], defer_embedding=True)
    question = "Năm 2026 xã An Hòa cấp bao nhiêu thẻ bảo hiểm y tế?"
    waiting = load_generation(index_copy.INDEX_DIR, embedder.name)
    assert waiting.pending
    before = {p.chunk.chunk_id: p for p in Retriever(waiting, embedder).search(question, 5)}
    embed_pending(index_copy, embedder, waiting)
    embedded = load_generation(index_copy.INDEX_DIR, embedder.name)
    assert not embedded.pending
    after = {p.chunk.chunk_id: p for p in Retriever(embedded, embedder).search(question, 5)}
    fresh = [cid for cid in before if cid.startswith("thong_bao_an_hoa#")]
    assert fresh and all(before[cid].similarity is not None for cid in fresh)
    for cid in fresh:
        assert before[cid].similarity == pytest.approx(after[cid].similarity, abs=1e-3)
