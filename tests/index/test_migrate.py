"""`migrate`: the embedded index into Milvus and back, documents, originals and vectors, without the
model running once; the copy answers as the original does."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from milvus_server import MilvusServer

from app.config import Settings
from app.embed import Embedder
from app.index import DocumentStore, ingest_documents, load_generation
from app.index.migrate import to_faiss, to_milvus
from app.index.shared import SharedIndex
from app.ingest import document_from_text
from app.pipeline import Pipeline


class NoModel:
    """The embedder's name and dimension, and a test failure if anything asks it to embed."""

    def __init__(self, real: Embedder) -> None:
        self.name, self.dim = real.name, real.dim

    def encode(self, texts: list[str], kind: str) -> np.ndarray:
        raise AssertionError(f"migrate embedded {len(texts)} texts")


QUESTIONS = [
    "Phường Quy Nhơn Nam có bao nhiêu đảng viên?",
    "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?",
    "ty le gia dinh van hoa phuong Quang Trung",
]


def test_the_index_goes_to_milvus_and_back_without_embedding(
    index_copy: Settings, embedder: Embedder, milvus: MilvusServer, tmp_path: Path
) -> None:
    seed_index = index_copy
    scan = "Phường Tây Sơn có 7 tổ dân phố và 1.024 hộ dân.".encode()
    ingest_documents(
        seed_index, embedder, [document_from_text("tay-son", scan.decode())], originals={"tay-son": scan}
    )
    shared_settings = seed_index.model_copy(
        update={"VECTOR_STORE": "milvus", "MILVUS_URI": milvus.uri, "MILVUS_COLLECTION": "migrated"}
    )
    there = to_milvus(shared_settings)
    source = load_generation(seed_index.INDEX_DIR, embedder.name, settings=seed_index)
    assert (there.documents, there.chunks, there.originals) == (len(source.documents), source.chunk_count, 1)
    view = SharedIndex(shared_settings, embedder.name, embedder.dim).view()
    embedded, shared = Pipeline(seed_index, embedder, source), Pipeline(shared_settings, embedder, view)
    for q in QUESTIONS:  # the same answer; passages that score nearly alike may be numbered otherwise
        ours, theirs = embedded.ask_sync(q).answer.text, shared.ask_sync(q).answer.text
        assert re.sub(r"\[\d+\]", "", theirs) == re.sub(r"\[\d+\]", "", ours), q
    assert to_milvus(shared_settings).chunks == there.chunks  # again: the same versions, nothing doubled
    assert len(view.shared.chunks) == source.chunk_count

    back_settings = shared_settings.model_copy(update={"INDEX_DIR": tmp_path / "back"})
    back = to_faiss(back_settings, NoModel(embedder))  # type: ignore[arg-type]
    assert (back.documents, back.chunks, back.originals, back.embedded) == (6, source.chunk_count, 1, 0)
    faiss_settings = back_settings.model_copy(update={"VECTOR_STORE": "faiss"})
    copy = load_generation(tmp_path / "back", embedder.name, settings=faiss_settings)
    ours = sorted(c.text for _, c in source.all_chunks())
    assert sorted(c.text for _, c in copy.all_chunks()) == ours
    q = source.vectors.vectors()[1][0]
    scores = [round(s, 5) for _, s in source.vectors.search(q, 5)]
    assert [round(s, 5) for _, s in copy.vectors.search(q, 5)] == scores
    assert DocumentStore(tmp_path / "back" / "documents").original("tay-son") == scan
