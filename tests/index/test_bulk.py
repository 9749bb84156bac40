"""The CLI's ingest in groups, one embedded ahead of the one being written: the index it builds is
the one a single write builds, and a second run embeds nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.config import Settings
from app.embed import make_embedder
from app.index import bulk, ingest_documents, load_generation
from app.ingest import document_from_text
from tests.embedding_server import ScriptedEmbeddings


def _documents() -> list:
    genres = [
        "Điều {i}. Người thuê trả tiền thuê {i},5 triệu đồng mỗi tháng, trước ngày {i} hằng tháng.",
        "Năm 2025 xã đạt {i}/21 chỉ tiêu, thu ngân sách {i}48,5 tỷ đồng, kết nạp {i} đảng viên.",
        "Sông Côn dài {i}71 km, bắt nguồn từ dãy núi phía tây, chảy qua {i} huyện của tỉnh.",
    ]
    return [
        document_from_text(f"vb-{d}", "\n".join(genres[d % 3].format(i=d * 10 + p) for p in range(6)))
        for d in range(12)
    ]


def _index(gen) -> dict[str, list[tuple[str, np.ndarray]]]:
    keys, vectors = gen.vectors.vectors()
    chunks = gen.chunks([int(k) for k in keys])
    out: dict[str, list] = {}
    for key, vector in zip(keys, vectors, strict=True):
        c = chunks[int(key)]
        out.setdefault(c.doc_id, []).append((c.text, vector))
    return {d: sorted(v, key=lambda tv: tv[0]) for d, v in out.items()}


def test_groups_build_the_index_one_write_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "MIN_GROUP", 4)
    monkeypatch.setattr(bulk, "ROUNDS_PER_GROUP", 1)
    docs = _documents()
    with ScriptedEmbeddings(dim=8) as srv:
        env = {
            "EMBEDDER": "openai",
            "EMBED_BASE_URL": srv.url,
            "EMBED_MODEL": "m",
            "EMBED_BATCH_SIZE": 2,
            "EMBED_CONCURRENCY": 1,
        }
        a = Settings(INDEX_DIR=tmp_path / "bulk", **env)  # type: ignore[arg-type]
        b = Settings(INDEX_DIR=tmp_path / "one", **env)  # type: ignore[arg-type]
        report = bulk.ingest_bulk(a, make_embedder(a), docs)
        ingest_documents(b, make_embedder(b), docs)
        again = bulk.ingest_bulk(a, make_embedder(a), docs)
    assert sorted(report.added) == sorted(d.doc_id for d in docs) and report.embedded == report.chunks
    assert int(report.generation.split("-")[1]) >= 4  # several groups, each its own write
    built, single = _index(load_generation(a.INDEX_DIR)), _index(load_generation(b.INDEX_DIR))
    assert built.keys() == single.keys()
    for doc_id, rows in built.items():
        assert [t for t, _ in rows] == [t for t, _ in single[doc_id]]
        assert np.allclose(
            np.stack([v for _, v in rows]), np.stack([v for _, v in single[doc_id]]), atol=1e-3
        )
    assert again.embedded == 0 and len(again.unchanged) == len(docs) and again.generation is None
