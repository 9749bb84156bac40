"""The shared index in Milvus, as several replicas use it: versions by content, a write's order
(parts, chunks, head, then the old version's rows), views that never mix two versions of a
document, writers killed midway or racing, deletes, originals, and the sweep. Against a real engine
(milvus-lite's server on loopback) and the real embedder."""

from __future__ import annotations

import dataclasses
import itertools
import threading

import pytest
from milvus_server import MilvusServer

from app.chunk import chunk_document
from app.config import Settings
from app.embed import Embedder, embed_passages, embed_query
from app.index.lexical import LexicalFilter
from app.index.shared import SharedIndex
from app.index.shared_rows import document_row, version_of
from app.index.shared_service import SharedIndexService
from app.index.shared_terms import term_counts
from app.models import Document
from app.retrieve.retriever import Retriever

_prefixes = (f"shared{i}" for i in itertools.count())


def _doc(doc_id: str, text: str, date: str | None = "2025-06-01") -> Document:
    from app.ingest import document_from_text

    return dataclasses.replace(document_from_text(doc_id, text), date=date)


def _shared(milvus: MilvusServer, embedder: Embedder, tmp_path) -> SharedIndex:
    settings = Settings(
        _env_file=None,
        INDEX_DIR=tmp_path / "unused",
        VECTOR_STORE="milvus",
        MILVUS_URI=milvus.uri,
        MILVUS_COLLECTION=next(_prefixes),
    )
    return SharedIndex(settings, embedder.name, embedder.dim)


OLD = "Phường An Hòa năm 2025 có 1.234 hộ gia đình văn hóa.\n\nTổng thu ngân sách đạt 12,5 tỷ đồng."
NEW = "Phường An Hòa năm 2025 có 2.468 hộ gia đình văn hóa.\n\nTổng thu ngân sách đạt 25 tỷ đồng."


def _texts(view, question: str) -> list[str]:
    keys = [k for k, _ in view.search_lexical(question, True, 10)]
    return [c.text for c in view.chunks(keys).values()]


def test_a_write_is_seen_by_a_new_view_and_the_same_content_again_is_a_no_op(
    milvus: MilvusServer, embedder: Embedder, tmp_path
) -> None:
    shared = _shared(milvus, embedder, tmp_path)
    before = shared.view()
    report = shared.write([_doc("an-hoa", OLD)], embedder)
    assert report.added == ["an-hoa"] and report.embedded == report.chunks > 0
    after = shared.view()
    assert after.stamp != before.stamp
    assert any("1.234" in t for t in _texts(after, "hộ gia đình văn hóa"))
    assert after.documents["an-hoa"].text.startswith("Phường An Hòa")
    again = shared.write([_doc("an-hoa", OLD)], embedder)
    assert again.unchanged == ["an-hoa"] and again.embedded == 0 and again.generation is None
    assert shared.view().stamp == after.stamp  # nothing written: no replica reloads


def test_a_new_version_replaces_the_old_and_no_view_mixes_them(
    milvus: MilvusServer, embedder: Embedder, tmp_path
) -> None:
    shared = _shared(milvus, embedder, tmp_path)
    shared.write([_doc("an-hoa", OLD)], embedder)
    old_view = shared.view()
    assert old_view.documents["an-hoa"]  # pins version 1
    shared.write([_doc("an-hoa", NEW)], embedder)
    new_view = shared.view()
    texts = _texts(new_view, "hộ gia đình văn hóa ngân sách")
    assert texts and all("1.234" not in t for t in texts) and any("2.468" in t for t in texts)
    # The view pinned before the write finds no chunk of version 2 (it keeps version 1's head) and
    # version 1's rows are gone: it answers nothing rather than mixing the two.
    assert _texts(old_view, "hộ gia đình văn hóa ngân sách") == []
    rows = shared.chunks.rows([k for k, _ in shared.chunks.search("hộ gia đình", True, 50)])
    assert {version for _, version, _ in rows.values()} == {new_view.heads(["an-hoa"])["an-hoa"]["version"]}


def test_a_writer_killed_before_its_head_leaves_nothing_visible_and_the_sweep_removes_it(
    milvus: MilvusServer, embedder: Embedder, tmp_path
) -> None:
    shared = _shared(milvus, embedder, tmp_path)
    shared.write([_doc("an-hoa", OLD)], embedder)
    orphan = _doc("an-hoa", NEW)
    row = document_row(orphan)

    class Killed(Exception):
        pass

    upsert = shared.client.upsert

    def die_at_the_head(collection: str, rows, **kw):
        if collection == shared.heads:
            raise Killed
        return upsert(collection, rows, **kw)

    shared.client.upsert = die_at_the_head  # type: ignore[method-assign]
    with pytest.raises(Killed):
        chunks = chunk_document(orphan)
        shared.write_version(orphan, chunks, embed_passages(embedder, [c.embed_text for c in chunks]), None)
    shared.client.upsert = upsert  # type: ignore[method-assign]
    view = shared.view()
    texts = _texts(view, "hộ gia đình văn hóa ngân sách")
    assert texts and all("2.468" not in t for t in texts)  # its chunks are not current...
    raw = shared.chunks.rows([k for k, _ in shared.chunks.search("2.468 hộ gia đình", True, 50)])
    assert version_of(row) in {v for _, v, _ in raw.values()}  # ...but they were written
    removed = shared.sweep(older_than_s=0)
    assert removed > 0
    rows = shared.chunks.rows([k for k, _ in shared.chunks.search("hộ gia đình", True, 50)])
    assert all(version == version_of(document_row(_doc("an-hoa", OLD))) for _, version, _ in rows.values())
    assert "1.234" in shared.view().documents["an-hoa"].text  # the current version is untouched


