"""The immutable vector store: exact below the approximate threshold, copy-on-write changes, filters
applied inside the search (base and delta, exact and approximate), merges, saved bases, and the
approximate base's recall on clustered vectors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import faiss
import numpy as np
import pytest
from conftest import make_settings

from app.config import Settings
from app.index.faiss_store import FaissStore
from app.index.vectors import load_vector_store, make_vector_store

DIM = 32


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _random(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    return _unit(np.random.default_rng(seed).normal(size=(n, dim)))


def _clustered(n: int, seed: int = 0, dim: int = DIM, clusters: int = 40, sigma: float = 0.1) -> np.ndarray:
    """Like the benchmark's vectors: a random centre plus Gaussian noise, renormalised."""
    rng = np.random.default_rng(seed)
    centres = _random(clusters, seed + 1000, dim)
    return _unit(centres[rng.integers(0, clusters, n)] + rng.normal(0, sigma, (n, dim)))


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"VECTOR_ANN_MIN_VECTORS": 100_000, "VECTOR_DELTA_MAX": 1000, **overrides}
    return make_settings(tmp_path, **values)


def _approx(tmp_path: Path, **overrides: object) -> Settings:
    """Approximate from 1000 vectors on: a few thousand exercise the IVF path in milliseconds."""
    return _settings(tmp_path, VECTOR_ANN_MIN_VECTORS=1000, VECTOR_NPROBE=16, **overrides)


