"""The vector store by id: what a second backend must also do (add, remove, search inside a filter,
give vectors back), and loading an index written before ids."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest
from conftest import make_settings

from app.index.vectors import FaissStore, make_vector_store


def _unit(n: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_ids_stay_put_when_others_are_removed() -> None:
    v = _unit(20)
    store = FaissStore.from_vectors(v, 8)
    assert store.search(v[7], 1)[0][0] == 7
    assert store.remove({3, 4, 99}) == 2 and len(store) == 18
    assert store.search(v[7], 1)[0][0] == 7  # no renumbering
    assert all(i not in (3, 4) for i, _ in store.search(v[3], 18))
    ids, vectors = store.vectors([7, 12])
    assert ids.tolist() == [7, 12] and np.allclose(vectors, v[[7, 12]])
    ids, vectors = store.vectors()
    assert sorted(ids.tolist()) == sorted(set(range(20)) - {3, 4})
    assert np.allclose(vectors[ids.tolist().index(19)], v[19])


def test_a_filter_is_applied_inside_the_search() -> None:
    """The allowed ids are found however far they rank; nothing excluded comes back."""
    v = _unit(500, seed=1)
    store = FaissStore.from_vectors(v, 8)
    query = v[0]
    order = [i for i, _ in store.search(query, 500)]
    far = set(order[-3:])  # the three least similar
    hits = store.search(query, 10, allowed=far)
    assert {i for i, _ in hits} == far
    assert [i for i, _ in store.search(query, 5, excluded={order[0], order[1]})] == order[2:7]
    assert store.search(query, 5, allowed={order[0]}, excluded={order[0]}) == []


def test_an_index_written_before_ids_loads_with_rows_as_ids(tmp_path: Path) -> None:
    v = _unit(6, seed=2)
    flat = faiss.IndexFlatIP(8)
    flat.add(v)
    faiss.write_index(flat, str(tmp_path / "old.faiss"))
    store = FaissStore.load(tmp_path / "old.faiss")
    assert len(store) == 6 and store.search(v[4], 1)[0][0] == 4
    store.save(tmp_path / "new.faiss")
    again = FaissStore.load(tmp_path / "new.faiss")
    assert again.vectors([5])[0].tolist() == [5] and np.allclose(again.vectors([5])[1], v[5])


def test_the_configured_backend_is_made_empty(tmp_path: Path) -> None:
    store = make_vector_store(make_settings(tmp_path), 8)
    assert len(store) == 0 and store.search(_unit(1)[0], 3) == []
    with pytest.raises(ValueError, match="6 ids for 5 vectors"):
        store.add(np.arange(6), _unit(5))
