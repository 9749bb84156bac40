"""The Milvus chunk collection against a real engine (milvus-lite's server on loopback): lexical
scoring as the embedded index scores, Vietnamese terms kept whole, filters inside the search (and
never an injection), vectors set later, versions replaced, other embedders refused, a restart, and
an engine that is down."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pytest
from milvus_server import MilvusServer

from app.config import Settings
from app.embed import Embedder
from app.index import load_generation
from app.index.lexical import LexicalFilter
from app.index.milvus import CollectionMismatch, MilvusChunks, MilvusRecord, MilvusUnavailable
from app.profiles import load_profile, use_profile
from app.text import canonical
from app.text.normalize import fold

ROOT = Path(__file__).resolve().parents[2]
ROOT = Path(__file__).resolve().parents[2]
_names = (f"c{i}" for i in itertools.count())


def _vec(*xs: float) -> np.ndarray:
    v = np.zeros(4, dtype=np.float32)
    v[: len(xs)] = xs
    return v / np.linalg.norm(v)


def _small(milvus: MilvusServer) -> MilvusChunks:
    chunks = MilvusChunks(milvus.uri, next(_names), "test-embedder", 4)
    chunks.write(
        [
            MilvusRecord(
                1, "a", "v1", "2025-01-01", "Phường Quy Nhơn: tổng thu ngân sách 348,5 tỷ đồng", _vec(1)
            ),
            MilvusRecord(2, "b", "v1", "2025-02-01", "Xã Hòa Bình có 4.985 đảng viên", _vec(0, 1)),
            MilvusRecord(3, "c", "v1", None, "Phuong Quy Nhon Nam: thu 348 trieu va 5 ty", None),
        ]
    )
    return chunks


@pytest.fixture(scope="module")
def small(milvus: MilvusServer) -> MilvusChunks:
    return _small(milvus)


def test_a_figure_is_one_term_and_tone_mark_variants_are_equal(small: MilvusChunks) -> None:
    """ "348,5" is one term (Milvus's analyzer alone would split it into 348 and 5); "hoà" and "hòa"
    are the same word; a question typed without diacritics finds text written with them."""

    def keys(question: str, written: bool = True) -> list[int]:
        return [k for k, _ in small.search(question, written, 5)]

    assert keys("tổng thu 348,5 tỷ")[:1] == [1]
    assert 3 not in keys("348,5")
    assert keys("xã hoà bình") == keys("xã hòa bình") == [2]
    assert keys("xa hoa binh", False)[:1] == [2]
    assert set(keys("quy nhon", False)) == {1, 3}
    assert all(score > 0 for _, score in small.search("quy nhơn", True, 5))


def test_filters_run_inside_the_search_and_cannot_be_injected(small: MilvusChunks) -> None:
    assert [k for k, _ in small.search("quy nhơn", True, 5, LexicalFilter(doc_ids=("c",)))] == [3]
    # A date bound excludes undated rows; the bounds are inclusive.
    assert small.search("quy nhơn", True, 5, LexicalFilter(date_from="2025-01-15")) == []
    assert [k for k, _ in small.search("quy nhơn", True, 5, LexicalFilter(date_to="2025-01-01"))] == [1]
    assert small.search("quy nhơn", True, 5, LexicalFilter(doc_ids=())) == []
    evil = 'a"] or doc_id != "'
    assert small.search("quy nhơn", True, 5, LexicalFilter(doc_ids=(evil,))) == []
    assert [k for k, _ in small.search_dense(_vec(1), 5, LexicalFilter(doc_ids=(evil, "b")))] == [2]


def test_dense_search_skips_rows_not_yet_embedded_until_their_vectors_come(milvus: MilvusServer) -> None:
    chunks = _small(milvus)
    assert 3 not in dict(chunks.search_dense(_vec(0, 0, 1), 5))
    assert 3 in dict(chunks.search("quy nhon nam", False, 5))  # found lexically meanwhile
    chunks.set_vectors([3], _vec(0, 0, 1)[None, :])
    hits = chunks.search_dense(_vec(0, 0, 1), 5)
    assert hits[0][0] == 3 and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert 3 in dict(chunks.search("quy nhon nam", False, 5))  # its text did not change


def test_a_new_version_replaces_the_old_rows_of_its_document(milvus: MilvusServer) -> None:
    chunks = _small(milvus)
    chunks.write([MilvusRecord(4, "a", "v2", "2025-03-01", "Phường Quy Nhơn năm mới", _vec(1))], {"a"})
    assert len(chunks) == 3
    assert {k for k, _ in chunks.search("quy nhơn", True, 5)} == {3, 4}
    chunks.write([], {"b"})  # a delete
    assert len(chunks) == 2 and chunks.search("hòa bình", True, 5) == []


def test_lexical_ranking_matches_the_embedded_index_on_the_seeds(
    milvus: MilvusServer, seed_index: Settings, embedder: Embedder
) -> None:
    """The same terms, weights and BM25: the best passage is the same for almost every question
    (the two engines quantise document lengths differently, so scores differ in the third digit)."""
    import json

    gen = load_generation(seed_index.INDEX_DIR, embedder.name, settings=seed_index)
    keys, matrix = gen.vectors.vectors()
    vectors = dict(zip(keys.tolist(), matrix, strict=True))
    chunks = MilvusChunks(milvus.uri, next(_names), gen.embedder, gen.dim)

    chunks.write(
        [
            MilvusRecord(
                k, c.doc_id, "v1", gen.documents[c.doc_id].date, f"{c.header}\n{c.text}", vectors.get(k)
            )
            for k, c in gen.all_chunks()
        ]
    )
    assert len(chunks) == gen.chunk_count
    lines = (ROOT / "evals" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    same = total = 0
    for q in questions[:60]:
        q = canonical(q)
        for text, written in ((q, True), (fold(q), False)):
            ours, theirs = gen.lexical.search(text, written, 5), chunks.search(text, written, 5)
            total += 1
            same += bool(ours and theirs and ours[0][0] == theirs[0][0])
    assert same / total >= 0.9, (same, total)
    # Dense search gives FAISS's exact neighbours on so few vectors.
    q = matrix[0]
    assert [k for k, _ in chunks.search_dense(q, 5)] == [k for k, _ in gen.vectors.search(q, 5)]


def test_a_collection_of_another_embedder_is_refused_and_survives_a_restart(tmp_path: Path) -> None:
    server = MilvusServer(tmp_path / "data").start()
    try:
        chunks = MilvusChunks(server.uri, "kept", "embedder-a", 4)
        chunks.write([MilvusRecord(1, "a", "v1", None, "Phường Quy Nhơn", _vec(1))])
        with pytest.raises(CollectionMismatch, match=r"embedder-a.*never mixed"):
            MilvusChunks(server.uri, "kept", "embedder-b", 4)
        with pytest.raises(CollectionMismatch, match="dimension 4"):
            MilvusChunks(server.uri, "kept", "embedder-a", 8)
        previous = use_profile(load_profile("plain"))  # made under `vi`: another profile's rules
        try:
            with pytest.raises(CollectionMismatch, match=r"profile vi:.*PROFILE='plain'.*migrate --to faiss"):
                MilvusChunks(server.uri, "kept", "embedder-a", 4)
        finally:
            use_profile(previous)
        server.stop()
        server.start()  # the same data directory: the collection is loaded again before search
        again = MilvusChunks(server.uri, "kept", "embedder-a", 4)
        assert [k for k, _ in again.search("quy nhơn", True, 5)] == [1]
        assert [k for k, _ in again.search_dense(_vec(1), 5)] == [1]
    finally:
        server.stop()


def test_an_engine_that_is_down_is_reported_within_the_timeout(tmp_path: Path) -> None:
    server = MilvusServer(tmp_path / "data").start()
    chunks = MilvusChunks(server.uri, "down", "embedder-a", 4, timeout_s=2.0)
    chunks.write([MilvusRecord(1, "a", "v1", None, "Phường Quy Nhơn", _vec(1))])
    server.kill()
    for call in (lambda: chunks.search("quy nhơn", True, 5), lambda: chunks.search_dense(_vec(1), 5)):
        t0 = time.monotonic()
        with pytest.raises(MilvusUnavailable, match="did not answer"):
            call()
        assert time.monotonic() - t0 < 6
    t0 = time.monotonic()
    with pytest.raises(MilvusUnavailable):
        MilvusChunks(server.uri, "down", "embedder-a", 4, timeout_s=2.0)
    assert time.monotonic() - t0 < 6