def _brute(keys: np.ndarray, vectors: np.ndarray, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    scores = vectors @ query
    order = np.lexsort((keys, -scores))[:k]
    return [(int(keys[i]), float(scores[i])) for i in order]


def _same(found: list[tuple[int, float]], expected: list[tuple[int, float]], tol: float = 1e-5) -> None:
    assert [k for k, _ in found] == [k for k, _ in expected]
    assert np.allclose([s for _, s in found], [s for _, s in expected], atol=tol)


def _live(store: FaissStore) -> dict[int, np.ndarray]:
    keys, vectors = store.vectors()
    return dict(zip(keys.tolist(), vectors, strict=True))


def test_exact_below_the_threshold_is_brute_force(tmp_path: Path) -> None:
    v = _random(600)
    keys = np.arange(1000, 1600, dtype=np.int64)
    store = FaissStore.build(keys[:500], v[:500], _settings(tmp_path))
    assert store.kind == "flat" and len(store) == 500
    # Then some in the delta, some replaced, some removed: still brute force over what is live.
    replaced = _random(20, seed=9)
    store = store.changed(np.concatenate([keys[500:], keys[:20]]), np.concatenate([v[500:], replaced]), [7])
    store = store.changed(np.empty(0, np.int64), np.empty((0, DIM)), [1030, 1031, 1550])  # base, delta
    live = v.copy()
    live[:20] = replaced
    alive = ~np.isin(keys, [1030, 1031, 1550])
    assert len(store) == int(alive.sum()) == 597
    assert store.keys().tolist() == keys[alive].tolist()
    allowed = set(range(1000, 1600, 7))
    for query in _random(5, seed=3):
        _same(store.search(query, 10), _brute(keys[alive], live[alive], query, 10))
        in_filter = alive & np.isin(keys, list(allowed))
        _same(store.search(query, 10, allowed), _brute(keys[in_filter], live[in_filter], query, 10))
    assert len(store.search(v[0], 10_000)) == 597


def test_changed_leaves_the_old_store_alone(tmp_path: Path) -> None:
    for settings in (_settings(tmp_path), _approx(tmp_path)):
        v = _clustered(3000, seed=4)
        keys = np.arange(3000, dtype=np.int64)
        old = FaissStore.build(keys, v, settings).changed(keys[:0], v[:0], [5])  # a removal in the base
        query = v[10]
        before = old.search(query, 10)
        before_keys = old.keys()
        assert before[0][0] == 10

        new_vector = _unit(-v[10:11])
        extra = _random(3, seed=5, dim=DIM)
        new = old.changed(
            np.array([10, 9001, 9002, 9003]), np.concatenate([new_vector, extra]), [11, 12, 5, 424242]
        )
        # The old store: exactly as it was.
        assert old.search(query, 10) == before
        assert (old.keys() == before_keys).all() and len(old) == 2999
        assert np.allclose(old.vectors(np.array([10]))[1][0], v[10], atol=1e-3)
        # The new one: 10 replaced (now the worst match), 11 and 12 gone, three added.
        assert len(new) == 2999 - 2 + 3
        assert {10, 11, 12}.isdisjoint(k for k, _ in new.search(query, 10))
        assert new.search(extra[1], 1)[0][0] == 9002
        assert new.search(-query, 1)[0][0] == 10
        assert np.allclose(new.vectors(np.array([10]))[1][0], new_vector[0], atol=1e-6)
        assert 5 not in new.keys().tolist() and 9003 in new.keys().tolist()
        # A further change on the old store branches from it, not from `new`.
        other = old.changed(np.array([11]), new_vector, [])
        assert 12 in other.keys().tolist() and 9001 not in other.keys().tolist()


def test_searches_in_threads_see_their_own_state(tmp_path: Path) -> None:
    """Requests keep searching the store they took while writes and a merge make new ones."""
    v = _clustered(3000, seed=17)
    keys = np.arange(3000, dtype=np.int64)
    old = FaissStore.build(keys, v, _approx(tmp_path)).changed(keys[:0], v[:0], [3, 4])
    queries = v[:20]
    expected = [old.search(q, 10, None if i % 2 else set(range(0, 3000, 3))) for i, q in enumerate(queries)]

    def hammer() -> bool:
        return all(
            old.search(q, 10, None if i % 2 else set(range(0, 3000, 3))) == expected[i]
            for _ in range(5)
            for i, q in enumerate(queries)
        )

    with ThreadPoolExecutor(4) as pool:
        running = [pool.submit(hammer) for _ in range(4)]
        store = old
        for i in range(10):
            store = store.changed(np.array([5000 + i]), -v[i : i + 1], keys[100 * i : 100 * i + 50])
        store.merged()
        assert all(f.result() for f in running)


def test_changed_checks_its_arguments(tmp_path: Path) -> None:
    store = make_vector_store(_settings(tmp_path), DIM)
    with pytest.raises(ValueError, match="keys for vectors"):
        store.changed(np.arange(3), _random(2), [])
    with pytest.raises(ValueError, match="keys for vectors"):
        store.changed(np.arange(2), _random(2, dim=DIM + 1), [])
    with pytest.raises(ValueError, match="added twice"):
        store.changed(np.array([4, 4]), _random(2), [])
    # A key both removed and added ends up added; removing what is not there does nothing.
    once = store.changed(np.array([4]), _random(1), [])
    again = once.changed(np.array([4]), _random(1, seed=2), [4, 99])
    assert again.keys().tolist() == [4] and np.allclose(again.vectors()[1][0], _random(1, seed=2)[0])


@pytest.mark.parametrize("approximate", [False, True])
def test_a_filter_is_applied_inside_the_search(tmp_path: Path, approximate: bool) -> None:
    """k=1 among allowed keys finds the allowed key however far it ranks, in the base and in the delta."""
    settings = _approx(tmp_path) if approximate else _settings(tmp_path)
    v = _clustered(4000, seed=6)
    keys = np.arange(4000, dtype=np.int64) * 3  # keys are not rows
    store = FaissStore.build(keys[:3500], v[:3500], settings)
    assert store.kind == ("ivf" if approximate else "flat")
    store = store.changed(keys[3500:], v[3500:], [keys[1]])
    query = v[0]
    order = [k for k, _ in _brute(keys, v, query, 4000)]
    worst_in_base = next(k for k in reversed(order) if k < keys[3500])
    worst_in_delta = next(k for k in reversed(order) if k >= keys[3500])
    assert store.search(query, 1, {worst_in_base})[0][0] == worst_in_base
    assert store.search(query, 1, {worst_in_delta})[0][0] == worst_in_delta
    both = store.search(query, 2, np.array([worst_in_base, worst_in_delta]))
    assert [k for k, _ in both] == sorted((worst_in_base, worst_in_delta), key=order.index)
    hits = store.search(query, 10, {worst_in_base, worst_in_delta, keys[1], 10**12, -5})
    assert {k for k, _ in hits} == {worst_in_base, worst_in_delta}  # removed and unknown keys never come back
    assert store.search(query, 5, set()) == []
    assert store.search(query, 5, {keys[1]}) == []
    # A filter of the 400 keys least like the question (too many to score one by one): its k best
    # all the same, not fewer because the cells probed first hold none of them.
    far = np.sort(keys[:3500][np.argsort(v[:3500] @ query)[:400]])
    _same(store.search(query, 10, far), _brute(far, v[np.isin(keys, far)], query, 10), 1e-3)
    # A large filter (every other key) agrees with brute force over it (the approximate base within recall).
    allowed = keys[::2]
    alive = np.isin(keys, allowed) & (keys != keys[1])
    expected = {k for k, _ in _brute(keys[alive], v[alive], query, 10)}
    found = {k for k, _ in store.search(query, 10, allowed)}
    assert found <= set(allowed.tolist()) and len(found & expected) >= (8 if approximate else 10)


def test_merged_gives_the_same_results_and_clears_needs_merge(tmp_path: Path) -> None:
    settings = _settings(tmp_path, VECTOR_DELTA_MAX=50)
    v = _random(400, seed=7)
    keys = np.arange(400, dtype=np.int64)
    store = FaissStore.build(keys[:300], v[:300], settings)
    assert not store.needs_merge
    store = store.changed(keys[300:], v[300:], list(range(0, 100, 3)))
    assert store.needs_merge  # 100 added + 34 removed > 50
    merged = store.merged()
    assert not merged.needs_merge and merged.kind == "flat" and len(merged) == len(store)
    assert (merged.keys() == store.keys()).all()
    for query in _random(5, seed=8):
        _same(merged.search(query, 15), store.search(query, 15))
        _same(merged.search(query, 5, set(range(0, 400, 5))), store.search(query, 5, set(range(0, 400, 5))))
    assert not store.merged().merged().needs_merge


def test_merging_past_the_threshold_builds_an_approximate_base(tmp_path: Path) -> None:
    settings = _approx(tmp_path, VECTOR_DELTA_MAX=10_000)
    v = _clustered(3000, seed=10)
    keys = np.arange(3000, dtype=np.int64) + 50
    store = make_vector_store(settings, DIM).changed(keys[:900], v[:900], [])
    assert isinstance(store, FaissStore) and not store.needs_merge
    store = store.changed(keys[900:], v[900:], [])
    assert store.needs_merge  # an exact base (empty here) for 3000 vectors: time for an approximate one
    approximate = store.merged()
    assert approximate.kind == "ivf" and not approximate.needs_merge
    assert (approximate.keys() == keys).all()
    live = _live(approximate)
    assert max(float(np.abs(live[int(k)] - v[i]).max()) for i, k in enumerate(keys)) < 1e-3  # float16

    # Changes to an approximate base, merged by copying its cells: same keys, same vectors.
    changed = approximate.changed(np.array([7]), _random(1, seed=11), keys[:200])
    remerged = changed.merged()
    assert remerged.kind == "ivf" and not remerged.needs_merge and len(remerged) == 2801
    assert (remerged.keys() == changed.keys()).all()
    assert remerged.search(_random(1, seed=11)[0], 1)[0][0] == 7
    moved = _live(remerged)
    assert all(np.allclose(moved[k], live[k]) for k in moved if k != 7)  # codes copied, not re-encoded
    assert not {int(k) for k in keys[:200]} & set(remerged.keys().tolist())

    # Shrunk far below the threshold: back to exact.
    small = remerged.changed(np.empty(0, np.int64), np.empty((0, DIM), np.float32), keys[200:2900])
    assert small.needs_merge and small.merged().kind == "flat" and len(small.merged()) == 101


def test_a_saved_base_loads_back(tmp_path: Path) -> None:
    for settings, n in ((_settings(tmp_path), 500), (_approx(tmp_path), 3000)):
        v = _clustered(n, seed=12)
        keys = np.arange(n, dtype=np.int64) * 2 + 1
        store = FaissStore.build(keys, v, settings)
        path = tmp_path / f"base-{n}.faiss"
        store.save_base(path)
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left
        loaded = load_vector_store(settings, path)
        assert isinstance(loaded, FaissStore) and loaded.kind == store.kind and loaded.dim == DIM
        assert (loaded.keys() == store.keys()).all()
        for query in v[:5]:
            assert loaded.search(query, 10) == store.search(query, 10)
        # Only the base is saved: delta and removals are the caller's to re-apply (or merge first).
        changed = store.changed(np.array([0]), _random(1), [1])
        changed.save_base(path)
        assert len(load_vector_store(settings, path)) == n
        changed.merged().save_base(path)
        again = load_vector_store(settings, path)
        assert (again.keys() == changed.keys()).all()


def test_a_vectors_file_of_before_loads_as_a_base(tmp_path: Path) -> None:
    v = _random(6, seed=2)
    with_ids = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
    with_ids.add_with_ids(v, np.array([10, 11, 12, 13, 14, 15], dtype=np.int64))
    faiss.write_index(with_ids, str(tmp_path / "ids.faiss"))
    store = load_vector_store(_settings(tmp_path), tmp_path / "ids.faiss")
    assert store.keys().tolist() == [10, 11, 12, 13, 14, 15] and store.search(v[4], 1)[0][0] == 14
    flat = faiss.IndexFlatIP(DIM)
    flat.add(v)
    faiss.write_index(flat, str(tmp_path / "rows.faiss"))
    store = load_vector_store(_settings(tmp_path), tmp_path / "rows.faiss")
    assert store.keys().tolist() == list(range(6)) and store.search(v[4], 1)[0][0] == 4
    (tmp_path / "junk.faiss").write_bytes(b"not an index")
    with pytest.raises(RuntimeError):
        load_vector_store(_settings(tmp_path), tmp_path / "junk.faiss")


def test_vectors_by_key(tmp_path: Path) -> None:
    for settings in (_settings(tmp_path), _approx(tmp_path)):
        v = _clustered(2000, seed=13)
        keys = np.arange(2000, dtype=np.int64) + 7
        store = FaissStore.build(keys, v, settings).changed(np.array([1]), _random(1, seed=14), [8])
        got_keys, got = store.vectors(np.array([100, 1, 8, 55555, 7]))
        assert got_keys.tolist() == [100, 1, 7]  # in the order asked, absent ones left out
        assert np.allclose(got, np.stack([v[93], _random(1, seed=14)[0], v[0]]), atol=1e-3)


def test_approximate_recall_on_clustered_vectors(tmp_path: Path) -> None:
    v = _clustered(6000, seed=15, dim=64, clusters=60, sigma=0.03)
    keys = np.arange(6000, dtype=np.int64)
    store = FaissStore.build(keys, v, _approx(tmp_path))
    assert store.kind == "ivf"
    queries = _clustered(40, seed=16, dim=64, clusters=60, sigma=0.03)  # same centres (seed + 1000)
    hits = 0
    for q in queries:
        exact = {k for k, _ in _brute(keys, v, q, 10)}
        hits += len(exact & {k for k, _ in store.search(q, 10)})
    assert hits / (10 * len(queries)) >= 0.9


def test_searched_with_more_cells_probed_finds_at_least_as_much(tmp_path: Path) -> None:
    """`searched_with` shares the base and changes only how it is searched: probing every cell is an
    exact search; the original store keeps its own parameters."""
    v = _clustered(6000, seed=17, dim=64, clusters=60, sigma=0.03)
    keys = np.arange(6000, dtype=np.int64)
    store = FaissStore.build(keys, v, _approx(tmp_path)).searched_with(nprobe=1)
    assert store.kind == "ivf" and store.cells is not None and store.cells > 1
    q = _clustered(1, seed=18, dim=64, clusters=60, sigma=0.03)[0]
    before = store.search(q, 10)
    every = store.searched_with(nprobe=store.cells)
    _same(every.search(q, 10), _brute(keys, v, q, 10), tol=1e-3)
    assert store.search(q, 10) == before
    assert FaissStore.build(keys[:50], v[:50], _settings(tmp_path)).cells is None


def test_the_configured_backend_is_made_empty(tmp_path: Path) -> None:
    store = make_vector_store(make_settings(tmp_path), 8)
    assert len(store) == 0 and store.search(_random(1, dim=8)[0], 3) == [] and store.keys().tolist() == []
    assert store.vectors()[1].shape == (0, 8) and not store.needs_merge
    with pytest.raises(ValueError, match="dimensions"):
        store.search(_random(1, dim=9)[0], 3)
