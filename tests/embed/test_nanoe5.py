"""The default embedder, for real: shapes, normalisation, prefixes, no truncation of long texts."""

from __future__ import annotations

import numpy as np

from app.embed import Embedder, embed_passages, embed_query


def test_shapes_and_normalisation(embedder: Embedder) -> None:
    vecs = embed_passages(
        embedder, ["Tổng thu ngân sách 348,5 tỷ đồng.", "Kết nạp 76 đảng viên mới."], batch_size=1
    )
    assert vecs.shape == (2, embedder.dim) == (2, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    q = embed_query(embedder, "tổng thu ngân sách")
    assert q.shape == (384,) and abs(float(np.linalg.norm(q)) - 1) < 1e-5
    assert float(vecs[0] @ q) > float(vecs[1] @ q)


def test_query_and_passage_prefixes_differ(embedder: Embedder) -> None:
    text = "tổng thu ngân sách phường"
    assert not np.allclose(embed_query(embedder, text), embed_passages(embedder, [text])[0])


def test_batching_does_not_change_vectors(embedder: Embedder) -> None:
    texts = [f"Năm 2025 phường đạt {i} chỉ tiêu." for i in range(5)]
    assert np.allclose(
        embed_passages(embedder, texts, batch_size=2),
        embed_passages(embedder, texts, batch_size=5),
        atol=1e-4,
    )


def test_long_text_is_not_truncated(embedder: Embedder) -> None:
    """Text past 512 tokens still counts: changing only the tail changes the vector."""
    head = "Phường Quy Nhơn tổ chức hội nghị đánh giá kết quả thực hiện nhiệm vụ năm 2025. " * 40
    assert embedder.token_count(head) > 600  # type: ignore[attr-defined]
    a = embed_passages(embedder, [head + "Tổng thu ngân sách là 348,5 tỷ đồng."])[0]
    b = embed_passages(embedder, [head + "Đội bóng đá giành chức vô địch quốc gia."])[0]
    assert not np.allclose(a, b, atol=1e-3)
