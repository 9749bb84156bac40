"""The document store is the source of truth: a damaged, missing or stale index is rebuilt from it."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from conftest import make_settings

from app.config import Settings
from app.embed import Embedder
from app.index import (
    DocumentStore,
    EmbedderMismatch,
    IndexLoadError,
    WriterBusy,
    check_index,
    ingest_documents,
    load_generation,
    open_index,
)
from app.index.store import IndexFiles, writer_lock
from app.ingest import document_from_text
from app.models import Document
from app.retrieve import Retriever

BUDGET_DOC = "000_ba4ab6dccccf8163"


@pytest.fixture(scope="session")
def budget_index(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, seed_docs: list[Document]
) -> Settings:
    """One seed report (5 chunks): damage tests re-embed it, so keep it small."""
    settings = make_settings(tmp_path_factory.mktemp("budget"))
    ingest_documents(settings, embedder, [d for d in seed_docs if d.doc_id == BUDGET_DOC])
    return settings


@pytest.fixture
def small_copy(tmp_path: Path, budget_index: Settings) -> Settings:
    shutil.copytree(budget_index.INDEX_DIR, tmp_path / "index")
    return make_settings(tmp_path)


@pytest.mark.parametrize("doc_id", ["plain", "../escape", ".hidden", "a/b", "phường Hòa Bình", "%2F"])
def test_any_doc_id_is_one_file_inside_the_store(tmp_path: Path, doc_id: str) -> None:
    store = DocumentStore(tmp_path / "documents")
    doc = document_from_text(doc_id, "Tiêu đề\n\nNăm 2025 đạt 12,5 tỷ đồng.")
    store.put([doc])
    files = list((tmp_path / "documents").iterdir())
    assert len(files) == 1 and files[0].parent == tmp_path / "documents"
    assert store.ids() == [doc_id] and store.get(doc_id) == doc
    assert store.remove([doc_id, "absent"]) == [doc_id] and store.ids() == []


def test_store_is_written_before_the_generation(index_copy: Settings, embedder: Embedder) -> None:
    doc = document_from_text("new_doc", "Phường Thử\n\nNăm 2025 phường Thử thu 7,5 tỷ đồng.")
    ingest_documents(index_copy, embedder, [doc])
    assert DocumentStore(index_copy.INDEX_DIR / "documents").get("new_doc") == doc
    assert not list((index_copy.INDEX_DIR / "documents").glob(".tmp-*"))


def _garbage_catalog(s: Settings) -> None:
    IndexFiles.forget(s.INDEX_DIR)  # as a new process would find it
    for extra in ("-wal", "-shm"):
        Path(f"{s.INDEX_DIR / 'catalog.sqlite'}{extra}").unlink(missing_ok=True)
    (s.INDEX_DIR / "catalog.sqlite").write_bytes(b"\x00\xff garbage" * 500)


def _catalog_deleted(s: Settings) -> None:
    IndexFiles.forget(s.INDEX_DIR)
    for extra in ("", "-wal", "-shm"):
        Path(f"{s.INDEX_DIR / 'catalog.sqlite'}{extra}").unlink(missing_ok=True)


def _lexical_deleted(s: Settings) -> None:
    IndexFiles.forget(s.INDEX_DIR)
    shutil.rmtree(s.INDEX_DIR / "lexical")


def _lexical_garbage(s: Settings) -> None:
    IndexFiles.forget(s.INDEX_DIR)
    (s.INDEX_DIR / "lexical" / "meta.json").write_text("{garbage")


@pytest.mark.parametrize("damage", [_garbage_catalog, _catalog_deleted, _lexical_deleted, _lexical_garbage])
def test_damaged_index_is_rebuilt_from_the_documents(
    small_copy: Settings, embedder: Embedder, damage: Callable[[Settings], None]
) -> None:
    damage(small_copy)
    with pytest.raises(IndexLoadError):
        check_index(small_copy, embedder)
    gen = open_index(small_copy, embedder)
    chunks = gen.all_chunks()
    assert len(gen.documents) == 1 and len(gen.vectors) == len(chunks) == gen.chunk_count == 5
    for _, c in chunks:
        assert gen.documents[c.doc_id].text[c.start : c.end] == c.text
    top = Retriever(gen, embedder).search("Tổng thu ngân sách phường Quy Nhơn năm 2025", 3)
    assert any(p.chunk.doc_id == BUDGET_DOC and "348,5" in p.chunk.text for p in top)
    assert check_index(small_copy, embedder).name == gen.name


def test_a_lost_lexical_index_is_rebuilt_without_embedding(small_copy: Settings, embedder: Embedder) -> None:
    _lexical_deleted(small_copy)
    report = ingest_documents(small_copy, embedder, [])
    gen = check_index(small_copy, embedder)
    assert report.embedded == 0 and gen.chunk_count == 5 and len(gen.vectors) == 5


def test_index_behind_the_store_is_caught_up(index_copy: Settings, embedder: Embedder) -> None:
    """A crash after the documents were written but before their generation: the store wins."""
    doc = document_from_text("late_doc", "Xã Muộn\n\nNăm 2025 xã Muộn trồng 321 ha rừng.")
    with sqlite3.connect(index_copy.INDEX_DIR / "catalog.sqlite") as db:  # as the writer does first
        db.execute("INSERT INTO journal(doc_id) VALUES ('late_doc')")
    DocumentStore(index_copy.INDEX_DIR / "documents").put([doc])
    with pytest.raises(IndexLoadError, match="behind the stored documents"):
        check_index(index_copy, embedder)
    gen = open_index(index_copy, embedder)
    assert "late_doc" in gen.documents and len(gen.documents) == 6


def test_another_embedders_index_is_not_rebuilt_silently(index_copy: Settings, embedder: Embedder) -> None:
    class Other:
        name, dim = "other-embedder", embedder.dim

        def encode(self, texts, kind):  # type: ignore[no-untyped-def]
            return embedder.encode(texts, kind)

    before = (index_copy.INDEX_DIR / "CURRENT").read_text()
    with pytest.raises(EmbedderMismatch, match="reindex"):
        open_index(index_copy, Other())  # type: ignore[arg-type]
    assert (index_copy.INDEX_DIR / "CURRENT").read_text() == before


def test_an_index_of_the_older_format_is_rebuilt_from_the_store(
    small_copy: Settings, embedder: Embedder
) -> None:
    _catalog_deleted(small_copy)
    old = small_copy.INDEX_DIR / "gen-20250101T000000.000000-abcdef"
    old.mkdir()
    (old / "manifest.json").write_text('{"format_version": 1}')
    (small_copy.INDEX_DIR / "CURRENT").write_text(old.name + "\n")
    with pytest.raises(IndexLoadError, match="older format"):
        check_index(small_copy, embedder)
    gen = open_index(small_copy, embedder)
    assert set(gen.documents) == {BUDGET_DOC} and not old.exists()


def test_second_writer_waits_then_gives_up(tmp_path: Path) -> None:
    held, release = threading.Event(), threading.Event()

    def first() -> None:
        with writer_lock(tmp_path):
            held.set()
            release.wait(10)

    t = threading.Thread(target=first)
    t.start()
    held.wait(5)
    t0 = time.monotonic()
    with pytest.raises(WriterBusy, match="another ingest"), writer_lock(tmp_path, wait_s=0.3):
        pass
    assert 0.3 <= time.monotonic() - t0 < 2
    release.set()
    t.join()
    with writer_lock(tmp_path, wait_s=0.3):  # free again
        pass


def test_crashed_writers_leftovers_are_ignored_and_cleaned(index_copy: Settings, embedder: Embedder) -> None:
    docs_dir = index_copy.INDEX_DIR / "documents"
    with sqlite3.connect(index_copy.INDEX_DIR / "catalog.sqlite") as db:  # the writer journals first
        db.execute("INSERT INTO journal(doc_id) VALUES ('half')")
    (docs_dir / ".tmp-half.json").write_text('{"doc_id": "half", "tit')
    gen = load_generation(index_copy.INDEX_DIR, embedder.name)
    assert "half" not in gen.documents
    ingest_documents(index_copy, embedder, [document_from_text("x", "Tiêu đề\n\nNội dung 1.")])
    assert not list(docs_dir.glob(".tmp-*"))


def test_deferred_embedding_is_searchable_at_once_and_embedded_later(
    small_copy: Settings, embedder: Embedder
) -> None:
    class Counting:
        name, dim = embedder.name, embedder.dim
        texts: ClassVar[list[str]] = []

        def encode(self, texts, kind):  # type: ignore[no-untyped-def]
            if kind == "passage":
                self.texts.extend(texts)
            return embedder.encode(texts, kind)

    counting = Counting()
    doc = document_from_text("late_doc", "Xã Hoài Sơn\n\nNăm 2025 xã Hoài Sơn trồng 321 ha rừng mới.")
    report = ingest_documents(small_copy, counting, [doc], defer_embedding=True)  # type: ignore[arg-type]
    gen = check_index(small_copy, embedder)
    rows = {k for k, c in gen.all_chunks() if c.doc_id == "late_doc"}
    assert report.pending == len(rows) == 1 and report.embedded == 0 and counting.texts == []
    assert gen.pending == rows
    top = Retriever(gen, embedder).search("Năm 2025 xã Hoài Sơn trồng bao nhiêu ha rừng?", 3)
    assert top[0].chunk.doc_id == "late_doc" and "dense" not in top[0].ranks  # lexical only, for now

    done = ingest_documents(small_copy, counting, [])  # type: ignore[arg-type]
    gen = check_index(small_copy, embedder)
    assert done.embedded == 1 and done.pending == 0 and not gen.pending and len(counting.texts) == 1
    (row,) = rows
    expected = embedder.encode([gen.chunks([row])[row].embed_text], "passage")[0]
    assert abs(float(gen.vectors.vectors(np.array([row]))[1][0] @ expected) - 1.0) < 1e-4
    top = Retriever(gen, embedder).search("Năm 2025 xã Hoài Sơn trồng bao nhiêu ha rừng?", 3)
    assert top[0].chunk.doc_id == "late_doc" and "dense" in top[0].ranks


def test_background_embedding_leaves_later_uploads_pending(small_copy: Settings, embedder: Embedder) -> None:
    """embed_pending embeds without the writer lock; an upload meanwhile stays pending for next time."""
    from app.index import embed_pending

    first = document_from_text("first", "Xã Một\n\nNăm 2025 xã Một làm 11 km đường.")
    second = document_from_text("second", "Xã Hai\n\nNăm 2025 xã Hai làm 22 km đường.")
    ingest_documents(small_copy, embedder, [first], defer_embedding=True)

    class UploadsMidway:
        name, dim = embedder.name, embedder.dim

        def encode(self, texts, kind):  # type: ignore[no-untyped-def]
            if kind == "passage" and texts and "Xã Một" in texts[0]:
                # The lock is free while embed_pending embeds: an upload gets through.
                ingest_documents(small_copy, embedder, [second], defer_embedding=True, wait_s=1)
            return embedder.encode(texts, kind)

    before = check_index(small_copy, embedder)  # what the server has in memory
    report = embed_pending(small_copy, UploadsMidway(), before)  # type: ignore[arg-type]
    gen = check_index(small_copy, embedder)
    pending_docs = {c.doc_id for c in gen.chunks(list(gen.pending)).values()}
    assert report.embedded == 1 and pending_docs == {"second"} and {"first", "second"} <= set(gen.documents)
    embed_pending(small_copy, embedder, gen)
    assert not check_index(small_copy, embedder).pending
