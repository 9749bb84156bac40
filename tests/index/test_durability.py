"""The document store is the source of truth: a damaged, missing or stale index is rebuilt from it."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

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
from app.index.store import writer_lock
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


def _gen_dir(settings: Settings) -> Path:
    return settings.INDEX_DIR / (settings.INDEX_DIR / "CURRENT").read_text().strip()


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


def _garbage_manifest(s: Settings) -> None:
    (_gen_dir(s) / "manifest.json").write_bytes(b"\x00\xff garbage")


def _truncated_vectors(s: Settings) -> None:
    path = _gen_dir(s) / "vectors.faiss"
    path.write_bytes(path.read_bytes()[:100])


def _garbage_chunks(s: Settings) -> None:
    (_gen_dir(s) / "chunks.jsonl").write_text('{"chunk_id": "x"}\nnot json\n')


def _pointer_to_nowhere(s: Settings) -> None:
    (s.INDEX_DIR / "CURRENT").write_text("gen-does-not-exist\n")


def _no_pointer(s: Settings) -> None:
    (s.INDEX_DIR / "CURRENT").unlink()


def _generation_deleted(s: Settings) -> None:
    shutil.rmtree(_gen_dir(s))


@pytest.mark.parametrize(
    "damage",
    [
        _garbage_manifest,
        _truncated_vectors,
        _garbage_chunks,
        _pointer_to_nowhere,
        _no_pointer,
        _generation_deleted,
    ],
)
def test_damaged_index_is_rebuilt_from_the_documents(
    small_copy: Settings, embedder: Embedder, damage: Callable[[Settings], None]
) -> None:
    damage(small_copy)
    with pytest.raises(IndexLoadError):
        check_index(small_copy, embedder)
    gen = open_index(small_copy, embedder)
    assert len(gen.documents) == 1 and len(gen.vectors) == len(gen.chunks) == 5
    for c in gen.chunks:
        assert gen.documents[c.doc_id].text[c.start : c.end] == c.text
    top = Retriever(gen, embedder).search("Tổng thu ngân sách phường Quy Nhơn năm 2025", 3)
    assert any(p.chunk.doc_id == BUDGET_DOC and "348,5" in p.chunk.text for p in top)
    assert check_index(small_copy, embedder).name == gen.name


def test_rebuild_borrows_vectors_from_an_older_intact_generation(
    small_copy: Settings, embedder: Embedder
) -> None:
    extra = document_from_text("extra", "Xã Phụ\n\nNăm 2025 xã Phụ có 12 thôn.")
    ingest_documents(small_copy, embedder, [extra])  # a second generation; the first stays on disk
    _truncated_vectors(small_copy)
    report = ingest_documents(small_copy, embedder, [])
    assert report.generation and report.embedded == 1  # only the chunk the older generation lacks
    assert len(check_index(small_copy, embedder).documents) == 2


def test_index_behind_the_store_is_caught_up(index_copy: Settings, embedder: Embedder) -> None:
    """A crash after the documents were written but before their generation: the store wins."""
    doc = document_from_text("late_doc", "Xã Muộn\n\nNăm 2025 xã Muộn trồng 321 ha rừng.")
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


def test_index_made_before_the_store_moves_its_documents_in(index_copy: Settings, embedder: Embedder) -> None:
    shutil.rmtree(index_copy.INDEX_DIR / "documents")
    check_index(index_copy, embedder)  # still serves: nothing to compare against
    ingest_documents(index_copy, embedder, [])
    assert len(DocumentStore(index_copy.INDEX_DIR / "documents").ids()) == 5


def test_damaged_old_index_without_store_says_what_to_do(index_copy: Settings, embedder: Embedder) -> None:
    shutil.rmtree(index_copy.INDEX_DIR / "documents")
    _garbage_manifest(index_copy)
    with pytest.raises(IndexLoadError, match=r"ingest --rebuild"):
        ingest_documents(index_copy, embedder, [])


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
    (docs_dir / ".tmp-half.json").write_text('{"doc_id": "half", "tit')
    (index_copy.INDEX_DIR / ".tmp-gen-20990101T000000-abcdef").mkdir()
    gen = load_generation(index_copy.INDEX_DIR, embedder.name)
    assert "half" not in gen.documents
    ingest_documents(index_copy, embedder, [document_from_text("x", "Tiêu đề\n\nNội dung 1.")])
    assert not list(docs_dir.glob(".tmp-*")) and not list(index_copy.INDEX_DIR.glob(".tmp-gen-*"))


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
    rows = {r for r, c in enumerate(gen.chunks) if c.doc_id == "late_doc"}
    assert report.pending == len(rows) == 1 and report.embedded == 0 and counting.texts == []
    assert gen.pending == rows
    top = Retriever(gen, embedder).search("Năm 2025 xã Hoài Sơn trồng bao nhiêu ha rừng?", 3)
    assert top[0].chunk.doc_id == "late_doc" and "dense" not in top[0].ranks  # lexical only, for now

    done = ingest_documents(small_copy, counting, [])  # type: ignore[arg-type]
    gen = check_index(small_copy, embedder)
    assert done.embedded == 1 and done.pending == 0 and not gen.pending and len(counting.texts) == 1
    (row,) = rows
    expected = embedder.encode([gen.chunks[row].embed_text], "passage")[0]
    assert abs(float(gen.vectors.vectors([row])[1][0] @ expected) - 1.0) < 1e-4
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
    pending_docs = {gen.chunks[r].doc_id for r in gen.pending}
    assert report.embedded == 1 and pending_docs == {"second"} and {"first", "second"} <= set(gen.documents)
    embed_pending(small_copy, embedder, gen)
    assert not check_index(small_copy, embedder).pending