def test_racing_writers_of_one_document_leave_one_whole_version(
    milvus: MilvusServer, embedder: Embedder, tmp_path
) -> None:
    shared = _shared(milvus, embedder, tmp_path)
    shared.write([_doc("an-hoa", OLD)], embedder)
    texts = [NEW, NEW.replace("2.468", "3.702"), NEW.replace("2.468", "4.936")]
    errors: list[BaseException] = []

    def write(text: str) -> None:
        try:
            shared.write([_doc("an-hoa", text)], embedder)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    view = shared.view()
    doc = view.documents["an-hoa"]
    found = _texts(view, "hộ gia đình văn hóa ngân sách")
    assert found and all(t in doc.text for t in found)  # every chunk seen is of the document seen
    shared.sweep(older_than_s=0)
    head = view.heads(["an-hoa"])["an-hoa"]
    rows = shared.chunks.rows([k for k, _ in shared.chunks.search("hộ gia đình", True, 50)])
    assert {version for _, version, _ in rows.values()} == {head["version"]}


def test_deletes_originals_and_unsafe_ids(milvus: MilvusServer, embedder: Embedder, tmp_path) -> None:
    shared = _shared(milvus, embedder, tmp_path)
    data = "Báo cáo của phường Tây Sơn: 7 tổ dân phố.".encode()
    shared.write([_doc("tay-son", data.decode()), _doc("an-hoa", OLD)], embedder, originals={"tay-son": data})
    assert shared.original("tay-son") == data and shared.original("an-hoa") is None
    report = shared.write([], embedder, remove=["tay-son", "never-stored"])
    assert report.removed == ["tay-son"] and report.documents == 1
    view = shared.view()
    assert "tay-son" not in view.documents and _texts(view, "tổ dân phố Tây Sơn") == []
    assert view.places(["an hoa", "tay son"]) == {"an hoa": "An Hòa"}
    with pytest.raises(ValueError, match="letters, digits"):
        shared.write([_doc('x"] or true', "Phường X.")], embedder)


def test_term_counts_follow_writes_and_prune_common_words(
    milvus: MilvusServer, embedder: Embedder, tmp_path
) -> None:
    """The running counts the answerer's idf and the lexical pruning read: right after adds, an
    update and a delete; and a question's common words are left out of a big index's search."""
    shared = _shared(milvus, embedder, tmp_path)
    shared.write([_doc("an-hoa", OLD), _doc("tay-son", "Phường Tây Sơn có 7 tổ dân phố.")], embedder)
    shared.write([_doc("an-hoa", NEW)], embedder)
    shared.write([_doc("binh-dinh", "Phường Bình Định có 9 tổ dân phố.")], embedder)
    shared.write([], embedder, remove=["binh-dinh"])
    view = shared.view()
    chunks = [c for d in ("an-hoa", "tay-son") for c in chunk_document(view.documents[d])]
    truth = term_counts(chunks)
    for term in ("f\0phuong", "e\0phường", "f\0to_dan", "f\0binh", "e\x002.468", "e\x001.234"):
        assert shared.df.frequencies([term]).get(term, 0) == truth.get(term, 0), term
    assert view.doc_freq("phuong") == 2 and view.doc_freq("binh") == 0
    pruning = shared.settings.model_copy(update={"LEXICAL_PRUNE_MIN_CHUNKS": 1, "LEXICAL_COMMON_SHARE": 0.6})
    shared.settings = pruning
    # "phường" is in every chunk: left out, and the rarer words still find their passage.
    assert _texts(shared.view(), "phường Tây Sơn tổ dân phố")[0].startswith("Phường Tây Sơn")


def test_a_question_s_commonest_words_past_the_postings_budget_are_not_scored(
    milvus: MilvusServer, embedder: Embedder, tmp_path
) -> None:
    """MILVUS_LEXICAL_POSTINGS bounds what one BM25 search scores: the rarest words are kept until
    the chunks holding them add up to it, so "phường" (in every chunk) is left out, and the chunk
    that matched only by it is no longer found; without the budget it is."""
    shared = _shared(milvus, embedder, tmp_path)
    shared.write([_doc("an-hoa", OLD), _doc("tay-son", "Phường Tây Sơn có 7 tổ dân phố.")], embedder)
    question = "phường Tây Sơn"
    unbounded = shared.settings.model_copy(update={"MILVUS_LEXICAL_POSTINGS": 0})
    shared.settings = unbounded
    assert {c.doc_id for c in _chunks(shared.view(), question)} == {"an-hoa", "tay-son"}
    # "tây", "sơn", "phường tây" and "tây sơn" are in one chunk each: 4 postings; "phường" adds 2.
    shared.settings = unbounded.model_copy(update={"MILVUS_LEXICAL_POSTINGS": 4})
    assert {c.doc_id for c in _chunks(shared.view(), question)} == {"tay-son"}


def test_one_hybrid_request_searches_both_ways_filters_every_route_and_serves_the_retriever(
    milvus: MilvusServer, embedder: Embedder, tmp_path
) -> None:
    """MILVUS_FUSION=engine: dense and BM25 in one request fused by Milvus; each hit's similarity is
    its dense inner product, the filter holds on every route, and the retriever uses it."""
    shared = _shared(milvus, embedder, tmp_path)
    shared.write([_doc("an-hoa", OLD), _doc("tay-son", "Phường Tây Sơn có 7 tổ dân phố.")], embedder)
    shared.settings = shared.settings.model_copy(update={"MILVUS_FUSION": "engine"})
    view = shared.view()
    question = "Phường Tây Sơn có bao nhiêu tổ dân phố?"
    vector = embed_query(embedder, question)
    fused = view.search_fused(vector, question, True, 10)
    dense = dict(view.search_dense(vector, 10))
    assert view.chunks([fused[0][0]])[fused[0][0]].doc_id == "tay-son"
    assert {key for key, _, _ in fused} == set(dense)  # every chunk has a vector: the dense route finds all
    for key, _, similarity in fused:
        assert similarity == pytest.approx(dense[key], abs=1e-4)
    only = view.search_fused(vector, question, True, 10, LexicalFilter(doc_ids=("an-hoa",)))
    assert only and {c.doc_id for c in view.chunks([k for k, _, _ in only]).values()} == {"an-hoa"}
    passages = Retriever(view, embedder).search(question)
    assert passages[0].chunk.doc_id == "tay-son" and passages[0].similarity is not None


def test_after_an_outage_a_replica_answers_from_vectors_while_bm25_warms(
    milvus: MilvusServer, embedder: Embedder, tmp_path
) -> None:
    """Milvus Lite rebuilds its BM25 indexes on their first search after a restart; the service
    answers from dense search meanwhile and turns lexical search back on once they are warm."""
    shared = _shared(milvus, embedder, tmp_path)
    shared.write([_doc("an-hoa", OLD), _doc("tay-son", "Phường Tây Sơn có 7 tổ dân phố.")], embedder)
    question = "Phường Tây Sơn có bao nhiêu tổ dân phố?"
    # The app's own fusion, which says which side found each passage.
    shared.settings = shared.settings.model_copy(update={"MILVUS_FUSION": "app"})
    service = SharedIndexService(shared.settings, embedder, lambda view: None)
    service.shared = shared
    started = threading.Event()
    real_warm = shared.warm

    def slow_warm(dense: bool = True, lexical: bool = True) -> None:
        if not dense:  # the background half: hold it until the vectors-only view was asked
            started.wait(30)
        real_warm(dense, lexical)

    shared.warm = slow_warm  # type: ignore[method-assign]
    service._warm_after_outage()
    view = shared.view()
    assert view.search_lexical(question, True, 10) == []
    passages = Retriever(view, embedder).search(question)
    assert passages and all(set(p.ranks) == {"dense"} for p in passages)
    assert view.search_fused(embed_query(embedder, question), question, True, 10)  # the dense route alone
    started.set()
    assert shared.lexical_ready.wait(60)
    assert view.search_lexical(question, True, 10)
    assert "lexical" in Retriever(shared.view(), embedder).search(question)[0].ranks


def _chunks(view, question: str) -> list:
    keys = [k for k, _ in view.search_lexical(question, True, 10)]
    return list(view.chunks(keys).values())


def test_listing_reads_past_one_query_s_16384_rows(
    milvus: MilvusServer, embedder: Embedder, tmp_path
) -> None:
    """A Milvus query returns at most 16,384 rows: the document list (and a migration back to the
    embedded index, which walks it) must not stop there."""
    shared = _shared(milvus, embedder, tmp_path)
    heads = [
        {
            "doc_id": f"d{i:05d}",
            "version": "v",
            "content_hash": "",
            "meta": {},
            "places": [],
            "written_at": 0,
            "_v": [0.0, 0.0],
        }
        for i in range(17_000)
    ]
    for start in range(0, len(heads), 5000):
        shared.client.insert(shared.heads, heads[start : start + 5000])
    ids = list(shared.view().documents)
    assert len(ids) == 17_000 and ids[-1] == "d16999"
